"""The raw files' suites read each census's tables from the parse cache when the cleaner
stored them (`cache.CENSUS_SOURCE`), so validating the raw files does not parse the census
a second time (issue #31: 42.7 s of the 83 s England-size profile was the census read
twice); what they read is the same as parsing it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from iro_analysis.ingest import cache, raw_tables
from iro_analysis.ingest.cache import cache_dir_of
from iro_analysis.ingest.clean import run_clean
from iro_analysis.ingest.raw_tables import read_raw_sources

RAW = Path(__file__).parent / "fixtures" / "clean" / "raw"
YEAR = 2022


def _by_label(sources) -> dict[str, pd.DataFrame]:
    return {s.label: s.frame for s in sources}


def _no_parse(*_a, **_k):
    raise AssertionError("the census was parsed again")


def test_the_cleaner_s_census_tables_are_what_the_raw_suites_read(tmp_path, monkeypatch):
    parsed = _by_label(read_raw_sources(YEAR, RAW))  # no cache: parsed here
    run_clean(YEAR, RAW, tmp_path)  # the cleaner stores the census's tables
    entries = list(cache_dir_of(tmp_path).glob(f"*-{cache.CENSUS_SOURCE}-*"))
    assert len(entries) == 1
    monkeypatch.setattr(raw_tables, "read_cin_census", _no_parse)
    cached = _by_label(read_raw_sources(YEAR, RAW, cache_dir_of(tmp_path)))
    assert list(cached) == list(parsed)
    census = [k for k in parsed if "#" in k and "cin_census" in k]
    assert len(census) == 5  # every element kind
    for label, frame in parsed.items():
        pd.testing.assert_frame_equal(cached[label], frame, obj=label)


def test_a_missing_or_damaged_entry_is_parsed_again_and_stored(tmp_path, monkeypatch):
    parsed = _by_label(read_raw_sources(YEAR, RAW))
    cache_dir = tmp_path / "_cache"
    got = _by_label(read_raw_sources(YEAR, RAW, cache_dir))  # none yet: parsed and stored
    (entry,) = cache_dir.glob(f"*-{cache.CENSUS_SOURCE}-*")
    for label, frame in parsed.items():
        pd.testing.assert_frame_equal(got[label], frame, obj=label)
    first = sorted(entry.glob("*.parquet"))[0]
    first.write_bytes(b"not parquet")  # damaged: removed, parsed again
    again = _by_label(read_raw_sources(YEAR, RAW, cache_dir))
    for label, frame in parsed.items():
        pd.testing.assert_frame_equal(again[label], frame, obj=label)
    monkeypatch.setattr(raw_tables, "read_cin_census", _no_parse)
    read_raw_sources(YEAR, RAW, cache_dir)  # stored again, whole: read without a parse


@pytest.mark.parametrize("damage", ["meta", "digest"])
def test_read_frames_refuses_a_damaged_entry(tmp_path, damage):
    entry = tmp_path / "entry"
    cache.write_frames(entry, {"a": pd.DataFrame({"x": ["1", None]}, dtype="str")})
    assert list(cache.read_frames(entry)) == ["a"]
    if damage == "meta":
        (entry / cache.META).write_text("{", encoding="utf-8")
    else:
        (entry / "0.parquet").write_bytes(b"x")
    assert cache.read_frames(entry) is None
    assert not entry.exists()
