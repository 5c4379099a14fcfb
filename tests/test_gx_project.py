"""The suites as a GX project: committed suites are current, and a Checkpoint run in a
file project gives the same results as the quick ephemeral run, keeps them and builds
Data Docs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from iro_analysis.core import paths
from iro_analysis.core.settings import Settings
from iro_analysis.ingest.clean import build_dataset
from iro_analysis.validate import gx_project
from iro_analysis.validate.checks import all_suites
from iro_analysis.validate.suites import validate_dataset

# Great Expectations suites, a whole region or the demo council: not the unit tier.
pytestmark = pytest.mark.slow

RAW = Path(__file__).parent / "fixtures" / "clean" / "raw"


def test_committed_suites_are_current(tmp_path):
    """gx/expectations holds exactly what the code declares (run `make gx` after a change)."""
    gx_project.write_suites(tmp_path, all_suites())
    assert gx_project.suite_files(tmp_path) == gx_project.suite_files(paths.PROJECT_ROOT)
    assert len(gx_project.suite_files(paths.PROJECT_ROOT)) == len(all_suites())


@pytest.mark.slow
def test_checkpoints_give_the_ephemeral_results_and_keep_them(tmp_path):
    ds = build_dataset(RAW)
    quick = validate_dataset(ds, 2022, Settings())
    full = validate_dataset(ds, 2022, Settings(), project_root=tmp_path)
    cols = ["table", "column", "expectation", "severity", "success", "unexpected_count"]
    pd.testing.assert_frame_equal(quick.results[cols], full.results[cols])
    assert quick.results["sample"].tolist() == full.results["sample"].tolist()
    assert (tmp_path / gx_project.DATA_DOCS).is_file()
    stored = list((tmp_path / "gx" / "uncommitted" / "validations").rglob("*.json"))
    assert len(stored) == len(all_suites())  # one result per Validation Definition
    assert not (tmp_path / "gx" / "uncommitted" / "data").exists()  # the data copy is gone
    # a second run in the same project works (add-or-update, not add)
    again = validate_dataset(ds, 2022, Settings(), project_root=tmp_path)
    pd.testing.assert_frame_equal(full.results[cols], again.results[cols])
