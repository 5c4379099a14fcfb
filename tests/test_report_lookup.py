"""`ReportContext.value` is one dictionary look-up (issue #31), with the answers of the
boolean mask it replaced: the first row of a KPI and year, None when absent or blank."""

from __future__ import annotations

import math

import pandas as pd

from iro_analysis.report.context import ReportContext
from tests._context import report_context


def _ctx(history: pd.DataFrame) -> ReportContext:
    return report_context(history, definitions={})


def _masked(h: pd.DataFrame, kpi_id: str, year: int) -> float | None:
    hit = h[(h["kpi_id"] == kpi_id) & (h["year"] == year)]
    if hit.empty or pd.isna(hit["value"].iloc[0]):
        return None
    return float(hit["value"].iloc[0])


def test_value_and_has_read_the_first_row_of_a_kpi_and_year():
    h = pd.DataFrame(
        {
            "kpi_id": ["a", "a", "b", "b", "c", "a"],
            "year": [2021, 2022, 2022, 2022, 2022, 2022],
            "value": [1.5, 2.5, math.nan, 9.0, 0.0, 7.0],
        }
    )
    ctx = _ctx(h)
    for kpi_id in ("a", "b", "c", "d"):
        for year in (2021, 2022, 2023):
            assert ctx.value(kpi_id, year) == _masked(h, kpi_id, year)
    assert ctx.value("a") == 2.5 and ctx.value("b") is None and ctx.value("c") == 0.0
    assert ctx.has("b") and not ctx.has("d")
    # a new history is looked up afresh
    ctx.history = h.iloc[::-1].reset_index(drop=True)
    assert ctx.value("a") == 7.0
    assert ctx.value("a", 2021) == 1.5
