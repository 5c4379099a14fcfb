"""Managers' exception lists: the children to act on at a named date (child-level, restricted).

Five lists, each a pure function of a KPI context whose `end` is the as-at date (see
`as_at_context`), each returning one row per item to act on with the child's id, the dates
that matter, how far past its timescale it is and the IRO where known:

- `reviews_overdue_or_due`: looked-after reviews overdue at the date, or due within the
  next 20 working days (Care Planning Regulations 2010, reg. 33);
- `conferences_out_of_timescale`: initial and review child protection conferences held
  late in the 12 months up to the date, or overdue and not yet held (Working Together);
- `disputes_open_overdue`: disputes open at the date for more than 20 working days;
- `pn7_last_two_reviews`: looked-after children whose last two reviews were coded PN7
  (did not attend, no views conveyed);
- `no_recent_pep`: looked-after children of the PEP cohort (aged 5 to 15) whose latest PEP
  is more than 183 days old, or who have none.

Every timescale is the package's own: due dates and overdue flags come from
`iro_analysis.kpis.timescales` and the KPI context (`KpiContext.overdue`,
`kpis.education_health.pep_cohort`, `kpis.disputes.open_at_end`), so at 31 March each list
agrees with the matching KPI (`cla_reviews_overdue_at_31_march`,
`drp_open_overdue_at_31_march`, `icpc_within_15wd_pct`, `rcpc_on_time_pct`,
`pep_up_to_date_pct`). The readings the lists add are written in each function's
docstring and in docs/analysts-guide.md.

`iro-analysis exceptions --year YEAR [--as-at YYYY-MM-DD]` (and `make exceptions YEAR=...`)
writes them as one Excel workbook and one CSV per list to `restricted/<YEAR>/exceptions/`,
never under reports/: they name children.
"""

from __future__ import annotations

import argparse
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from iro_analysis import paths
from iro_analysis.errors import InputError
from iro_analysis.ingest.dataset import Dataset
from iro_analysis.kpis import disputes as _disputes
from iro_analysis.kpis import timescales as ts
from iro_analysis.kpis.calendar import add_months, add_working_days, working_days_between
from iro_analysis.kpis.context import KpiContext, age_in_years
from iro_analysis.kpis.education_health import PEP_UP_TO_DATE_DAYS, pep_cohort
from iro_analysis.settings import Settings, settings_or_defaults
from iro_analysis.years import ReportingYear

DUE_SOON_WORKING_DAYS = 20  # a review is "due" when wd(as-at, next due) <= 20
PN7 = "PN7"

# --------------------------------------------------------------------------------------
# The as-at date
# --------------------------------------------------------------------------------------


def check_as_at(year: int, as_at: object = None) -> pd.Timestamp:
    """The as-at date of `year`'s lists: 31 March `year` by default, else `as_at` (a date or
    "YYYY-MM-DD"), which must fall in the reporting year (1 April year-1 to 31 March year):
    the lists are filed under that year's restricted folder and read its data. Raises
    InputError otherwise."""
    ry = ReportingYear(int(year))
    if as_at is None or (isinstance(as_at, str) and not as_at.strip()):
        return ry.end.as_unit("s")
    try:
        when = pd.Timestamp(as_at.strip() if isinstance(as_at, str) else as_at)
    except (TypeError, ValueError):
        when = pd.NaT
    if when is pd.NaT or pd.isna(when):
        raise InputError(f"--as-at must be a date as YYYY-MM-DD, got {as_at!r}")
    if when != when.normalize():
        raise InputError(f"--as-at must be a date without a time, got {as_at!r}")
    if not ry.start <= when <= ry.end:
        raise InputError(
            f"--as-at {when.date()} is outside the reporting year {ry.label} "
            f"({ry.start.date()} to {ry.end.date()}); choose a date in it or another --year"
        )
    return when.as_unit("s")


class AsAtContext(KpiContext):
    """A `KpiContext` whose `end` is the as-at date and whose `start` is the day after the
    same date 12 months earlier, so "in the year" means the 12 months up to the date.

    At 31 March (the default) it is exactly the reporting year's context, so the lists and
    the KPIs agree. Every derived table the context caches (children looked after at `end`,
    reviews overdue at `end`, CP plans open at `end`, ...) is then taken at the as-at date.
    `as_at` is that date.
    """

    def __init__(
        self, ds: Dataset, year: int, as_at: object = None, settings: Settings | None = None
    ) -> None:
        super().__init__(ds, year, settings)
        self.as_at: pd.Timestamp = check_as_at(self.year, as_at)
        self.end = self.as_at
        self.start = (self.as_at - pd.DateOffset(months=12) + pd.Timedelta(days=1)).as_unit("s")


def as_at_context(
    ds: Dataset, year: int, as_at: object = None, settings: Settings | None = None
) -> AsAtContext:
    """The KPI context of `year` taken at `as_at` (default 31 March `year`)."""
    return AsAtContext(ds, year, as_at, settings)


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def _at(ctx: KpiContext, index: pd.Index) -> pd.Series:
    return pd.Series(ctx.end, index=index, dtype="datetime64[s]")


def _int(s: pd.Series) -> pd.Series:
    """Whole numbers as nullable Int64 (NA where missing)."""
    return pd.to_numeric(s).round().astype("Int64")


def _days(later: pd.Series, earlier: pd.Series) -> pd.Series:
    """Calendar days from `earlier` to `later` (Int64, NA where either is missing)."""
    return _int((ts.as_dates(later) - ts.as_dates(earlier)).dt.days)


def iro_allocation(ctx: KpiContext) -> pd.DataFrame:
    """`child_id, iro_id`: the IRO who chaired each child's latest meeting (any type) held on
    or before the as-at date, the rule the caseload figures use (ties broken by
    meeting_id). Children with no such meeting have no row."""
    m = ctx.table("meetings")
    held = m.loc[m["held_date"].notna() & m["held_date"].le(ctx.end) & m["iro_id"].notna()]
    latest = (
        held.sort_values(["child_id", "held_date", "meeting_id"], kind="mergesort")
        .groupby("child_id", sort=False)
        .tail(1)[["child_id", "iro_id"]]
    )
    return latest.reset_index(drop=True)


def _with_iro(ctx: KpiContext, frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` (with child_id) with `iro_id` from `iro_allocation`, filling only blanks."""
    alloc = iro_allocation(ctx).rename(columns={"iro_id": "_iro"})
    out = frame.merge(alloc, on="child_id", how="left")
    if "iro_id" in out.columns:
        out["iro_id"] = out["iro_id"].fillna(out["_iro"])
        return out.drop(columns="_iro")
    return out.rename(columns={"_iro": "iro_id"})


def _sorted(frame: pd.DataFrame, by: list[str], ascending: list[bool]) -> pd.DataFrame:
    return frame.sort_values(
        by, ascending=ascending, kind="mergesort", na_position="last"
    ).reset_index(drop=True)


# --------------------------------------------------------------------------------------
# The lists
# --------------------------------------------------------------------------------------

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
    wd_to = working_days_between(_at(ctx, out.index), out["next_due"])
    due = ~out["overdue"] & out["next_due"].notna() & wd_to.le(within)
    out = out.loc[out["overdue"] | due].reset_index(drop=True)
    at = _at(ctx, out.index)
    overdue = out["overdue"]
    out["status"] = np.where(overdue, "overdue", "due")
    out["days_overdue"] = _days(at, out["next_due"]).where(overdue)
    out["working_days_overdue"] = _int(working_days_between(out["next_due"], at)).where(overdue)
    out["working_days_to_due"] = _int(working_days_between(at, out["next_due"])).where(~overdue)
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
    out = _with_iro(ctx, out)
    out = _sorted(out, ["status", "next_due", "child_id"], [False, True, True])
    return out[list(REVIEW_COLUMNS)]


CONFERENCE_COLUMNS = (
    "child_id",
    "conference",
    "status",
    "counted_from",
    "plan_start",
    "due_date",
    "held_date",
    "days_overdue",
    "working_days_overdue",
    "iro_id",
)


def _icpcs_late(ctx: KpiContext) -> pd.DataFrame:
    t = ts.icpc_timeliness(ctx.table("s47"), ctx.table("cin_details"))
    late = t.loc[ctx.in_year(t["DateOfInitialCPC"]) & t["follows_s47"] & ~t["within_15wd"]]
    return pd.DataFrame(
        {
            "child_id": late["LAchildID"],
            "conference": "ICPC",
            "status": "held late",
            "counted_from": late["S47ActualStartDate"],
            "plan_start": pd.Series(pd.NaT, index=late.index, dtype="datetime64[s]"),
            "due_date": add_working_days(late["S47ActualStartDate"], ts.ICPC_WORKING_DAYS),
            "held_date": late["DateOfInitialCPC"],
        }
    )


def _icpcs_awaited(ctx: KpiContext) -> pd.DataFrame:
    """Section 47 enquiries started in the 12 months up to the date, with an ICPC required
    (ICPCnotRequired false or blank) and none held for the child from the enquiry's start
    up to the date, more than 15 working days after the start."""
    when = ctx.end
    s47 = ctx.table("s47")
    required = ~s47["ICPCnotRequired"].astype("boolean").fillna(False).astype(bool)
    start = s47["S47ActualStartDate"]
    s = s47.loc[required & ctx.in_year(start), ["LAchildID", "S47ActualStartDate"]]
    s = s.drop_duplicates().sort_values("S47ActualStartDate", kind="mergesort")
    icpc = ts.icpc_timeliness(ctx.table("s47"), ctx.table("cin_details"))[
        ["LAchildID", "DateOfInitialCPC"]
    ].sort_values("DateOfInitialCPC", kind="mergesort")
    nxt = pd.merge_asof(
        s,
        icpc,
        left_on="S47ActualStartDate",
        right_on="DateOfInitialCPC",
        by="LAchildID",
        direction="forward",
    )
    at = _at(ctx, nxt.index)
    not_held = nxt["DateOfInitialCPC"].isna() | nxt["DateOfInitialCPC"].gt(when)
    late = working_days_between(nxt["S47ActualStartDate"], at).gt(ts.ICPC_WORKING_DAYS)
    a = nxt.loc[not_held & late]
    return pd.DataFrame(
        {
            "child_id": a["LAchildID"],
            "conference": "ICPC",
            "status": "overdue, not held",
            "counted_from": a["S47ActualStartDate"],
            "plan_start": pd.Series(pd.NaT, index=a.index, dtype="datetime64[s]"),
            "due_date": add_working_days(a["S47ActualStartDate"], ts.ICPC_WORKING_DAYS),
            "held_date": pd.Series(pd.NaT, index=a.index, dtype="datetime64[s]"),
        }
    )


def _rcpcs_late(ctx: KpiContext) -> pd.DataFrame:
    t = ts.rcpc_timeliness(ctx.table("cp_reviews"), ctx.cp_ordinals_from)
    late = t.loc[ctx.in_year(t["CPPreviewDate"]) & t["assessable"] & ~t["on_time"]]
    return pd.DataFrame(
        {
            "child_id": late["LAchildID"],
            "conference": "RCPC",
            "status": "held late",
            "counted_from": late["prev_review"].fillna(late["CPPstartDate"]),
            "plan_start": late["CPPstartDate"],
            "due_date": late["due_date"],
            "held_date": late["CPPreviewDate"],
        }
    )


def _rcpcs_overdue(ctx: KpiContext) -> pd.DataFrame:
    """Plans open at the date whose next review conference is past due and not held: the
    last review conference on or before the date + 6 months, or with none, the plan's
    start + 3 months (only for a plan starting on or after the census history begins,
    `cp_ordinals_from`; an older plan with no review in the data has no known due date)."""
    when = ctx.end
    plans = ctx.cp_open_at_end[["LAchildID", "CPPstartDate"]].drop_duplicates()
    rv = ctx.table("cp_reviews")
    rv = rv.loc[rv["CPPreviewDate"].le(when)]
    last = rv.groupby(["LAchildID", "CPPstartDate"], sort=False)["CPPreviewDate"].max()
    out = plans.merge(
        last.rename("last").reset_index(), on=["LAchildID", "CPPstartDate"], how="left"
    )
    has = out["last"].notna()
    later = add_months(out["last"], ts.RCPC_LATER_MONTHS).astype("datetime64[s]")
    first = add_months(out["CPPstartDate"], ts.RCPC_FIRST_MONTHS).astype("datetime64[s]")
    complete = out["CPPstartDate"].ge(ctx.cp_ordinals_from)
    due = later.where(has, first.where(complete))
    o = out.assign(due_date=due).loc[due.notna() & due.lt(when)]
    return pd.DataFrame(
        {
            "child_id": o["LAchildID"],
            "conference": "RCPC",
            "status": "overdue, not held",
            "counted_from": o["last"].fillna(o["CPPstartDate"]),
            "plan_start": o["CPPstartDate"],
            "due_date": o["due_date"],
            "held_date": pd.Series(pd.NaT, index=o.index, dtype="datetime64[s]"),
        }
    )


def conferences_out_of_timescale(ctx: KpiContext) -> pd.DataFrame:
    """Child protection conferences outside their timescale at the as-at date.

    - ICPC held late: an initial conference held in the 12 months up to the date that
      follows a Section 47 enquiry (the `icpc_within_15wd_pct` denominator) with
      wd(S47ActualStartDate, ICPC) > 15 (`timescales.icpc_timeliness`).
    - ICPC overdue, not held: a Section 47 enquiry started in those 12 months, an ICPC
      required (ICPCnotRequired false or blank), no ICPC for the child from its start up to
      the date, and wd(start, date) > 15.
    - RCPC held late: a review conference held in those 12 months after its due date (the
      first within 3 months of the plan's start, each later one within 6 months of the
      previous: `timescales.rcpc_timeliness`; not-assessable ones are not listed).
    - RCPC overdue, not held: a plan open at the date whose next review conference was due
      before the date (see `_rcpcs_overdue`).
    `counted_from` is the date the timescale runs from (S47 start, plan start or previous
    review conference); `due_date` for an ICPC is the 15th working day after the S47 start.
    `days_overdue` = (held or as-at date) - due date in days; `working_days_overdue` =
    wd(due date, held or as-at date)."""
    parts = [_icpcs_late(ctx), _icpcs_awaited(ctx), _rcpcs_late(ctx), _rcpcs_overdue(ctx)]
    found = [p for p in parts if len(p)]
    out = pd.concat(found, ignore_index=True) if found else parts[0].reset_index(drop=True)
    for c in ("counted_from", "plan_start", "due_date", "held_date"):
        out[c] = ts.as_dates(out[c])
    out["child_id"] = out["child_id"].astype("str")
    upto = out["held_date"].fillna(ctx.end)
    out["days_overdue"] = _days(upto, out["due_date"])
    out["working_days_overdue"] = _int(working_days_between(out["due_date"], upto))
    out = _with_iro(ctx, out)
    out = _sorted(out, ["conference", "status", "due_date", "child_id"], [True, False, True, True])
    return out[list(CONFERENCE_COLUMNS)]


DISPUTE_COLUMNS = (
    "child_id",
    "dispute_id",
    "cohort",
    "theme",
    "highest_stage",
    "raised_date",
    "due_date",
    "days_open",
    "working_days_open",
    "days_overdue",
    "working_days_overdue",
    "iro_id",
)


def disputes_open_overdue(ctx: KpiContext) -> pd.DataFrame:
    """Disputes open at the as-at date for more than 20 working days: raised on or before
    the date (any year), with no resolved_date or one after the date (a dispute resolved on
    the date is closed), and wd(raised, date) > 20 (`kpis.disputes.open_at_end`, the rule of
    `drp_open_overdue_at_31_march`). `due_date` is the 20th working day after raising;
    `working_days_overdue` = wd(due date, date) = wd(raised, date) - 20. `iro_id` is the
    dispute's own (the IRO who raised it), else the child's allocated IRO."""
    o = _disputes.open_at_end(ctx)
    o = o.loc[o["working_days_open"].gt(ts.DISPUTE_WORKING_DAYS)].copy()
    at = _at(ctx, o.index)
    o["days_open"] = _days(at, o["raised_date"])
    o["working_days_open"] = _int(o["working_days_open"])
    o["days_overdue"] = _days(at, o["due_date"])
    o["working_days_overdue"] = _int(working_days_between(o["due_date"], at))
    o["highest_stage"] = o["highest_stage"].astype("Int64")
    o = _with_iro(ctx, o)
    o = _sorted(o, ["raised_date", "dispute_id"], [True, True])
    return o[list(DISPUTE_COLUMNS)]


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
    out = _with_iro(ctx, out)
    out = _sorted(out, ["last_review", "child_id"], [True, True])
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
    at = _at(ctx, c.index)
    latest = ts.as_dates(c["latest_pep"])
    due = (latest + pd.Timedelta(days=PEP_UP_TO_DATE_DAYS)).astype("datetime64[s]")
    out = pd.DataFrame(
        {
            "child_id": c["CHILD"].astype("str"),
            "date_of_birth": ts.as_dates(c["DOB"]),
            "age_at_date": age_in_years(c["DOB"], ctx.end),
            "latest_pep": latest,
            "pep_due": due,
            "days_since_pep": _days(at, latest),
            "days_overdue": _days(at, due),
        }
    )
    out = _with_iro(ctx, out)
    out = _sorted(out, ["latest_pep", "child_id"], [True, True])
    return out[list(PEP_COLUMNS)]


# --------------------------------------------------------------------------------------
# The set of lists
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExceptionList:
    """One list: its key (CSV name), sheet title, one-line rule, inputs and function."""

    key: str
    sheet: str  # at most 31 characters (Excel)
    rule: str
    inputs: tuple[str, ...]  # supplied inputs (schema.SUPPLIED_INPUTS) of YEAR's own folder
    compute: Callable[[KpiContext], pd.DataFrame]


EXCEPTION_LISTS: dict[str, ExceptionList] = {
    e.key: e
    for e in (
        ExceptionList(
            "reviews-overdue-or-due",
            "Reviews overdue or due",
            "Looked-after children whose next review (reg. 33) is overdue, or due within "
            "20 working days",
            ("episodes", "reviews"),
            reviews_overdue_or_due,
        ),
        ExceptionList(
            "conferences-out-of-timescale",
            "Conferences out of timescale",
            "ICPCs not within 15 working days of the Section 47 start, RCPCs not within "
            "3 months of the plan start then 6 months: held late in the last 12 months, "
            "or overdue and not held",
            ("cin_census",),
            conferences_out_of_timescale,
        ),
        ExceptionList(
            "disputes-open-over-20wd",
            "Disputes open over 20 wd",
            "Disputes open at the date for more than 20 working days",
            ("disputes",),
            disputes_open_overdue,
        ),
        ExceptionList(
            "pn7-last-two-reviews",
            "PN7 at last two reviews",
            "Looked-after children whose last two reviews were coded PN7 (did not attend, "
            "no views conveyed)",
            ("episodes", "reviews"),
            pn7_last_two_reviews,
        ),
        ExceptionList(
            "no-pep-in-6-months",
            "No PEP in 6 months",
            "Looked-after children aged 5 to 15 with no PEP in the 183 days up to the date",
            ("pep", "episodes", "header"),
            no_recent_pep,
        ),
    )
}


def missing_inputs(ctx: KpiContext) -> dict[str, list[str]]:
    """For each list that cannot be produced, the inputs missing from the year's folder."""
    out = {}
    for key, e in EXCEPTION_LISTS.items():
        gaps = [i for i in e.inputs if not ctx.has(i)]
        if gaps:
            out[key] = gaps
    return out


def exception_lists(ctx: KpiContext) -> dict[str, pd.DataFrame]:
    """Every list whose inputs were supplied in the year's own folder (as for the KPIs: a
    list whose data was not supplied is left out, never shown empty), keyed as
    `EXCEPTION_LISTS`, at the context's `end` (see `as_at_context`)."""
    gaps = missing_inputs(ctx)
    return {k: e.compute(ctx) for k, e in EXCEPTION_LISTS.items() if k not in gaps}


def summary(lists: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """`list, sheet, children, rows`: how many distinct children and rows each list holds."""
    return pd.DataFrame(
        [
            (k, EXCEPTION_LISTS[k].sheet, int(df["child_id"].nunique()), len(df))
            for k, df in lists.items()
        ],
        columns=["list", "sheet", "children", "rows"],
    )


# --------------------------------------------------------------------------------------
# Output: restricted/<YEAR>/exceptions/
# --------------------------------------------------------------------------------------

EXCEPTIONS_FOLDER = "exceptions"
RESTRICTED_NOTE = (
    "Child-level: restricted. Do not publish, attach to committee papers or copy outside "
    "the IRO service."
)
_MAX_WIDTH = 60
DATE_FORMAT = "DD/MM/YYYY"


def exceptions_dir(year: int, restricted_dir: Path | None = None) -> Path:
    """`restricted/<YEAR>/exceptions/` (`restricted_dir` defaults to paths.RESTRICTED_DIR)."""
    return paths.restricted_year_dir(int(year), restricted_dir) / EXCEPTIONS_FOLDER


def check_not_published(folder: Path, reports_dirs: list[Path]) -> None:
    """Refuse (InputError) a restricted folder inside, or equal to, a reports folder: what
    lies under reports/ may be published, and the lists name children."""
    target = Path(folder).resolve()
    for rep in reports_dirs:
        r = Path(rep).resolve()
        if target == r or r in target.parents:
            raise InputError(
                f"the restricted folder {folder} is inside the reports folder {rep}; child-level "
                "exception lists are never written where reports are published. Use a folder "
                "outside it (default: restricted/)"
            )


def workbook_name(as_at: pd.Timestamp) -> str:
    return f"exceptions-{pd.Timestamp(as_at).date().isoformat()}.xlsx"


def csv_name(key: str, as_at: pd.Timestamp) -> str:
    return f"{key}-{pd.Timestamp(as_at).date().isoformat()}.csv"


def _csv_text(df: pd.DataFrame) -> str:
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d")
    return out.to_csv(index=False, lineterminator="\n")


def _about(ctx: KpiContext, lists: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    ry = ReportingYear(ctx.year)
    rows = [
        ("As at", pd.Timestamp(ctx.end).date().isoformat()),
        ("Reporting year", ry.label),
        (
            "Conferences held late",
            f"held from {ctx.start.date().isoformat()} to {ctx.end.date().isoformat()}",
        ),
        ("Years of data read", ", ".join(map(str, ctx.ds.years))),
        ("Restricted", RESTRICTED_NOTE),
        ("", ""),
    ]
    gaps = missing_inputs(ctx)
    for key, e in EXCEPTION_LISTS.items():
        if key in lists:
            df = lists[key]
            n = f"{df['child_id'].nunique()} children, {len(df)} rows"
        else:
            n = f"not produced: {', '.join(gaps[key])} not supplied for {ctx.year}"
        rows.append((e.sheet, f"{n}. {e.rule}."))
    rows.append(("", ""))
    rows.append(("Rules", "docs/analysts-guide.md and `help(iro_analysis.analysts.exceptions)`"))
    return pd.DataFrame(rows, columns=["item", "value"])


def _format_sheet(ws, frame: pd.DataFrame, *, table: bool = True) -> None:
    """Header row frozen, autofilter over the table, widths from the longest value."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    for cell in ws[1]:
        cell.font = Font(bold=True)
    if table:
        ws.freeze_panes = "A2"
        last = get_column_letter(max(len(frame.columns), 1))
        ws.auto_filter.ref = f"A1:{last}{len(frame) + 1}"
    else:
        for (cell,) in ws.iter_rows(min_row=2, min_col=2, max_col=2):
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i, col in enumerate(frame.columns, start=1):
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            longest = 10
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = DATE_FORMAT
        else:
            lengths = s.astype("string").str.len()
            longest = int(lengths.max()) if len(s) and lengths.notna().any() else 0
        ws.column_dimensions[get_column_letter(i)].width = min(
            max(len(str(col)), longest) + 2, _MAX_WIDTH
        )


def write_workbook(ctx: KpiContext, lists: Mapping[str, pd.DataFrame], path: Path) -> Path:
    """One workbook: an "About" sheet (date, rules, counts, lists not produced), then a sheet
    per list with its header frozen, an autofilter and column widths fitted (openpyxl);
    dates shown as DD/MM/YYYY."""
    about = _about(ctx, lists)
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        about.to_excel(xl, sheet_name="About", index=False)
        _format_sheet(xl.sheets["About"], about, table=False)
        for key, df in lists.items():
            sheet = EXCEPTION_LISTS[key].sheet
            df.to_excel(xl, sheet_name=sheet, index=False)
            _format_sheet(xl.sheets[sheet], df)
        book = xl.book
        book.properties.creator = "iro-analysis"
        book.properties.title = f"IRO exception lists at {pd.Timestamp(ctx.end).date()}"
    return path


def write_exception_lists(
    ctx: KpiContext, lists: Mapping[str, pd.DataFrame], out_dir: Path
) -> dict[str, Path]:
    """Write the workbook and one CSV per list (ISO dates, UTF-8, "\\n" line ends) into
    `out_dir`, named with the as-at date. The files are staged in a hidden folder beside
    them and moved into place only when all are written; earlier files for the same date
    (a list no longer produced) are removed. Returns {key or "workbook": path}."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = out_dir / f".staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        names = {"workbook": workbook_name(ctx.end)}
        write_workbook(ctx, lists, staging / names["workbook"])
        for key, df in lists.items():
            names[key] = csv_name(key, ctx.end)
            (staging / names[key]).write_bytes(_csv_text(df).encode("utf-8"))
        keep = set(names.values())
        for key in EXCEPTION_LISTS:
            old = out_dir / csv_name(key, ctx.end)
            if old.name not in keep and old.exists():
                old.unlink()
        written = {}
        for key, name in names.items():
            os.replace(staging / name, out_dir / name)
            written[key] = out_dir / name
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------


def cli_main(args: argparse.Namespace) -> int:
    """`iro-analysis exceptions --year YEAR [--as-at YYYY-MM-DD] [--raw-dir] [--processed-dir]
    [--restricted-dir]`: write the year's exception lists to
    `<restricted>/<YEAR>/exceptions/`. Refuses a restricted folder inside the reports
    folder. Uses the processed data when it is current with the raw folders, else cleans
    first (`explore.load_year`)."""
    from iro_analysis.analysts.explore import load_year

    settings = settings_or_defaults(getattr(args, "settings", None))
    year = int(args.year)
    as_at = check_as_at(year, getattr(args, "as_at", None))
    restricted = Path(getattr(args, "restricted_dir", None) or settings.paths.restricted)
    check_not_published(restricted, [Path(settings.paths.reports), paths.REPORTS_DIR])
    raw_dir = Path(args.raw_dir) if getattr(args, "raw_dir", None) else settings.paths.raw
    processed = getattr(args, "processed_dir", None) or settings.paths.processed
    if not paths.raw_year_dir(year, raw_dir).is_dir():
        have = paths.available_years(raw_dir)
        raise InputError(
            f"no raw folder for {year} at {paths.raw_year_dir(year, raw_dir)}; years available: "
            + (", ".join(map(str, have)) if have else "none (run `make data` for the demo)")
        )
    ds = load_year(year, raw_dir, processed)
    ctx = as_at_context(ds, year, as_at, settings)
    lists = exception_lists(ctx)
    if not lists:
        gaps = "; ".join(f"{k}: {', '.join(v)}" for k, v in missing_inputs(ctx).items())
        raise InputError(f"the data for {year} supports no exception list (missing: {gaps})")
    out = exceptions_dir(year, restricted)
    check_not_published(out, [Path(settings.paths.reports), paths.REPORTS_DIR])  # via links
    written = write_exception_lists(ctx, lists, out)
    print(f"Exception lists at {as_at.date()} (restricted: child-level) in {out}:")
    for row in summary(lists).itertuples(index=False):
        print(f"  {row.sheet}: {row.children} children, {row.rows} rows")
    for key, gaps in missing_inputs(ctx).items():
        print(f"  {EXCEPTION_LISTS[key].sheet}: not produced ({', '.join(gaps)} not supplied)")
    print(f"Workbook: {written['workbook']}")
    return 0
