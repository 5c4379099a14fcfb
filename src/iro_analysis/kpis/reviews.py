"""Looked-after reviews (SSDA903 reviews): timeliness under reg. 33 and participation."""

from __future__ import annotations

import pandas as pd

from iro_analysis.contract.codes import AGE_BANDS, REVIEW_CODE_LABELS, REVIEW_CODES
from iro_analysis.kpis.cla import tally
from iro_analysis.kpis.context import UNKNOWN, KpiContext, age_band, age_in_years
from iro_analysis.kpis.definitions import FAMILY_REVIEWS, area_frame, kpi, rate

SOURCE_REG33 = "Care Planning, Placement and Case Review (England) Regulations 2010, reg. 33"
SOURCE_PARTICIPATION = (
    "DfE SSDA903 guidance, REVIEW_CODE (participation of the child in the review, PN0-PN7)"
)
_INPUTS = ("episodes", "reviews")

PARTICIPATING = ("PN1", "PN2", "PN3", "PN4", "PN5", "PN6")
ATTENDED = ("PN1", "PN2", "PN3", "PN4")
ELIGIBLE = ("PN1", "PN2", "PN3", "PN4", "PN5", "PN6", "PN7")


@kpi(
    "cla_reviews_held",
    title="Looked-after reviews held in the year",
    family=FAMILY_REVIEWS,
    section="reviews",
    unit="count",
    source=SOURCE_REG33,
    inputs=_INPUTS,
)
def cla_reviews_held(ctx: KpiContext) -> int:
    """Reviews dated in the year. A review that falls only inside a short-break episode
    (V3/V4) is dropped; a review inside no period of care still counts here (and is not
    assessable for timeliness)."""
    return len(ctx.reviews_in_year)


@kpi(
    "cla_reviews_on_time_pct",
    phrase="of looked-after reviews were held on time",
    title="Looked-after reviews held on time (%)",
    family=FAMILY_REVIEWS,
    section="reviews",
    headline=True,
    direction=True,
    unit="percent",
    source=SOURCE_REG33,
    inputs=_INPUTS,
)
def cla_reviews_on_time_pct(ctx: KpiContext) -> tuple[int, int]:
    """Reviews in the year held on time / reviews in the year whose due date can be
    determined. Reviews belong to the period of care they fall in (a review on the day one
    period ends and the next starts belongs to the later one). A child's episodes, sorted
    by start, form one period of care until an episode has RNE = S or does not start on the
    previous episode's end; an episode that starts before the latest end of the child's
    earlier episodes, or while one of them is open, continues their period whatever its RNE
    (a child is never in two periods at once; the period ends at the latest end and is
    open while any of its episodes is). A period's start is known only when its first
    supplied episode has RNE = S. Within a period whose start is known and on or after 1 April of the year
    before the earliest year supplying reviews.csv, review 1 is due within 20 working days
    of the period's start (wd(start, review) <= 20), review 2 within 3 months of review 1
    and each later review within 6 months of the previous one, counting from the actual
    date of the previous review (from any year supplied). In any other period the first
    supplied review is not assessable and each later one is due within 6 months of the
    previous one. Working days exclude weekends and England & Wales bank holidays; months
    are calendar months (31 August + 6 months = 28/29 February)."""
    r = ctx.reviews_in_year
    return int(r["on_time"].sum()), int(r["assessable"].sum())


@kpi(
    "cla_reviews_not_assessable",
    title="Looked-after reviews whose due date cannot be determined",
    family=FAMILY_REVIEWS,
    section="reviews",
    direction=False,
    unit="count",
    source=SOURCE_REG33,
    inputs=_INPUTS,
)
def cla_reviews_not_assessable(ctx: KpiContext) -> int:
    """Reviews in the year whose due date cannot be determined: the first supplied review
    of a period whose start is unknown or earlier than the review history supplied, and
    any review inside no period of care."""
    return int((~ctx.reviews_in_year["assessable"]).sum())


def children_on_time(ctx: KpiContext) -> pd.DataFrame:
    """Per child in the `cla_children_reviews_on_time_pct` cohort: `all_on_time`."""
    return ctx.memo("reviews.children_on_time", lambda: _children_on_time_uncached(ctx))


def _children_on_time_uncached(ctx: KpiContext) -> pd.DataFrame:
    od = ctx.overdue
    cohort = od.loc[od["wd_in_care"].ge(20), ["CHILD", "overdue"]]
    r = ctx.reviews_in_year
    late = r.loc[~r["on_time"], "CHILD"].unique()
    cohort = cohort.assign(all_on_time=~cohort["overdue"] & ~cohort["CHILD"].isin(late))
    return cohort


@kpi(
    "cla_children_reviews_on_time_pct",
    title="Children looked after whose reviews were all on time (%)",
    family=FAMILY_REVIEWS,
    section="reviews",
    direction=True,
    unit="percent",
    source=SOURCE_REG33,
    inputs=_INPUTS,
)
def cla_children_reviews_on_time_pct(ctx: KpiContext) -> tuple[int, int]:
    """Children looked after at 31 March for at least 20 working days, all of whose reviews
    in the year were on time and none overdue at 31 March / those children. "At least 20
    working days" means wd(start of the period open at 31 March, 31 March) >= 20, the start
    being the period's first supplied episode. "All of whose reviews in the year" means
    every review of the child dated in the year, in any period; a review whose due date
    cannot be determined is not on time; a child with no review in the year and none
    overdue counts as on time."""
    c = children_on_time(ctx)
    return int(c["all_on_time"].sum()), len(c)


@kpi(
    "cla_reviews_overdue_at_31_march",
    title="Children looked after with a review overdue at 31 March",
    family=FAMILY_REVIEWS,
    section="reviews",
    direction=False,
    unit="count",
    source=SOURCE_REG33,
    inputs=_INPUTS,
)
def cla_reviews_overdue_at_31_march(ctx: KpiContext) -> int:
    """Children looked after at 31 March whose next review was due before 31 March and not
    held by then, looking at the period open at 31 March. With no review in it yet: overdue
    when its start is known and wd(start, 31 March) > 20 (a review held on 31 March would
    be late); an unknown start with no review is not overdue. Otherwise overdue when 31
    March is after the next due date: the last review + 3 months when that review is
    review 1 of a period with known review numbers, else + 6 months."""
    return int(ctx.overdue["overdue"].sum())


def participation_codes(ctx: KpiContext) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if ctx.settings.pn4_counts_as_participation:
        return PARTICIPATING, ELIGIBLE
    return tuple(c for c in PARTICIPATING if c != "PN4"), ELIGIBLE


@kpi(
    "cla_participation_pct",
    phrase="of looked-after reviews had the child's participation",
    title="Looked-after reviews in which the child participated (%)",
    family=FAMILY_REVIEWS,
    section="reviews",
    headline=True,
    direction=True,
    unit="percent",
    source=SOURCE_PARTICIPATION,
    inputs=_INPUTS,
)
def cla_participation_pct(ctx: KpiContext) -> tuple[int, int]:
    """Reviews in the year coded PN1-PN6 / reviews in the year coded PN1-PN7. PN0 (child
    under 4 at the review) is excluded from both. The setting pn4_counts_as_participation
    (default true, as DfE counts PN1-PN6) can treat PN4 (attends without contributing) as
    not participating: it then stays in the denominator only."""
    yes, eligible = participation_codes(ctx)
    codes = ctx.reviews_in_year["REVIEW_CODE"]
    return int(codes.isin(yes).sum()), int(codes.isin(eligible).sum())


@kpi(
    "cla_review_attendance_pct",
    phrase="of looked-after reviews were attended by the child",
    title="Looked-after reviews the child attended (%)",
    family=FAMILY_REVIEWS,
    section="reviews",
    headline=True,
    direction=True,
    unit="percent",
    source=SOURCE_PARTICIPATION,
    inputs=_INPUTS,
)
def cla_review_attendance_pct(ctx: KpiContext) -> tuple[int, int]:
    """Reviews in the year coded PN1-PN4 (the child attended: spoke, an advocate spoke,
    conveyed views non-verbally, or attended without contributing) / reviews in the year
    coded PN1-PN7. PN0 (child under 4 at the review) and a blank code are in neither;
    the pn4_counts_as_participation setting does not apply (a PN4 child attended).
    Short-break-only reviews are dropped, as for every review measure."""
    codes = ctx.reviews_in_year["REVIEW_CODE"]
    return int(codes.isin(ATTENDED).sum()), int(codes.isin(ELIGIBLE).sum())


@kpi(
    "cla_participation_<code>",
    title="Looked-after reviews coded {CODE}: {label}",
    family=FAMILY_REVIEWS,
    section="reviews",
    unit="count",
    source=SOURCE_PARTICIPATION,
    inputs=_INPUTS,
    variants={c.lower(): {"CODE": c, "label": REVIEW_CODE_LABELS[c].lower()} for c in REVIEW_CODES},
)
def cla_participation_code(ctx: KpiContext, CODE: str, label: str) -> int:  # noqa: N803
    """Count of reviews in the year coded {CODE} ({label}). Short-break-only reviews are
    dropped, as for every review measure."""
    return int(ctx.reviews_in_year["REVIEW_CODE"].eq(CODE).sum())


# --------------------------------------------------------------------------------------
# Breakdowns
# --------------------------------------------------------------------------------------


def breakdowns(ctx: KpiContext) -> dict[str, pd.DataFrame]:
    """Participation by code (every code, count and percent of reviews in the year) and
    by DfE age band at the review date (reviews, participated, eligible PN1-PN7, and
    participated_percent = participated / eligible)."""
    r = ctx.reviews_in_year
    by_code = tally(r["REVIEW_CODE"].fillna(UNKNOWN), "code", list(REVIEW_CODES))
    by_code.insert(1, "label", by_code["code"].map(REVIEW_CODE_LABELS).fillna(UNKNOWN))

    header_dob = r[["CHILD"]].merge(ctx.header[["CHILD", "DOB"]], on="CHILD", how="left")
    dob = r["DOB"].fillna(header_dob["DOB"].set_axis(r.index))
    band = age_band(age_in_years(dob, r["REVIEW"]))
    yes, eligible = participation_codes(ctx)
    frame = pd.DataFrame(
        {
            "age_band": band,
            "reviews": 1,
            "participated": r["REVIEW_CODE"].isin(yes).astype("int64"),
            "eligible": r["REVIEW_CODE"].isin(eligible).astype("int64"),
        }
    )
    bands = [b[0] for b in AGE_BANDS] + [UNKNOWN]
    by_age = frame.groupby("age_band").sum().reindex(bands, fill_value=0).reset_index()
    by_age = by_age.loc[by_age["age_band"].ne(UNKNOWN) | by_age["reviews"].gt(0)]
    by_age["participated_percent"] = pd.array(
        [rate(n, d) for n, d in zip(by_age["participated"], by_age["eligible"], strict=True)],
        dtype="Float64",
    )
    return {
        "participation_by_code": by_code,
        "participation_by_age_band": by_age.reset_index(drop=True),
    }


def kpis(ctx: KpiContext) -> pd.DataFrame:
    """This area's KPI rows (kpis.csv columns) for the context's year."""
    return area_frame(ctx, __name__)
