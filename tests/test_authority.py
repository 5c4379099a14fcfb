"""The year's own return is the authority (issue #25; shared/spec/kpis.md, "Input and history",
revised 2026-12-07), on the hand-made fixture tests/fixtures/authority/ (its README works
every figure out). Each test names the row of the issue's table it answers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from iro_analysis.core.errors import InputError
from iro_analysis.ingest import authority
from iro_analysis.ingest.clean import build_dataset, run_clean
from iro_analysis.kpis.engine import compute_kpis
from iro_analysis.validate.gates import GateLimits, file_facts, gate_kwargs

RAW = Path(__file__).parent / "fixtures" / "authority" / "raw"
CLA = ["cla_at_31_march", "cla_during_year", "cla_started", "cla_ceased"]


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    """A copy of the fixture with 2020 to 2022 (2023, the later year, left out)."""
    dst = tmp_path / "raw"
    shutil.copytree(RAW, dst)
    shutil.rmtree(dst / "2023")
    return dst


def _cla(raw: Path, tmp_path: Path, year: int = 2022) -> dict[str, float]:
    ds = run_clean(year, raw, tmp_path / "processed")
    k = compute_kpis(ds, year).set_index("kpi_id")["value"]
    return {c: float(k[c]) for c in CLA}


def _warnings(ds, rule: str) -> pd.DataFrame:
    w = ds.warnings
    return w[w["rule"] == rule].reset_index(drop=True)


@pytest.mark.slow
def test_the_years_own_file_says_who_was_looked_after(raw, tmp_path):
    """A3, open in 2020's file and absent since, is not looked after at 31 March 2022."""
    assert _cla(raw, tmp_path) == {
        "cla_at_31_march": 2,
        "cla_during_year": 3,
        "cla_started": 2,
        "cla_ceased": 1,
    }


def test_a_record_left_open_by_an_earlier_folder_is_a_history_gap(raw):
    ds = build_dataset(raw, year=2022)
    gaps = _warnings(ds, "history_gap")
    assert gaps[["year", "file", "table"]].values.tolist() == [[2022, "2020/", "episodes"]]
    assert gaps["value"][0] == (
        "1 child with an episode open at 31 March 2020 in 2020's episodes, absent from 2022's"
    )
    assert "A3" not in " ".join(ds.warnings["value"].astype(str))  # counts, never ids


@pytest.mark.slow
def test_a_missing_middle_year_moves_no_figure(raw, tmp_path):
    """Issue row 1: the 2021 ssda903/ folder missing. 2020's open episodes (A2, A3) never
    close, but the 2022 file does not hold them: still 2 at 31 March (the old reading: 4)."""
    shutil.rmtree(raw / "2021" / "ssda903")
    assert _cla(raw, tmp_path)["cla_at_31_march"] == 2
    assert _cla(raw, tmp_path)["cla_during_year"] == 3
    ds = build_dataset(raw, year=2022)
    gaps = _warnings(ds, "history_gap")
    assert gaps["value"].str.startswith(
        "2 children with an episode open at 31 March 2020"
    ).tolist() == [True]
    cut = _warnings(ds, "input_gap")
    assert sorted(cut["table"]) == ["episodes", "header", "reviews"]
    assert set(cut["value"]) == {f"{t} supplied in 2020 but not in 2021" for t in cut["table"]}


def test_a_missing_year_folder_is_a_warning_naming_the_years(raw):
    shutil.rmtree(raw / "2021")
    ds = build_dataset(raw, year=2022)
    missing = _warnings(ds, "missing_year_folder")
    assert missing[["file", "value"]].values.tolist() == [
        ["2021/", "no 2021 folder between 2020 and 2022"]
    ]


def test_a_symlinked_folder_is_refused_never_skipped(raw, tmp_path):
    """Issue row 1, second half: a symbolic link was skipped as if the folder were missing."""
    real = tmp_path / "elsewhere"
    shutil.move(raw / "2021" / "ssda903", real)
    (raw / "2021" / "ssda903").symlink_to(real, target_is_directory=True)
    with pytest.raises(InputError, match=r"2021/ssda903 is a symbolic link"):
        build_dataset(raw, year=2022)


def test_a_symlinked_file_is_refused_without_reading_it(raw, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("first line of someone else's file\n")
    (raw / "2022" / "ssda903" / "episodes.csv").unlink()
    (raw / "2022" / "ssda903" / "episodes.csv").symlink_to(secret)
    with pytest.raises(InputError) as err:
        build_dataset(raw, year=2022)
    assert "episodes.csv is a symbolic link" in str(err.value)
    assert "first line" not in str(err.value)


@pytest.mark.slow
def test_a_quarantined_older_row_never_lets_an_older_version_stand_in(raw, tmp_path):
    """Issue row 2: A2's 2021 row (DEC 15/10/2020) has an impossible DECOM and is
    quarantined; 2020's open version of A2 must not count A2 at 31 March 2022."""
    ep = raw / "2021" / "ssda903" / "episodes.csv"
    ep.write_text(ep.read_text().replace("A2,01/07/2019", "A2,31/02/2019"))
    ds = run_clean(2022, raw, tmp_path / "processed")
    q = ds.quarantine
    assert q.loc[q["year"] == 2021, ["file", "line", "column"]].values.tolist() == [
        ["ssda903/episodes.csv", 3, "DECOM"]
    ]
    assert _cla(raw, tmp_path)["cla_at_31_march"] == 2


@pytest.mark.slow
def test_a_quarantined_row_with_a_readable_key_blocks_the_older_version(raw, tmp_path):
    """A2's 2021 row keeps its key (CHILD, DECOM) but has an unknown REC: the record is left
    out of 2021 rather than 2020's open version standing in (2021: A1 only at 31 March)."""
    ep = raw / "2021" / "ssda903" / "episodes.csv"
    ep.write_text(ep.read_text().replace("15/10/2020,E11", "15/10/2020,ZZ"))
    ds = build_dataset(raw, year=2021)
    assert ("A2", pd.Timestamp(2019, 7, 1)) not in set(
        zip(ds["episodes"]["CHILD"], ds["episodes"]["DECOM"], strict=True)
    )
    k = compute_kpis(ds, 2021).set_index("kpi_id")["value"]
    assert k["cla_at_31_march"] == 1  # A1; A2 neither counted open nor as its 2020 self


@pytest.mark.slow
def test_a_later_years_files_change_nothing(raw, tmp_path):
    """Issue row 4: 2023's folder (a late correction ceasing A1 on 31 March 2022) arrives;
    2022's figures and clean tables are those built before it arrived."""
    before = compute_kpis(run_clean(2022, raw, tmp_path / "p1"), 2022)
    shutil.copytree(RAW / "2023", raw / "2023")
    ds = run_clean(2022, raw, tmp_path / "p2")
    after = compute_kpis(ds, 2022)
    pd.testing.assert_frame_equal(before, after)
    assert ds.years == [2020, 2021, 2022]
    assert after.set_index("kpi_id").loc["cla_at_31_march", "value"] == 2


def test_another_years_file_in_the_folder_fails_the_quarantine_gate(raw):
    """Issue row 5: 2021's episodes.csv in the 2022 folder. Its A2, A6, A7 and A8 rows ended
    before 1 April 2021: outside 2022's collection year, quarantined (4 of 5 rows), so the
    file breaks the quarantine gate."""
    shutil.copy(raw / "2021" / "ssda903" / "episodes.csv", raw / "2022" / "ssda903")
    ds = build_dataset(raw, year=2022)
    q = ds.quarantine
    outside = q[(q["year"] == 2022) & (q["rule"] == authority.OUTSIDE_YEAR)]
    assert sorted(outside["line"]) == [3, 4, 5, 6]
    assert set(outside["column"]) == {"DEC"}
    facts = file_facts(ds, 2022, GateLimits()).set_index("file")
    share = facts.loc["ssda903/episodes.csv", "quarantined_share"]
    assert share == pytest.approx(0.8)
    assert share > gate_kwargs(GateLimits())["quarantined_share"]["max_value"]


def test_rows_outside_the_collection_year_by_table():
    """Each window rule on a one-row table of 2022's folder (1 April 2021 to 31 March 2022)."""
    d = pd.Timestamp
    cases = {
        "episodes": ({"DECOM": [d(2022, 4, 1)], "DEC": [pd.NaT]}, "DECOM"),
        "reviews": ({"REVIEW": [d(2021, 3, 31)]}, "REVIEW"),
        "cin_details": ({"CINclosureDate": [d(2021, 3, 31)]}, "CINclosureDate"),
        "disputes": ({"raised_date": [d(2022, 4, 1)]}, "raised_date"),
        "meetings": ({"held_date": [d(2022, 4, 1)], "first_scheduled_date": [pd.NaT]}, "held_date"),
    }
    for table, (cols, column) in cases.items():
        broken = [c for c, m in authority.window_masks(table, pd.DataFrame(cols), 2022) if m.any()]
        assert broken == [column], table
    inside = {
        "episodes": {"DECOM": [d(2019, 1, 1)], "DEC": [d(2021, 4, 1)]},
        "reviews": {"REVIEW": [d(2022, 3, 31)]},
        "cin_details": {"CINclosureDate": [d(2021, 4, 1)]},
        "disputes": {"raised_date": [d(2018, 1, 1)]},
        "meetings": {"held_date": [d(2022, 3, 31)], "first_scheduled_date": [d(2022, 3, 1)]},
    }
    for table, cols in inside.items():
        assert not any(m.any() for _, m in authority.window_masks(table, pd.DataFrame(cols), 2022))


def test_year_view_ends_what_the_years_file_does_not_hold():
    """A record whose latest version is older than the year's file ended on 31 March of the
    year before; records of the year's own file, closed records and tables the year did not
    supply are left alone; the input frame is not changed."""
    d = pd.Timestamp
    episodes = pd.DataFrame(
        {
            "CHILD": ["A", "B", "C", "D"],
            "DECOM": [d(2019, 1, 1)] * 4,
            "DEC": [pd.NaT, d(2021, 6, 1), d(2020, 5, 1), pd.NaT],
            "source_year": [2020, 2021, 2021, 2022],
        }
    )
    supplied = pd.DataFrame(
        {"year": [2022, 2022], "input": ["episodes", "disputes"], "present": [True, False]}
    )
    view = authority.year_view(episodes, "episodes", 2022, supplied)
    assert view["DEC"].tolist() == [d(2021, 3, 31), d(2021, 3, 31), d(2020, 5, 1), pd.NaT]
    assert episodes["DEC"].isna().sum() == 2  # not mutated
    disputes = pd.DataFrame(
        {"raised_date": [d(2020, 1, 1)], "resolved_date": [pd.NaT], "source_year": [2020]}
    )
    assert authority.year_view(disputes, "disputes", 2022, supplied) is disputes


@pytest.mark.parametrize(
    ("name", "folder"),
    [("episodes.csv", "ssda903"), ("Reviews 2022.csv", "ssda903"), ("header.csv", "ssda903")],
)
def test_a_core_return_in_the_wrong_place_stops_the_build_saying_where(raw, name, folder):
    """Issue row 6: episodes.csv left at the top of 2022/ read as "not supplied" 81 times."""
    source = {"episodes.csv": "episodes", "Reviews 2022.csv": "reviews", "header.csv": "header"}
    shutil.move(raw / "2022" / "ssda903" / f"{source[name]}.csv", raw / "2022" / name)
    with pytest.raises(InputError, match=rf"move it into 2022/{folder}/"):
        build_dataset(raw, year=2022)


def test_an_iro_extract_in_the_903_folder_is_named_with_where_it_belongs(raw):
    (raw / "2022" / "ssda903" / "disputes.csv").write_text(
        "dispute_id,child_id,cohort,iro_id,raised_date,theme,highest_stage,resolved_date,outcome\n"
    )
    with pytest.raises(InputError, match=r"holds the disputes table .* move it into 2022/iro/"):
        build_dataset(raw, year=2022)


@pytest.mark.slow
def test_one_loader_never_reads_a_stale_clean_year(raw, tmp_path):
    """Issue row 8: after a raw edit, every reader of a clean year (the analysts' API, the
    validate step's loader, the KPI command's) sees the edit: one freshness rule, the raw
    files' hashes."""
    from iro_analysis.analysts import explore
    from iro_analysis.ingest.clean import load_clean
    from iro_analysis.validate.suites import load_or_clean

    processed = tmp_path / "processed"
    assert len(run_clean(2022, raw, processed)["episodes"]) == 8  # A1-A8, one row each
    assert explore.processed_is_current(2022, raw, processed)
    ep = raw / "2022" / "ssda903" / "episodes.csv"
    ep.write_text("".join(ep.read_text().splitlines(keepends=True)[:-1]))  # drop A5
    assert not explore.processed_is_current(2022, raw, processed)
    for load in (load_clean, load_or_clean, explore.load_year):
        assert len(load(2022, raw, processed)["episodes"]) == 7, load
    assert explore.processed_is_current(2022, raw, processed)
    (raw / "2021" / "iro").mkdir()
    (raw / "2021" / "iro" / "notes.txt").write_text("an earlier year's new file\n")
    assert not explore.processed_is_current(2022, raw, processed)  # every file up to 2022
    (raw / "2023").mkdir()
    (raw / "2023" / "notes.txt").write_text("a later year's file changes nothing\n")
    load_clean(2022, raw, processed)
    (raw / "2023" / "notes.txt").write_text("still nothing\n")
    assert explore.processed_is_current(2022, raw, processed)


@pytest.mark.slow
def test_a_small_file_mostly_quarantined_fails_the_quarantine_gate(raw):
    """Issue row 7: a disputes.csv of 7 rows, 5 unreadable, passed because the gate ignored
    files under 20 rows. At least 3 quarantined rows make the share count."""
    (raw / "2022" / "iro").mkdir()
    rows = [
        "D1,A1,CLA,I1,01/07/2021,CARE_PLAN,2,20/07/2021,PLAN_CHANGED",
        "D2,A4,CLA,I1,01/08/2021,PLACEMENT,1,,",
        *[f"D{i},A4,CLA,I1,31/13/2021,HEALTH,1,," for i in range(3, 8)],  # no 13th month
    ]
    header = (
        "dispute_id,child_id,cohort,iro_id,raised_date,theme,highest_stage,resolved_date,outcome"
    )
    (raw / "2022" / "iro" / "disputes.csv").write_text("\n".join([header, *rows]) + "\n")
    ds = build_dataset(raw, year=2022)
    limits = GateLimits()
    facts = file_facts(ds, 2022, limits).set_index("file")
    share = facts.loc["iro/disputes.csv", "quarantined_share"]
    assert share == pytest.approx(5 / 7)
    assert share > gate_kwargs(limits)["quarantined_share"]["max_value"]
    # two quarantined rows of seven are not yet enough to judge a share
    rows[2:7] = [r.replace("31/13/2021", "01/09/2021") for r in rows[2:7]]
    rows[2] = rows[2].replace("01/09/2021", "31/13/2021")
    rows[3] = rows[3].replace("01/09/2021", "31/13/2021")
    (raw / "2022" / "iro" / "disputes.csv").write_text("\n".join([header, *rows]) + "\n")
    facts = file_facts(build_dataset(raw, year=2022), 2022, limits).set_index("file")
    assert pd.isna(facts.loc["iro/disputes.csv", "quarantined_share"])
