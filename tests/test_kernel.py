"""A build without the project's Jupyter kernel is refused in one line (issue #30): papermill
used to die with a 65-line `NoSuchKernel` traceback, as a conda environment made from
environment.yml did (conda cannot register a kernel). The kernel is never registered by the
build itself: `make setup` does it, in .venv or the active conda environment."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from iro_analysis import cli
from iro_analysis.core.errors import BuildError
from iro_analysis.pipeline import notebooks

MISSING = "iro-analysis-no-such-kernel"


def test_the_project_kernel_is_registered_for_this_python():
    notebooks.require_kernel()  # make setup registered it (.venv or the conda environment)


def test_a_missing_kernel_is_one_line_saying_how_to_register_it():
    with pytest.raises(BuildError) as info:
        notebooks.require_kernel(MISSING)
    message = str(info.value)
    assert "\n" not in message
    assert f"no Jupyter kernel named '{MISSING}'" in message
    assert "`make setup`" in message
    assert f"`{sys.executable} -m ipykernel install --sys-prefix --name {MISSING}`" in message


def test_a_kernel_whose_python_is_gone_is_refused(tmp_path, monkeypatch):
    spec = tmp_path / "kernels" / "iro-analysis-stale"
    spec.mkdir(parents=True)
    gone = tmp_path / "removed-env" / "bin" / "python"
    argv = [str(gone), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "stale", "language": "python"})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))  # searched before every other folder
    with pytest.raises(BuildError, match="no longer exists: register it again: run `make setup`"):
        notebooks.require_kernel("iro-analysis-stale")


def test_cli_report_refuses_at_the_door_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(notebooks, "KERNEL", MISSING)
    reports, restricted = tmp_path / "reports", tmp_path / "restricted"
    code = cli.main(
        ["report", "--year", "2022", "--raw-dir", str(tmp_path / "raw")]
        + ["--reports-dir", str(reports), "--restricted-dir", str(restricted)]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1, err
    assert err.startswith(f"iro-analysis report: error: no Jupyter kernel named '{MISSING}'")
    assert "Traceback" not in err
    assert not reports.exists() and not restricted.exists()  # refused before any staging


def test_cli_reports_refuses_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(notebooks, "KERNEL", MISSING)
    code = cli.main(["reports", "--raw-dir", str(tmp_path), "--reports-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1, err
    assert "`make setup`" in err


def test_run_notebook_refuses_before_papermill_starts(tmp_path, monkeypatch):
    monkeypatch.setattr(notebooks, "KERNEL", MISSING)
    output = tmp_path / "out.ipynb"
    with pytest.raises(BuildError, match="no Jupyter kernel named"):
        notebooks.run_notebook("clean", notebooks.CLEAN_NOTEBOOK, output, {"year": 2022})
    assert not Path(output).exists()
