"""The package imports, the CLI answers --help, and paths do not depend on the working directory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import iro_analysis
from iro_analysis import cli
from iro_analysis.core import paths
from iro_analysis.core.years import ReportingYear, check_year


def test_package_imports_and_has_version():
    assert iro_analysis.__version__
    assert paths.PACKAGE_DIR.name == "iro_analysis"


def test_paths_are_under_project_root_and_independent_of_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert (paths.PROJECT_ROOT / "pyproject.toml").is_file()
    assert paths.RAW_DIR == paths.PROJECT_ROOT / "data" / "raw"
    assert paths.SETTINGS_FILE.is_file()
    assert paths.raw_year_dir(2022) == paths.RAW_DIR / "2022"


def test_available_years_lists_only_four_digit_folders(tmp_path):
    for name in ("2019", "2022", "notes", "20221"):
        (tmp_path / name).mkdir()
    (tmp_path / "2020").write_text("a file, not a folder")
    assert paths.available_years(tmp_path) == [2019, 2022]
    assert paths.available_years(tmp_path / "missing") == []


def test_cli_help_lists_subcommands(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for command in ("demo-data", "clean", "validate", "kpis", "report", "reports", "years"):
        assert command in out


def test_python_dash_m_answers_help():
    result = subprocess.run(
        [sys.executable, "-m", "iro_analysis", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "usage: iro-analysis" in result.stdout


def test_cli_rejects_a_bad_year(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["kpis", "--year", "22"])
    assert exc.value.code == 2
    assert "four-digit year" in capsys.readouterr().err


def test_cli_years_reports_missing_data(tmp_path, capsys):
    assert cli.main(["years", "--raw-dir", str(tmp_path)]) == 1
    assert "make data" in capsys.readouterr().out
    (tmp_path / "2021").mkdir()
    assert cli.main(["years", "--raw-dir", str(tmp_path)]) == 0
    assert "make report YEAR=2021" in capsys.readouterr().out


def test_reporting_year_bounds_and_labels():
    y = ReportingYear(2022)
    assert (y.start.date().isoformat(), y.end.date().isoformat()) == ("2021-04-01", "2022-03-31")
    assert (y.label, y.slug) == ("2021/22", "2021-22")
    assert ReportingYear(2000).label == "1999/00"


@pytest.mark.parametrize("bad", ["22", "year", 2022.0, True, "20222", 1899])
def test_check_year_rejects_non_years(bad):
    with pytest.raises(ValueError):
        check_year(bad)


def test_console_script_is_declared():
    text = (Path(paths.PROJECT_ROOT) / "pyproject.toml").read_text()
    assert 'iro-analysis = "iro_analysis.cli:main"' in text


# The package's folders show the pipeline (issue #18): one subpackage per stage.
PIPELINE_FOLDERS = (
    "core",
    "contract",
    "ingest",
    "validate",
    "kpis",
    "report",
    "pipeline",
    "analysts",
    "demo",
    "region",
)
# Only the entry points sit at the top level; what every stage shares is in core/.
TOP_LEVEL_MODULES = {"__init__", "__main__", "cli"}
MAX_MODULE_LINES = 420  # "no module over ~400 lines"


def _package_modules() -> list[Path]:
    return sorted(paths.PACKAGE_DIR.rglob("*.py"))


def test_each_pipeline_stage_is_a_subpackage_and_nothing_else_sits_at_the_top():
    for folder in PIPELINE_FOLDERS:
        assert (paths.PACKAGE_DIR / folder / "__init__.py").is_file(), folder
    top = {p.stem for p in paths.PACKAGE_DIR.glob("*.py")}
    assert top == TOP_LEVEL_MODULES, f"modules at the top level: {sorted(top - TOP_LEVEL_MODULES)}"


def test_every_subpackage_is_tracked_by_git():
    """A .gitignore pattern such as `build/` once hid the package's build/ folder from git."""
    import shutil

    if shutil.which("git") is None or not (paths.PROJECT_ROOT / ".git").exists():
        pytest.skip("not a git clone")
    for module in _package_modules():
        result = subprocess.run(
            ["git", "check-ignore", "-q", str(module)], cwd=paths.PROJECT_ROOT, check=False
        )
        assert result.returncode == 1, f"{module} is ignored by git"


def test_no_module_is_longer_than_about_400_lines():
    long = {
        str(p.relative_to(paths.PACKAGE_DIR)): n
        for p in _package_modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"
