"""The settings' `code_map` (issue #30): a council's own values of the IRO extracts' coded
columns become the project's codes as each extract is read (`ingest.code_map`).

The settings are refused in one line naming the file, table, column and value; rows written
with local values clean to the same rows as the native codes; a value neither a code nor
mapped is still quarantined and named in one line per file and column with its rows; a
changed map is never served from the parse cache or the clean data of the old one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from iro_analysis.core.settings import SettingsError, load_settings, settings_from_dict
from iro_analysis.ingest import cache, clean
from iro_analysis.ingest.clean import build_dataset, check_accounting, load_clean, run_clean
from iro_analysis.ingest.code_map import (
    CodeMap,
    apply_code_map,
    check_code_map,
    code_map_of,
    match_key,
    unmapped_lines,
)
from iro_analysis.pipeline.door import check_settings

FIXTURES = Path(__file__).parent / "fixtures"
BASE_RAW = FIXTURES / "clean" / "raw"  # the 903, census and workforce the extracts need
CODE_MAP = FIXTURES / "code_map"
SETTINGS = CODE_MAP / "settings.yaml"


def year_folder(tmp_path: Path, variant: str) -> Path:
    """The cleaning fixture's raw folder, its 2022 meetings and disputes from
    `code_map/<variant>/`."""
    raw = tmp_path / variant / "raw"
    shutil.copytree(BASE_RAW, raw)
    for f in (CODE_MAP / variant).glob("*.csv"):
        shutil.copy(f, raw / "2022" / "iro" / f.name)
    return raw


@pytest.fixture
def fixture_map() -> CodeMap:
    return code_map_of(load_settings(SETTINGS))


@pytest.fixture(autouse=True)
def _fresh_code_digest():
    cache.code_digest.cache_clear()
    yield
    cache.code_digest.cache_clear()


# --------------------------------------------------------------------------------------
# The settings
# --------------------------------------------------------------------------------------


def _refusal(tmp_path: Path, code_map: str) -> str:
    f = tmp_path / "settings.yaml"
    f.write_text(f"code_map:\n{code_map}", encoding="utf-8")
    with pytest.raises(SettingsError) as err:
        check_settings(load_settings(f))  # the door: parse, then each stage's check
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"{f}: code_map"), msg
    return msg


@pytest.mark.parametrize(
    ("code_map", "fragments"),
    [
        (
            "  meetings:\n    meeting_type: {'LAC Review': CLA_REVEIW}\n",
            ["meetings: meeting_type", "'LAC Review'", "'CLA_REVEIW'", "CLA_REVIEW, ICPC, RCPC"],
        ),
        (
            "  disputes:\n    highest_stage: {'Stage 5': 5}\n",
            ["disputes: highest_stage", "'Stage 5'", "'5'", "valid codes: 1, 2, 3, 4"],
        ),
        (
            "  meetings:\n    meeting_type: {' icpc ': RCPC}\n",
            ["meetings: meeting_type", "' icpc '", "itself the code ICPC", "ambiguous"],
        ),
        (
            "  disputes:\n    highest_stage: {'2.0': 3}\n",
            ["disputes: highest_stage", "'2.0'", "itself the code 2", "ambiguous"],
        ),
        (
            "  meetings:\n    meeting_type: {'LAC Review': CLA_REVIEW, 'lac  review': ICPC}\n",
            ["meetings: meeting_type", "'LAC Review'", "'lac  review'", "CLA_REVIEW and ICPC"],
        ),
        (
            "  meetings:\n    held_date: {'x': CLA_REVIEW}\n",
            ["meetings:", "'held_date'", "not a coded column", "meeting_type, rearranged_reason"],
        ),
        (
            "  episodes:\n    RNE: {'x': S}\n",
            ["'episodes'", "not an IRO extract", "meetings (meeting_type, rearranged_reason)"],
        ),
        (
            "  workforce:\n    agency: {'Agency': Y}\n",
            ["'workforce'", "IRO extract without coded columns", "footprints (footprint_type)"],
        ),
        (
            "  meetings:\n    meeting_type: {Yes: CLA_REVIEW}\n",
            ["meetings: meeting_type", "True", "quote a value"],
        ),
        (
            "  meetings: [meeting_type]\n",
            ["code_map: meetings", "mapping of columns"],
        ),
    ],
)
def test_a_wrong_code_map_is_one_line_naming_file_table_column_and_value(
    tmp_path, code_map, fragments
):
    msg = _refusal(tmp_path, code_map)
    for fragment in fragments:
        assert fragment in msg, msg


def test_the_fixture_map_is_valid_and_matching_ignores_case_and_spaces(fixture_map):
    check_code_map(load_settings(SETTINGS))
    assert fixture_map.of_table("meetings")["meeting_type"]["LAC REVIEW"] == "CLA_REVIEW"
    assert match_key("  lac   Review ") == "LAC REVIEW"
    values = pd.Series(["LAC  REVIEW", "ICPC", "STRATEGY", None], dtype="str")
    got = apply_code_map(pd.DataFrame({"meeting_type": values}), "meetings", fixture_map)
    assert got["meeting_type"].tolist()[:3] == ["CLA_REVIEW", "ICPC", "STRATEGY"]
    assert pd.isna(got["meeting_type"].iloc[3]) and got["meeting_type"].dtype == values.dtype


def test_no_code_map_is_the_default_and_changes_nothing():
    s = settings_from_dict({})
    assert not code_map_of(s) and code_map_of(s).digest() == ""
    assert not code_map_of(load_settings())  # the demo council's settings have none
    text = pd.DataFrame({"meeting_type": ["LAC REVIEW"]})
    assert apply_code_map(text, "meetings", code_map_of(s)) is text


# --------------------------------------------------------------------------------------
# Applied as an extract is read
# --------------------------------------------------------------------------------------


def _iro_frames(ds) -> dict[str, pd.DataFrame]:
    return {t: ds.tables[t] for t in ("meetings", "disputes")}


def test_local_values_clean_to_the_same_rows_as_native_codes(tmp_path, fixture_map):
    native = build_dataset(year_folder(tmp_path, "native"), year=2022)
    local = build_dataset(year_folder(tmp_path, "local"), year=2022, code_map=fixture_map)
    for name, frame in _iro_frames(native).items():
        assert len(frame) >= 3
        pd.testing.assert_frame_equal(frame, local.tables[name], obj=name)
    for name in ("quarantine", "accounting", "warnings"):
        pd.testing.assert_frame_equal(getattr(native, name), getattr(local, name), obj=name)
    meetings = local.tables["meetings"].set_index("meeting_id")
    assert meetings.loc["M3", "meeting_type"] == "CLA_REVIEW"  # "  lac   REVIEW "
    assert local.tables["disputes"]["highest_stage"].tolist() == [2, 1, 3]
    # the same local files without the map: every local value quarantined, none dropped
    unmapped = build_dataset(year_folder(tmp_path / "again", "local"), year=2022)
    q = unmapped.quarantine
    assert set(q.loc[q["table"].eq("meetings"), "line"]) == {2, 3, 4, 5}
    check_accounting(unmapped.accounting)


def test_native_codes_are_unchanged_by_a_map(tmp_path, fixture_map):
    raw = year_folder(tmp_path, "native")
    plain, mapped = (
        build_dataset(raw, year=2022),
        build_dataset(raw, year=2022, code_map=fixture_map),
    )
    for name, frame in _iro_frames(plain).items():
        pd.testing.assert_frame_equal(frame, mapped.tables[name], obj=name)


def test_unmapped_values_are_named_in_one_line_per_file_and_column(tmp_path, fixture_map):
    ds = build_dataset(year_folder(tmp_path, "unmapped"), year=2022, code_map=fixture_map)
    lines = unmapped_lines(ds.quarantine, fixture_map)
    assert lines == [
        f"2022/iro/meetings.csv, meeting_type: 2 values neither a code nor in code_map "
        f"({SETTINGS}): 'LAC REV' (2 rows), 'STRATEGY' (1 row)",
        f"2022/iro/meetings.csv, rearranged_reason: 1 value neither a code nor in code_map "
        f"({SETTINGS}): 'VENUE' (1 row)",
    ]
    # still quarantined, row by row: the counts add up
    q = ds.quarantine[ds.quarantine["table"].eq("meetings")]
    assert sorted(q["rule"].unique()) == ["unknown_code"]
    assert (q["column"] == "meeting_type").sum() == 3 and (
        q["column"] == "rearranged_reason"
    ).sum() == 1
    acc = ds.accounting
    acc = acc[acc["file"].eq("iro/meetings.csv") & acc["year"].eq(2022)].iloc[0]
    assert (int(acc["rows_read"]), int(acc["rows_kept"]), int(acc["rows_quarantined"])) == (7, 4, 3)
    assert set(ds.tables["meetings"]["meeting_id"]) == {"M1", "M2", "M3", "M4"}
    # without a code map the build says what it said before
    assert unmapped_lines(ds.quarantine, None) == []
    assert unmapped_lines(ds.quarantine, CodeMap()) == []


def test_the_clean_command_prints_the_unmapped_values(tmp_path, capsys):
    from iro_analysis import cli

    raw = year_folder(tmp_path, "unmapped")
    code = cli.main(
        ["--settings", str(SETTINGS), "clean", "--year", "2022", "--raw-dir", str(raw)]
        + ["--processed-dir", str(tmp_path / "processed")]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "2022/iro/meetings.csv, meeting_type: 2 values neither a code nor in code_map" in out


def test_parallel_reading_applies_the_map_as_one_process_does(tmp_path, fixture_map, monkeypatch):
    raw = year_folder(tmp_path, "local")
    serial = build_dataset(raw, year=2022, code_map=fixture_map)
    monkeypatch.setattr(clean, "PARALLEL_BYTES", 0)  # spawned workers, as a large region's
    monkeypatch.setattr(clean.os, "cpu_count", lambda: 2)
    parallel = build_dataset(raw, year=2022, code_map=fixture_map)
    for name, frame in _iro_frames(serial).items():
        pd.testing.assert_frame_equal(frame, parallel.tables[name], obj=name)


# --------------------------------------------------------------------------------------
# The parse cache and the clean data's key
# --------------------------------------------------------------------------------------


def _other_map(tmp_path: Path) -> CodeMap:
    """The fixture's map with "LAC Review" an ICPC and the disputes' map unchanged."""
    text = SETTINGS.read_text(encoding="utf-8").replace(
        '"LAC Review": CLA_REVIEW', '"LAC Review": ICPC'
    )
    f = tmp_path / "other.yaml"
    f.write_text(text, encoding="utf-8")
    return code_map_of(load_settings(f))


def test_a_changed_map_is_never_served_from_the_parse_cache(tmp_path, fixture_map, monkeypatch):
    raw = year_folder(tmp_path, "local")
    c = tmp_path / "_cache"
    parsed: list[str] = []
    real = clean.csv_file_parts

    def counted(path, rel, year, *args, **kw):
        parsed.append(rel)
        return real(path, rel, year, *args, **kw)

    monkeypatch.setattr(clean, "csv_file_parts", counted)
    first = build_dataset(raw, cache_dir=c, year=2022, code_map=fixture_map)
    parsed.clear()
    warm = build_dataset(raw, cache_dir=c, year=2022, code_map=fixture_map)
    assert parsed == [], "the same map parsed a file again"
    pd.testing.assert_frame_equal(first.tables["meetings"], warm.tables["meetings"])
    other = build_dataset(raw, cache_dir=c, year=2022, code_map=_other_map(tmp_path))
    assert parsed == ["iro/meetings.csv"], parsed  # only the table whose map changed
    m = other.tables["meetings"].set_index("meeting_id")["meeting_type"]
    assert m["M1"] == "ICPC" and first.tables["meetings"]["meeting_type"].iloc[0] == "CLA_REVIEW"
    parsed.clear()
    none = build_dataset(raw, cache_dir=c, year=2022)
    assert sorted(parsed) == ["iro/disputes.csv", "iro/meetings.csv"]
    assert none.tables["meetings"].empty  # every local value quarantined without the map


def test_a_changed_map_cleans_the_year_again(tmp_path, fixture_map):
    raw, processed = year_folder(tmp_path, "local"), tmp_path / "processed"
    run_clean(2022, raw, processed, code_map=fixture_map)
    same = load_clean(2022, raw, processed, code_map=fixture_map)
    assert same.tables["meetings"]["meeting_type"].iloc[0] == "CLA_REVIEW"
    changed = load_clean(2022, raw, processed, code_map=_other_map(tmp_path))
    assert changed.tables["meetings"].set_index("meeting_id").loc["M1", "meeting_type"] == "ICPC"
    without = load_clean(2022, raw, processed)
    assert without.tables["meetings"].empty


def test_the_adopting_guide_example_is_a_valid_code_map(tmp_path):
    import re

    text = (Path(__file__).parents[1] / "docs" / "adopting.md").read_text(encoding="utf-8")
    example = tmp_path / "settings.yaml"
    example.write_text(re.search(r"```yaml\n(.*?)```", text, re.S).group(1), encoding="utf-8")
    cm = code_map_of(load_settings(example))  # strict YAML and the cleaner's check
    assert cm.of_table("meetings")["meeting_type"]["LAC REVIEW"] == "CLA_REVIEW"


def test_the_build_log_names_the_unmapped_values(tmp_path):
    """The build prints the clean step's lines from the processed folder (`orchestrate`),
    the unmapped values among them; without a map, what it printed before."""
    from iro_analysis.core.run import Run
    from iro_analysis.pipeline import orchestrate

    raw, processed = year_folder(tmp_path, "unmapped"), tmp_path / "processed"
    folders = {"raw_dir": raw, "processed_dir": processed}
    folders |= {"reports_dir": tmp_path / "reports", "restricted_dir": tmp_path / "restricted"}
    run = Run.create(2022, settings_path=SETTINGS, **folders)
    run_clean(2022, raw, processed, code_map=code_map_of(run.settings()))
    logged: list[str] = []
    orchestrate._log_clean_warnings(run, logged.append)
    unmapped = [line for line in logged if "neither a code nor in code_map" in line]
    assert unmapped == [
        f"[2022] 2022/iro/meetings.csv, meeting_type: 2 values neither a code nor in code_map "
        f"({SETTINGS}): 'LAC REV' (2 rows), 'STRATEGY' (1 row)",
        f"[2022] 2022/iro/meetings.csv, rearranged_reason: 1 value neither a code nor in "
        f"code_map ({SETTINGS}): 'VENUE' (1 row)",
    ]
    plain = Run.create(2022, settings_path=BASE_RAW.parent / "settings.yaml", **folders)
    run_clean(2022, raw, processed)
    logged.clear()
    orchestrate._log_clean_warnings(plain, logged.append)
    before = clean.warning_lines(clean.load_warnings(2022, processed))
    assert logged == [f"[2022] {line}" for line in before]


def test_an_empty_map_is_no_map():
    s = settings_from_dict({"code_map": {"meetings": {"meeting_type": {}}, "disputes": None}})
    cm = code_map_of(s)
    assert not cm and cm.digest() == "" and cm.digest("meetings") == ""


# --------------------------------------------------------------------------------------
# A region: every council's extracts read through the one settings file's map
# --------------------------------------------------------------------------------------


def _settings_with_map(tmp_path: Path, code_map: str) -> Path:
    from iro_analysis.core import paths

    f = tmp_path / "settings.yaml"
    text = paths.SETTINGS_FILE.read_text(encoding="utf-8")
    f.write_text(f"{text}\ncode_map:\n{code_map}", encoding="utf-8")
    return f


def test_a_region_with_a_wrong_map_stops_before_any_council_runs(tmp_path):
    from iro_analysis.region.run import run_region

    raw = tmp_path / "raw"
    for code in ("202", "873"):
        (raw / code / "2022").mkdir(parents=True)
    settings = _settings_with_map(tmp_path, "  meetings:\n    meeting_type: {'LAC Review': LAC}\n")
    with pytest.raises(SettingsError, match=r"meetings: meeting_type: 'LAC Review' maps to 'LAC'"):
        run_region(
            raw,
            2022,
            tmp_path / "out",
            tmp_path / "processed",
            tmp_path / "restricted",
            workers=1,
            log=lambda *a: None,
            settings_path=settings,
        )
    assert not (tmp_path / "processed").exists()


@pytest.mark.slow
def test_a_region_council_with_local_values_gives_its_native_kpis(tmp_path):
    from iro_analysis.region.councils import generate_region
    from iro_analysis.region.run import council_kpis

    raw, local = tmp_path / "raw", tmp_path / "local"
    (code,) = generate_region(raw, 1, seed=5, years=[2021, 2022], sizes=[40])
    shutil.copytree(raw / code, local / code)
    for f in (local / code).glob("*/iro/meetings.csv"):
        text = f.read_text(encoding="utf-8")
        f.write_text(text.replace(",CLA_REVIEW,", ",LAC Review,"), encoding="utf-8")
    assert "LAC Review" in (local / code / "2022" / "iro" / "meetings.csv").read_text()
    settings = _settings_with_map(
        tmp_path, "  meetings:\n    meeting_type: {'LAC Review': CLA_REVIEW}\n"
    )
    native = council_kpis(code, raw / code, 2022, tmp_path / "p1", tmp_path / "r1")
    mapped = council_kpis(code, local / code, 2022, tmp_path / "p2", tmp_path / "r2", settings)
    assert len(native) > 20
    pd.testing.assert_frame_equal(native, mapped)
