"""The floor plan (issue #28): the import-linter contracts in pyproject.toml, which `make
lint` runs, hold for the package; they catch an upward import; and docs/architecture.md
lists the layers in the contract's order."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib

import pytest

from iro_analysis.core import paths

PYPROJECT = paths.PROJECT_ROOT / "pyproject.toml"


def _config() -> dict:
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]


def _lint(src_root, config) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(src_root), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports;"
            f" sys.exit(lint_imports(config_filename={str(config)!r}, no_cache=True, no_logo=True))",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_the_package_keeps_its_contracts():
    done = _lint(paths.PACKAGE_DIR.parent, PYPROJECT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "broken" not in done.stdout.split("Contracts:")[-1].split("\n")[0].replace(
        "0 broken", ""
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("where", "line"),
    [
        ("core/upward.py", "import iro_analysis.report.sections\n"),  # the ground floor
        ("ingest/upward.py", "from iro_analysis.kpis import engine\n"),  # a stage, upwards
    ],
)
def test_an_upward_import_breaks_the_contract(tmp_path, where, line):
    src = tmp_path / "src"
    shutil.copytree(
        paths.PACKAGE_DIR, src / "iro_analysis", ignore=shutil.ignore_patterns("__pycache__")
    )
    (src / "iro_analysis" / where).write_text(line, encoding="utf-8")
    shutil.copy(PYPROJECT, tmp_path / "pyproject.toml")
    done = _lint(src, tmp_path / "pyproject.toml")
    assert done.returncode == 1, done.stdout[-3000:]
    assert f"iro_analysis.{where[:-3].replace('/', '.')} ->" in done.stdout


def test_architecture_lists_the_layers_in_the_contracts_order():
    layers = next(c for c in _config()["contracts"] if c["type"] == "layers")["layers"]
    text = (paths.DOCS_DIR / "architecture.md").read_text(encoding="utf-8")
    table = re.findall(r"^\| `(\w+)/` \|", text, flags=re.M)
    expected = [layer.removeprefix("iro_analysis.") for layer in layers]
    expected = [name for name in expected if name != "cli"]  # the CLI is a module, not a folder
    assert table == expected, f"docs/architecture.md lists {table}, the contract {expected}"
