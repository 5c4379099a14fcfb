"""Independent visitors for looked-after children (Children Act 1989, s.23ZB)."""

from __future__ import annotations

import pandas as pd

from iro_analysis.kpis.context import KpiContext
from iro_analysis.kpis.definitions import FAMILY_INDEPENDENT_VISITORS, area_frame, kpi

SOURCE_IV = (
    "Children Act 1989, s.23ZB and the Independent Visitors (Children) Regulations 2010; "
    "the service's independent visitors extract"
)


def matched_at_end(ctx: KpiContext) -> pd.Series:
    """Children with an independent visitor match open at 31 March: match_start_date on or
    before 31 March and match_end_date blank or on or after 31 March."""
    iv = ctx.table("independent_visitors")
    open_ = iv["match_start_date"].le(ctx.end) & (
        iv["match_end_date"].isna() | iv["match_end_date"].ge(ctx.end)
    )
    return iv.loc[open_, "child_id"].dropna()


@kpi(
    "independent_visitor_pct",
    phrase="of children looked after had an independent visitor",
    title="Children looked after at 31 March with an independent visitor (%)",
    family=FAMILY_INDEPENDENT_VISITORS,
    section="independent_visitors",
    headline=True,
    direction=True,
    unit="percent",
    source=SOURCE_IV,
    inputs=("independent_visitors", "episodes"),
)
def independent_visitor_pct(ctx: KpiContext) -> tuple[int, int]:
    """Children looked after at 31 March (cla_at_31_march, short breaks excluded) with an
    independent visitor match open at 31 March / children looked after at 31 March. A
    match is open at 31 March when match_start_date is on or before 31 March and
    match_end_date is blank or on or after 31 March: match_end_date is the match's last
    day, so a match ending on 31 March counts and one ending on 30 March does not. A child
    with several matches counts once."""
    cla = pd.Series(ctx.cla_at_end["CHILD"].unique())
    return int(cla.isin(set(matched_at_end(ctx))).sum()), len(cla)


def kpis(ctx: KpiContext) -> pd.DataFrame:
    """This area's KPI rows (kpis.csv columns) for the context's year."""
    return area_frame(ctx, __name__)
