"""Validation results written under reports/ never carry child identifiers."""

from __future__ import annotations

import json

import pandas as pd

from iro_analysis.contract.quality import WITHHELD
from iro_analysis.validate.checks import CHECK_COLUMNS
from iro_analysis.validate.validation_report import ValidationReport


def _report() -> ValidationReport:
    rows = [
        ("reviews", "CHILD", "child_in_header", "warning", False, 2, ["1001346", "1018809"]),
        (
            "episodes",
            "DOB / DECOM",
            "birth_before_care",
            "warning",
            False,
            1,
            ["2010-01-02 / 2009-05-01"],
        ),
        ("episodes", "LS", "expect_column_values_to_be_in_set", "critical", True, 0, []),
        (
            "meetings",
            "meeting_type",
            "expect_column_values_to_be_in_set",
            "warning",
            False,
            1,
            ["XX"],
        ),
    ]
    results = pd.DataFrame(rows, columns=list(CHECK_COLUMNS))
    empty = pd.DataFrame()
    return ValidationReport(year=2022, results=results, accounting=empty, quarantine=empty)


def test_samples_of_identifying_columns_are_withheld(tmp_path):
    report = _report()
    public = report.public_results()
    assert public["sample"].tolist() == [[WITHHELD], [WITHHELD], [], ["XX"]]
    assert report.results["sample"].iloc[0] == [
        "1001346",
        "1018809",
    ]  # the console message keeps them
    report.to_json(tmp_path / "v.json")
    report.to_html(tmp_path / "v.html")
    for f in ("v.json", "v.html"):
        text = (tmp_path / f).read_text()
        assert "1001346" not in text and "2010-01-02" not in text
        assert "XX" in text
    assert json.loads((tmp_path / "v.json").read_text())["results"][0]["sample"] == [WITHHELD]
