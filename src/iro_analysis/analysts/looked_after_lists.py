"""Exception lists of looked-after children: reviews overdue or due (reg. 33), PN7 at the last
two reviews, and no PEP in the last 6 months.

Due dates come from the KPI context (`KpiContext.overdue`, `kpis.education_health`), so at
31 March each list agrees with its KPI (`cla_reviews_overdue_at_31_march`,
`pep_up_to_date_pct`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from iro_analysis.analysts.as_at import as_int64, days_between, sort_rows, with_iro, year_end_series
from iro_analysis.kpis import timescales as ts
from iro_analysis.kpis.calendar import working_days_between
from iro_analysis.kpis.context import KpiContext, age_in_years
from iro_analysis.kpis.education_health import PEP_UP_TO_DATE_DAYS, pep_cohort

DUE_SOON_WORKING_DAYS = 20  # a review is "due" when wd(as-at, next due) <= 20
PN7 = "PN7"


REVIEW_COLUMNS = (
    "child_id",
    "status",
    "period_start",
    "start_known",
    "last_review",
    "last_review_number",
    "next_due",
    "rule",
    "days_overdue",
    "working_days_overdue",
    "working_days_to_due",
    "iro_id",
)


def reviews_overdue_or_due(ctx: KpiContext, within: int = DUE_SOON_WORKING_DAYS) -> pd.DataFrame:
    """Children looked after at the as-at date whose next review is overdue, or due within
    `within` (20) working days of the date.

    Next due date and overdue flag are `KpiContext.overdue` (`timescales.reviews_overdue_at`,
    reg. 33): in the period of care open at the date, review 1 within 20 working days of
    its start, review 2 within 3 months of review 1, each later review within 6 months of
    the previous one. `status` is "overdue" when that function says so (for review 1:
    wd(start, date) > 20, so a review due on the date is not yet overdue), else "due" when
    wd(date, next_due) <= `within` (England & Wales bank holidays are not working days). A
    period whose start is not known and that has no review yet has no due date and is not
    listed. `days_overdue` = date - next_due in days and `working_days_overdue` =
    wd(next_due, date), for overdue rows; `working_days_to_due` = wd(date, next_due) for due
    rows. `last_review_number` is the last review's number in the period when known."""
    od = ctx.overdue
    tr = ctx.timed_reviews[["CHILD", "REVIEW", "ordinal"]].rename(
        columns={"REVIEW": "last_review", "ordinal": "last_review_number"}
    )
    out = od.merge(tr, on=["CHILD", "last_review"], how="left")
    wd_to = working_days_between(year_end_series(ctx, out.index), out["next_due"])
    due = ~out["overdue"] & out["next_due"].notna() & wd_to.le(within)
    out = out.loc[out["overdue"] | due].reset_index(drop=True)
    at = year_end_series(ctx, out.index)
    overdue = out["overdue"]
    out["status"] = np.where(overdue, "overdue", "due")
    out["days_overdue"] = days_between(at, out["next_due"]).where(overdue)
    out["working_days_overdue"] = as_int64(working_days_between(out["next_due"], at)).where(overdue)
    out["working_days_to_due"] = as_int64(working_days_between(at, out["next_due"])).where(~overdue)
    first = out["last_review"].isna()
    after_r1 = out["last_review_number"].eq(1).fillna(False).astype(bool)
    out["rule"] = np.select(
        [first, after_r1],
        [
            f"review 1: within {ts.REVIEW_1_WORKING_DAYS} working days of the period's start",
            f"review 2: within {ts.REVIEW_2_MONTHS} months of review 1",
        ],
        f"within {ts.REVIEW_LATER_MONTHS} months of the previous review",
    )
    out["last_review_number"] = out["last_review_number"].astype("Int64")
    out = out.rename(columns={"CHILD": "child_id", "start": "period_start"})
    out = with_iro(ctx, out)
    out = sort_rows(out, ["status", "next_due", "child_id"], [False, True, True])
    return out[list(REVIEW_COLUMNS)]


PN7_COLUMNS = (
    "child_id",
    "previous_review",
    "last_review",
    "pn7_reviews_in_a_row",
    "next_review_due",
    "iro_id",
)


def pn7_last_two_reviews(ctx: KpiContext) -> pd.DataFrame:
    """Children looked after at the as-at date whose last two reviews on or before the date
    (in any period of care; reviews only inside a short break are dropped, as for every
    review measure) were both coded PN7: did not attend and no views conveyed.
    `pn7_reviews_in_a_row` counts the run of PN7 reviews that ends with the last one;
    `next_review_due` is the next due date of the period open at the date (blank when it
    cannot be determined)."""
    when = ctx.end
    r = ctx.timed_reviews
    r = r.loc[r["REVIEW"].le(when), ["CHILD", "REVIEW", "REVIEW_CODE"]]
    r = r.loc[r["CHILD"].isin(ctx.cla_at_end["CHILD"])]
    r = r.sort_values(["CHILD", "REVIEW"], kind="mergesort").reset_index(drop=True)
    g = r.groupby("CHILD", sort=False)
    is_pn7 = r["REVIEW_CODE"].eq(PN7).fillna(False).astype(bool)
    # The run of PN7s at the end: reviews after the child's last non-PN7 review.
    pos = g.cumcount()
    last_other = pos.where(~is_pn7).groupby(r["CHILD"], sort=False).transform("max")
    n = g["REVIEW"].transform("size")
    run = n - (last_other.fillna(-1).astype("int64") + 1)
    r["run"] = run
    r["previous_review"] = g["REVIEW"].shift(1)
    last = r.groupby("CHILD", sort=False).tail(1)
    hit = last.loc[last["run"].ge(2)]
    out = pd.DataFrame(
        {
            "child_id": hit["CHILD"].astype("str"),
            "previous_review": ts.as_dates(hit["previous_review"]),
            "last_review": hit["REVIEW"],
            "pn7_reviews_in_a_row": hit["run"].astype("Int64"),
        }
    )
    nxt = ctx.overdue[["CHILD", "next_due"]].rename(
        columns={"CHILD": "child_id", "next_due": "next_review_due"}
    )
    out = out.merge(nxt, on="child_id", how="left")
    out = with_iro(ctx, out)
    out = sort_rows(out, ["last_review", "child_id"], [True, True])
    return out[list(PN7_COLUMNS)]


PEP_COLUMNS = (
    "child_id",
    "date_of_birth",
    "age_at_date",
    "latest_pep",
    "pep_due",
    "days_since_pep",
    "days_overdue",
    "iro_id",
)


def no_recent_pep(ctx: KpiContext) -> pd.DataFrame:
    """Looked-after children of the PEP cohort at the as-at date with no PEP in the 6
    months up to it.

    The package defines both: the cohort is `kpis.education_health.pep_cohort` (children
    looked after at the date aged 5 to 15 in completed years at the date, DOB from the 903
    header; a child with no header DOB cannot be aged and is not listed) and "in the last 6
    months" is its up-to-date rule, (date - latest PEP on or before the date).days <= 183.
    So at 31 March the list is exactly the children `pep_up_to_date_pct` counts as not up
    to date. `pep_due` = latest PEP + 183 days; `days_overdue` = date - pep_due (blank when
    the child has no PEP at all)."""
    c = pep_cohort(ctx)
    c = c.loc[~c["up_to_date"]].merge(ctx.header[["CHILD", "DOB"]], on="CHILD", how="left")
    at = year_end_series(ctx, c.index)
    latest = ts.as_dates(c["latest_pep"])
    due = (latest + pd.Timedelta(days=PEP_UP_TO_DATE_DAYS)).astype("datetime64[s]")
    out = pd.DataFrame(
        {
            "child_id": c["CHILD"].astype("str"),
            "date_of_birth": ts.as_dates(c["DOB"]),
            "age_at_date": age_in_years(c["DOB"], ctx.end),
            "latest_pep": latest,
            "pep_due": due,
            "days_since_pep": days_between(at, latest),
            "days_overdue": days_between(at, due),
        }
    )
    out = with_iro(ctx, out)
    out = sort_rows(out, ["latest_pep", "child_id"], [True, True])
    return out[list(PEP_COLUMNS)]
