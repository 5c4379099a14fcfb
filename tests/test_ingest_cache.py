"""The parse cache (`ingest.cache`) never changes what the cleaner returns.

A build with an empty cache, one with a warm cache and one without any cache give the same
tables, quarantine, warnings, facts and row accounting; a warm build parses nothing; one
changed byte re-reads only that file; a changed contract key re-reads every file; a damaged
or partial entry is ignored and rebuilt.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from iro_analysis.core.errors import InputError
from iro_analysis.ingest import cache, clean
from iro_analysis.ingest.clean import build_dataset, check_accounting, read_year, run_clean

FIXTURE_RAW = Path(__file__).parent / "fixtures" / "clean" / "raw"
READERS = ("csv_file_parts", "xml903_file_parts", "cin_file_parts")


@pytest.fixture(scope="module")
def demo_raw(tmp_path_factory) -> Path:
    """Three demo years with injected faults: 2020 and 2021 as CSVs, 2022's 903 as XML."""
    from iro_analysis.demo import generate

    root = tmp_path_factory.mktemp("cache")
    raw = root / "raw"
    generate(raw, [2020, 2021, 2022], seed=11, size="small", fault_rate=0.03)
    xml = root / "xml"
    generate(xml, [2022], seed=11, size="small", fault_rate=0.03, ssda903_format="xml")
    shutil.rmtree(raw / "2022")
    shutil.copytree(xml / "2022", raw / "2022")
    assert list(raw.glob("2022/ssda903/*.xml")) and list(raw.glob("2021/ssda903/*.csv"))
    return raw


@pytest.fixture(autouse=True)
def _fresh_code_digest():
    cache.code_digest.cache_clear()
    yield
    cache.code_digest.cache_clear()


@pytest.fixture
def calls(monkeypatch) -> list[tuple[str, str]]:
    """(reader, file label) of every per-file parse the cleaner runs."""
    seen: list[tuple[str, str]] = []
    for name in READERS:
        module = cache if name == "cin_file_parts" else clean  # cache.census_reader's
        real = getattr(module, name)

        def counted(path, rel, year, *args, _real=real, _name=name, **kw):
            seen.append((_name, rel))
            return _real(path, rel, year, *args, **kw)

        monkeypatch.setattr(module, name, counted)
    return seen


def assert_same_dataset(a, b) -> None:
    """Every table, the quarantine, warnings, facts, supplied inputs and accounting equal."""
    assert a.tables.keys() == b.tables.keys()
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name], obj=name)
    for name in ("supplied", "quarantine", "accounting", "warnings", "facts"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)


def assert_accounts(ds) -> None:
    """Every raw row is kept, a removed duplicate or quarantined, and the counts add up."""
    acc = ds.accounting
    check_accounting(acc)
    q = ds.quarantine.drop_duplicates(["year", "file", "line"])
    assert int(acc["rows_quarantined"].sum()) >= 1
    assert len(q) <= int(acc["rows_quarantined"].sum())


def entries(cache_dir: Path) -> list[Path]:
    """The Parts entries (each census's text tables, kept for the raw files' suites, are
    entries of their own: `census_sources`)."""
    return sorted(
        p
        for p in cache_dir.iterdir()
        if not p.name.startswith(".") and f"-{cache.CENSUS_SOURCE}-" not in p.name
    )


def census_sources(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.glob(f"*-{cache.CENSUS_SOURCE}-*"))


def test_empty_warm_and_no_cache_give_identical_datasets(tmp_path, demo_raw, calls):
    none = build_dataset(demo_raw)
    parsed = len(calls)
    c = tmp_path / "_cache"
    cold = build_dataset(demo_raw, cache_dir=c)
    assert len(calls) == 2 * parsed
    warm = build_dataset(demo_raw, cache_dir=c)
    assert len(calls) == 2 * parsed, "a warm build parsed a file again"
    assert len(entries(c)) == parsed
    censuses = [p for p in demo_raw.glob("*/*") if p.name == "cin_census.xml"]
    assert len(census_sources(c)) == len(censuses) > 0  # each census's tables, stored once
    for ds in (cold, warm):
        assert_same_dataset(none, ds)
        assert_accounts(ds)
    assert not warm.quarantine.empty


def test_warm_parts_equal_parsed_parts(tmp_path, demo_raw):
    c = tmp_path / "_cache"
    for year in (2021, 2022):
        read_year(demo_raw, year, c)
        parsed = read_year(demo_raw, year)
        warm = read_year(demo_raw, year, c)
        pd.testing.assert_frame_equal(parsed[0], warm[0])
        assert parsed[2] == warm[2]
        assert len(parsed[1]) == len(warm[1])
        for p, w in zip(parsed[1], warm[1], strict=True):
            assert (p.year, p.table, p.file, p.rows_read, p.duplicates, p.extra) == (
                w.year,
                w.table,
                w.file,
                w.rows_read,
                w.duplicates,
                w.extra,
            )
            for frame in cache.FRAMES:
                pd.testing.assert_frame_equal(getattr(p, frame), getattr(w, frame), obj=frame)


def test_one_changed_byte_rereads_only_that_file(tmp_path, demo_raw, calls):
    raw = tmp_path / "raw"
    shutil.copytree(demo_raw, raw)
    c = tmp_path / "_cache"
    build_dataset(raw, cache_dir=c)
    before = set(entries(c))
    calls.clear()
    f = raw / "2021" / "iro" / "meetings.csv"
    data = bytearray(f.read_bytes())
    data[-2:-1] = b"9" if data[-2:-1] != b"9" else b"8"  # one byte of the last value
    f.write_bytes(bytes(data))
    ds = build_dataset(raw, cache_dir=c)
    assert calls == [("csv_file_parts", "iro/meetings.csv")]
    assert len(set(entries(c)) - before) == 1
    assert_same_dataset(build_dataset(raw), ds)


def test_renamed_file_reuses_its_entry_with_its_new_name(tmp_path, demo_raw, calls):
    raw = tmp_path / "raw"
    shutil.copytree(demo_raw, raw)
    c = tmp_path / "_cache"
    build_dataset(raw, cache_dir=c)
    calls.clear()
    (raw / "2021" / "iro" / "pep.csv").rename(raw / "2021" / "iro" / "PEP extract.csv")
    ds = build_dataset(raw, cache_dir=c)
    assert calls == []
    assert_same_dataset(build_dataset(raw), ds)
    assert "iro/PEP extract.csv" in set(ds.accounting["file"])


def test_changed_contract_key_rereads_every_file(tmp_path, demo_raw, calls, monkeypatch):
    c = tmp_path / "_cache"
    build_dataset(demo_raw, cache_dir=c)
    n = len(calls)
    old_keys = {y: cache.contract_key(y) for y in (2020, 2021, 2022)}
    monkeypatch.setattr(cache, "READER_VERSION", cache.READER_VERSION + "-changed")
    cache.code_digest.cache_clear()
    assert all(cache.contract_key(y) != k for y, k in old_keys.items())
    build_dataset(demo_raw, cache_dir=c)
    assert len(calls) == 2 * n
    assert len(entries(c)) == 2 * n


def test_contract_yaml_is_part_of_the_key(tmp_path, monkeypatch):
    contracts = tmp_path / "contract"
    shutil.copytree(cache.CONTRACT_DIR, contracts, ignore=shutil.ignore_patterns("*.py"))
    monkeypatch.setattr(cache, "CONTRACT_DIR", contracts)
    key = cache.contract_key(2022)
    with (contracts / "2020.yaml").open("a", encoding="utf-8") as fh:
        fh.write("\n# edited\n")
    cache.code_digest.cache_clear()
    assert cache.contract_key(2022) != key


def test_damaged_entries_are_ignored_and_rebuilt(tmp_path, demo_raw, calls):
    c = tmp_path / "_cache"
    reference = build_dataset(demo_raw, cache_dir=c)
    n = len(calls)
    found = entries(c)
    truncated, swapped, no_meta = found[0], found[1], found[2]
    f = next(truncated.glob("*-typed.parquet"))
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    # a readable parquet file that is not the one the entry wrote
    shutil.copy(next(found[3].glob("0-raw.parquet")), swapped / "0-raw.parquet")
    (no_meta / cache.META).unlink()
    (c / ".tmp-left-by-a-killed-build").mkdir()  # partial entry: never read
    calls.clear()
    ds = build_dataset(demo_raw, cache_dir=c)
    assert len(calls) == 3 < n
    assert_same_dataset(reference, ds)
    calls.clear()
    assert_same_dataset(reference, build_dataset(demo_raw, cache_dir=c))
    assert calls == []


def test_a_failed_entry_write_leaves_no_entry(tmp_path, monkeypatch):
    c = tmp_path / "_cache"
    real = pd.DataFrame.to_parquet
    written = []

    def flaky(self, path, *a, **kw):
        written.append(path)
        if len(written) == 3:
            raise OSError("disk full")
        return real(self, path, *a, **kw)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", flaky)
    with pytest.raises(OSError, match="disk full"):
        build_dataset(FIXTURE_RAW, cache_dir=c)
    assert list(c.iterdir()) == []  # neither an entry nor its temporary folder


def test_bad_input_still_fails_naming_the_file_and_is_not_cached(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(FIXTURE_RAW, raw)
    shutil.copy(raw / "2022" / "cin_census.xml", raw / "2021" / "cin_census.xml")
    c = tmp_path / "_cache"
    for _ in range(2):
        with pytest.raises(InputError, match=r"2021/cin_census\.xml: .*collection year 2022"):
            build_dataset(raw, cache_dir=c)
    key = cache.contract_key(2021)
    assert not [p for p in entries(c) if p.name.endswith(f"-cin_census-{key}")]
    assert [p for p in entries(c) if p.name.endswith(key)]  # its CSVs read fine


@pytest.mark.slow
def test_run_clean_caches_under_processed_and_reuses_it(tmp_path, calls):
    out = tmp_path / "processed"
    first = run_clean(2022, FIXTURE_RAW, out)
    assert entries(out / cache.CACHE_DIRNAME)
    calls.clear()
    second = run_clean(2022, FIXTURE_RAW, out)
    assert calls == []
    assert_same_dataset(first, second)
    assert_same_dataset(first, clean.load_processed(2022, out))


@pytest.mark.slow
def test_parallel_reading_with_a_warm_cache_gives_the_same_dataset(tmp_path, monkeypatch):
    c = tmp_path / "_cache"
    reference = build_dataset(FIXTURE_RAW)
    build_dataset(FIXTURE_RAW, cache_dir=c)
    monkeypatch.setattr(clean, "PARALLEL_BYTES", 0)
    assert_same_dataset(reference, build_dataset(FIXTURE_RAW, cache_dir=c))
