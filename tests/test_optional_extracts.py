"""The optional IRO extracts (data contract section 3): footprints, feedback, establishment
and independent visitors are found by their columns, read, cleaned and quarantined like the
other extracts; a file left out is "not supplied"; feedback quotes read across lines and
never reach anything published. Fixture: tests/fixtures/optional_extracts/raw (2021 has
only a header; 2022 has every optional extract, with bad rows named below)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from iro_analysis.contract import codes as C
from iro_analysis.contract import quality as Q
from iro_analysis.contract import raw_files as R
from iro_analysis.contract import tables as T
from iro_analysis.ingest.bookkeeping import LINE, MALFORMED
from iro_analysis.ingest.clean import build_dataset
from iro_analysis.ingest.discover import discover_year
from iro_analysis.ingest.read import read_raw_csv

RAW = Path(__file__).parent / "fixtures" / "optional_extracts" / "raw"
OPTIONAL = ("footprints", "feedback", "establishment", "independent_visitors")
QUOTE = 'My IRO listened, and said "well done".\nIt helped.'


@pytest.fixture(scope="module")
def ds():
    return build_dataset(RAW)


def test_the_contract_declares_them_as_optional_iro_extracts():
    assert R.OPTIONAL_IRO_EXTRACTS == OPTIONAL
    for name in OPTIONAL:
        assert R.RAW_CSVS[name].relpath == f"iro/{name}.csv"
        assert R.RAW_CSVS[name].source == "iro"
        assert name in T.SUPPLIED_INPUTS and name in T.CLEAN_TABLES
    assert R.FEEDBACK.free_text == ("quote",)
    assert not any(R.RAW_CSVS[t].free_text for t in R.RAW_CSVS if t != "feedback")


def test_clean_tables_have_the_agreed_columns_and_dtypes(ds):
    want = {
        "footprints": {
            "footprint_id": "str",
            "child_id": "str",
            "iro_id": "str",
            "footprint_date": "datetime",
            "footprint_type": "str",
        },
        "feedback": {
            "response_id": "str",
            "meeting_id": "str",
            "respondent": "str",
            "response_date": "datetime",
            "rating": "Int64",
            "quote": "str",
            "quote_publishable": "boolean",
        },
        "establishment": {"as_at_date": "datetime", "establishment_fte": "float64"},
        "independent_visitors": {
            "child_id": "str",
            "match_start_date": "datetime",
            "match_end_date": "datetime",
        },
    }
    for table, cols in want.items():
        assert T.CLEAN_TABLES[table].columns == (*cols, "source_year")
        assert {c: T.clean_dtype(c) for c in cols} == cols
        df = ds[table]
        assert list(df.columns) == [*cols, "source_year"]
        for c, kind in cols.items():
            if kind == "datetime":
                assert pd.api.types.is_datetime64_dtype(df[c].dtype), (table, c)
            elif kind != "str":
                assert str(df[c].dtype) == kind, (table, c)


def test_code_lists_are_the_contract_s():
    assert C.FOOTPRINT_TYPES == ("MIDWAY_CHECK", "PRE_MEETING_CONTACT", "CHALLENGE", "OTHER")
    assert C.FEEDBACK_RESPONDENTS == ("CHILD", "PARENT", "CARER", "PROFESSIONAL")
    assert C.FEEDBACK_RATINGS == (1, 2, 3, 4, 5)
    assert C.DISPUTE_OUTCOMES == (
        "PLAN_CHANGED",
        "RESOLVED_NO_CHANGE",
        "REFERRED_TO_CAFCASS",
        "WITHDRAWN",
    )


def test_files_are_found_by_their_columns_whatever_their_names(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    iro = raw / "2022" / "iro"
    names = {
        "footprints": "IRO footprints export.csv",
        "feedback": "survey_responses_2022.csv",
        "establishment": "posts.csv",
        "independent_visitors": "iv_matches.csv",
    }
    for table, name in names.items():
        (iro / f"{table}.csv").rename(iro / name)
    found = discover_year(raw / "2022", 2022)
    assert {t: p.name for t, p in found.csvs.items() if t in OPTIONAL} == names
    assert not found.unread


def test_absent_files_are_not_supplied(ds):
    for name in OPTIONAL:
        assert ds.has_input(name, 2022)
        assert not ds.has_input(name, 2021)
        assert ds.years_with(name) == [2022]
    s = ds.supplied.set_index(["year", "input"])
    assert s.loc[(2021, "feedback"), "path"].endswith("2021/iro/feedback.csv")


def test_a_year_without_them_cleans_to_empty_typed_tables(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(RAW / "2021", raw / "2021")
    d = build_dataset(raw)
    for name in OPTIONAL:
        assert len(d[name]) == 0 and not d.has_input(name, 2021)
        assert list(d[name].columns) == list(T.CLEAN_TABLES[name].columns)


def test_bad_rows_are_quarantined_with_their_reasons(ds):
    q = ds.quarantine
    got = {
        (r.file, r.line, r.column, r.rule, r.value)
        for r in q[q["table"].isin(OPTIONAL)].itertuples()
    }
    assert got == {
        ("iro/footprints.csv", 4, "footprint_type", "unknown_code", "PHONE_CALL"),
        ("iro/footprints.csv", 5, "footprint_date", "unparseable_date", "31/02/2022"),
        ("iro/footprints.csv", 6, "child_id", "orphan_child", "Z9"),
        ("iro/footprints.csv", 7, "footprint_type", "missing_required", ""),
        # the quote of R1 spans lines 2 and 3: R3 is on line 5
        ("iro/feedback.csv", 5, "rating", "unknown_code", "7"),
        ("iro/feedback.csv", 6, "respondent", "unknown_code", "GRANDPARENT"),
        ("iro/feedback.csv", 7, "quote_publishable", "unknown_code", "MAYBE"),
        ("iro/establishment.csv", 4, "as_at_date", "unparseable_date", "31/13/2021"),
        ("iro/establishment.csv", 5, "establishment_fte", "unknown_code", "0"),
        ("iro/independent_visitors.csv", 3, "match_end_date", "impossible_date", "01/01/2021"),
        ("iro/independent_visitors.csv", 4, "child_id", "orphan_child", "Z9"),
    }


def test_dispute_outcomes_are_checked_against_the_contract_s_list(ds):
    d = ds["disputes"].set_index("dispute_id")
    assert d["outcome"].to_dict() == {"D1": "PLAN_CHANGED", "D3": "RESOLVED_NO_CHANGE"} | {
        "D2": d.loc["D2", "outcome"]
    }
    assert pd.isna(d.loc["D2", "outcome"])  # blank while open
    q = ds.quarantine[ds.quarantine["file"] == "iro/disputes.csv"]
    assert q[["line", "column", "rule", "value"]].values.tolist() == [
        [5, "outcome", "unknown_code", "RESOLVED"]  # the project's earlier list: not valid
    ]


def test_counts_add_up(ds):
    acc = ds.accounting.set_index("file")
    want = {  # read, kept, duplicates, quarantined
        "iro/footprints.csv": (7, 2, 1, 4),
        "iro/feedback.csv": (6, 3, 0, 3),
        "iro/establishment.csv": (4, 2, 0, 2),
        "iro/independent_visitors.csv": (4, 2, 0, 2),
    }
    for file, (read, kept, dup, quarantined) in want.items():
        a = acc.loc[file]
        assert (a.rows_read, a.rows_kept, a.duplicates_removed, a.rows_quarantined) == (
            read,
            kept,
            dup,
            quarantined,
        ), file
        assert a.rows_read == a.rows_kept + a.duplicates_removed + a.rows_quarantined
    for table, file in (
        ("footprints", "iro/footprints.csv"),
        ("feedback", "iro/feedback.csv"),
        ("establishment", "iro/establishment.csv"),
        ("independent_visitors", "iro/independent_visitors.csv"),
    ):
        assert len(ds[table]) == acc.loc[file, "rows_kept"]


def test_values_are_typed(ds):
    f = ds["footprints"].set_index("footprint_id")
    assert f.loc["F2", "footprint_type"] == "PRE_MEETING_CONTACT"  # lower case normalised
    assert f.loc["F2", "footprint_date"] == pd.Timestamp(2021, 7, 1)  # ISO date read
    fb = ds["feedback"].set_index("response_id")
    assert fb.loc["R1", "rating"] == 5 and fb.loc["R1", "quote_publishable"]
    assert pd.isna(fb.loc["R2", "rating"]) and pd.isna(fb.loc["R2", "meeting_id"])
    assert not fb.loc["R2", "quote_publishable"] and pd.isna(fb.loc["R2", "quote"])
    assert fb.loc["R6", "respondent"] == "PROFESSIONAL" and fb.loc["R6", "quote_publishable"]
    e = ds["establishment"].set_index("as_at_date")["establishment_fte"]
    assert e.to_dict() == {pd.Timestamp(2021, 9, 30): 12.5, pd.Timestamp(2022, 3, 31): 13.0}
    iv = ds["independent_visitors"]
    assert iv["match_end_date"].isna().tolist() == [True, False]


def test_a_quoted_multi_line_quote_is_one_record(ds):
    fb = ds["feedback"].set_index("response_id")
    assert fb.loc["R1", "quote"] == QUOTE
    t = read_raw_csv(RAW / "2022" / "iro" / "feedback.csv", R.FEEDBACK).frame
    assert t["response_id"].tolist() == ["R1", "R2", "R3", "R4", "R5", "R6"]
    assert t[LINE].tolist() == [2, 4, 5, 6, 7, 8]
    assert (t[MALFORMED] == "").all()
    assert t.loc[4, "quote"] == "Clear, well chaired"


def test_a_stray_quote_in_feedback_still_costs_one_line(tmp_path):
    """Free text allows line breaks inside a quoted quote only: a stray quote that would
    swallow the next lines is split line by line, as in every other table."""
    p = tmp_path / "feedback.csv"
    head = ",".join(R.FEEDBACK.columns)
    p.write_text(
        head + "\n"
        '"R1,M1,CHILD,20/06/2021,5,,N\n'
        "R2,M1,PARENT,21/06/2021,4,,N\n"
        'R3,M1,CARER,22/06/2021,4,"two\nlines",N\n'
        "R4,M1,CARER,23/06/2021,4,,N\n",
        encoding="utf-8",
    )
    t = read_raw_csv(p, R.FEEDBACK).frame
    assert t[LINE].tolist()[0] == 2 and t[MALFORMED].iloc[0] != ""
    kept = t[t[MALFORMED] == ""]
    assert kept["response_id"].tolist()[-1] == "R4"
    assert "R2" in kept["response_id"].tolist()


def test_a_line_break_outside_the_quote_column_is_not_a_record(tmp_path):
    p = tmp_path / "feedback.csv"
    p.write_text(
        ",".join(R.FEEDBACK.columns) + "\n"
        'R1,"M1\nM2",CHILD,20/06/2021,5,,N\n'
        "R2,M1,PARENT,21/06/2021,4,,N\n",
        encoding="utf-8",
    )
    t = read_raw_csv(p, R.FEEDBACK).frame
    assert t[LINE].tolist() == [2, 3, 4]
    assert t[MALFORMED].tolist()[:2] == ["an unmatched double quote on this line"] * 2
    assert t.loc[2, "response_id"] == "R2"


def test_a_malformed_feedback_line_never_copies_its_text(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    p = raw / "2022" / "iro" / "feedback.csv"
    p.write_text(
        p.read_text(encoding="utf-8") + "R7,M1,CHILD,26/06/2021,5,secret words,N,extra\n",
        encoding="utf-8",
    )
    d = build_dataset(raw)
    q = d.quarantine[d.quarantine["file"] == "iro/feedback.csv"]
    bad = q[q["rule"] == "malformed_record"]
    assert len(bad) == 1 and bad["line"].iloc[0] == 9
    assert "secret" not in bad["value"].iloc[0] and Q.WITHHELD_FREE_TEXT in bad["value"].iloc[0]


@pytest.mark.slow
def test_quotes_never_reach_the_published_validation_results(ds, tmp_path):
    from iro_analysis.core.settings import Settings
    from iro_analysis.validate.suites import validate_dataset, write_report

    report = validate_dataset(ds, 2022, Settings())
    r = report.results
    fb = r[r["table"] == "feedback"]
    assert set(fb["column"]) >= {"respondent", "rating", "response_id"}
    json_path, html_path = write_report(report, tmp_path)
    for path in (json_path, html_path):
        text = path.read_text(encoding="utf-8")
        for q in ds["feedback"]["quote"].dropna():
            for line in q.split("\n"):
                assert line not in text and json.dumps(line)[1:-1] not in text
    # a check on the quote column would show its sample withheld
    fake = report.results.iloc[:1].copy()
    fake["column"], fake["sample"] = "quote", [["anything"]]
    report.results = pd.concat([report.results, fake], ignore_index=True)
    assert report.public_results()["sample"].iloc[-1] == [Q.WITHHELD_FREE_TEXT]


def test_the_suites_check_the_new_tables(ds):
    from iro_analysis.validate.checks import suite_checks

    fb = {(c.expectation, c.column) for c in suite_checks("feedback")}
    assert ("ExpectColumnValuesToBeInSet", "respondent") in fb
    assert ("ExpectColumnValuesToBeInSet", "rating") in fb
    assert ("ExpectColumnValuesToBeUnique", "response_id") in fb
    fp = {(c.expectation, c.column) for c in suite_checks("footprints")}
    assert ("ExpectColumnValuesToBeInSet", "footprint_type") in fp
    est = {(c.expectation, c.column) for c in suite_checks("establishment")}
    assert ("ExpectColumnValuesToBeBetween", "establishment_fte") in est
    iv = {(c.expectation, c.column) for c in suite_checks("independent_visitors")}
    assert ("ExpectColumnPairValuesAToBeGreaterThanB", "match_end_date >= match_start_date") in iv
    dp = [c for c in suite_checks("disputes") if c.column == "outcome"]
    assert dp[0].kwargs["value_set"] == list(C.DISPUTE_OUTCOMES)
