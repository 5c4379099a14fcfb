"""Statutory timescales (iro_analysis.kpis.timescales): periods of care, reg. 33 reviews, ICPCs,
RCPCs and disputes. Every expected value is worked out in the comments."""

from __future__ import annotations

import pandas as pd
import pytest

from iro_analysis.kpis.timescales import (
    assign_periods,
    dispute_timeliness,
    icpc_timeliness,
    periods_of_care,
    rcpc_timeliness,
    review_timeliness,
    reviews_overdue_at,
)

D = pd.Timestamp
FROM_2021 = D("2021-04-01")  # ordinals known for periods starting on or after this


def episodes(*rows: tuple) -> pd.DataFrame:
    """(CHILD, DECOM, RNE, LS, DEC, REC) rows as a clean episodes frame."""
    df = pd.DataFrame(rows, columns=["CHILD", "DECOM", "RNE", "LS", "DEC", "REC"])
    df["DECOM"] = pd.to_datetime(df["DECOM"])
    df["DEC"] = pd.to_datetime(df["DEC"])
    for c in ("CHILD", "RNE", "LS", "REC"):
        df[c] = df[c].astype("str")
    return df


def reviews(*rows: tuple) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["CHILD", "REVIEW"])
    df["REVIEW"] = pd.to_datetime(df["REVIEW"])
    df["CHILD"] = df["CHILD"].astype("str")
    df["REVIEW_CODE"] = "PN1"
    return df


def by_date(frame: pd.DataFrame, child: str, day: str) -> pd.Series:
    hit = frame[(frame["CHILD"] == child) & (frame["REVIEW"] == D(day))]
    assert len(hit) == 1
    return hit.iloc[0]


# --------------------------------------------------------------------------------------
# Periods of care
# --------------------------------------------------------------------------------------


def test_periods_split_on_rne_s_and_gaps_and_drop_short_breaks():
    ep = episodes(
        # A: X1 change of placement on 9 Dec continues the period; 1 Mar RNE S starts a new one
        ("A", "2022-12-01", "S", "L2", "2022-12-09", "X1"),
        ("A", "2022-12-09", "L", "C1", "2023-02-01", "E13"),
        ("A", "2023-03-01", "S", "C1", None, None),
        # B: an episode that does not start on the previous DEC starts a new period even
        # without RNE = S (and its start is then unknown)
        ("B", "2021-01-01", "S", "C2", "2021-06-01", "E13"),
        ("B", "2021-07-01", "P", "C2", None, None),
        # C: short breaks only
        ("C", "2022-05-01", "S", "V4", "2022-05-03", "E8"),
    )
    p = periods_of_care(ep)
    assert p[["CHILD", "period"]].values.tolist() == [["A", 1], ["A", 2], ["B", 1], ["B", 2]]
    a1 = p.iloc[0]
    assert (a1["start"], a1["end"], a1["start_known"]) == (D("2022-12-01"), D("2023-02-01"), True)
    # The open period's end is blank (its last episode has no DEC).
    assert pd.isna(p.iloc[1]["end"])
    assert not p.iloc[3]["start_known"]
    assert list(assign_periods(ep)["period"]) == [1, 1, 2, 1, 2]


def test_period_whose_last_episode_is_open_is_open():
    # Regression: the end is the last episode's DEC, blank included, not the last non-blank.
    ep = episodes(
        ("C4", "2022-12-01", "S", "L2", "2022-12-09", "X1"),
        ("C4", "2022-12-09", "L", "C1", None, None),
    )
    p = periods_of_care(ep)
    assert len(p) == 1 and pd.isna(p.iloc[0]["end"])


def test_overlapping_episodes_are_one_period_ending_at_the_latest_dec():
    """Issue #29: a child is never in two periods at once. An episode starting before the
    latest DEC of the child's earlier episodes, or while one is open, continues that period
    whatever its RNE; the period ends at the latest DEC and is open while any episode is."""
    ep = episodes(
        # A: two open episodes at once, the second with RNE S: one open period
        ("A", "2021-03-01", "S", "C2", None, None),
        ("A", "2021-10-01", "S", "C2", None, None),
        # B: an episode ending inside an open one: one open period
        ("B", "2021-05-10", "S", "C2", None, None),
        ("B", "2021-06-01", "P", "C2", "2021-09-01", "E4A"),
        # C: a short episode nested in a long one, then one starting on the long one's DEC
        # (not the previous episode's): one period to 30 Nov 2021
        ("C", "2021-01-01", "S", "C2", "2021-06-01", "X1"),
        ("C", "2021-02-01", "L", "C2", "2021-03-01", "X1"),
        ("C", "2021-06-01", "P", "C2", "2021-11-30", "E13"),
        # D: no overlap, RNE S on the previous DEC: a new period, as before
        ("D", "2021-01-01", "S", "C2", "2021-02-01", "E13"),
        ("D", "2021-02-01", "S", "C2", None, None),
    )
    assert list(assign_periods(ep)["period"]) == [1, 1, 1, 1, 1, 1, 1, 1, 2]
    p = periods_of_care(ep).set_index(["CHILD", "period"])
    assert pd.isna(p.loc[("A", 1), "end"]) and pd.isna(p.loc[("B", 1), "end"])
    assert p.loc[("C", 1), "end"] == D("2021-11-30")
    assert (p.loc[("D", 1), "end"], p.loc[("D", 2), "start"]) == (D("2021-02-01"), D("2021-02-01"))


def test_a_review_inside_overlapping_episodes_is_in_their_period():
    # Before issue #29 the 1 Dec review fell after the inner episode (the latest start) and
    # was "in no period"; it is review 3 of the one period.
    ep = episodes(
        ("B", "2021-05-10", "S", "C2", None, None),
        ("B", "2021-06-01", "P", "C2", "2021-09-01", "E4A"),
    )
    t = review_timeliness(
        reviews(("B", "2021-06-04"), ("B", "2021-09-01"), ("B", "2021-12-01")), ep, FROM_2021
    )
    assert t["in_period"].all() and t["ordinal"].tolist() == [1, 2, 3]
    assert t["on_time"].all()
    od = reviews_overdue_at(ep, t, D("2022-03-31"))
    assert od[["CHILD", "last_review", "next_due", "overdue"]].values.tolist() == [
        ["B", D("2021-12-01"), D("2022-06-01"), False]
    ]


# --------------------------------------------------------------------------------------
# Looked-after reviews (reg. 33)
# --------------------------------------------------------------------------------------


def test_leaving_and_returning_restarts_the_20_working_day_rule():
    ep = episodes(
        ("C2", "2021-09-01", "S", "V2", "2022-06-30", "E13"),
        ("C2", "2022-10-03", "S", "C1", None, None),
    )
    rv = reviews(
        ("C2", "2021-09-28"),
        ("C2", "2022-03-25"),
        ("C2", "2022-10-31"),
        ("C2", "2023-01-27"),
    )
    t = review_timeliness(rv, ep, FROM_2021)
    # Period 1, review 1: wd(1 Sep 2021, 28 Sep 2021) = 19 <= 20: on time.
    r = by_date(t, "C2", "2021-09-28")
    assert (r["ordinal"], r["on_time"]) == (1, True)
    # Review 2 due 28 Sep + 3 months = 28 Dec 2021; held 25 Mar 2022: late.
    r = by_date(t, "C2", "2022-03-25")
    assert (r["ordinal"], r["due_date"], r["on_time"]) == (2, D("2021-12-28"), False)
    # Period 2 restarts: wd(3 Oct 2022, 31 Oct 2022) = 20 -> on time (the old cycle would
    # have made it due on 25 Sep 2022 and late).
    r = by_date(t, "C2", "2022-10-31")
    assert (r["period"], r["ordinal"], r["on_time"]) == (2, 1, True)
    assert r["due_date"] == D("2022-10-31")
    # Review 2 of period 2 due 31 Oct 2022 + 3 months = 31 Jan 2023; held 27 Jan: on time.
    r = by_date(t, "C2", "2023-01-27")
    assert (r["ordinal"], r["due_date"], r["on_time"]) == (2, D("2023-01-31"), True)


def test_first_review_21_working_days_is_late():
    ep = episodes(("X", "2022-10-03", "S", "C1", None, None))
    t = review_timeliness(reviews(("X", "2022-11-01")), ep, FROM_2021)
    # wd(3 Oct 2022, 1 Nov 2022) = 21 > 20
    assert not t.iloc[0]["on_time"] and t.iloc[0]["assessable"]


def test_review_due_on_29_february():
    ep = episodes(
        ("C7", "2023-11-01", "S", "C1", None, None),
        ("C8", "2023-11-01", "S", "C1", None, None),
        ("C9", "2023-03-01", "S", "C1", None, None),
    )
    rv = reviews(
        ("C7", "2023-11-29"),  # wd(1 Nov, 29 Nov 2023) = 20: on time
        ("C7", "2024-02-29"),  # due 29 Nov + 3 months = 29 Feb 2024: on time
        ("C8", "2023-11-29"),
        ("C8", "2024-03-01"),  # a day after 29 Feb: late
        ("C9", "2023-03-29"),  # review 1
        ("C9", "2023-08-31"),  # review 2 (late, due 29 Jun)
        ("C9", "2024-02-29"),  # review 3 due 31 Aug + 6 months = 29 Feb 2024: on time
    )
    t = review_timeliness(rv, ep, FROM_2021)
    assert by_date(t, "C7", "2023-11-29")["on_time"]
    r = by_date(t, "C7", "2024-02-29")
    assert (r["due_date"], r["on_time"]) == (D("2024-02-29"), True)
    assert not by_date(t, "C8", "2024-03-01")["on_time"]
    r = by_date(t, "C9", "2024-02-29")
    assert (r["ordinal"], r["due_date"], r["on_time"]) == (3, D("2024-02-29"), True)


def test_unknown_start_first_review_not_assessable_then_six_months():
    # First supplied episode has RNE = T: the period began before the data.
    ep = episodes(("C5", "2020-02-01", "T", "C2", None, None))
    rv = reviews(("C5", "2021-11-15"), ("C5", "2022-05-10"), ("C5", "2022-11-16"))
    t = review_timeliness(rv, ep, FROM_2021)
    r = by_date(t, "C5", "2021-11-15")
    assert not r["assessable"] and pd.isna(r["ordinal"])
    # Due 15 Nov 2021 + 6 months = 15 May 2022: on time. Then 10 May + 6 = 10 Nov: late.
    r = by_date(t, "C5", "2022-05-10")
    assert (r["assessable"], r["due_date"], r["on_time"]) == (True, D("2022-05-15"), True)
    r = by_date(t, "C5", "2022-11-16")
    assert (r["assessable"], r["on_time"]) == (True, False)


def test_known_start_before_review_history_uses_unknown_ordinals():
    # RNE = S on 1 Jan 2021, before 1 April 2021 (start of the earliest reviews year): the
    # data may miss earlier reviews, so the first supplied review is not assessable and
    # the next is due within 6 months (not 3).
    ep = episodes(("Y", "2021-01-04", "S", "C2", None, None))
    rv = reviews(("Y", "2021-05-04"), ("Y", "2021-10-01"))
    t = review_timeliness(rv, ep, FROM_2021)
    assert not by_date(t, "Y", "2021-05-04")["assessable"]
    r = by_date(t, "Y", "2021-10-01")
    assert (r["due_date"], r["on_time"]) == (D("2021-11-04"), True)


def test_review_on_boundary_day_belongs_to_later_period_and_short_break_only_is_flagged():
    ep = episodes(
        ("Z", "2022-04-04", "S", "C2", "2022-06-01", "E13"),
        ("Z", "2022-06-01", "S", "C2", None, None),
        ("S", "2022-05-01", "S", "V4", "2022-05-03", "E8"),
    )
    rv = reviews(("Z", "2022-06-01"), ("S", "2022-05-02"), ("Q", "2022-07-01"))
    t = review_timeliness(rv, ep, FROM_2021)
    r = by_date(t, "Z", "2022-06-01")
    # Review 1 of the period starting that day: wd = 0 -> on time.
    assert (r["period"], r["ordinal"], r["on_time"]) == (2, 1, True)
    r = by_date(t, "S", "2022-05-02")
    assert r["short_break_only"] and not r["in_period"]
    r = by_date(t, "Q", "2022-07-01")  # no period at all: kept, not assessable
    assert not r["short_break_only"] and not r["in_period"] and not r["assessable"]


@pytest.mark.parametrize(
    ("start", "overdue"),
    [
        ("2023-03-03", False),  # wd(3 Mar 2023, 31 Mar 2023) = 20: a review today is on time
        ("2023-03-02", True),  # wd = 21 > 20: overdue
    ],
)
def test_overdue_with_no_review_yet(start: str, overdue: bool):
    ep = episodes(("N", start, "S", "C1", None, None))
    t = review_timeliness(reviews(("other", "2022-01-01")), ep, FROM_2021)
    od = reviews_overdue_at(ep, t, D("2023-03-31"))
    assert od.iloc[0]["overdue"] is overdue or bool(od.iloc[0]["overdue"]) == overdue


def test_overdue_after_review_1_uses_3_months_and_unknown_start_is_never_overdue():
    ep = episodes(
        ("C4", "2022-12-01", "S", "C1", None, None),
        ("U", "2020-01-01", "T", "C2", None, None),
    )
    t = review_timeliness(reviews(("C4", "2022-12-29")), ep, FROM_2021)
    od = reviews_overdue_at(ep, t, D("2023-03-31")).set_index("CHILD")
    # Review 1 on 29 Dec 2022 -> review 2 due 29 Mar 2023 < 31 Mar: overdue.
    assert od.loc["C4", "next_due"] == D("2023-03-29") and od.loc["C4", "overdue"]
    # Unknown start, no review: not overdue.
    assert not od.loc["U", "overdue"]


# --------------------------------------------------------------------------------------
# Child protection and disputes
# --------------------------------------------------------------------------------------


def _s47(rows):
    df = pd.DataFrame(
        rows, columns=["LAchildID", "S47ActualStartDate", "DateOfInitialCPC", "ICPCnotRequired"]
    )
    for c in ("S47ActualStartDate", "DateOfInitialCPC"):
        df[c] = pd.to_datetime(df[c])
    df["ICPCnotRequired"] = df["ICPCnotRequired"].astype("boolean")
    return df


def test_icpc_jubilee_ictcnotrequired_and_latest_s47():
    s47 = _s47(
        [
            # S47 on Fri 27 May 2022, ICPC 21 June: 15 working days (2, 3 June are bank
            # holidays; without them it would be 17).
            ("K1", "2022-05-27", "2022-06-21", False),
            # ICPCnotRequired: its ICPC (from CINdetails) is held but not in the measure.
            ("K2", "2022-07-04", None, True),
            # Two S47s before the ICPC: the latest (1 Nov) counts; wd(1 Nov, 30 Nov) = 21.
            ("K3", "2022-09-01", None, None),
            ("K3", "2022-11-01", "2022-11-30", None),
        ]
    )
    details = pd.DataFrame(
        {
            "LAchildID": ["K1", "K2", "K3"],
            "DateOfInitialCPC": pd.to_datetime(["2022-06-21", "2022-08-01", "2022-11-30"]),
        }
    )
    t = icpc_timeliness(s47, details).set_index("LAchildID")
    assert len(t) == 3  # distinct (child, date) over both sources
    assert t.loc["K1", "working_days"] == 15 and t.loc["K1", "within_15wd"]
    assert not t.loc["K2", "follows_s47"]
    assert t.loc["K3", "S47ActualStartDate"] == D("2022-11-01")
    assert t.loc["K3", "working_days"] == 21 and not t.loc["K3", "within_15wd"]


def test_rcpc_due_dates_and_plans_before_history():
    rv = pd.DataFrame(
        {
            "LAchildID": ["K1", "K1", "K6", "K6"],
            "CPPstartDate": pd.to_datetime(
                ["2022-06-21", "2022-06-21", "2021-01-15", "2021-01-15"]
            ),
            "CPPreviewDate": pd.to_datetime(
                ["2022-09-20", "2023-03-21", "2021-04-12", "2021-10-11"]
            ),
        }
    )
    t = rcpc_timeliness(rv, FROM_2021)
    # K1: first due 21 Sep 2022 (on time), second due 20 Mar 2023 (21 Mar is late).
    assert t["due_date"].tolist()[:2] == [D("2022-09-21"), D("2023-03-20")]
    assert t["on_time"].tolist() == [True, False, False, True]
    # K6 started 15 Jan 2021, before 1 April 2021: its first supplied review is not
    # assessable; the next is due 12 Apr + 6 months = 12 Oct 2021 (held 11 Oct).
    assert t["assessable"].tolist() == [True, True, False, True]


def test_dispute_due_date_and_working_days():
    d = pd.DataFrame(
        {
            "dispute_id": ["D1", "D2"],
            "raised_date": pd.to_datetime(["2022-05-27", "2022-09-01"]),
            "resolved_date": pd.to_datetime(["2022-06-24", "2022-10-10"]),
        }
    )
    t = dispute_timeliness(d)
    # D1: wd(27 May, 24 Jun 2022) = 18 (Jubilee). D2: wd(1 Sep, 10 Oct 2022) = 26 (19 Sep
    # was the State Funeral bank holiday); its 20th working day is 30 Sep.
    assert t["working_days_to_resolve"].tolist() == [18, 26]
    assert t["resolved_within_20wd"].tolist() == [True, False]
    assert t["due_date"].tolist()[1] == D("2022-09-30")
