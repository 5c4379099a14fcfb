"""notebooks/00_explore.ipynb runs as shipped on a small demo council, and the analyst's API
it calls (iro_analysis.analysts.explore, docs/analysts-guide.md) agrees with the KPIs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from iro_analysis import pipeline
from iro_analysis.analysts import explore
from iro_analysis.analysts.exceptions import exception_lists
from iro_analysis.core import paths

NOTEBOOK = paths.NOTEBOOKS_DIR / "00_explore.ipynb"
GUIDE = paths.DOCS_DIR / "analysts-guide.md"
YEAR = 2022


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict[str, Path]:
    """The small demo council, 2021 and 2022, without faults, cleaned."""
    from iro_analysis.demo import generate
    from iro_analysis.ingest.clean import run_clean

    root = tmp_path_factory.mktemp("explore")
    raw, processed = root / "raw", root / "processed"
    generate(raw, [2021, 2022], seed=7, size="small", fault_rate=0.0, progress=False)
    run_clean(YEAR, raw, processed)
    return {"root": root, "raw": raw, "processed": processed}


@pytest.fixture(scope="module")
def ds(demo):
    return explore.load_year(YEAR, demo["raw"], demo["processed"])


def test_notebook_shape_and_committed_without_outputs():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert "parameters" in code[0]["metadata"].get("tags", [])
    src = "".join(code[0]["source"])
    assert "year = None" in src and "raw_dir = None" in src and "processed_dir = None" in src
    check = "".join(code[1]["source"])
    assert "check_parameters(dict(globals()), explore.EXPLORE_PARAMETERS)" in check
    assert explore.EXPLORE_PARAMETERS == ("year", "raw_dir", "processed_dir")
    assert nb["metadata"]["kernelspec"]["name"] == pipeline.KERNEL
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    assert sum(c["cell_type"] == "markdown" for c in nb["cells"]) >= 5
    # Thin: every code cell calls into the package; no global plotting style.
    body = "".join("".join(c["source"]) for c in code)
    assert "set_theme" not in body and "set_style" not in body and "rcParams" not in body
    assert "plt.subplots(" in body


@pytest.mark.slow
def test_notebook_runs_on_the_demo(demo):
    import papermill as pm

    out = demo["root"] / "00_explore.ipynb"
    pm.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters={
            "year": YEAR,
            "raw_dir": str(demo["raw"]),
            "processed_dir": str(demo["processed"]),
        },
        kernel_name=pipeline.KERNEL,
        cwd=str(demo["root"]),
        progress_bar=False,
    )
    nb = json.loads(out.read_text(encoding="utf-8"))
    outputs = [o for c in nb["cells"] for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = json.dumps(outputs)
    assert "cla_reviews_on_time_pct" in text  # the recomputed KPI was checked
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the chart
    assert "reviews-overdue-or-due" in text


@pytest.mark.slow
def test_a_misspelt_parameter_fails_in_the_check_cell(demo):
    import papermill as pm

    with pytest.raises(pm.PapermillExecutionError, match="unknown notebook parameter"):
        pm.execute_notebook(
            str(NOTEBOOK),
            str(demo["root"] / "bad.ipynb"),
            parameters={"year": YEAR, "raw_dri": str(demo["raw"])},
            kernel_name=pipeline.KERNEL,
            cwd=str(demo["root"]),
            progress_bar=False,
        )


@pytest.mark.slow
def test_load_year_cleans_again_when_the_raw_data_changed(demo, tmp_path):
    import shutil

    raw = tmp_path / "raw"
    shutil.copytree(demo["raw"], raw)
    processed = tmp_path / "processed"
    first = explore.load_year(YEAR, raw, processed)
    assert explore.processed_is_current(YEAR, raw, processed)
    pep = raw / "2022" / "iro" / "pep.csv"
    lines = pep.read_text(encoding="utf-8").splitlines(keepends=True)
    pep.write_text("".join(lines[:-1]), encoding="utf-8")  # drop one PEP
    assert not explore.processed_is_current(YEAR, raw, processed)
    again = explore.load_year(YEAR, raw, processed)
    assert len(again.tables["pep"]) == len(first.tables["pep"]) - 1
    assert explore.processed_is_current(YEAR, raw, processed)


@pytest.mark.slow
def test_check_kpi_and_drills_agree_with_the_package(ds):
    ctx = explore.context(ds, YEAR)
    kpis = explore.kpis(ds, YEAR)
    reviews = explore.reviews_with_due_dates(ctx)
    explore.check_kpi(
        kpis, "cla_reviews_on_time_pct", reviews["on_time"].sum(), reviews["assessable"].sum()
    )
    with pytest.raises(AssertionError, match="numerator"):
        explore.check_kpi(
            kpis,
            "cla_reviews_on_time_pct",
            reviews["on_time"].sum() - 1,
            reviews["assessable"].sum(),
        )
    conf = explore.conferences(ctx)
    icpc = conf.loc[conf["conference"].eq("ICPC")]
    explore.check_kpi(kpis, "icpc_within_15wd_pct", icpc["on_time"].sum(), icpc["assessable"].sum())
    rcpc = conf.loc[conf["conference"].eq("RCPC")]
    explore.check_kpi(kpis, "rcpc_on_time_pct", rcpc["on_time"].sum(), rcpc["assessable"].sum())
    assert len(explore.children_looked_after(ctx)) == kpis.loc["cla_at_31_march", "value"]
    assert len(explore.disputes(ctx)) == kpis.loc["drp_raised", "value"]

    tables = explore.breakdowns(ds, YEAR)
    for name in explore.DRILLABLE:
        table = tables[name]
        category = table.columns[0]
        count = "reviews" if name == "participation_by_age_band" else "count"
        for cat, n in zip(table[category], table[count], strict=True):
            assert len(explore.drill(ctx, name, cat)) == n, (name, cat)


@pytest.mark.slow
def test_exception_lists_agree_with_the_kpis_on_the_demo(ds):
    ctx = explore.context(ds, YEAR)
    kpis = explore.kpis(ds, YEAR)
    lists = exception_lists(ctx)
    reviews = lists["reviews-overdue-or-due"]
    assert (reviews["status"] == "overdue").sum() == kpis.loc[
        "cla_reviews_overdue_at_31_march", "value"
    ]
    assert (
        len(lists["disputes-open-over-20wd"]) == kpis.loc["drp_open_overdue_at_31_march", "value"]
    )
    conf = lists["conferences-out-of-timescale"]
    late = conf.loc[conf["status"].eq("held late")].groupby("conference").size()
    for name, kid in (("ICPC", "icpc_within_15wd_pct"), ("RCPC", "rcpc_on_time_pct")):
        assert late.get(name, 0) == kpis.loc[kid, "denominator"] - kpis.loc[kid, "numerator"]
    pep = kpis.loc["pep_up_to_date_pct"]
    assert len(lists["no-pep-in-6-months"]) == pep["denominator"] - pep["numerator"]
    for key, frame in lists.items():
        assert not frame.duplicated().any(), key


def guide_examples() -> list[str]:
    """The ```python blocks of docs/analysts-guide.md, in order."""
    return re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.slow
def test_the_guide_examples_run(demo, monkeypatch):
    import matplotlib.pyplot as plt

    # The guide uses the default folders (data/raw, data/processed): point them at the demo.
    monkeypatch.setattr(paths, "RAW_DIR", demo["raw"])
    monkeypatch.setattr(paths, "PROCESSED_DIR", demo["processed"])
    blocks = guide_examples()
    assert len(blocks) >= 5
    namespace: dict = {}
    try:
        for block in blocks:
            exec(compile(block, str(GUIDE), "exec"), namespace)  # noqa: S102
    finally:
        plt.close("all")
    assert namespace["ds"].years == [2021, 2022]
    assert set(namespace["lists"]) == {
        "reviews-overdue-or-due",
        "conferences-out-of-timescale",
        "disputes-open-over-20wd",
        "pn7-last-two-reviews",
        "no-pep-in-6-months",
    }
