"""Exception lists of child protection conferences out of timescale (Working Together) and
disputes open beyond 20 working days (the IRO dispute resolution process).

At 31 March they agree with `icpc_within_15wd_pct`, `rcpc_on_time_pct` and
`drp_open_overdue_at_31_march`.
"""

from __future__ import annotations

import pandas as pd

from iro_analysis.analysts.as_at import as_int64, days_between, sort_rows, with_iro, year_end_series
from iro_analysis.kpis import disputes as _disputes
from iro_analysis.kpis import timescales as ts
from iro_analysis.kpis.calendar import add_months, add_working_days, working_days_between
from iro_analysis.kpis.context import KpiContext

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
    at = year_end_series(ctx, nxt.index)
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
    out["days_overdue"] = days_between(upto, out["due_date"])
    out["working_days_overdue"] = as_int64(working_days_between(out["due_date"], upto))
    out = with_iro(ctx, out)
    out = sort_rows(
        out, ["conference", "status", "due_date", "child_id"], [True, False, True, True]
    )
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
    at = year_end_series(ctx, o.index)
    o["days_open"] = days_between(at, o["raised_date"])
    o["working_days_open"] = as_int64(o["working_days_open"])
    o["days_overdue"] = days_between(at, o["due_date"])
    o["working_days_overdue"] = as_int64(working_days_between(o["due_date"], at))
    o["highest_stage"] = o["highest_stage"].astype("Int64")
    o = with_iro(ctx, o)
    o = sort_rows(o, ["raised_date", "dispute_id"], [True, True])
    return o[list(DISPUTE_COLUMNS)]
