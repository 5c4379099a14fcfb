"""Shared test fixtures: a small demo council and one report built from it, once per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Reports must embed images; an exported Agg backend makes papermill kernels emit none.
os.environ.pop("MPLBACKEND", None)
# Reproducible builds: a fixed build date instead of the clock.
os.environ.setdefault("SOURCE_DATE_EPOCH", "1700000000")

FIXTURES = Path(__file__).parent / "fixtures"
DEMO_YEARS = [2020, 2021, 2022]
REPORT_YEAR = 2022


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def demo_raw(tmp_path_factory) -> Path:
    """Three years of the `small` demo council, faults included (read-only for tests)."""
    from iro_analysis.demo import generate

    raw = tmp_path_factory.mktemp("demo") / "raw"
    generate(raw, DEMO_YEARS, seed=7, size="small", fault_rate=0.01, progress=False)
    return raw


@pytest.fixture(scope="session")
def build_root(tmp_path_factory, demo_raw) -> Path:
    """A workspace with its own raw, processed, reports and restricted folders and one built
    report."""
    from iro_analysis.build import build_report

    root = tmp_path_factory.mktemp("build")
    shutil.copytree(demo_raw, root / "raw")
    build_report(
        REPORT_YEAR,
        raw_dir=root / "raw",
        reports_dir=root / "reports",
        processed_dir=root / "processed",
        restricted_dir=root / "restricted",
        pdf=True,
        log=lambda *a: None,
    )
    return root


@pytest.fixture(scope="session")
def built_report(build_root) -> Path:
    """The HTML of the report built once for the session."""
    from iro_analysis.build import report_filename

    return build_root / "reports" / str(REPORT_YEAR) / report_filename(REPORT_YEAR)
