"""Education and health of looked-after children: PEPs (virtual school) and OC2 checks."""

from __future__ import annotations

import pandas as pd

from iro_analysis.kpis.context import KpiContext, age_in_years
from iro_analysis.kpis.definitions import FAMILY_EDUCATION_HEALTH, area_frame, kpi

SOURCE_PEP = (
    "Promoting the education of looked-after children and previously looked-after "
    "children (DfE statutory guidance, 2018): PEP reviewed each term"
)
SOURCE_OC2 = (
    "DfE SSDA903 guidance, OC2 (children looked after continuously for 12 months at "
    "31 March): health assessment, teeth check and immunisation flags"
)
_PEP_INPUTS = ("pep", "episodes", "header")
PEP_UP_TO_DATE_DAYS = 183


def pep_cohort(ctx: KpiContext) -> pd.DataFrame:
    """Children looked after at 31 March aged 5 to 15 in completed years at 31 March (DOB
    from header.csv; a child without a header DOB cannot be aged and is left out), with
    `latest_pep` (latest PEP on or before 31 March), `in_place` and `up_to_date`."""
    return ctx.memo("education_health.pep_cohort", lambda: _pep_cohort_uncached(ctx))


def _pep_cohort_uncached(ctx: KpiContext) -> pd.DataFrame:
    cla = ctx.cla_at_end[["CHILD"]].merge(ctx.header[["CHILD", "DOB"]], on="CHILD", how="left")
    age = age_in_years(cla["DOB"], ctx.end)
    cohort = cla.loc[age.ge(5).fillna(False) & age.le(15).fillna(False), ["CHILD"]]
    pep = ctx.table("pep")
    pep = pep.loc[pep["pep_date"].le(ctx.end)]
    latest = pep.groupby("child_id")["pep_date"].max().rename("latest_pep")
    out = cohort.merge(latest, left_on="CHILD", right_index=True, how="left")
    year_ago = ctx.end - pd.DateOffset(months=12)
    out["in_place"] = out["latest_pep"].gt(year_ago).fillna(False).astype(bool)
    days = (ctx.end - out["latest_pep"]).dt.days
    out["up_to_date"] = days.le(PEP_UP_TO_DATE_DAYS).fillna(False).astype(bool)
    return out.reset_index(drop=True)


@kpi(
    "pep_in_place_pct",
    title="Looked-after children aged 5 to 15 with a PEP in the last 12 months (%)",
    family=FAMILY_EDUCATION_HEALTH,
    section="education_health",
    direction=True,
    unit="percent",
    source=SOURCE_PEP,
    inputs=_PEP_INPUTS,
)
def pep_in_place_pct(ctx: KpiContext) -> tuple[int, int]:
    """Children looked after at 31 March aged 5 to 15 in completed years at 31 March
    (DOB from header.csv) whose latest PEP is dated in the 12 months up to 31 March
    (31 March - 12 months < pep_date <= 31 March) / those children. Short breaks are not
    looked after."""
    c = pep_cohort(ctx)
    return int(c["in_place"].sum()), len(c)


@kpi(
    "pep_up_to_date_pct",
    title="Looked-after children aged 5 to 15 with an up-to-date PEP (%)",
    family=FAMILY_EDUCATION_HEALTH,
    section="education_health",
    direction=True,
    unit="percent",
    source=SOURCE_PEP,
    inputs=_PEP_INPUTS,
)
def pep_up_to_date_pct(ctx: KpiContext) -> tuple[int, int]:
    """The PEP cohort (see pep_in_place_pct) whose latest PEP on or before 31 March is
    dated within 183 days of it ((31 March - latest PEP).days <= 183, about one term and a
    holiday) / those children."""
    c = pep_cohort(ctx)
    return int(c["up_to_date"].sum()), len(c)


def _oc2(ctx: KpiContext) -> pd.DataFrame:
    o = ctx.table("oc2")
    return o.loc[o["source_year"].eq(ctx.year)]


def _oc2_rate(ctx: KpiContext, column: str) -> tuple[int, int]:
    o = _oc2(ctx)
    return int(o[column].eq(1).fillna(False).sum()), len(o)


@kpi(
    "health_assessment_pct",
    title="Children looked after for 12 months with an annual health assessment (%)",
    family=FAMILY_EDUCATION_HEALTH,
    section="education_health",
    direction=True,
    england="health_assessment_pct",
    unit="percent",
    source=SOURCE_OC2,
    inputs=("oc2",),
)
def health_assessment_pct(ctx: KpiContext) -> tuple[int, int]:
    """OC2 rows of the year's own oc2.csv with HEALTH_ASSESSMENT exactly 1 / every OC2 row
    of that file (one row per child; a blank or 0 flag is in the denominator only)."""
    return _oc2_rate(ctx, "HEALTH_ASSESSMENT")


@kpi(
    "dental_check_pct",
    title="Children looked after for 12 months with a dental check (%)",
    family=FAMILY_EDUCATION_HEALTH,
    section="education_health",
    direction=True,
    england="dental_check_pct",
    unit="percent",
    source=SOURCE_OC2,
    inputs=("oc2",),
)
def dental_check_pct(ctx: KpiContext) -> tuple[int, int]:
    """OC2 rows of the year's own oc2.csv with TEETH_CHECK exactly 1 / every OC2 row of
    that file."""
    return _oc2_rate(ctx, "TEETH_CHECK")


@kpi(
    "immunisations_pct",
    title="Children looked after for 12 months with immunisations up to date (%)",
    family=FAMILY_EDUCATION_HEALTH,
    section="education_health",
    direction=True,
    england="immunisations_pct",
    unit="percent",
    source=SOURCE_OC2,
    inputs=("oc2",),
)
def immunisations_pct(ctx: KpiContext) -> tuple[int, int]:
    """OC2 rows of the year's own oc2.csv with IMMUNISATIONS exactly 1 / every OC2 row of
    that file."""
    return _oc2_rate(ctx, "IMMUNISATIONS")


def kpis(ctx: KpiContext) -> pd.DataFrame:
    """This area's KPI rows (kpis.csv columns) for the context's year."""
    return area_frame(ctx, __name__)
