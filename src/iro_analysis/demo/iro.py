"""The IRO service: the workforce, who chairs what, meetings, and disputes (DRP).

IROs join and leave (monthly turnover) and the service hires to keep caseloads near
`caseload_per_fte` children looked after or on a plan per full-time IRO. Each meeting is
chaired by an IRO in post on its date (a child keeps the same IRO while that IRO is in
post; a new IRO takes over a fair share of children). Disputes are raised by IROs about children in care or on plans, escalate one
stage every `dispute_stage_wd` working days unresolved, and carry into the next year's
file while open.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

from iro_analysis.contract import codes as C
from iro_analysis.demo.dates import DAY, days
from iro_analysis.demo.horizon import Horizon
from iro_analysis.demo.params import DemoParams
from iro_analysis.demo.sampling import choose
from iro_analysis.demo.workdays import WorkDays

# Synthetic surnames for IRO identifiers; a few are non-ASCII (all in cp1252).
SURNAMES = (
    "BRONTË",
    "KHAN",
    "SMITH",
    "JONES",
    "PATEL",
    "OKAFOR",
    "WILLIAMS",
    "TAYLOR",
    "NÚÑEZ",
    "BROWN",
    "DAVIES",
    "EVANS",
    "WILSON",
    "THOMAS",
    "MÜLLER",
    "ROBERTS",
    "JOHNSON",
    "LEWIS",
    "WALKER",
    "HUGHES",
    "GREEN",
    "HALL",
    "CLARKE",
    "JACKSON",
    "WOOD",
    "TURNER",
    "MARTIN",
    "COOPER",
    "HILL",
    "WARD",
    "MORRIS",
    "MOORE",
    "KING",
    "WATSON",
    "LEE",
    "BÉLANGER",
    "HARRIS",
    "YOUNG",
    "ALLEN",
    "MENSAH",
    "BEGUM",
    "AHMED",
    "ÖZTÜRK",
    "MURPHY",
    "KELLY",
)
NON_ASCII_IRO = "BRONTË-001"  # in post throughout, so every workforce file holds one


def caseload(at: np.ndarray, periods: pd.DataFrame, plans: pd.DataFrame) -> np.ndarray:
    """Children looked after or on a plan open at each date (short breaks excluded)."""
    out = np.zeros(len(at))
    for s, e in ((periods["start"], periods["end"]), (plans["CPPstartDate"], plans["CPPendDate"])):
        s = np.sort(s.values.astype("datetime64[D]"))
        e = np.sort(e.values.astype("datetime64[D]"))
        out += np.searchsorted(s, at, side="right") - np.searchsorted(e, at, side="right")
    return out


def simulate_workforce(
    rng: np.random.Generator, p: DemoParams, h: Horizon, load: pd.Series
) -> pd.DataFrame:
    """IRO post holders: iro_id, fte, start_date, end_date (NaT while in post), agency.

    `load` is the caseload at the first of each month (index: month starts)."""
    fte_vals = np.asarray(p.fte_values)
    fte_p = np.asarray(p.fte_shares) / np.sum(p.fte_shares)
    rows: list[dict] = []
    active: list[int] = []
    months = load.index.values.astype("datetime64[D]")

    def hire(start: np.datetime64, fte: float | None = None, name: str | None = None) -> None:
        n = len(rows) + 1
        rows.append(
            {
                "iro_id": name or f"{SURNAMES[int(rng.integers(len(SURNAMES)))]}-{n:03d}",
                "fte": float(
                    fte if fte is not None else fte_vals[rng.choice(len(fte_vals), p=fte_p)]
                ),
                "start_date": start,
                "end_date": np.datetime64("NaT", "D"),
                "agency": "Y" if (fte is None and rng.random() < p.agency_share) else "N",
            }
        )
        active.append(len(rows) - 1)

    hire(months[0] - np.timedelta64(3000, "D"), 1.0, NON_ASCII_IRO)
    for i, m in enumerate(months):
        month_days = 28 if i + 1 == len(months) else int((months[i + 1] - m) / DAY)
        if i > 0:
            for r in list(active):
                if r > 0 and rng.random() < p.iro_turnover_per_year / 12:
                    rows[r]["end_date"] = m + np.timedelta64(int(rng.integers(0, month_days)), "D")
                    active.remove(r)
        need = load.iloc[i] / p.caseload_per_fte
        while sum(rows[r]["fte"] for r in active) < need:
            if i == 0:
                start = m - np.timedelta64(int(rng.integers(30, 3000)), "D")
            else:
                start = m + np.timedelta64(int(rng.integers(0, month_days)), "D")
            hire(start)
    return pd.DataFrame(rows)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a well-spread 64-bit hash of each value (wrapping arithmetic)."""
    x = x.astype(np.uint64)
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


def allocate(workforce: pd.DataFrame, child: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """The chairing IRO of each meeting: of the IROs in post on the date, the one whose
    hash with the child's id is highest (rendezvous hashing), so a child keeps the same IRO
    while that IRO is in post, as the IRO Handbook expects; an IRO who leaves hands their
    children on, and a new IRO takes a fair share of everyone's. Deterministic."""
    dates = dates.astype("datetime64[D]")
    start = workforce["start_date"].values.astype("datetime64[D]")
    end = workforce["end_date"].values.astype("datetime64[D]")
    ids = workforce["iro_id"].values
    iro_key = _mix(np.array([zlib.crc32(str(i).encode()) for i in ids], dtype=np.uint64))
    out = np.empty(len(dates), dtype=object)
    key = _mix(np.asarray(child).astype(np.int64).astype(np.uint64))
    uniq, inv = np.unique(dates, return_inverse=True)
    order = np.argsort(inv, kind="stable")
    bounds = np.searchsorted(inv[order], np.arange(len(uniq) + 1))
    for j, d in enumerate(uniq):
        on = np.flatnonzero((start <= d) & (np.isnat(end) | (end >= d)))
        if len(on) == 0:
            raise ValueError(f"no IRO in post on {d}")
        idx = order[bounds[j] : bounds[j + 1]]
        weight = _mix(key[idx][:, None] ^ iro_key[on][None, :])
        out[idx] = ids[on[weight.argmax(axis=1)]]
    return out.astype(str)


def build_meetings(
    rng: np.random.Generator,
    p: DemoParams,
    wd: WorkDays,
    reviews: pd.DataFrame,
    s47: pd.DataFrame,
    cp_reviews: pd.DataFrame,
    workforce: pd.DataFrame,
    child_ids: np.ndarray,
    since: np.datetime64,
) -> pd.DataFrame:
    """Every meeting an IRO chaired from `since`: CLA reviews (the 903 reviews), ICPCs
    (DateOfInitialCPC) and RCPCs (CPPreviewDate), with rearrangements, visits and advocacy."""
    icpc = s47.loc[s47["DateOfInitialCPC"].notna()]
    icpc_date = icpc["DateOfInitialCPC"].values.astype("datetime64[D]")
    parts = [
        pd.DataFrame(
            {
                "child": reviews["child"].values,
                "meeting_type": "CLA_REVIEW",
                "held": reviews["REVIEW"].values.astype("datetime64[D]"),
                "due": reviews["due"].values.astype("datetime64[D]"),
                "late": reviews["late"].values,
                "advocate": np.isin(reviews["REVIEW_CODE"].values, ("PN2", "PN5")),
            }
        ),
        pd.DataFrame(
            {
                "child": icpc["child"].values,
                "meeting_type": "ICPC",
                "held": icpc_date,
                "due": icpc["InitialCPCtarget"].values.astype("datetime64[D]"),
                "late": icpc_date > icpc["InitialCPCtarget"].values.astype("datetime64[D]"),
                "advocate": False,
            }
        ),
        pd.DataFrame(
            {
                "child": cp_reviews["child"].values,
                "meeting_type": "RCPC",
                "held": cp_reviews["CPPreviewDate"].values.astype("datetime64[D]"),
                "due": cp_reviews["due"].values.astype("datetime64[D]"),
                "late": cp_reviews["late"].values,
                "advocate": False,
            }
        ),
    ]
    m = pd.concat(parts, ignore_index=True)
    m = m.loc[m["held"].values >= since]
    m = m.sort_values(["held", "meeting_type", "child"], kind="stable").reset_index(drop=True)
    n = len(m)
    late = m["late"].values
    rearranged = np.where(
        late, rng.random(n) < p.late_rearranged_prob, rng.random(n) < p.rearranged_prob
    )
    times = np.where(rearranged, 1 + (rng.random(n) < 0.2) + (rng.random(n) < 0.05), 0)
    held = m["held"].values
    first = np.where(
        late,
        wd.add(m["due"].values, -rng.integers(0, 6, n)),
        wd.add(held, -rng.integers(3, 16, n)),
    )
    first = np.where(rearranged, np.minimum(first, held), held)
    reason = np.where(
        rearranged, choose(rng, C.REARRANGED_REASONS, p.rearranged_reason_shares, n), ""
    )
    is_cla = m["meeting_type"].values == "CLA_REVIEW"
    visit = rng.random(n) < np.where(
        is_cla, p.pre_meeting_visit_prob[0], p.pre_meeting_visit_prob[1]
    )
    advocate = m["advocate"].values | (rng.random(n) < p.advocate_prob)
    return pd.DataFrame(
        {
            "meeting_id": np.char.add("M", np.char.zfill(np.arange(1, n + 1).astype(str), 7)),
            "child": m["child"].values,
            "child_id": child_ids[m["child"].values],
            "meeting_type": m["meeting_type"].values,
            "iro_id": allocate(workforce, child_ids[m["child"].values], held),
            "first_scheduled_date": first.astype("datetime64[D]"),
            "held_date": held,
            "times_rearranged": times.astype(int).astype(str),
            "rearranged_reason": reason,
            "pre_meeting_visit": np.where(visit, "Y", "N"),
            "advocate_involved": np.where(advocate, "Y", "N"),
        }
    )


def _pick_times(
    rng: np.random.Generator, start: np.ndarray, end: np.ndarray, y0, y1, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """n (case, date) draws uniform over the person-time of cases within [y0, y1]."""
    s = np.maximum(start.astype("datetime64[D]"), y0)
    e = np.minimum(end.astype("datetime64[D]"), y1 + 1)
    span = np.maximum((e - s).astype(np.int64), 0)
    if span.sum() == 0 or n == 0:
        return np.array([], dtype=int), np.array([], dtype="datetime64[D]")
    case = rng.choice(len(span), size=n, p=span / span.sum())
    date = s[case] + days(np.floor(rng.random(n) * span[case]).astype(np.int64))
    return case, date


def simulate_disputes(
    rng: np.random.Generator,
    p: DemoParams,
    h: Horizon,
    wd: WorkDays,
    periods: pd.DataFrame,
    plans: pd.DataFrame,
    workforce: pd.DataFrame,
    child_ids: np.ndarray,
) -> pd.DataFrame:
    """Disputes raised in each year (and the year before the first, to carry some in)."""
    out = []
    for year in range(h.first - 1, h.last + 1):
        y0, y1 = Horizon.year_bounds(year)
        for cohort, df, s, e, rate in (
            ("CLA", periods, "start", "end", p.disputes_per_100_cla),
            ("CP", plans, "CPPstartDate", "CPPendDate", p.disputes_per_100_cp),
        ):
            st = df[s].values.astype("datetime64[D]")
            en = df[e].values.astype("datetime64[D]")
            during = (st <= y1) & (en >= y0)
            n_children = df.loc[during, "child"].nunique()
            n = rng.poisson(rate / 100 * n_children)
            case, date = _pick_times(rng, st, en, y0, y1, n)
            raised = wd.roll_forward(date)
            ok = (raised <= y1) & (raised < en[case])
            out.append(
                pd.DataFrame(
                    {
                        "child": df["child"].values[case[ok]],
                        "cohort": cohort,
                        "raised_date": raised[ok],
                    }
                )
            )
    d = pd.concat(out, ignore_index=True).sort_values(
        ["raised_date", "cohort", "child"], kind="stable"
    )
    d = d.reset_index(drop=True)
    n = len(d)
    wd_res = np.ceil(
        np.exp(
            np.log(p.dispute_resolve_median_wd) + p.dispute_resolve_sigma * rng.standard_normal(n)
        )
    )
    wd_res = np.maximum(wd_res, 1).astype(np.int64)
    raised = d["raised_date"].values.astype("datetime64[D]")
    d["dispute_id"] = np.char.add("D", np.char.zfill(np.arange(1, n + 1).astype(str), 6))
    d["child_id"] = child_ids[d["child"].values]
    d["iro_id"] = allocate(workforce, d["child_id"].values, raised)
    d["theme"] = choose(rng, C.DISPUTE_THEMES, p.dispute_theme_shares, n)
    d["resolved_date"] = wd.add(raised, wd_res)
    d["final_stage"] = 1 + np.minimum(3, (wd_res - 1) // p.dispute_stage_wd)
    d["outcome"] = choose(rng, C.DISPUTE_OUTCOMES, p.dispute_outcome_shares, n)
    return d


def stage_at(wd: WorkDays, p: DemoParams, raised: np.ndarray, at: np.datetime64) -> np.ndarray:
    """Stage an unresolved dispute has reached by `at`."""
    elapsed = wd.count(raised, np.full(len(raised), at, dtype="datetime64[D]"))
    return 1 + np.minimum(3, np.maximum(elapsed - 1, 0) // p.dispute_stage_wd)
