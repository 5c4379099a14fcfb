"""Validation: GX suites and pandas checks, severity, the failure message, JSON and HTML."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from iro_analysis.cli import main
from iro_analysis.contract import tables as T
from iro_analysis.core.errors import ValidationFailed
from iro_analysis.core.settings import Settings, load_settings
from iro_analysis.ingest.clean import build_dataset, write_processed
from iro_analysis.ingest.dataset import Dataset
from iro_analysis.ingest.processed import clean_key
from iro_analysis.validate.checks import CRITICAL, RESULT_COLUMNS, WARNING, suite_checks
from iro_analysis.validate.suites import validate_dataset, validate_years

# Great Expectations suites, a whole region or the demo council: not the unit tier.
pytestmark = pytest.mark.slow

RAW = Path(__file__).parent / "fixtures" / "clean" / "raw"
# The fixture's small files are mostly quarantined on purpose (its settings say why).
SETTINGS_FILE = RAW.parent / "settings.yaml"
SETTINGS = load_settings(SETTINGS_FILE)


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return build_dataset(RAW)


@pytest.fixture(scope="module")
def report(ds):
    return validate_dataset(ds, 2022, SETTINGS)


@pytest.mark.slow
def test_the_default_quarantine_gate_stops_the_fixtures_mostly_quarantined_small_files(ds):
    """Issue #25: a file with at least 3 quarantined rows and a share above 5% stops the
    build however few rows it has; the fixture's three such files are named."""
    rep = validate_dataset(ds, 2022, Settings())
    crit = rep.critical_failures
    assert crit[["table", "column"]].values.tolist() == [["file_facts", "quarantined_share"]]
    assert sorted(crit["sample"].iloc[0]) == [
        "iro/disputes.csv",
        "ssda903/episodes.csv",
        "ssda903/reviews.csv",
    ]


def broken(ds: Dataset) -> Dataset:
    """The fixture dataset with faults the cleaner would have quarantined put back in."""
    tables = dict(ds.tables)
    ep = tables["episodes"].copy()
    ep.loc[0, "DEC"] = pd.Timestamp(2019, 1, 1)  # before DECOM 2020-06-01
    ep.loc[1, "LS"] = "ZZ"
    tables["episodes"] = ep
    wf = tables["workforce"].copy()
    wf.loc[0, "fte"] = 1.5
    tables["workforce"] = wf
    rv = tables["reviews"].copy()
    rv.loc[len(rv)] = ["C7", pd.Timestamp(2010, 1, 1), pd.Timestamp(2021, 5, 1), "PN1", 2022]
    tables["reviews"] = rv
    return replace(ds, tables=tables)


def test_one_suite_per_table_covering_keys_codes_and_dates():
    for table in T.CLEAN_TABLES:
        kinds = {c.expectation for c in suite_checks(table)}
        assert "ExpectTableColumnsToMatchSet" in kinds
        assert "ExpectColumnValuesToNotBeNull" in kinds
        assert kinds & {"ExpectColumnValuesToBeUnique", "ExpectCompoundColumnsToBeUnique"}
    ep = {(c.expectation, c.column) for c in suite_checks("episodes")}
    assert ("ExpectColumnValuesToBeInSet", "LS") in ep
    assert ("ExpectColumnPairValuesAToBeGreaterThanB", "DEC >= DECOM") in ep
    s47 = {c.column for c in suite_checks("s47")}
    assert "DateOfInitialCPC >= S47ActualStartDate" in s47
    assert "fte" in {c.column for c in suite_checks("workforce")}


@pytest.mark.slow
def test_clean_fixture_passes_every_critical_check(report):
    assert list(report.results.columns) == list(RESULT_COLUMNS)
    assert report.ok, report.failure_message()
    assert set(report.results["severity"]) == {CRITICAL, WARNING}
    assert set(report.results["table"]) >= set(T.CLEAN_TABLES)
    report.raise_for_critical()  # does not raise


@pytest.mark.slow
def test_faults_fail_critical_checks_with_a_useful_message(ds):
    rep = validate_dataset(broken(ds), 2022, SETTINGS)
    crit = rep.critical_failures
    got = {(r.table, r.column, r.expectation, r.unexpected_count) for r in crit.itertuples()}
    assert got == {
        ("episodes", "LS", "expect_column_values_to_be_in_set", 1),
        ("episodes", "DEC >= DECOM", "expect_column_pair_values_a_to_be_greater_than_b", 1),
        ("workforce", "fte", "expect_column_values_to_be_between", 1),
    }
    assert not rep.ok
    with pytest.raises(ValidationFailed) as exc:
        rep.raise_for_critical()
    msg = str(exc.value)
    assert "table workforce, column fte, expectation expect_column_values_to_be_between" in msg
    assert "1 row(s) failed, e.g. 1.5" in msg
    assert "e.g. ZZ" in msg
    # a review of a child with no header row is a warning, not a stop
    w = rep.warnings
    row = w[(w["table"] == "reviews") & (w["expectation"] == "child_exists_in_header")].iloc[0]
    assert row["unexpected_count"] == 1 and row["sample"] == []  # a count, never the child


@pytest.mark.slow
def test_wrong_dtype_and_missing_column_are_critical(ds):
    tables = dict(ds.tables)
    tables["pep"] = tables["pep"].astype({"pep_date": "str"}).drop(columns=[T.SOURCE_YEAR])
    rep = validate_dataset(replace(ds, tables=tables), 2022, SETTINGS)
    crit = rep.critical_failures
    pep = crit[crit["table"] == "pep"]
    assert "dtype_is_datetime" in set(pep["expectation"])
    cols = pep[pep["expectation"] == "expect_table_columns_to_match_set"].iloc[0]
    assert cols["sample"] == [T.SOURCE_YEAR]


@pytest.mark.slow
def test_several_years_at_once_give_each_year_what_it_gives_alone(ds, report):
    """`make reports` validates every year of one history with the table suites run once:
    each year's results are exactly those of validating that year alone (the gates differ
    by year: 2021's files are not 2022's)."""
    both = validate_years(ds, [2022, 2021], SETTINGS)
    assert list(both) == [2021, 2022]
    alone = {2021: validate_dataset(ds, 2021, SETTINGS), 2022: report}
    for y in (2021, 2022):
        pd.testing.assert_frame_equal(both[y].results, alone[y].results)
        assert both[y].year == y
        pd.testing.assert_frame_equal(both[y].accounting, alone[y].accounting)


def test_json_and_html_are_written(report, tmp_path):
    j = report.to_json(tmp_path / "validation.json")
    h = report.to_html(tmp_path / "data-quality.html")
    data = json.loads(j.read_text())
    assert data["year"] == 2022 and data["ok"] is True
    assert len(data["results"]) == len(report.results)
    assert sum(a["rows_read"] for a in data["accounting"]) == 51
    html = h.read_text()
    assert "All critical checks passed" in html
    assert "Row accounting" in html and "ssda903/episodes.csv" in html
    assert "orphan_child" in html  # the quarantine summary


@pytest.mark.slow
def test_cli_validate_cleans_first_then_writes_reports(tmp_path, capsys):
    code = main(
        [
            "validate",
            "--year",
            "2022",
            "--raw-dir",
            str(RAW),
            "--processed-dir",
            str(tmp_path / "processed"),
            "--reports-dir",
            str(tmp_path / "reports"),
            "--settings",
            str(SETTINGS_FILE),
        ]
    )
    assert code == 0
    assert (tmp_path / "processed" / "2022" / "episodes.parquet").is_file()
    assert (tmp_path / "reports" / "2022" / "validation.json").is_file()
    assert (tmp_path / "reports" / "2022" / "data-quality.html").is_file()


@pytest.mark.slow
def test_cli_validate_exits_non_zero_on_a_critical_failure(ds, tmp_path, capsys):
    # faults the cleaner would have quarantined, in a processed folder that claims to be
    # current for RAW (its freshness key forged), so the loader reads it as it stands
    write_processed(broken(ds), tmp_path / "processed" / "2022", key=clean_key(2022, RAW))
    code = main(
        [
            "validate",
            "--year",
            "2022",
            "--raw-dir",
            str(RAW),
            "--settings",
            str(SETTINGS_FILE),
            "--processed-dir",
            str(tmp_path / "processed"),
            "--reports-dir",
            str(tmp_path / "reports"),
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "table episodes, column LS, expectation expect_column_values_to_be_in_set" in err
    assert (
        json.loads((tmp_path / "reports" / "2022" / "validation.json").read_text())["ok"] is False
    )
