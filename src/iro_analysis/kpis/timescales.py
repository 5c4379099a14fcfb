"""Statutory timescales: periods of care, due dates and on-time flags, vectorised.

- Looked-after reviews: Care Planning, Placement and Case Review (England) Regulations
  2010, reg. 33. Within a period of care, review 1 is due within 20 working days of the
  period's start, review 2 within 3 months of review 1 and each later review within
  6 months of the previous one, counting from the *actual* date of the previous review.
  A new period of care restarts the cycle.
- Child protection: Working Together to Safeguard Children. The initial conference is due
  within 15 working days of the Section 47 enquiry's start; the first review conference
  within 3 months of the plan's start, each later one within 6 months of the previous.
- Disputes: the IRO dispute resolution process, resolved within 20 working days.

Every function takes clean tables (`schema.CLEAN_TABLES`) from any number of years and
returns a new frame; the KPI code filters to the reporting year. The readings of the KPI
definitions (docs/kpis.md, each KPI's docstring: periods of care and reviews, child
protection) are implemented exactly and quoted where they apply.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from iro_analysis.contract.codes import LS_SHORT_BREAKS, RNE_NEW_PERIOD
from iro_analysis.ingest.periods import period_ends, period_numbers, sort_episodes
from iro_analysis.kpis.calendar import add_months, add_working_days, working_days_between

REVIEW_1_WORKING_DAYS = 20  # reg. 33(a): within 20 working days of the period's start
REVIEW_2_MONTHS = 3  # reg. 33(b): within 3 months of the first review
REVIEW_LATER_MONTHS = 6  # reg. 33(c): within 6 months of the previous review
ICPC_WORKING_DAYS = 15  # Working Together: ICPC within 15 working days of the S47 start
RCPC_FIRST_MONTHS = 3  # Working Together: first review conference within 3 months
RCPC_LATER_MONTHS = 6  # then within 6 months of the previous review conference
DISPUTE_WORKING_DAYS = 20  # dispute resolution within 20 working days

_UNIT = "datetime64[s]"


def as_dates(s: pd.Series) -> pd.Series:
    """A date column as `datetime64[s]` (one unit everywhere, so merges and offsets agree)."""
    return pd.to_datetime(s).astype(_UNIT)


def _stamp(x: object) -> pd.Timestamp:
    return pd.Timestamp(x).as_unit("s")


# --------------------------------------------------------------------------------------
# Periods of care
# --------------------------------------------------------------------------------------


def drop_short_breaks(episodes: pd.DataFrame) -> pd.DataFrame:
    """Episodes without short breaks (LS V3/V4), as DfE statistics exclude them."""
    return episodes.loc[~episodes["LS"].isin(LS_SHORT_BREAKS)].copy()


def assign_periods(episodes: pd.DataFrame) -> pd.DataFrame:
    """Short breaks dropped, each episode numbered with its child's period of care.

    Rule (kpis.md): a child's episodes sorted by DECOM form one period of care until an
    episode has RNE = S or does not start on the previous episode's DEC; then a new period
    starts. Reading (issue #29, docs/assumptions.md): a child is never in two periods at
    once, so an episode that starts before the latest DEC of the child's earlier episodes,
    or while one of them is open, continues that period (`ingest.periods`). Adds `period`
    (1, 2, ... per child) and `period_end` (the period's latest DEC, NaT while any of its
    episodes is open). Vectorised with groupby cummax/shift and cumsum.
    """
    ep = drop_short_breaks(episodes)
    ep["DECOM"] = as_dates(ep["DECOM"])
    ep["DEC"] = as_dates(ep["DEC"])
    ep = sort_episodes(ep)
    ep["period"] = period_numbers(ep)
    ep["period_end"] = period_ends(ep, ep["period"])
    return ep


def periods_of_care(episodes: pd.DataFrame) -> pd.DataFrame:
    """One row per (CHILD, period): `start`, `start_known`, `end` (NaT while open).

    A period's start is its first supplied episode's DECOM; it is *known* only when that
    episode has RNE = S (otherwise the period began before the data). A period covers
    `[start, end]`: `end` is the latest DEC of its episodes, NaT while any of them is open
    (overlapping episodes are one period, `assign_periods`).
    """
    ep = assign_periods(episodes)
    g = ep.groupby(["CHILD", "period"], sort=False)
    out = g[["DECOM", "RNE", "period_end"]].first(skipna=False)
    out = out.rename(columns={"DECOM": "start", "period_end": "end"})
    out["start_known"] = out.pop("RNE").eq(RNE_NEW_PERIOD).fillna(False).astype(bool)
    return out.reset_index()[["CHILD", "period", "start", "start_known", "end"]]


def periods_open_at(periods: pd.DataFrame, when: pd.Timestamp) -> pd.DataFrame:
    """Periods open at `when`: start <= when and (end blank or end > when)."""
    when = _stamp(when)
    mask = periods["start"].le(when) & (periods["end"].isna() | periods["end"].gt(when))
    return periods.loc[mask].copy()


# --------------------------------------------------------------------------------------
# Looked-after reviews (reg. 33)
# --------------------------------------------------------------------------------------


def _within_intervals(
    left: pd.DataFrame, date_col: str, intervals: pd.DataFrame, start: str, end: str
) -> pd.DataFrame:
    """For each row of `left`, the latest interval of the same CHILD starting on or before
    `date_col` (merge_asof), with `inside` telling whether the date is on or before its end
    (a blank end is open)."""
    right = intervals.sort_values(start, kind="mergesort")
    out = pd.merge_asof(
        left.sort_values(date_col, kind="mergesort"),
        right,
        left_on=date_col,
        right_on=start,
        by="CHILD",
        direction="backward",
        allow_exact_matches=True,
    )
    found = out[start].notna()
    out["inside"] = found & (out[end].isna() | out[date_col].le(out[end]))
    return out


def review_timeliness(
    reviews: pd.DataFrame, episodes: pd.DataFrame, ordinals_from: pd.Timestamp
) -> pd.DataFrame:
    """Every review with its period of care, ordinal, due date and on-time flag.

    `ordinals_from` is 1 April of the year before the earliest year supplying reviews.csv
    (that is, the start of that reporting year): only a period whose start is known and on
    or after it has every review in the data. Readings (kpis.md):
    - Reviews belong to the period they fall in; a review on the day one period ends and
      the next starts belongs to the later one. A review that falls only inside a
      short-break episode (V3/V4) is flagged `short_break_only` and dropped from every
      review KPI; a review inside no period is kept but not assessable.
    - Known ordinals: review 1 is on time when `wd(start, review) <= 20`, review 2 when
      `review <= review 1 + 3 months`, each later one when `<= previous + 6 months`.
    - Other periods: the first supplied review is not assessable, each later one is due
      within 6 months of the previous one.
    Columns added: period, period_start, start_known, in_period, short_break_only,
    ordinals_known, seq (1-based order in its period), ordinal (Int64, NA when unknown),
    prev_review, due_date, assessable, on_time.
    """
    rv = reviews.copy()
    rv["REVIEW"] = as_dates(rv["REVIEW"])
    rv["_row"] = np.arange(len(rv))
    periods = periods_of_care(episodes).rename(
        columns={"start": "period_start", "end": "period_end"}
    )
    rv = _within_intervals(rv, "REVIEW", periods, "period_start", "period_end")
    rv = rv.rename(columns={"inside": "in_period"})
    inside = rv["in_period"]
    rv["period"] = rv["period"].astype("Float64").where(inside).astype("Int64")
    rv["period_start"] = rv["period_start"].where(inside)
    rv["period_end"] = rv["period_end"].where(inside)
    known_start = rv["start_known"].astype("boolean").fillna(False).astype(bool)
    rv["start_known"] = known_start & inside

    # Short-break-only reviews: inside a V3/V4 episode and inside no period.
    sb = episodes.loc[episodes["LS"].isin(LS_SHORT_BREAKS), ["CHILD", "DECOM", "DEC"]].copy()
    sb["DECOM"] = as_dates(sb["DECOM"])
    sb["DEC"] = as_dates(sb["DEC"])
    sb = sb.rename(columns={"DECOM": "_sb_start", "DEC": "_sb_end"})
    in_sb = _within_intervals(rv[["_row", "CHILD", "REVIEW"]], "REVIEW", sb, "_sb_start", "_sb_end")
    rv = rv.merge(in_sb[["_row", "inside"]], on="_row", how="left")
    rv["short_break_only"] = rv.pop("inside").fillna(False).astype(bool) & ~rv["in_period"]
    rv = rv.drop(columns=["_sb_start", "_sb_end"], errors="ignore")

    # Sequence within the period: sort, then groupby/shift and cumcount.
    rv = rv.sort_values(["CHILD", "REVIEW"], kind="mergesort").reset_index(drop=True)
    inp = rv["in_period"]
    grp = rv.loc[inp].groupby(["CHILD", "period"], sort=False)
    rv["seq"] = pd.Series(pd.NA, index=rv.index, dtype="Int64")
    rv.loc[inp, "seq"] = grp.cumcount().astype("int64") + 1
    rv["prev_review"] = pd.Series(pd.NaT, index=rv.index, dtype=_UNIT)
    rv.loc[inp, "prev_review"] = grp["REVIEW"].shift(1)
    rv["prev_review"] = as_dates(rv["prev_review"])

    cutoff = _stamp(ordinals_from)
    rv["ordinals_known"] = inp & rv["start_known"] & rv["period_start"].ge(cutoff)
    rv["ordinal"] = rv["seq"].where(rv["ordinals_known"])

    first = rv["seq"].eq(1).fillna(False).astype(bool)
    second = rv["seq"].eq(2).fillna(False).astype(bool)
    known = rv["ordinals_known"]
    due_r1 = add_working_days(rv["period_start"], REVIEW_1_WORKING_DAYS)
    due_r2 = add_months(rv["prev_review"], REVIEW_2_MONTHS).astype(_UNIT)
    due_later = add_months(rv["prev_review"], REVIEW_LATER_MONTHS).astype(_UNIT)
    due = pd.Series(pd.NaT, index=rv.index, dtype=_UNIT)
    due = due.mask(known & first, due_r1)
    due = due.mask(known & second, due_r2)
    due = due.mask(inp & ~first & ~(known & second), due_later)
    rv["due_date"] = due
    rv["assessable"] = inp & (known | ~first)

    wd_r1 = working_days_between(rv["period_start"], rv["REVIEW"])
    on_time = np.where(
        known & first, wd_r1.le(REVIEW_1_WORKING_DAYS), rv["REVIEW"].le(rv["due_date"])
    )
    rv["on_time"] = pd.Series(on_time, index=rv.index).astype(bool) & rv["assessable"]
    return rv.sort_values("_row", kind="mergesort").drop(columns=["_row"]).reset_index(drop=True)


def reviews_overdue_at(
    episodes: pd.DataFrame, timed_reviews: pd.DataFrame, when: pd.Timestamp
) -> pd.DataFrame:
    """Per child looked after at `when`: the next review due date and whether it is overdue.

    Reading (kpis.md): look at the period open at `when`. With no review in it on or before
    `when`: overdue when its start is known and `wd(start, when) > 20` (a review held on
    `when` would be late); unknown start and no review: not overdue. Otherwise the next
    review is due at the last review + 3 months when that review is review 1 of a period
    with known ordinals, else + 6 months; overdue when `when` is after that date.
    `timed_reviews` is the output of `review_timeliness`. Columns: CHILD, period, start,
    start_known, last_review, next_due, overdue, wd_in_care (`wd(start, when)`).
    """
    when = _stamp(when)
    open_ = periods_open_at(periods_of_care(episodes), when)
    # One period per child: overlapping episodes are one period (`assign_periods`).
    open_ = open_.drop_duplicates("CHILD", keep="last")
    tr = timed_reviews.loc[timed_reviews["in_period"] & timed_reviews["REVIEW"].le(when)]
    last = (
        tr.sort_values(["CHILD", "REVIEW"], kind="mergesort")
        .groupby(["CHILD", "period"], sort=False)
        .tail(1)[["CHILD", "period", "REVIEW", "ordinal"]]
        .rename(columns={"REVIEW": "last_review", "ordinal": "last_ordinal"})
    )
    last["period"] = last["period"].astype("int64")
    out = open_.merge(last, on=["CHILD", "period"], how="left")
    out["wd_in_care"] = working_days_between(out["start"], pd.Series(when, index=out.index))
    has_review = out["last_review"].notna()
    after_r1 = out["last_ordinal"].eq(1).fillna(False).astype(bool)
    next_due = pd.Series(pd.NaT, index=out.index, dtype=_UNIT)
    next_due = next_due.mask(
        has_review & after_r1, add_months(out["last_review"], REVIEW_2_MONTHS).astype(_UNIT)
    )
    next_due = next_due.mask(
        has_review & ~after_r1, add_months(out["last_review"], REVIEW_LATER_MONTHS).astype(_UNIT)
    )
    first_due = add_working_days(out["start"], REVIEW_1_WORKING_DAYS)
    next_due = next_due.mask(~has_review & out["start_known"], first_due)
    out["next_due"] = next_due
    overdue_first = ~has_review & out["start_known"] & out["wd_in_care"].gt(REVIEW_1_WORKING_DAYS)
    overdue_later = has_review & out["next_due"].lt(when)
    out["overdue"] = (overdue_first | overdue_later).astype(bool)
    cols = ["CHILD", "period", "start", "start_known", "last_review", "next_due", "overdue"]
    return out[[*cols, "wd_in_care"]]


# --------------------------------------------------------------------------------------
# Child protection (Working Together)
# --------------------------------------------------------------------------------------


def icpc_timeliness(s47: pd.DataFrame, cin_details: pd.DataFrame) -> pd.DataFrame:
    """Every initial conference (distinct child and DateOfInitialCPC, from Section47 and
    CINdetails) with the Section 47 it follows and whether it was within 15 working days.

    Reading (kpis.md): the 15-working-day measure covers ICPCs with a Section47 whose
    ICPCnotRequired is false (blank = false) and whose start is on or before the ICPC; with
    several, the latest such start counts. On time when `wd(S47ActualStartDate, ICPC) <= 15`.
    Columns: LAchildID, DateOfInitialCPC, S47ActualStartDate, follows_s47, working_days,
    within_15wd.
    """
    a = s47[["LAchildID", "DateOfInitialCPC"]]
    b = cin_details[["LAchildID", "DateOfInitialCPC"]]
    icpc = pd.concat([a, b], ignore_index=True).dropna(subset=["DateOfInitialCPC"])
    icpc["DateOfInitialCPC"] = as_dates(icpc["DateOfInitialCPC"])
    icpc = icpc.drop_duplicates().rename(columns={"LAchildID": "CHILD"})
    req = s47.loc[
        ~s47["ICPCnotRequired"].astype("boolean").fillna(False).astype(bool),
        ["LAchildID", "S47ActualStartDate"],
    ].dropna()
    req = req.rename(columns={"LAchildID": "CHILD"})
    req["S47ActualStartDate"] = as_dates(req["S47ActualStartDate"])
    out = pd.merge_asof(
        icpc.sort_values("DateOfInitialCPC", kind="mergesort"),
        req.drop_duplicates().sort_values("S47ActualStartDate", kind="mergesort"),
        left_on="DateOfInitialCPC",
        right_on="S47ActualStartDate",
        by="CHILD",
        direction="backward",
    )
    out["follows_s47"] = out["S47ActualStartDate"].notna()
    out["working_days"] = working_days_between(out["S47ActualStartDate"], out["DateOfInitialCPC"])
    out["within_15wd"] = out["follows_s47"] & out["working_days"].le(ICPC_WORKING_DAYS)
    out = out.rename(columns={"CHILD": "LAchildID"})
    out = out.sort_values(["LAchildID", "DateOfInitialCPC"], kind="mergesort")
    return out.reset_index(drop=True)


def rcpc_timeliness(cp_reviews: pd.DataFrame, ordinals_from: pd.Timestamp) -> pd.DataFrame:
    """Every review conference with its due date and on-time flag.

    A plan's first review is due within 3 months of CPPstartDate, each later one within
    6 months of the previous (Working Together). Reading (kpis.md): for a plan that started
    before `ordinals_from` (1 April of the year before the earliest census supplied), the
    first supplied review is not assessable. Columns added: seq, prev_review, due_date,
    assessable, on_time.
    """
    rv = cp_reviews.copy()
    rv["CPPstartDate"] = as_dates(rv["CPPstartDate"])
    rv["CPPreviewDate"] = as_dates(rv["CPPreviewDate"])
    rv = rv.sort_values(["LAchildID", "CPPstartDate", "CPPreviewDate"], kind="mergesort")
    rv = rv.reset_index(drop=True)
    g = rv.groupby(["LAchildID", "CPPstartDate"], sort=False)
    rv["seq"] = g.cumcount().astype("int64") + 1
    rv["prev_review"] = as_dates(g["CPPreviewDate"].shift(1))
    first = rv["seq"].eq(1)
    complete = rv["CPPstartDate"].ge(_stamp(ordinals_from))
    due_first = add_months(rv["CPPstartDate"], RCPC_FIRST_MONTHS).astype(_UNIT)
    due_later = add_months(rv["prev_review"], RCPC_LATER_MONTHS).astype(_UNIT)
    rv["due_date"] = due_later.mask(first, due_first.where(complete))
    rv["assessable"] = ~first | complete
    rv["on_time"] = rv["assessable"] & rv["CPPreviewDate"].le(rv["due_date"])
    return rv


# --------------------------------------------------------------------------------------
# Disputes
# --------------------------------------------------------------------------------------


def dispute_timeliness(disputes: pd.DataFrame) -> pd.DataFrame:
    """Every dispute with `due_date` (20th working day after raising), `working_days_to_resolve`
    (`wd(raised, resolved)`, NaN while open) and `resolved_within_20wd`."""
    d = disputes.copy()
    d["raised_date"] = as_dates(d["raised_date"])
    d["resolved_date"] = as_dates(d["resolved_date"])
    d["due_date"] = add_working_days(d["raised_date"], DISPUTE_WORKING_DAYS)
    d["working_days_to_resolve"] = working_days_between(d["raised_date"], d["resolved_date"])
    d["resolved_within_20wd"] = d["working_days_to_resolve"].le(DISPUTE_WORKING_DAYS)
    return d
