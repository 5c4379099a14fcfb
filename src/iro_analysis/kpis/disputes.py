"""Disputes raised by IROs (dispute resolution process, IRO extracts)."""

from __future__ import annotations

import pandas as pd

from iro_analysis.contract.codes import (
    DISPUTE_STAGE_LABELS,
    DISPUTE_STAGES,
    DISPUTE_THEME_LABELS,
    DISPUTE_THEMES,
)
from iro_analysis.kpis.calendar import working_days_between
from iro_analysis.kpis.cla import tally
from iro_analysis.kpis.context import UNKNOWN, KpiContext
from iro_analysis.kpis.definitions import FAMILY_DISPUTES, area_frame, kpi

SOURCE_DRP = (
    "IRO Handbook (DCSF 2010), chapter 5: resolving problems (dispute resolution process); "
    "the council's dispute resolution protocol (20 working days)"
)
_INPUTS = ("disputes",)


@kpi(
    "drp_raised",
    phrase="disputes were raised by IROs through the dispute resolution process",
    title="Disputes raised by IROs in the year",
    family=FAMILY_DISPUTES,
    section="disputes",
    headline=True,
    unit="count",
    source=SOURCE_DRP,
    inputs=_INPUTS,
)
def drp_raised(ctx: KpiContext) -> int:
    """Disputes (dispute_id) with raised_date in the year, both cohorts (CLA and CP)."""
    return len(ctx.disputes_in_year)


@kpi(
    "drp_raised_per_100_cla",
    title="Disputes about looked-after children per 100 children looked after",
    family=FAMILY_DISPUTES,
    section="disputes",
    unit="ratio",
    per=100,
    source=SOURCE_DRP,
    inputs=("disputes", "episodes"),
)
def drp_raised_per_100_cla(ctx: KpiContext) -> tuple[int, int]:
    """Disputes raised in the year with cohort CLA / children looked after at any time in
    the year (cla_during_year) × 100, rounded half up to 1 decimal place."""
    d = ctx.disputes_in_year
    return int(d["cohort"].eq("CLA").sum()), len(ctx.cla_during_year_children)


@kpi(
    "drp_resolved_within_20wd_pct",
    phrase="of disputes were resolved within 20 working days",
    title="Disputes resolved within 20 working days (%)",
    family=FAMILY_DISPUTES,
    section="disputes",
    headline=True,
    direction=True,
    unit="percent",
    source=SOURCE_DRP,
    inputs=_INPUTS,
)
def drp_resolved_within_20wd_pct(ctx: KpiContext) -> tuple[int, int]:
    """Of the disputes raised in the year whose 20th working day falls on or before
    31 March (wd(raised, 31 March) >= 20), those resolved with wd(raised, resolved) <= 20 /
    those disputes. A dispute raised too late in the year to have reached 20 working days
    is left out rather than counted as late."""
    d = ctx.disputes_in_year
    elapsed = working_days_between(d["raised_date"], pd.Series(ctx.end, index=d.index))
    den = d.loc[elapsed.ge(20)]
    return int(den["resolved_within_20wd"].sum()), len(den)


@kpi(
    "drp_escalated_pct",
    title="Disputes escalated beyond stage 1 (%)",
    family=FAMILY_DISPUTES,
    section="disputes",
    direction=False,
    unit="percent",
    source=SOURCE_DRP,
    inputs=_INPUTS,
)
def drp_escalated_pct(ctx: KpiContext) -> tuple[int, int]:
    """Disputes raised in the year with highest_stage >= 2 (service manager or above) /
    disputes raised in the year."""
    d = ctx.disputes_in_year
    return int(d["highest_stage"].ge(2).fillna(False).sum()), len(d)


def open_at_end(ctx: KpiContext) -> pd.DataFrame:
    """Disputes raised on or before 31 March (any year) and not resolved by then, with
    `working_days_open` = wd(raised, 31 March)."""
    return ctx.memo("disputes.open_at_end", lambda: _open_at_end_uncached(ctx))


def _open_at_end_uncached(ctx: KpiContext) -> pd.DataFrame:
    d = ctx.disputes
    mask = d["raised_date"].le(ctx.end) & (
        d["resolved_date"].isna() | d["resolved_date"].gt(ctx.end)
    )
    out = d.loc[mask].copy()
    out["working_days_open"] = working_days_between(
        out["raised_date"], pd.Series(ctx.end, index=out.index)
    )
    return out


@kpi(
    "drp_open_at_31_march",
    title="Disputes open at 31 March",
    family=FAMILY_DISPUTES,
    section="disputes",
    unit="count",
    source=SOURCE_DRP,
    inputs=_INPUTS,
)
def drp_open_at_31_march(ctx: KpiContext) -> int:
    """Disputes raised on or before 31 March, in any year, with no resolved_date or one
    after 31 March."""
    return len(open_at_end(ctx))


@kpi(
    "drp_open_overdue_at_31_march",
    title="Disputes open at 31 March for more than 20 working days",
    family=FAMILY_DISPUTES,
    section="disputes",
    direction=False,
    unit="count",
    source=SOURCE_DRP,
    inputs=_INPUTS,
)
def drp_open_overdue_at_31_march(ctx: KpiContext) -> int:
    """Disputes open at 31 March (see drp_open_at_31_march) with wd(raised, 31 March) > 20."""
    return int(open_at_end(ctx)["working_days_open"].gt(20).sum())


OUTCOME_PLAN_CHANGED = "PLAN_CHANGED"


@kpi(
    "drp_outcome_plan_changed_pct",
    phrase="of disputes resolved in the year changed the child's plan",
    title="Disputes resolved in the year that changed the child's plan (%)",
    family=FAMILY_DISPUTES,
    section="disputes",
    headline=True,
    direction=True,
    unit="percent",
    source=SOURCE_DRP,
    inputs=_INPUTS,
)
def drp_outcome_plan_changed_pct(ctx: KpiContext) -> tuple[int, int]:
    """Disputes resolved in the year (resolved_date in the year, whenever raised) with
    outcome PLAN_CHANGED (the plan or action changed as the IRO asked) / disputes resolved
    in the year. A resolved dispute with a blank or other outcome (RESOLVED_NO_CHANGE,
    REFERRED_TO_CAFCASS, WITHDRAWN) is in the denominator only; a dispute still open at
    31 March is in neither."""
    d = ctx.disputes
    resolved = d.loc[ctx.in_year(d["resolved_date"])]
    changed = resolved["outcome"].eq(OUTCOME_PLAN_CHANGED).fillna(False)
    return int(changed.sum()), len(resolved)


@kpi(
    "drp_theme_<THEME>",
    title="Disputes raised in the year about: {label}",
    family=FAMILY_DISPUTES,
    section="disputes",
    unit="count",
    source=SOURCE_DRP,
    inputs=_INPUTS,
    variants={t: {"THEME": t, "label": DISPUTE_THEME_LABELS[t]} for t in DISPUTE_THEMES},
)
def drp_theme(ctx: KpiContext, THEME: str, label: str) -> int | None:  # noqa: N803
    """Disputes raised in the year with theme {THEME} ({label}). A row exists only for a
    theme that occurs in the year."""
    n = int(ctx.disputes_in_year["theme"].eq(THEME).sum())
    return n or None


def breakdowns(ctx: KpiContext) -> dict[str, pd.DataFrame]:
    """Disputes raised in the year by theme and by highest stage reached."""
    d = ctx.disputes_in_year
    by_theme = tally(d["theme"].fillna(UNKNOWN), "theme", list(DISPUTE_THEMES))
    by_theme.insert(1, "label", by_theme["theme"].map(DISPUTE_THEME_LABELS).fillna(UNKNOWN))
    stage = d["highest_stage"].astype("Int64").astype("str").replace({"<NA>": UNKNOWN})
    by_stage = tally(stage, "stage", [str(s) for s in DISPUTE_STAGES])
    labels = {str(k): v for k, v in DISPUTE_STAGE_LABELS.items()}
    by_stage.insert(1, "label", by_stage["stage"].map(labels).fillna(UNKNOWN))
    return {"drp_by_theme": by_theme, "drp_by_stage": by_stage}


def kpis(ctx: KpiContext) -> pd.DataFrame:
    """This area's KPI rows (kpis.csv columns) for the context's year."""
    return area_frame(ctx, __name__)
