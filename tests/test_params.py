"""Notebook parameters are checked at the door."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from iro_analysis import report
from iro_analysis.params import CLEAN_PARAMETERS, REPORT_PARAMETERS, check_parameters
from iro_analysis.settings import load_settings


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
        "processed_dir": load_settings().paths.processed,  # a folder left None: settings'
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


@pytest.mark.parametrize("bad", ["22", "twenty", 2022.5])
def test_year_must_be_a_year(bad):
    with pytest.raises(ValueError, match="four-digit year"):
        check_parameters({"year": bad, "raw_dir": None, "processed_dir": None}, CLEAN_PARAMETERS)


def test_no_year_means_the_latest_with_raw_data(tmp_path):
    for y in (2021, 2023):
        (tmp_path / str(y)).mkdir()
    ns = {"year": None, "raw_dir": str(tmp_path), "processed_dir": None}
    assert check_parameters(ns, CLEAN_PARAMETERS)["year"] == 2023
    with pytest.raises(ValueError, match="no year folders"):
        check_parameters({**ns, "raw_dir": str(tmp_path / "empty")}, CLEAN_PARAMETERS)


def test_a_run_by_hand_writes_to_the_scratch_area():
    ns = {k: None for k in REPORT_PARAMETERS} | {"year": 2022}
    p = check_parameters(ns, REPORT_PARAMETERS)
    s = load_settings()
    assert p["output_dir"] == s.paths.reports / "_scratch" / "2022"
    assert p["restricted_dir"] == s.paths.restricted / "_scratch" / "2022"
