"""Placement stability of children looked after (SSDA903 episodes), as DfE counts it.

Two measures DfE publishes for England (its placement-stability data file): children
looked after at 31 March with three or more placements during the year, and the long-term
stability of children under 16 looked after for at least 2½ years. Placements are counted
from the episodes as docs/assumptions.md ("Placements, as DfE counts them") states.
"""

from __future__ import annotations

import pandas as pd

from iro_analysis.kpis.context import KpiContext, age_in_years
from iro_analysis.kpis.definitions import FAMILY_CLA, area_frame, kpi

SOURCE_STABILITY = (
    "DfE 'Children looked after in England including adoptions' and 'Stability measures "
    "for children looked after in England': placement stability (formerly NI 62 and NI 63); "
    "children looked after under a series of short-term placements (V3/V4) excluded"
)
# RNE L: a change of legal status only, the child stays in the same placement.
RNE_SAME_PLACEMENT = "L"
# PLACE A3-A6: placed for adoption.
PLACED_FOR_ADOPTION = ("A3", "A4", "A5", "A6")
_INPUTS = ("episodes",)


def placement_episodes(ctx: KpiContext) -> pd.DataFrame:
    """The year's episodes (`ctx.cla_episodes`: short breaks dropped, sorted by CHILD then
    DECOM, numbered by period of care) with `placement`, the child's placement number
    (1, 2, ...): an episode starts a new placement unless it has RNE = L (change of legal
    status only) and continues the period of care of the episode before it."""

    def compute() -> pd.DataFrame:
        ep = ctx.cla_episodes
        same_child = ep["CHILD"].eq(ep["CHILD"].shift())
        same_period = same_child & ep["period"].eq(ep["period"].shift())
        continues = same_period & ep["RNE"].eq(RNE_SAME_PLACEMENT).fillna(False)
        return ep.assign(placement=(~continues).astype("int64").groupby(ep["CHILD"]).cumsum())

    return ctx.memo("placement_episodes", compute)


@kpi(
    "cla_placements_3plus_pct",
    title="Children looked after at 31 March with three or more placements in the year (%)",
    family=FAMILY_CLA,
    section="looked_after",
    direction=False,
    england="cla_placements_3plus_pct",
    unit="percent",
    source=SOURCE_STABILITY,
    inputs=_INPUTS,
)
def cla_placements_3plus_pct(ctx: KpiContext) -> tuple[int, int]:
    """Children looked after at 31 March (cla_at_31_march) with three or more placements
    during the year / children looked after at 31 March. Short-break episodes (legal status
    V3/V4) are dropped first, so they are neither placements nor children. A placement is
    counted as DfE counts them: every episode of the child open at some time in the year
    (DECOM on or before 31 March, DEC blank or on or after 1 April) is a placement, except
    one with RNE = L (a change of legal status only) that follows straight on from the
    child's previous episode in the same period of care: that is the same placement. So
    the placement the child was in on 1 April counts as one, each change of placement or
    carer in the year (RNE P, T, B or U) as one more, and a child who left care and came
    back in the year (RNE S) counts the placements of both periods. Lower is better."""
    ep = placement_episodes(ctx)
    during = ep["DECOM"].le(ctx.end) & (ep["DEC"].isna() | ep["DEC"].ge(ctx.start))
    n = ep.loc[during].groupby("CHILD")["placement"].nunique()
    children = pd.unique(ctx.cla_at_end["CHILD"])
    return int(n.reindex(children, fill_value=0).ge(3).sum()), len(children)


def long_term_cohort(ctx: KpiContext) -> pd.DataFrame:
    """Children looked after at 31 March aged under 16 at 31 March (completed years, DOB
    from the 903 header; no DOB: left out) whose period of care open at 31 March started
    on or before 31 March minus 30 months, with their current placement's start
    (`since`) as the long-term measure reads it."""
    ep = placement_episodes(ctx)
    end = ctx.end
    open_ = ep.loc[ep["DECOM"].le(end) & (ep["DEC"].isna() | ep["DEC"].gt(end))]
    cur = open_.groupby("CHILD", sort=False).tail(1)[["CHILD", "period", "placement", "PLACE"]]
    keys = ["CHILD", "placement"]
    plc = ep.groupby(keys, as_index=False).agg(start=("DECOM", "min"), p_period=("period", "first"))
    period_start = ep.groupby(["CHILD", "period"], as_index=False)["DECOM"].min()
    cur = cur.merge(period_start.rename(columns={"DECOM": "period_start"}), on=["CHILD", "period"])
    cur = cur.merge(plc[[*keys, "start"]], on=keys, how="left")
    before = plc.assign(placement=plc["placement"] + 1).rename(
        columns={"start": "prev_start", "p_period": "prev_period"}
    )
    cur = cur.merge(before, on=keys, how="left")
    cur = cur.merge(ctx.header[["CHILD", "DOB"]], on="CHILD", how="left")
    under_16 = age_in_years(cur["DOB"], end).lt(16).fillna(False).astype(bool)
    long_care = cur["period_start"].le(end - pd.DateOffset(months=30))
    cur = cur.loc[under_16 & long_care].copy()
    adoptive = cur["PLACE"].isin(PLACED_FOR_ADOPTION) & cur["prev_period"].eq(cur["period"])
    cur["since"] = cur["prev_start"].where(adoptive.fillna(False), cur["start"])
    return cur


@kpi(
    "cla_long_term_stability_pct",
    title="Children under 16 looked after for 2½ years or more who have lived in the same "
    "placement for at least 2 years (%)",
    family=FAMILY_CLA,
    section="looked_after",
    direction=True,
    england="cla_long_term_stability_pct",
    unit="percent",
    source=SOURCE_STABILITY,
    inputs=("episodes", "header"),
)
def cla_long_term_stability_pct(ctx: KpiContext) -> tuple[int, int]:
    """Children aged under 16 at 31 March (completed years; a child with no date of birth
    in the 903 header is left out) looked after at 31 March continuously for at least 2½
    years (the period of care open at 31 March started on or before 31 March minus 30
    months, e.g. 30 September 2019 for 2022; a period whose start is before the data counts
    from its first supplied episode) who have lived in the same placement for at least 2
    years (their current placement, counted as for cla_placements_3plus_pct, started on or
    before 31 March two years earlier), or are placed for adoption (PLACE A3 to A6) and
    the adoptive placement together with the placement before it in the same period of care
    started on or before that date / those children. Short breaks (V3/V4) excluded. DfE's
    long-term stability measure (formerly NI 63). Higher is better."""
    cohort = long_term_cohort(ctx)
    stable = cohort["since"].le(ctx.end - pd.DateOffset(years=2))
    return int(stable.sum()), len(cohort)


def kpis(ctx: KpiContext) -> pd.DataFrame:
    """This area's KPI rows (kpis.csv columns) for the context's year."""
    return area_frame(ctx, __name__)
