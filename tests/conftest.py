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
    report, with its committee PDF where headless Chromium is installed (tests/_env.py)."""
    from iro_analysis.pipeline import build_report
    from tests._env import HAVE_CHROMIUM

    root = tmp_path_factory.mktemp("build")
    shutil.copytree(demo_raw, root / "raw")
    build_report(
        REPORT_YEAR,
        raw_dir=root / "raw",
        reports_dir=root / "reports",
        processed_dir=root / "processed",
        restricted_dir=root / "restricted",
        pdf=HAVE_CHROMIUM,
        log=lambda *a: None,
    )
    return root


@pytest.fixture
def built_copy(tmp_path, build_root) -> Path:
    """A writable copy of the session's workspace, its 2022 report already built (raw,
    processed, reports/2022, restricted/2022): for a test that needs a previous good build
    to rebuild, break or kill, without paying for one. Rebuilding it from the same raw
    files reuses its clean data and validation (pipeline/reuse.py)."""
    root = tmp_path / "built"
    shutil.copytree(build_root / "raw", root / "raw")
    shutil.copytree(build_root / "processed", root / "processed")
    for kind in ("reports", "restricted"):
        shutil.copytree(
            build_root / kind / str(REPORT_YEAR),
            root / kind / str(REPORT_YEAR),
            ignore=shutil.ignore_patterns("screenshots"),
        )
    return root


@pytest.fixture(scope="session")
def built_report(build_root) -> Path:
    """The HTML of the report built once for the session."""
    from iro_analysis.core.paths import report_filename

    return build_root / "reports" / str(REPORT_YEAR) / report_filename(REPORT_YEAR)


# Fixtures that build the demo council or its report: a test that uses one is `slow`, and
# the report's tests run on one worker (`xdist_group`), so under pytest-xdist the report
# is built once (`make test` runs `-n 2 --dist loadgroup`).
SLOW_FIXTURES = frozenset({"demo_raw", "build_root", "built_report", "built_copy"})
BUILD_FIXTURES = frozenset({"build_root", "built_report", "built_copy"})
# Module-scoped fixtures that build something costly (a report, a region): their tests run
# on one worker, so each is built once rather than once per worker that runs one of them.
MODULE_BUILDS = frozenset({"seeded_build", "region"})


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups (--dist loadgroup)
def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & SLOW_FIXTURES or item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)
        if used & BUILD_FIXTURES:
            item.add_marker(pytest.mark.xdist_group("demo-report"))
        elif used & MODULE_BUILDS:
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))


def pytest_terminal_summary(terminalreporter) -> None:
    """Skips grouped by reason, one line each: the browser tests skipped for want of tools
    are one line saying how to enable them, not one per test (addopts has -rfE, not -ra)."""
    from collections import Counter

    reasons: Counter[str] = Counter()
    for r in terminalreporter.stats.get("skipped", []):
        reason = r.longrepr[2] if isinstance(r.longrepr, tuple) else str(r.longrepr)
        reasons[reason.removeprefix("Skipped: ")] += 1
    for reason, n in sorted(reasons.items()):
        terminalreporter.write_line(f"SKIPPED {n}: {reason}")
