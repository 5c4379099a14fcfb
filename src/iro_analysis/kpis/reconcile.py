"""The reconciliation of a year's figures with its own return (docs/kpis.md, "Input and
history", revised 2026-12-07: "a check that can fail").

With fault-free input, children looked after at 31 March, during the year, started and
ceased equal what the year's 903 episodes say alone, and children on a plan at 31 March
what the year's CIN census says alone, as DfE count them from the return. A difference is
explained only by the file's quarantined rows (each can hide at most one child from the
report); a larger one stops the build naming the file.
"""

from __future__ import annotations

import pandas as pd

from iro_analysis.core.errors import InputError
from iro_analysis.ingest.dataset import Dataset

RECONCILED = (
    "cla_at_31_march",
    "cla_during_year",
    "cla_started",
    "cla_ceased",
    "cp_plans_at_31_march",
)
COLUMNS = ("kpi_id", "file", "return_count", "report", "difference", "rows_quarantined", "ok")


class ReconciliationError(InputError):
    """The report's figure differs from the year's own return by more than its
    quarantined rows explain."""


def reconciliation(ds: Dataset, year: int, kpis: pd.DataFrame) -> pd.DataFrame:
    """One row per reconciled KPI the year produced (`COLUMNS`): the year's own return's
    count, the report's figure, the difference (report minus return) and whether the
    file's quarantined rows explain it (`ok`)."""
    rc = ds.return_counts
    rc = rc[rc["year"].astype(int) == int(year)] if len(rc) else rc
    values = kpis.set_index("kpi_id")["value"] if len(kpis) else pd.Series(dtype="float64")
    rows = []
    for r in rc.itertuples(index=False):
        if r.measure not in RECONCILED or r.measure not in values.index:
            continue
        value = values[r.measure]
        if pd.isna(value):
            continue
        report = int(value)
        diff = report - int(r.count)
        ok = abs(diff) <= int(r.rows_quarantined)
        rows.append((r.measure, r.file, int(r.count), report, diff, int(r.rows_quarantined), ok))
    order = {k: i for i, k in enumerate(RECONCILED)}
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    return out.sort_values("kpi_id", key=lambda s: s.map(order), kind="stable").reset_index(
        drop=True
    )


def check_reconciliation(table: pd.DataFrame, year: int) -> None:
    """Raise ReconciliationError naming the file and figures for any unexplained row."""
    bad = table[~table["ok"].astype(bool)] if len(table) else table
    if not len(bad):
        return
    lines = [
        f"{r.kpi_id}: the report gives {r.report}, {year}'s {r.file} alone gives "
        f"{r.return_count} (difference {r.difference:+d}; only {r.rows_quarantined} of its "
        "rows were quarantined)"
        for r in bad.itertuples(index=False)
    ]
    raise ReconciliationError(
        f"the {year} figures do not reconcile with the year's own return: "
        + "; ".join(lines)
        + ". The year's own file is the authority: check for records the engine took from "
        "another year (docs/kpis.md, 'Input and history')"
    )
