"""The clean and validate notebooks run under papermill on the fixture data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iro_analysis.core import paths
from iro_analysis.core.params import NOTEBOOK_PARAMETERS
from iro_analysis.pipeline import KERNEL

RAW = Path(__file__).parent / "fixtures" / "clean" / "raw"
NOTEBOOKS = ("01_clean.ipynb", "02_validate.ipynb")


def _run(name: str, out: Path, **params) -> dict:
    import papermill as pm

    pm.execute_notebook(
        str(paths.NOTEBOOKS_DIR / name),
        str(out),
        parameters=params,
        kernel_name=KERNEL,
        progress_bar=False,
        cwd=str(out.parent),
    )
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", [*NOTEBOOKS, "03_annual_report.ipynb", "04_trends.ipynb"])
def test_notebook_shape(name):
    nb = json.loads((paths.NOTEBOOKS_DIR / name).read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert "parameters" in code[0]["metadata"].get("tags", [])
    src = "".join(code[0]["source"])
    names = [line.split(" = ")[0] for line in src.splitlines() if " = None" in line]
    assert tuple(names) == NOTEBOOK_PARAMETERS  # the build's run_path, or a year and folders
    assert "run = load_run(dict(globals()))" in "".join(code[1]["source"])
    assert nb["metadata"]["kernelspec"]["name"] == "iro-analysis"


def _run_file(tmp_path: Path) -> Path:
    from iro_analysis.core.run import Run

    run = Run.create(
        2022,
        raw_dir=RAW,
        processed_dir=tmp_path / "processed",
        reports_dir=tmp_path / "reports",
        restricted_dir=tmp_path / "restricted",
        settings_path=RAW.parent / "settings.yaml",  # its small files are mostly quarantined
        tag="test",
    )
    return run.write()


@pytest.mark.slow
def test_clean_then_validate_notebooks_run(tmp_path):
    processed = tmp_path / "processed"
    run_path = _run_file(tmp_path)
    reports = tmp_path / "reports" / ".build-test"  # the Run's staging root
    nb = _run("01_clean.ipynb", tmp_path / "01_clean.ipynb", run_path=str(run_path))
    text = json.dumps(nb["cells"])
    assert "rows_quarantined" in text and "orphan_child" in text
    assert (processed / "2022" / "accounting.parquet").is_file()
    nb = _run("02_validate.ipynb", tmp_path / "02_validate.ipynb", run_path=str(run_path))
    assert (reports / "2022" / "validation.json").is_file()
    assert (reports / "2022" / "data-quality.html").is_file()
    outputs = json.dumps([c.get("outputs", []) for c in nb["cells"]])
    assert "critical failures" in outputs
    assert "it/s" not in outputs and "Calculating Metrics" not in outputs  # no GX progress bars


@pytest.mark.slow
def test_old_parameters_fail_in_the_check_cell(tmp_path):
    import papermill as pm

    with pytest.raises(pm.PapermillExecutionError, match="unknown notebook parameter.*yaer"):
        _run("01_clean.ipynb", tmp_path / "bad.ipynb", yaer=2022, raw_dir=str(RAW))


@pytest.mark.slow
def test_the_report_notebook_runs_by_hand_for_a_year_and_publishes_nothing(tmp_path, built_copy):
    """`papermill 03_annual_report.ipynb out.ipynb -p year 2022` on a built workspace: the
    report of that year, written to the scratch folders; the published year untouched."""
    root = built_copy

    def snapshot(folder: Path) -> dict[str, bytes]:
        return {
            str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()
        }

    published = {kind: snapshot(root / kind / "2022") for kind in ("reports", "restricted")}
    nb = _run(
        "03_annual_report.ipynb",
        tmp_path / "out.ipynb",
        year=2022,
        **{f"{k}_dir": str(root / k) for k in ("raw", "processed", "reports", "restricted")},
    )
    assert "2021/22" in json.dumps([c.get("outputs", []) for c in nb["cells"]])
    assert {kind: snapshot(root / kind / "2022") for kind in published} == published
    assert any((root / "reports" / paths.SCRATCH / "2022").iterdir())
