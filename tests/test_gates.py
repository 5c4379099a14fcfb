"""Inputs that cannot lie: plausible-looking wrong exports stop the build naming the file.

Each export of the issue ("five plausible bad exports each built a report with exit code
0") is made from the hand-checked KPI fixture and must stop validation with the file and
the check named, unless an analyst accepted that anomaly for the year in settings.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from iro_analysis.core.errors import InputError, ValidationFailed
from iro_analysis.core.settings import Settings
from iro_analysis.core.settings_sections import AcceptedAnomaly
from iro_analysis.ingest.clean import build_dataset
from iro_analysis.validate.gates import GATES, GateLimits, file_facts, reconcile, reconcile_off
from iro_analysis.validate.suites import validate_dataset, validate_years

KPI_RAW = Path(__file__).parent / "fixtures" / "kpis" / "raw"
# The fixture's files are tiny: compare them as if they were large.
SMALL = Settings(gates=GateLimits(min_rows_for_change=1))


def _a_year_earlier(text: str) -> str:
    """Every DD/MM/YYYY and YYYY-MM-DD date in `text` a year earlier (29 Feb -> 28 Feb)."""

    def dmy(m: re.Match) -> str:
        d, mo, y = m.groups()
        return f"{'28' if (d, mo) == ('29', '02') else d}/{mo}/{int(y) - 1}"

    def iso(m: re.Match) -> str:
        y, mo, d = m.groups()
        return f"{int(y) - 1}-{mo}-{'28' if (mo, d) == ('02', '29') else d}"

    text = re.sub(r"\b(\d{2})/(\d{2})/(\d{4})\b", dmy, text)
    return re.sub(r"\b(\d{4})-(\d{2})-(\d{2})\b", iso, text)


def copy_raw(tmp_path: Path) -> Path:
    """Two like years: the fixture's 2023 files as 2023 and, every date a year earlier, as
    2022 (the same counts, so no gate fires until a test changes 2023; a year's file holds
    only its own year's rows, issue #25)."""
    raw = tmp_path / "raw"
    for year in (2022, 2023):
        shutil.copytree(KPI_RAW / "2023", raw / str(year))
    for f in (raw / "2022").rglob("*"):
        if f.suffix == ".csv":  # dates of birth stay: the same children, a year younger
            rows = list(csv.reader(io.StringIO(f.read_text())))
            keep = {i for i, c in enumerate(rows[0]) if c in ("DOB", "MC_DOB")}
            out = io.StringIO()
            csv.writer(out, lineterminator="\n").writerows(
                [rows[0]]
                + [
                    [c if i in keep else _a_year_earlier(c) for i, c in enumerate(r)]
                    for r in rows[1:]
                ]
            )
            f.write_text(out.getvalue())
        elif f.suffix == ".xml":
            parts = re.split(r"(<PersonBirthDate>[^<]*</PersonBirthDate>)", f.read_text())
            f.write_text(
                "".join(
                    p if p.startswith("<PersonBirthDate>") else _a_year_earlier(p) for p in parts
                )
            )
    census = raw / "2022" / "cin_census.xml"
    census.write_text(
        census.read_text()
        .replace("<Year>2023</Year>", "<Year>2022</Year>")
        .replace("<ReferenceDate>2023-03-31", "<ReferenceDate>2022-03-31")
    )
    return raw


def stops(raw: Path, year: int, settings: Settings = SMALL) -> str:
    report = validate_dataset(build_dataset(raw), year, settings)
    with pytest.raises(ValidationFailed) as exc:
        report.raise_for_critical()
    return str(exc.value)


@pytest.mark.slow
def test_two_like_years_pass_every_gate(tmp_path):
    report = validate_dataset(build_dataset(copy_raw(tmp_path)), 2023, SMALL)
    assert report.ok, report.failure_message()


@pytest.mark.slow
def test_the_kpi_fixture_s_empty_pep_file_is_caught():
    """The KPI fixture's 2022 pep.csv has a header and no rows: exactly what the gate is for."""
    report = validate_dataset(build_dataset(KPI_RAW), 2022, SMALL)
    msg = report.failure_message()
    assert "iro/pep.csv: a supplied file with no data rows (check rows_read, 2022)" in msg


@pytest.mark.slow
def test_reviews_with_a_header_and_no_rows_stop_the_build(tmp_path):
    raw = copy_raw(tmp_path)
    p = raw / "2023" / "ssda903" / "reviews.csv"
    p.write_text(p.read_text().splitlines()[0] + "\n")
    msg = stops(raw, 2023)
    assert "ssda903/reviews.csv: a supplied file with no data rows (check rows_read, 2023)" in msg


@pytest.mark.slow
def test_a_census_with_an_empty_children_list_stops_the_build(tmp_path):
    raw = copy_raw(tmp_path)
    p = raw / "2023" / "cin_census.xml"
    text = p.read_text()
    p.write_text(re.sub(r"<Children>.*</Children>", "<Children></Children>", text, flags=re.S))
    msg = stops(raw, 2023)
    assert "cin_census.xml#Child: a supplied file with no data rows" in msg


@pytest.mark.slow
def test_month_first_review_dates_stop_the_build_saying_so(tmp_path):
    raw = copy_raw(tmp_path)
    p = raw / "2023" / "ssda903" / "reviews.csv"
    lines = p.read_text().splitlines()
    us = [lines[0]]
    for line in lines[1:]:
        cells = line.split(",")
        d, m, y = cells[2].split("/")
        cells[2] = f"{m}/{d}/{y}"  # REVIEW written month-first
        us.append(",".join(cells))
    p.write_text("\n".join(us) + "\n")
    msg = stops(raw, 2023)
    assert "ssda903/reviews.csv: dates look month-first (MM/DD/YYYY)" in msg


@pytest.mark.slow
def test_a_table_that_lost_half_its_rows_stops_the_build(tmp_path):
    raw = copy_raw(tmp_path)
    p = raw / "2023" / "iro" / "meetings.csv"
    lines = p.read_text().splitlines()
    keep = len(lines) // 3
    p.write_text("\n".join(lines[: 1 + keep]) + "\n")
    msg = stops(raw, 2023)
    assert "iro/meetings.csv: the number of rows moved more than the limit" in msg


@pytest.mark.slow
def test_years_validated_together_keep_their_own_gates(tmp_path):
    """`make reports` runs the table suites once for every year (validate_years): a gate
    that fails on 2023's files fails 2023 only, and the GX projects hold their own year's."""
    raw = copy_raw(tmp_path)
    p = raw / "2023" / "iro" / "meetings.csv"
    lines = p.read_text().splitlines()
    p.write_text("\n".join(lines[: 1 + len(lines) // 3]) + "\n")
    ds = build_dataset(raw)
    roots = {y: tmp_path / "restricted" / str(y) for y in (2022, 2023)}
    reports = validate_years(ds, [2022, 2023], SMALL, roots)
    reports[2022].raise_for_critical()
    with pytest.raises(ValidationFailed, match="iro/meetings.csv: the number of rows moved"):
        reports[2023].raise_for_critical()
    for y in (2022, 2023):
        alone = validate_dataset(ds, y, SMALL)
        pd.testing.assert_frame_equal(reports[y].results, alone.results)

    # The table suites ran in the latest year's project; the earlier year's has its gates.
    def stored(y: int) -> set[str]:
        return {p.name for p in (roots[y] / "gx" / "uncommitted" / "validations").rglob("*.json")}

    assert stored(2022) == {"iro_analysis-file_facts.json"}
    assert {"iro_analysis-file_facts.json", "iro_analysis-episodes.json"} <= stored(2023)


@pytest.mark.slow
def test_a_table_that_lost_half_its_children_stops_the_build(tmp_path):
    raw = copy_raw(tmp_path)
    p = raw / "2023" / "ssda903" / "header.csv"
    lines = p.read_text().splitlines()
    p.write_text("\n".join(lines[: 1 + len(lines) // 3]) + "\n")
    msg = stops(raw, 2023)
    assert "ssda903/header.csv" in msg and "the number of children moved more" in msg


@pytest.mark.slow
def test_a_stray_quote_stops_the_build_naming_the_file(tmp_path):
    """One `"` at the start of a disputes line: the line is quarantined (the others read)
    and the build stops, since the export itself is broken."""
    raw = copy_raw(tmp_path)
    p = raw / "2023" / "iro" / "disputes.csv"
    lines = p.read_text().splitlines()
    lines[1] = '"' + lines[1]
    p.write_text("\n".join(lines) + "\n")
    msg = stops(raw, 2023)
    assert "iro/disputes.csv: a line with an unmatched double quote" in msg


@pytest.mark.slow
def test_a_mostly_quarantined_file_stops_the_build(tmp_path):
    raw = copy_raw(tmp_path)
    p = raw / "2023" / "iro" / "pep.csv"
    lines = p.read_text().splitlines()
    p.write_text("\n".join([lines[0]] + [line + "x" for line in lines[1:]]) + "\n")
    msg = stops(raw, 2023, Settings(gates=GateLimits(min_rows_for_share=1)))
    assert "iro/pep.csv: more of the file quarantined than the limit allows" in msg


@pytest.mark.slow
def test_an_accepted_anomaly_lets_only_that_gate_and_file_through(tmp_path):
    raw = copy_raw(tmp_path)
    p = raw / "2023" / "iro" / "meetings.csv"
    lines = p.read_text().splitlines()
    p.write_text("\n".join(lines[: 1 + len(lines) // 3]) + "\n")
    ok = AcceptedAnomaly(2023, "row_change", "iro/meetings.csv", "New case system from May.")
    other_year = replace(ok, year=2022)
    report = validate_dataset(build_dataset(raw), 2023, replace(SMALL, accepted_anomalies=(ok,)))
    assert report.ok
    acc = report.accepted
    assert acc["accepted"].tolist() == ["iro/meetings.csv: New case system from May."]
    report = validate_dataset(
        build_dataset(raw), 2023, replace(SMALL, accepted_anomalies=(other_year,))
    )
    assert not report.ok  # accepted for another year only


@pytest.mark.slow
def test_gates_skip_small_tables_with_the_default_limits():
    facts = file_facts(build_dataset(KPI_RAW), 2023, GateLimits())
    assert facts["row_change"].isna().all() and facts["quarantined_share"].isna().all()
    assert set(GATES) <= set(facts.columns)


@pytest.mark.slow
def test_a_census_of_another_year_stops_cleaning_naming_both(tmp_path):
    """The ReferenceDate decides the census's year, as DfE's CIN validator does (a `Year`
    alone that disagrees is a warning: tests/test_discover.py)."""
    raw = copy_raw(tmp_path)
    p = raw / "2023" / "cin_census.xml"
    p.write_text(
        p.read_text()
        .replace("<Year>2023</Year>", "<Year>2019</Year>")
        .replace("<ReferenceDate>2023-03-31", "<ReferenceDate>2019-03-31")
    )
    with pytest.raises(
        InputError, match="collection year 2019 with ReferenceDate 2019-03-31.*ReferenceDate 2023"
    ):
        build_dataset(raw)


@pytest.mark.slow
def test_conflicting_dates_of_birth_are_a_warning_with_a_count_only(tmp_path):
    raw = copy_raw(tmp_path)
    p = raw / "2023" / "ssda903" / "reviews.csv"
    lines = p.read_text().splitlines()
    cells = lines[1].split(",")
    child = cells[0]
    cells[1] = "01/01/2001"  # this row's DOB disagrees with the header's
    lines[1] = ",".join(cells)
    p.write_text("\n".join(lines) + "\n")
    report = validate_dataset(build_dataset(raw), 2023, SMALL)
    w = report.warnings
    row = w[w["expectation"] == "date_of_birth_agrees_across_files"].iloc[0]
    assert row["unexpected_count"] == 1 and row["sample"] == []
    assert child not in str(report.to_dict())


@pytest.mark.slow
def test_reconciliation_counts_the_same_events_in_two_returns():
    ds = build_dataset(KPI_RAW)
    r = reconcile(ds, 2023).set_index("measure")
    assert list(r.index) == [
        "Initial child protection conferences held",
        "Review child protection conferences held",
        "Looked-after reviews held",
        "Disputes about looked-after children raised",
    ]
    assert (r["difference"] == r["first"] - r["second"]).all()
    # a log that lost its ICPCs differs by more than the tolerance
    t = dict(ds.tables)
    m = t["meetings"]
    t["meetings"] = m[m["meeting_type"] != "ICPC"]
    r2 = reconcile(replace(ds, tables=t), 2023)
    off = dict(zip(r2["measure"], reconcile_off(r2), strict=True))
    assert off["Initial child protection conferences held"] == (
        r.loc["Initial child protection conferences held", "first"] > 0
    )


@pytest.mark.slow
def test_the_kpis_command_checks_with_the_gates_of_its_settings_file(tmp_path, capsys):
    """`iro-analysis kpis --settings F` applies F's gate limits: the same halved table
    passes the default limits (tiny tables are not compared) and stops under F's."""
    from iro_analysis.cli import main

    raw = copy_raw(tmp_path)
    p = raw / "2023" / "iro" / "meetings.csv"
    lines = p.read_text().splitlines()
    p.write_text("\n".join(lines[: 1 + len(lines) // 3]) + "\n")
    folders = {k: tmp_path / k for k in ("processed", "reports", "restricted")}
    base = "paths:\n" + "".join(f"  {k}: {v}\n" for k, v in folders.items())
    base += f"  raw: {raw}\n"
    loose, strict = tmp_path / "loose.yaml", tmp_path / "strict.yaml"
    loose.write_text(base)
    strict.write_text(base + "gates:\n  min_rows_for_change: 1\n")
    args = ["kpis", "--year", "2023", "--raw-dir", str(raw)]
    assert main([*args, "--settings", str(loose), "--out", str(tmp_path / "k.csv")]) == 0
    capsys.readouterr()
    assert main([*args, "--settings", str(strict)]) == 1
    assert "iro/meetings.csv: the number of rows moved more than the limit" in (
        capsys.readouterr().err
    )
