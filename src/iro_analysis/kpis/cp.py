"""Child protection (CIN census): plans, initial and review conferences, categories."""

from __future__ import annotations

import pandas as pd

from iro_analysis.contract.codes import CP_CATEGORIES, CP_CATEGORY_LABELS
from iro_analysis.kpis import timescales as ts
from iro_analysis.kpis.cla import per_child_population, tally
from iro_analysis.kpis.context import UNKNOWN, KpiContext
from iro_analysis.kpis.definitions import CHILD_POPULATION_PER, FAMILY_CP, area_frame, kpi

SOURCE_WT = (
    "Working Together to Safeguard Children (HM Government); DfE Children in Need census guidance"
)
_INPUTS = ("cin_census",)


def _plans_started(ctx: KpiContext) -> pd.DataFrame:
    p = ctx.cp_plans
    return p.loc[ctx.in_year(p["CPPstartDate"])]


def _plans_ended(ctx: KpiContext) -> pd.DataFrame:
    p = ctx.cp_plans
    return p.loc[ctx.in_year(p["CPPendDate"])]


@kpi(
    "cp_plans_at_31_march",
    phrase="children were subject to a child protection plan at 31 March",
    title="Children subject to a child protection plan at 31 March",
    family=FAMILY_CP,
    section="child_protection",
    headline=True,
    unit="count",
    source=SOURCE_WT,
    inputs=_INPUTS,
)
def cp_plans_at_31_march(ctx: KpiContext) -> int:
    """Distinct children with a plan open at 31 March: CPPstartDate on or before 31 March
    and CPPendDate blank or after 31 March (a plan ending on 31 March is not open)."""
    return int(ctx.cp_open_at_end["LAchildID"].nunique())


@kpi(
    "cp_plans_started",
    title="Child protection plans started in the year",
    family=FAMILY_CP,
    section="child_protection",
    unit="count",
    source=SOURCE_WT,
    inputs=_INPUTS,
)
def cp_plans_started(ctx: KpiContext) -> int:
    """Plans (not children) with CPPstartDate in the year."""
    return len(_plans_started(ctx))


@kpi(
    "cp_plans_ended",
    title="Child protection plans ended in the year",
    family=FAMILY_CP,
    section="child_protection",
    unit="count",
    source=SOURCE_WT,
    inputs=_INPUTS,
)
def cp_plans_ended(ctx: KpiContext) -> int:
    """Plans (not children) with CPPendDate in the year (a plan ending on 31 March ends in
    the year)."""
    return len(_plans_ended(ctx))


@kpi(
    "cp_repeat_plans_pct",
    title="Child protection plans started in the year that were repeat plans (%)",
    family=FAMILY_CP,
    section="child_protection",
    direction=False,
    england="cp_repeat_plans_pct",
    unit="percent",
    source=SOURCE_WT,
    inputs=_INPUTS,
)
def cp_repeat_plans_pct(ctx: KpiContext) -> tuple[int, int]:
    """Plans starting in the year with NumberOfPreviousCPP >= 1 / plans starting in the
    year. A blank NumberOfPreviousCPP is not a repeat plan."""
    s = _plans_started(ctx)
    return int(s["NumberOfPreviousCPP"].ge(1).fillna(False).sum()), len(s)


@kpi(
    "cp_plans_ended_2y_plus_pct",
    title="Child protection plans ended in the year that lasted 2 years or more (%)",
    family=FAMILY_CP,
    section="child_protection",
    direction=False,
    england="cp_plans_ended_2y_plus_pct",
    unit="percent",
    source=SOURCE_WT,
    inputs=_INPUTS,
)
def cp_plans_ended_2y_plus_pct(ctx: KpiContext) -> tuple[int, int]:
    """Plans ending in the year that lasted 2 years or more / plans ending in the year.
    "2 years or more" means CPPendDate >= CPPstartDate + 2 years (calendar years:
    29 February + 2 years = 28 February)."""
    e = _plans_ended(ctx)
    two = e["CPPstartDate"] + pd.DateOffset(years=2)
    return int(e["CPPendDate"].ge(two).sum()), len(e)


def _icpcs(ctx: KpiContext) -> pd.DataFrame:
    return ctx.memo("cp._icpcs", lambda: _icpcs_uncached(ctx))


def _icpcs_uncached(ctx: KpiContext) -> pd.DataFrame:
    t = ts.icpc_timeliness(ctx.table("s47"), ctx.table("cin_details"))
    return t.loc[ctx.in_year(t["DateOfInitialCPC"])]


@kpi(
    "icpc_held",
    title="Initial child protection conferences held in the year",
    family=FAMILY_CP,
    section="child_protection",
    unit="count",
    source=SOURCE_WT,
    inputs=_INPUTS,
)
def icpc_held(ctx: KpiContext) -> int:
    """Initial conferences in the year: distinct (child, DateOfInitialCPC) from both the
    Section47 and the CINdetails records of the census."""
    return len(_icpcs(ctx))


@kpi(
    "icpc_within_15wd_pct",
    phrase="of initial child protection conferences were held within 15 working days",
    title="Initial conferences held within 15 working days of the Section 47 enquiry (%)",
    family=FAMILY_CP,
    section="child_protection",
    headline=True,
    direction=True,
    england="icpc_within_15wd_pct",
    unit="percent",
    source=SOURCE_WT,
    inputs=_INPUTS,
)
def icpc_within_15wd_pct(ctx: KpiContext) -> tuple[int, int]:
    """ICPCs in the year with wd(S47ActualStartDate, DateOfInitialCPC) <= 15 / ICPCs in the
    year that follow a Section 47 enquiry: the child has a Section47 whose ICPCnotRequired
    is false (blank = false) and whose start is on or before the ICPC; with several, the
    latest such start counts. Working days exclude weekends and England & Wales bank
    holidays."""
    t = _icpcs(ctx)
    return int(t["within_15wd"].sum()), int(t["follows_s47"].sum())


def _rcpcs(ctx: KpiContext) -> pd.DataFrame:
    return ctx.memo("cp._rcpcs", lambda: _rcpcs_uncached(ctx))


def _rcpcs_uncached(ctx: KpiContext) -> pd.DataFrame:
    t = ts.rcpc_timeliness(ctx.table("cp_reviews"), ctx.cp_ordinals_from)
    return t.loc[ctx.in_year(t["CPPreviewDate"])]


@kpi(
    "rcpc_held",
    title="Review child protection conferences held in the year",
    family=FAMILY_CP,
    section="child_protection",
    unit="count",
    source=SOURCE_WT,
    inputs=_INPUTS,
)
def rcpc_held(ctx: KpiContext) -> int:
    """Review conferences (CPPreviewDate, unioned over every census supplied) dated in the
    year."""
    return len(_rcpcs(ctx))


@kpi(
    "rcpc_on_time_pct",
    phrase="of child protection review conferences were held on time",
    title="Review child protection conferences held on time (%)",
    family=FAMILY_CP,
    section="child_protection",
    headline=True,
    direction=True,
    unit="percent",
    source=SOURCE_WT,
    inputs=_INPUTS,
)
def rcpc_on_time_pct(ctx: KpiContext) -> tuple[int, int]:
    """Review conferences in the year held on time / review conferences in the year whose
    due date can be determined. A plan's first review is due within 3 months of
    CPPstartDate, each later one within 6 months of the previous review. For a plan that
    started before 1 April of the year before the earliest census supplied, the first
    supplied review is not assessable: it counts in rcpc_held but not in the percentage."""
    t = _rcpcs(ctx)
    return int(t["on_time"].sum()), int(t["assessable"].sum())


@kpi(
    "cp_per_10000",
    phrase="children per 10,000 were subject to a child protection plan at 31 March",
    title="Children subject to a child protection plan at 31 March per 10,000 children",
    family=FAMILY_CP,
    section="child_protection",
    headline=True,
    england="cp_per_10000",
    unit="ratio",
    per=CHILD_POPULATION_PER,
    source=SOURCE_WT + "; DfE 'Characteristics of children in need': rate per 10,000 children",
    inputs=_INPUTS,
)
def cp_per_10000(ctx: KpiContext) -> tuple[int, int] | None:
    """Children subject to a child protection plan at 31 March (cp_plans_at_31_march) /
    the council's mid-year population aged 0 to 17 (the child_population setting for the
    year) × 10,000, rounded half up to 1 decimal place. Not produced when the population
    for the year is not set."""
    return per_child_population(ctx, cp_plans_at_31_march(ctx))


@kpi(
    "cp_category_<cat>",
    title="Child protection plans open at 31 March: {label}",
    family=FAMILY_CP,
    section="child_protection",
    unit="count",
    source=SOURCE_WT,
    inputs=_INPUTS,
    variants={c.lower(): {"CAT": c, "label": CP_CATEGORY_LABELS[c]} for c in CP_CATEGORIES},
)
def cp_category(ctx: KpiContext, CAT: str, label: str) -> int:  # noqa: N803
    """Plans (not children) open at 31 March whose LatestCategoryOfAbuse is {CAT}
    ({label})."""
    return int(ctx.cp_open_at_end["LatestCategoryOfAbuse"].eq(CAT).sum())


def breakdowns(ctx: KpiContext) -> dict[str, pd.DataFrame]:
    """Plans open at 31 March by latest category of abuse (count and percent of plans)."""
    cats = ctx.cp_open_at_end["LatestCategoryOfAbuse"].fillna(UNKNOWN)
    out = tally(cats, "category", list(CP_CATEGORIES))
    out.insert(1, "label", out["category"].map(CP_CATEGORY_LABELS).fillna(UNKNOWN))
    return {"cp_by_category": out}


def kpis(ctx: KpiContext) -> pd.DataFrame:
    """This area's KPI rows (kpis.csv columns) for the context's year."""
    return area_frame(ctx, __name__)
