"""The README's first command on a fresh clone (issue #27): `make report YEAR=2022` starts
before `.venv` exists, so every folder make computes at start-up is the fallback, while
everything after setup asks the CLI. The real Makefile is run with a stand-in Python whose
`venv` writes a stub `iro-analysis` that answers as the real one does (absolute folders), so
the newcomer's path is taken in a second, without installing anything.

`.ci/run` takes the same path for real: it runs `make report YEAR=2022` on its clean clone
before anything else."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FAKE_PYTHON = r"""#!/usr/bin/env bash
# A stand-in for python3: only `-m venv DIR` does anything.
set -e
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
  bin="$3/bin"; mkdir -p "$bin"
  printf '#!/usr/bin/env bash\nexit 0\n' > "$bin/pip"
  printf '#!/usr/bin/env bash\nexit 0\n' > "$bin/python"
  cp "$(dirname "$0")/stub-cli" "$bin/iro-analysis"
  chmod +x "$bin/pip" "$bin/python" "$bin/iro-analysis"
fi
"""

STUB_CLI = r"""#!/usr/bin/env bash
# A stand-in for the iro-analysis CLI: absolute folders, as the real `paths` prints them.
set -e
echo "$*" >> "$PWD/calls.log"
case "$1" in
  paths) echo "$PWD/$([ "$2" = raw ] && echo data/raw || echo reports)" ;;
  demo-data) mkdir -p "$3/2022/ssda903"; echo "CHILD" > "$3/2022/ssda903/episodes.csv" ;;
  years) ls "$PWD/data/raw" 2>/dev/null || true ;;
  report)
    mkdir -p "$PWD/reports/$3"
    echo "<html></html>" > "$PWD/reports/$3/iro-annual-report-2021-22.html"
    echo "{}" > "$PWD/reports/$3/manifest.json" ;;
  *) echo "stub: $*" ;;
esac
"""


def _write_exe(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.fixture
def fresh_clone(tmp_path: Path) -> Path:
    """The Makefile and the files its rules name, with no .venv, no data and no reports."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    clone = tmp_path / "clone"
    (clone / "config").mkdir(parents=True)
    shutil.copy(ROOT / "Makefile", clone / "Makefile")
    for name in ("requirements.lock", "pyproject.toml"):
        shutil.copy(ROOT / name, clone / name)
    (clone / "config" / "settings.yaml").write_text("council_name: Test\n")
    tools = tmp_path / "tools"
    tools.mkdir()
    _write_exe(tools / "python3", FAKE_PYTHON)
    _write_exe(tools / "stub-cli", STUB_CLI)
    return clone


# What `conda activate` sets; a test of the .venv route runs without them, whatever shell
# the tests were started from.
CONDA_VARS = ("CONDA_PREFIX", "CONDA_DEFAULT_ENV", "CONDA_SHLVL", "USE_CONDA")


def _make(
    clone: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    if env is None:
        env = {
            k: v for k, v in os.environ.items() if not k.startswith("MAKE") and k not in CONDA_VARS
        }
    python = clone.parent / "tools" / "python3"
    return subprocess.run(
        ["make", "--no-print-directory", *args, f"PYTHON={python}"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_make_report_succeeds_first_time_on_a_fresh_clone(fresh_clone):
    assert not (fresh_clone / ".venv").exists()
    first = _make(fresh_clone, "report", "YEAR=2022")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "No rule to make target" not in first.stderr
    assert (fresh_clone / "data/raw/2022/ssda903/episodes.csv").is_file()
    assert (fresh_clone / "reports/2022/manifest.json").is_file()
    assert f"Report: {fresh_clone}/reports/2022/iro-annual-report-2021-22.html" in first.stdout
    calls = (fresh_clone / "calls.log").read_text().splitlines()
    assert calls.count("report --year 2022") == 1
    assert any(c.startswith("demo-data --out ") for c in calls)


def test_second_run_rebuilds_nothing_and_the_first_needed_no_second(fresh_clone):
    assert _make(fresh_clone, "report", "YEAR=2022").returncode == 0
    second = _make(fresh_clone, "report", "YEAR=2022")
    assert second.returncode == 0, second.stdout + second.stderr
    calls = (fresh_clone / "calls.log").read_text().splitlines()
    assert calls.count("report --year 2022") == 1  # a file target: nothing changed
    assert sum(c.startswith("demo-data") for c in calls) == 1  # data/raw already has years


def test_make_data_on_a_fresh_clone_writes_where_the_cli_says(fresh_clone):
    result = _make(fresh_clone, "data")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (fresh_clone / "data/raw/2022").is_dir()
    again = _make(fresh_clone, "data")
    assert "already has years: 2022" in again.stdout
