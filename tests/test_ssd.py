"""Meetings from the Standard Safeguarding Dataset (contract.ssd, ingest.ssd): a year
folder's ssd/ tables become the meetings table, each row named by its SSD file, line and
column; iro/meeting_details.csv adds what the SSD lacks; the demo written as SSD tables
gives the same KPIs as the native extracts.

Fixture tests/fixtures/ssd/raw/2022, by hand:
- C1's period CLA-1: review R1 on 10/06/2021 (IRO-A's involvement, April to September) and
  R2 on 01/12/2021 at 10:30 (IRO-B's, from October); a social worker's involvement is no
  chair. C2's review R3 was cancelled (not held); R4 names a period no episode has; R5
  names CLA-X, a period given to two children; R6's date is 15/13/2021.
- C3's initial conference (id 7) on 05/05/2021 and review conference (also id 7) on
  04/08/2021: IRO-C (role written "iro") and IRO-D both cover 05/05/2021; IRO-C started
  later. CPC-1's role CPCHAIR is not a chair role by default.
- meeting_details: R1, R2, ICPC 7, RCPC 7; R99, which is no SSD meeting; R6, whose
  meeting is quarantined.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from iro_analysis.contract import ssd as S
from iro_analysis.core.errors import InputError
from iro_analysis.core.settings_sections import GateLimits
from iro_analysis.demo import generate
from iro_analysis.ingest.clean import build_dataset
from iro_analysis.ingest.discover import discover_year
from iro_analysis.ingest.ssd import date_text, ssd_meeting_parts
from iro_analysis.kpis.engine import compute_breakdowns, compute_kpis
from iro_analysis.validate.gates import file_facts

RAW = Path(__file__).parent / "fixtures" / "ssd" / "raw"


@pytest.fixture(scope="module")
def ds():
    return build_dataset(RAW)


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(RAW, tmp_path / "raw")
    return tmp_path / "raw"


def test_meetings_come_from_the_three_ssd_tables_with_child_chair_and_date(ds):
    m = ds.tables["meetings"].set_index("meeting_id")
    assert list(m.index) == ["CLA_REVIEW:R1", "CLA_REVIEW:R2", "CLA_REVIEW:R3", "ICPC:7", "RCPC:7"]
    assert m["child_id"].tolist() == ["C1", "C1", "C2", "C3", "C3"]
    assert m["meeting_type"].tolist() == ["CLA_REVIEW", "CLA_REVIEW", "CLA_REVIEW", "ICPC", "RCPC"]
    held = m["held_date"].dt.strftime("%Y-%m-%d").tolist()
    assert held[:2] == ["2021-06-10", "2021-12-01"]  # the date part of a datetime
    assert pd.isna(m.loc["CLA_REVIEW:R3", "held_date"])  # cancelled: not held
    assert held[3:] == ["2021-05-05", "2021-08-04"]
    # the chair: the IRO involvement covering the day; of two, the later start
    assert m.loc["CLA_REVIEW:R1", "iro_id"] == "IRO-A"
    assert m.loc["CLA_REVIEW:R2", "iro_id"] == "IRO-B"
    assert m.loc["ICPC:7", "iro_id"] == "IRO-C"
    assert m.loc["RCPC:7", "iro_id"] == "IRO-C"
    assert pd.isna(m.loc["CLA_REVIEW:R3", "iro_id"])


def test_meeting_details_fill_what_the_ssd_lacks(ds):
    m = ds.tables["meetings"].set_index("meeting_id")
    assert m["times_rearranged"].tolist()[:2] == [1, 0]
    assert m.loc["CLA_REVIEW:R1", "rearranged_reason"] == "CHILD_REQUEST"
    assert m.loc["CLA_REVIEW:R1", "first_scheduled_date"] == pd.Timestamp(2021, 6, 1)
    assert m.loc["RCPC:7", "times_rearranged"] == 2
    assert m.loc["RCPC:7", "rearranged_reason"] == "PAPERS_NOT_READY"
    assert m["pre_meeting_visit"].tolist() == [True, True, pd.NA, False, False]
    assert m["advocate_involved"].tolist() == [False, True, pd.NA, False, True]


def test_bad_rows_are_quarantined_naming_the_ssd_file_line_and_column(ds):
    q = ds.quarantine[["file", "line", "column", "rule", "value"]]
    got = sorted(map(tuple, q.astype("str").to_numpy().tolist()))
    assert got == [
        ("iro/meeting_details.csv", "6", "meeting_id", "no_such_meeting", "R99"),
        ("iro/meeting_details.csv", "7", "meeting_id", "parent_quarantined", "R6"),
        ("ssd/ssd_cla_reviews.csv", "5", "clar_cla_id", "ssd_unknown_period", "CLA-9"),
        ("ssd/ssd_cla_reviews.csv", "6", "clar_cla_id", "ssd_unknown_period", "CLA-X"),
        ("ssd/ssd_cla_reviews.csv", "7", "clar_cla_review_date", "unparseable_date", "15/13/2021"),
    ]


def test_every_row_of_the_meeting_files_is_counted(ds):
    acc = ds.accounting.set_index("file")
    assert acc.loc["ssd/ssd_cla_reviews.csv"].tolist()[1:] == [6, 3, 0, 3]
    assert acc.loc["ssd/ssd_initial_cp_conference.csv"].tolist()[1:] == [1, 1, 0, 0]
    assert acc.loc["ssd/ssd_cp_reviews.csv"].tolist()[1:] == [1, 1, 0, 0]
    assert acc.loc["iro/meeting_details.csv"].tolist()[1:] == [6, 4, 0, 2]


def test_supplied_inputs_name_the_ssd(ds):
    s = ds.supplied.set_index("input")
    assert s.loc["meetings", "present"] and s.loc["meetings", "path"].endswith(
        "ssd/ssd_cla_reviews.csv"
    )
    assert s.loc["meeting_details", "path"].endswith("iro/meeting_details.csv")


def test_chair_roles_are_the_councils_codes():
    found = discover_year(RAW / "2022", 2022)
    parts, _ = ssd_meeting_parts(found, 2022, chair_roles=("CPCHAIR",))
    icpc = next(p for p in parts if p.file.endswith("initial_cp_conference.csv"))
    assert icpc.typed["iro_id"].tolist() == ["CPC-1"]


def test_database_datetimes_read_as_their_date():
    s = pd.Series(["2021-05-04 00:00:00.000", "2021-05-04T10:30:00", "04/05/2021", "", "x"])
    assert date_text(s).tolist() == ["2021-05-04", "2021-05-04", "04/05/2021", "", "x"]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: (d / "ssd/ssd_involvements.csv").unlink(), "ssd_involvements.csv too"),
        (lambda d: (d / "ssd/ssd_cla_episodes.csv").unlink(), "ssd_cla_episodes.csv too"),
        (lambda d: (d / "ssd/ssd_cp_reviews.csv").unlink(), "ssd_cp_reviews.csv too"),
        (
            lambda d: (d / "iro/meetings.csv").write_text(
                "meeting_id,child_id,meeting_type,iro_id,first_scheduled_date,held_date,"
                "times_rearranged,rearranged_reason,pre_meeting_visit,advocate_involved\n"
            ),
            "two sources of the meetings table",
        ),
        (
            lambda d: (d / "ssd/ssd_involvements.csv").write_text(
                "invo_involvements_id,invo_professional_id,invo_professional_role_id,"
                "invo_professional_team,invo_involvement_start_date,invo_involvement_end_date,"
                "invo_worker_change_reason,invo_person_id,invo_referral_id\n"
                "I1,IRO-A,IRO,,2021-13-01,,,C1,\n"
            ),
            "ssd_involvements.csv, line 2, invo_involvement_start_date",
        ),
    ],
)
def test_an_ssd_folder_that_would_mislead_stops_naming_the_file(tmp_path, change, words):
    raw = _copy(tmp_path)
    change(raw / "2022")
    with pytest.raises(InputError, match=words):
        build_dataset(raw)


def test_meeting_details_without_ssd_meetings_is_refused(tmp_path):
    raw = _copy(tmp_path)
    shutil.rmtree(raw / "2022" / "ssd")
    with pytest.raises(InputError, match="meeting details are read with the SSD"):
        build_dataset(raw)


def test_other_ssd_tables_are_listed_as_not_read(tmp_path):
    raw = _copy(tmp_path)
    (raw / "2022" / "ssd" / "ssd_person.csv").write_text("pers_person_id\nC1\n")
    w = build_dataset(raw).warnings
    row = w.loc[w["file"].eq("ssd/ssd_person.csv")]
    assert row["rule"].tolist() == ["file_not_read"]
    assert "not an SSD table the project reads" in row["value"].iloc[0]


def test_without_meeting_details_their_kpis_are_not_supplied(tmp_path):
    raw = _copy(tmp_path)
    (raw / "2022" / "iro" / "meeting_details.csv").unlink()
    ds = build_dataset(raw)
    ids = set(compute_kpis(ds, 2022)["kpi_id"])
    assert "meetings_held" in ids
    assert not {"meetings_rearranged_pct", "pre_meeting_visit_pct", "advocacy_pct"} & ids
    by_type = compute_breakdowns(ds, 2022)["meetings_by_type"]
    assert list(by_type.columns) == ["meeting_type", "label", "held"]


def test_the_ssd_version_and_tables_are_documented():
    doc = (Path(__file__).parents[1] / "docs" / "ssd.md").read_text()
    assert S.SSD_VERSION in doc
    for name in S.SSD_TABLES:
        assert f"`{name}`" in doc


@pytest.mark.slow
def test_the_demo_as_ssd_gives_the_native_kpis(tmp_path):
    """The done-when of issue #30: same meetings and workforce KPIs (every KPI, in fact,
    and every breakdown) from the SSD route as from iro/meetings.csv, on the demo."""
    for form in ("native", "ssd"):
        generate(
            tmp_path / form, [2021, 2022], seed=7, size="small", fault_rate=0.0, iro_format=form
        )
    assert (tmp_path / "ssd/2022/ssd/ssd_cla_reviews.csv").is_file()
    assert not (tmp_path / "ssd/2022/iro/meetings.csv").exists()
    native = build_dataset(tmp_path / "native", year=2022)
    ssd = build_dataset(tmp_path / "ssd", year=2022)
    assert len(ssd.tables["meetings"]) == len(native.tables["meetings"]) > 1000
    assert ssd.quarantine.equals(native.quarantine)
    pd.testing.assert_frame_equal(compute_kpis(ssd, 2022), compute_kpis(native, 2022))
    nb, sb = compute_breakdowns(native, 2022), compute_breakdowns(ssd, 2022)
    assert nb.keys() == sb.keys()
    for name in nb:
        pd.testing.assert_frame_equal(sb[name], nb[name], obj=name)
    # the plausibility gates bound the meetings table whole, from one file or three
    nf = file_facts(native, 2022, GateLimits()).set_index("file")
    sf = file_facts(ssd, 2022, GateLimits()).set_index("file")
    want = nf.loc["iro/meetings.csv", ["rows_read", "row_change"]].tolist()
    assert pd.notna(want[1])
    for m in S.MEETING_TABLES:
        assert sf.loc[m.table.relpath, ["rows_read", "row_change"]].tolist() == want


@pytest.mark.parametrize(
    ("ssd", "words"),
    [
        ({"schema": "ssd; drop table x"}, "'schema' must be a plain SQL name"),
        ({"database_url": "  "}, "'database_url' must not be empty"),
        ({"chair_roles": []}, "'chair_roles' must list distinct, non-empty role codes"),
        ({"chair_roles": ["IRO", "iro"]}, "'chair_roles' must list distinct"),
        ({"chair_role": ["IRO"]}, "unknown key"),
    ],
)
def test_ssd_settings_are_checked_in_one_line(ssd, words):
    from iro_analysis.core.settings import SettingsError, settings_from_dict

    with pytest.raises(SettingsError, match=words) as err:
        settings_from_dict({"ssd": ssd}, where="config/settings.yaml")
    assert "\n" not in str(err.value) and "config/settings.yaml: ssd" in str(err.value)


def test_ssd_settings_defaults_and_values():
    from iro_analysis.core.settings import settings_from_dict

    assert settings_from_dict({}).ssd.chair_roles == S.DEFAULT_CHAIR_ROLES
    s = settings_from_dict({"ssd": {"database_url": "env:X", "chair_roles": [" CPCHAIR ", "IRO"]}})
    assert (s.ssd.database_url, s.ssd.schema) == ("env:X", S.SSD_DEFAULT_SCHEMA)
    assert s.ssd.chair_roles == ("CPCHAIR", "IRO")


def test_the_settings_chair_roles_reach_the_reader_and_the_clean_key(tmp_path):
    """ssd.chair_roles travels with the code map (`ingest.code_map.code_map_of`): the
    build's reader finds CPC-1 (role CPCHAIR) as the chair, and a changed list changes the
    clean data's freshness key (the year is cleaned again)."""
    from iro_analysis.core.settings import settings_from_dict
    from iro_analysis.ingest.code_map import code_map_of
    from iro_analysis.ingest.processed import clean_key

    default = code_map_of(settings_from_dict({}))
    cpc = code_map_of(settings_from_dict({"ssd": {"chair_roles": ["cpchair"]}}))
    assert cpc.chair_roles == ("CPCHAIR",) and not cpc  # no code map, but roles
    ds = build_dataset(RAW, code_map=cpc)
    m = ds.tables["meetings"].set_index("meeting_id")
    assert m.loc["ICPC:7", "iro_id"] == "CPC-1"
    assert pd.isna(m.loc["CLA_REVIEW:R1", "iro_id"])  # IRO is no chair role now
    assert clean_key(2022, RAW, default) == clean_key(2022, RAW)
    assert clean_key(2022, RAW, cpc) != clean_key(2022, RAW)


def test_great_expectations_sees_the_ssd_files_as_read():
    """The raw files' suites (validate.raw_checks) get each SSD meeting file as the
    meetings text the cleaner reads, labelled as the quarantine labels it."""
    from iro_analysis.ingest.raw_tables import read_raw_sources

    sources = {s.label: s for s in read_raw_sources(2022, RAW)}
    for m in S.MEETING_TABLES:
        assert sources[m.table.relpath].table == "meetings"
    reviews = sources[S.CLA_REVIEWS.relpath].frame
    assert reviews["line"].tolist() == [2, 3, 4, 5, 6, 7]
    assert reviews["held_date"].tolist()[5] == "15/13/2021"  # as written: GX fails it


@pytest.mark.parametrize(
    "rel", ["iro/meeting_details.csv", *(m.table.relpath for m in S.MEETING_TABLES)]
)
def test_a_stray_quote_costs_one_line_of_an_ssd_file(tmp_path, rel):
    raw = _copy(tmp_path)
    path = raw / "2022" / rel
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = '"' + lines[1]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ds = build_dataset(raw)
    acc = ds.accounting.set_index("file").loc[rel]
    assert acc["rows_read"] == len(lines) - 1
    assert acc["rows_kept"] + acc["duplicates_removed"] + acc["rows_quarantined"] == len(lines) - 1
    q = ds.quarantine[ds.quarantine["file"].eq(rel)]
    assert [2, "malformed_record"] in q[["line", "rule"]].values.tolist()
