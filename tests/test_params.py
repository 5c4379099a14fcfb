"""Notebook parameters are checked at the door."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from iro_analysis import report
from iro_analysis.params import CLEAN_PARAMETERS, REPORT_PARAMETERS, check_parameters


def test_parameters_are_returned_typed():
    ns = {
        "year": "2022",
        "raw_dir": "/x",
        "processed_dir": None,
        "In": [],
        "report": report,
        "_x": 1,
    }
    assert check_parameters(ns, CLEAN_PARAMETERS) == {
        "year": 2022,
        "raw_dir": Path("/x"),
        "processed_dir": None,
    }


def test_a_misspelt_parameter_is_named():
    ns = {"year": 2022, "raw_dir": None, "processed_dir": None, "yaer": 2023}
    with pytest.raises(
        ValueError,
        match=r"unknown notebook parameter\(s\): yaer; the parameters are: year, raw_dir",
    ):
        check_parameters(ns, CLEAN_PARAMETERS)


def test_analysts_objects_are_not_parameters():
    # re-running cells in JupyterLab leaves results in the namespace: they are not parameters
    ns = {k: None for k in REPORT_PARAMETERS} | {
        "year": 2022,
        "ctx": object(),
        "df": pd.DataFrame(),
        "p": Path("/x"),
    }
    assert check_parameters(ns, REPORT_PARAMETERS)["year"] == 2022


@pytest.mark.parametrize("bad", ["22", "twenty", 2022.5, None])
def test_year_must_be_a_year(bad):
    with pytest.raises(ValueError, match="four-digit year"):
        check_parameters({"year": bad, "raw_dir": None, "processed_dir": None}, CLEAN_PARAMETERS)
