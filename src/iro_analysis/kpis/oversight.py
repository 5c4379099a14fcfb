"""IRO oversight between reviews (the IRO's footprints on the child's file): midway checks."""

from __future__ import annotations

import pandas as pd

from iro_analysis.kpis.context import KpiContext
from iro_analysis.kpis.definitions import FAMILY_OVERSIGHT, area_frame, kpi

SOURCE_OVERSIGHT = (
    "IRO Handbook (DCSF 2010), paras. 3.74-3.78 and chapter 4: the IRO monitors the child's "
    "case between reviews; the service's footprints extract"
)
MIDWAY_CHECK = "MIDWAY_CHECK"


def midway_reviews(ctx: KpiContext) -> pd.DataFrame:
    """The reviews of `midway_checks_pct`'s denominator with `checked` (a MIDWAY_CHECK
    footprint strictly between the previous review and this one)."""
    return ctx.memo("oversight.midway_reviews", lambda: _midway_uncached(ctx))


def _midway_uncached(ctx: KpiContext) -> pd.DataFrame:
    r = ctx.reviews_in_year
    r = r.loc[r["in_period"] & r["prev_review"].notna(), ["CHILD", "REVIEW", "prev_review"]]
    r = r.reset_index(drop=True).reset_index(names="_r")
    f = ctx.table("footprints")
    f = f.loc[f["footprint_type"].eq(MIDWAY_CHECK).fillna(False), ["child_id", "footprint_date"]]
    pairs = r.merge(f, left_on="CHILD", right_on="child_id", how="inner")
    between = pairs["footprint_date"].gt(pairs["prev_review"]) & pairs["footprint_date"].lt(
        pairs["REVIEW"]
    )
    hit = set(pairs.loc[between, "_r"])
    return r.assign(checked=r["_r"].isin(hit)).drop(columns="_r")


@kpi(
    "midway_checks_pct",
    phrase="of later reviews had an IRO midway check since the previous review",
    title="Looked-after reviews with an IRO midway check since the previous review (%)",
    family=FAMILY_OVERSIGHT,
    section="oversight",
    headline=True,
    direction=True,
    unit="percent",
    source=SOURCE_OVERSIGHT,
    inputs=("episodes", "reviews", "footprints"),
)
def midway_checks_pct(ctx: KpiContext) -> tuple[int, int]:
    """Looked-after reviews held in the year that are not the first review of their period
    of care and have a MIDWAY_CHECK footprint for the same child dated after the previous
    review and before this one (strictly: a footprint dated on either review's day does not
    count; footprints of any year supplied count) / those reviews. "Not the first review"
    means the review has a previous review in the same period of care in the reviews
    supplied (any year), as for review timeliness: the first review of a period, the first
    supplied review of a period that began before the data, a review inside no period and
    short-break-only reviews are left out. Other footprint types (PRE_MEETING_CONTACT,
    CHALLENGE, OTHER) do not count."""
    r = midway_reviews(ctx)
    return int(r["checked"].sum()), len(r)


def kpis(ctx: KpiContext) -> pd.DataFrame:
    """This area's KPI rows (kpis.csv columns) for the context's year."""
    return area_frame(ctx, __name__)
