"""The technical annex's view of the history a year's figures read (issue #25): the year's
figures beside its own return, and the gaps in the history (a year folder missing, an
input supplied one year and not the next, records an earlier year left open)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
from markupsafe import Markup

from iro_analysis.report import html
from iro_analysis.report.format import year_label

if TYPE_CHECKING:
    from iro_analysis.ingest.dataset import Dataset
    from iro_analysis.report.context import ReportContext


# Warning rules shown in the history table rather than among the files' warnings.
HISTORY_RULES = ("missing_year_folder", "input_gap", "history_gap")


def own_return_table(ctx: ReportContext) -> Markup:
    """The report's figures beside what the year's own 903 and census say alone
    (`kpis.reconcile`; a difference its quarantined rows do not explain stopped the build)."""
    r = ctx.reconciliation
    if r is None or not len(r):
        return Markup()
    t = pd.DataFrame(
        {
            "Measure": [ctx.title(k) for k in r["kpi_id"]],
            "The year's own return": [f"{int(v):,}" for v in r["return_count"]],
            "File": r["file"].tolist(),
            "This report": [f"{int(v):,}" for v in r["report"]],
            "Difference": [f"{int(v):+,}" if v else "0" for v in r["difference"]],
            "Why": [
                "agrees"
                if d == 0
                else f"rows of the file quarantined ({q:,}) and left out of the report"
                for d, q in zip(r["difference"], r["rows_quarantined"], strict=True)
            ],
        }
    )
    return html.table(t, f"The {ctx.year.label} figures beside the year's own return")


def history_table(ds: Dataset, year: int) -> Markup:
    """Gaps in the history the year's figures read: a year folder missing, an input
    supplied one year and not the next, records an earlier folder left open that the year's
    file does not hold (children counted, never named), and the measures they affect."""
    from iro_analysis.contract.quality import WARNING_RULES
    from iro_analysis.ingest.authority import AUTHORITY_INPUT
    from iro_analysis.kpis.registry import KPI_DEFINITIONS

    w = ds.warnings
    w = w[w["year"].astype(int) == int(year)] if len(w) else w
    h = w[w["rule"].isin(HISTORY_RULES)] if len(w) else w
    if not len(h):
        return Markup()

    def families(inputs: set[str]) -> str:
        fam = [d.family for d in KPI_DEFINITIONS.values() if inputs & set(d.inputs)]
        return ", ".join(dict.fromkeys(fam)) or "none"

    timeliness = {"reviews", "cin_census", "episodes"}
    rows = []
    for r in h.itertuples(index=False):
        if r.rule == "history_gap":
            affected = families({AUTHORITY_INPUT.get(r.table, r.table)})
        elif r.rule == "input_gap":
            affected = families({r.table})
        else:
            affected = families(timeliness)
        rows.append([str(r.value), WARNING_RULES.get(r.rule, r.rule), affected])
    return html.raw_table(
        ["What", "Meaning", "Measures whose history it affects"],
        rows,
        f"Gaps in the history read for {year_label(year)}",
        css="data text",
    )
