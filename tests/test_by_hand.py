"""Analysts running notebooks and commands by hand: nothing published changes, and the
settings file decides every folder."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from iro_analysis.cli import main
from iro_analysis.core import paths

NOTEBOOKS = ("01_clean.ipynb", "02_validate.ipynb", "03_annual_report.ipynb", "04_trends.ipynb")


def digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def settings_file(root: Path, raw: Path, reports: Path) -> Path:
    (root / "config").mkdir(parents=True, exist_ok=True)
    p = root / "config" / "settings.yaml"
    p.write_text(
        "paths:\n"
        f"  raw: {raw}\n"
        f"  processed: {root / 'processed'}\n"
        f"  reports: {reports}\n"
        f"  restricted: {root / 'restricted'}\n",
        encoding="utf-8",
    )
    return p


@pytest.mark.slow
def test_notebooks_run_by_hand_with_defaults_leave_the_published_report_unchanged(
    tmp_path, build_root, monkeypatch
):
    """Every notebook executed with its defaults (no parameters), as an analyst opening it
    in JupyterLab would: folders from the settings file, the latest year, and output in
    the scratch area, never in reports/<YEAR>/."""
    import papermill as pm

    from iro_analysis.pipeline import KERNEL

    reports = build_root / "reports"
    before = digest(reports / "2022")
    settings_file(tmp_path, build_root / "raw", reports)
    monkeypatch.setenv("IRO_ANALYSIS_ROOT", str(tmp_path))  # the kernels' project root
    for nb in NOTEBOOKS:
        pm.execute_notebook(
            str(paths.NOTEBOOKS_DIR / nb),
            str(tmp_path / nb),
            kernel_name=KERNEL,
            cwd=str(paths.NOTEBOOKS_DIR),
            progress_bar=False,
        )
    assert digest(reports / "2022") == before
    scratch = reports / paths.SCRATCH
    assert (scratch / "2022" / "validation.json").is_file()  # the validate notebook's output
    assert (scratch / "2022" / "kpis.csv").is_file()  # the report notebook's outputs
    assert (tmp_path / "processed" / "2022").is_dir()  # cleaned from the settings' raw folder


@pytest.mark.slow
def test_settings_decide_every_folder_and_go_before_or_after_the_command(tmp_path, capsys):
    raw = tmp_path / "elsewhere" / "raw"
    shutil.copytree(Path(__file__).parent / "fixtures" / "kpis" / "raw", raw)
    s = settings_file(tmp_path, raw, tmp_path / "published")
    for argv in (["--settings", str(s), "paths", "raw"], ["paths", "raw", "--settings", str(s)]):
        assert main(argv) == 0
        assert capsys.readouterr().out.strip() == str(raw)
    assert main(["years", "--settings", str(s)]) == 0
    assert "2022, 2023, 2024" in capsys.readouterr().out
    assert main(["clean", "--year", "2023", "--settings", str(s)]) == 0
    assert (tmp_path / "processed" / "2023" / "episodes.parquet").is_file()
    assert main(["validate", "--year", "2023", "--settings", str(s)]) == 0
    # a validation run outside the build writes to the scratch area, not reports/<YEAR>/
    assert (tmp_path / "published" / paths.SCRATCH / "2023" / "validation.json").is_file()
    assert not (tmp_path / "published" / "2023").exists()


def test_kernel_is_the_project_s_own():
    import json

    from iro_analysis.pipeline import KERNEL

    assert KERNEL == "iro-analysis"
    for nb in sorted(paths.NOTEBOOKS_DIR.glob("*.ipynb")):
        meta = json.loads(nb.read_text(encoding="utf-8"))["metadata"]
        assert meta["kernelspec"]["name"] == KERNEL, nb.name
    assert "--name iro-analysis" in (paths.PROJECT_ROOT / "Makefile").read_text()
    assert os.environ.get("MPLBACKEND") is None
