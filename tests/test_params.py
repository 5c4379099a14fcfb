"""Notebook parameters are checked at the door."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from iro_analysis import report
from iro_analysis.core.params import RUN_PARAMETERS, check_parameters
from iro_analysis.core.settings import load_settings

CLEAN_PARAMETERS = ("year", "raw_dir", "processed_dir")  # as the explore notebook's


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
    ns = {"run_path": None, "ctx": object(), "df": pd.DataFrame(), "p": Path("/x")}
    assert check_parameters(ns, RUN_PARAMETERS) == {"run_path": None}
    assert check_parameters({"run_path": "run.json"}, RUN_PARAMETERS) == {
        "run_path": Path("run.json")
    }


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


def test_a_run_by_hand_takes_the_latest_year_and_writes_to_the_scratch_area(tmp_path, monkeypatch):
    from iro_analysis.core import paths
    from iro_analysis.core.params import load_run

    for y in (2021, 2023):
        (tmp_path / "raw" / str(y)).mkdir(parents=True)
    settings = tmp_path / "settings.yaml"
    settings.write_text(
        "paths:\n" + "".join(f"  {k}: {tmp_path / k}\n" for k in ("raw", "reports", "restricted"))
    )
    monkeypatch.setattr(paths, "SETTINGS_FILE", settings)
    run = load_run({"run_path": None})
    assert run.year == 2023 and run.analyst
    assert run.staging_dir == tmp_path / "reports" / "_scratch" / "2023"
    assert run.restricted_staging_dir == tmp_path / "restricted" / "_scratch" / "2023"


def test_a_run_by_hand_takes_a_year_and_folders_and_still_writes_to_the_scratch_area(tmp_path):
    from iro_analysis.core.params import load_run

    (tmp_path / "raw" / "2022").mkdir(parents=True)
    folders = {k: str(tmp_path / k) for k in ("raw", "processed", "reports", "restricted")}
    run = load_run(
        {"run_path": None, "year": "2022", **{f"{k}_dir": v for k, v in folders.items()}}
    )
    assert (run.year, run.analyst, run.raw_dir) == (2022, True, tmp_path / "raw")
    assert run.processed_dir == tmp_path / "processed"
    assert run.staging_dir == tmp_path / "reports" / "_scratch" / "2022"
    assert run.restricted_staging_dir == tmp_path / "restricted" / "_scratch" / "2022"
    with pytest.raises(ValueError, match="run_path and year, raw_dir given together"):
        load_run({"run_path": "run.json", "year": 2022, "raw_dir": folders["raw"]})
