"""Children in need episodes, Section 47 enquiries, initial conferences, child protection
plans and review conferences (Working Together to Safeguard Children).

Each child has up to three cycles: a Section 47 enquiry (inside a CIN episode) that may
lead to an initial conference (ICPC) within a realistic number of working days, which may
start a plan; plan review conferences follow the 3-month then 6-month cadence; a plan
ends at the review conference that decides to end it (or earlier, before its first
review, or at 18). Some children come back for a repeat plan.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from iro_analysis.contract import codes as C
from iro_analysis.demo.dates import DAY, birthday, days
from iro_analysis.demo.horizon import Horizon, trend_weight
from iro_analysis.demo.params import DemoParams
from iro_analysis.demo.reviews import review_schedule
from iro_analysis.demo.sampling import choose, draw_ages
from iro_analysis.demo.workdays import WorkDays

CP_WARMUP_YEARS = 4
MAX_CYCLES = 3
REFERRAL_SOURCES = (
    (
        "1A",
        "1B",
        "1C",
        "2A",
        "2B",
        "3A",
        "3B",
        "3E",
        "4",
        "5A",
        "5B",
        "5C",
        "5D",
        "6",
        "7",
        "8",
        "10",
    ),
    (
        0.02,
        0.01,
        0.01,
        0.03,
        0.02,
        0.18,
        0.02,
        0.02,
        0.01,
        0.27,
        0.02,
        0.03,
        0.06,
        0.04,
        0.03,
        0.16,
        0.07,
    ),
)
NEEDS = (("N1", "N2", "N3", "N4", "N5", "N6", "N8"), (0.78, 0.01, 0.03, 0.05, 0.10, 0.02, 0.01))
assert set(REFERRAL_SOURCES[0]) <= set(C.CIN_REFERRAL_SOURCES)
assert set(NEEDS[0]) <= set(C.CIN_PRIMARY_NEED_CODES)


def _cycles(
    rng: np.random.Generator, p: DemoParams, h: Horizon, wd: WorkDays, n: int
) -> dict[str, pd.DataFrame]:
    """Candidate children and their cycles, before thinning."""
    cp_start = h.report_start - np.timedelta64(int(CP_WARMUP_YEARS * 365.25), "D")
    window = int((h.end - cp_start) / DAY) + 1
    s47 = wd.roll_forward(cp_start + days(rng.integers(0, window, n)))
    dob = s47 - days(draw_ages(rng, p.s47_age_shares, n))
    adult = birthday(dob, 18)
    child = np.arange(n)
    prior = (rng.random(n) < p.prior_plan_prob).astype(int)
    cin, s47s, plans, reviews = [], [], [], []
    cur_child, cur_s47, n_prev = child, s47, prior
    cin_next = 0
    plan_next = 0
    for cycle in range(MAX_CYCLES):
        m = len(cur_child)
        if m == 0:
            break
        ad = adult[cur_child]
        referral = cur_s47 - days(rng.integers(0, 16, m))
        icpc_p = p.icpc_prob if cycle == 0 else 0.9
        has_icpc = rng.random(m) < icpc_p
        quick = rng.random(m) < p.icpc_within_15wd
        delay = np.where(quick, rng.integers(4, 16, m), rng.integers(16, 41, m))
        icpc = wd.add(cur_s47, delay)
        has_icpc &= icpc < ad
        has_plan = has_icpc & (rng.random(m) < (p.plan_prob if cycle == 0 else 0.95))
        cin_id = cin_next + np.arange(m)
        cin_next += m
        # Plans and their review conferences.
        pi = np.flatnonzero(has_plan)
        pstart = icpc[pi]
        shape, scale = p.plan_duration_gamma
        target = pstart + days(np.round(rng.gamma(shape, scale, len(pi)) * 365.25).astype(np.int64))
        sched = review_schedule(
            rng,
            wd,
            pstart,
            ad[pi],
            h.end + 3 * 366,
            p.rcpc_late_prob,
            10,
            p.rcpc_late_max_wd,
            first_wd=None,
            first_months=3,
            later_months=6,
        )
        sched["target"] = target[sched["case"].values]
        deciding = sched.loc[sched["held"] >= sched["target"]].groupby("case")["held"].min()
        first_rev = sched.loc[sched["ordinal"] == 1].set_index("case")["held"]
        pend = ad[pi].copy()
        fr = np.full(len(pi), np.datetime64("NaT"), dtype="datetime64[D]")
        fr[first_rev.index.values] = first_rev.values.astype("datetime64[D]")
        early_end = np.isnat(fr) | (target < fr)
        pend = np.where(early_end, np.minimum(wd.roll_forward(target), ad[pi]), pend)
        dec = np.full(len(pi), np.datetime64("NaT"), dtype="datetime64[D]")
        dec[deciding.index.values] = deciding.values.astype("datetime64[D]")
        pend = np.where(~early_end & ~np.isnat(dec), dec, pend)
        sched = sched.loc[sched["held"].values <= pend[sched["case"].values]]
        plan_id = plan_next + np.arange(len(pi))
        plan_next += len(pi)
        cat = choose(rng, C.CP_CATEGORIES, p.category_shares, len(pi))
        latest = np.where(
            rng.random(len(pi)) < p.category_change_prob,
            choose(rng, C.CP_CATEGORIES, p.category_shares, len(pi)),
            cat,
        )
        plans.append(
            pd.DataFrame(
                {
                    "plan_id": plan_id,
                    "cin_id": cin_id[pi],
                    "child": cur_child[pi],
                    "CPPstartDate": pstart,
                    "CPPendDate": pend,
                    "InitialCategoryOfAbuse": cat,
                    "LatestCategoryOfAbuse": latest,
                    "NumberOfPreviousCPP": n_prev[pi],
                }
            )
        )
        reviews.append(
            pd.DataFrame(
                {
                    "plan_id": plan_id[sched["case"].values],
                    "child": cur_child[pi][sched["case"].values],
                    "CPPreviewDate": sched["held"].values,
                    "due": sched["due"].values,
                    "late": sched["late"].values,
                    "ordinal": sched["ordinal"].values,
                }
            )
        )
        # CIN episode closure: step-down after a plan, sooner otherwise.
        closure = np.where(
            has_icpc, icpc + days(rng.integers(10, 91, m)), cur_s47 + days(rng.integers(10, 61, m))
        )
        plan_end_full = np.full(m, np.datetime64("NaT"), dtype="datetime64[D]")
        plan_end_full[pi] = pend
        closure[pi] = pend + days(rng.integers(30, 181, len(pi)))
        closure = np.minimum(closure, ad)
        reason = np.where(has_plan, "RC7", np.where(has_icpc, "RC7", "RC8"))
        reason = np.where(rng.random(m) < 0.03, "RC5", reason)
        cin.append(
            pd.DataFrame(
                {
                    "cin_id": cin_id,
                    "child": cur_child,
                    "CINreferralDate": referral,
                    "ReferralSource": choose(rng, *REFERRAL_SOURCES, m),
                    "PrimaryNeedCode": choose(rng, *NEEDS, m),
                    "CINclosureDate": closure,
                    "ReasonForClosure": reason,
                }
            )
        )
        s47s.append(
            pd.DataFrame(
                {
                    "cin_id": cin_id,
                    "child": cur_child,
                    "S47ActualStartDate": cur_s47,
                    "InitialCPCtarget": wd.add(cur_s47, 15),
                    "DateOfInitialCPC": np.where(has_icpc, icpc, np.datetime64("NaT")),
                    "decided": np.where(has_icpc, icpc, wd.add(cur_s47, 10)),
                    "ICPCnotRequired": ~has_icpc,
                }
            )
        )
        # Next cycle: a repeat enquiry after the CIN episode closed.
        again = has_plan & (rng.random(m) < p.repeat_cycle_prob)
        gap = 30 + np.round(rng.exponential(p.repeat_gap_mean_years * 365.25, m)).astype(np.int64)
        nxt = wd.roll_forward(closure + days(gap))
        again &= (nxt <= h.end) & (nxt < birthday(dob[cur_child], 17))
        n_prev = n_prev + has_plan.astype(int)
        cur_child, cur_s47, n_prev = cur_child[again], nxt[again], n_prev[again]
    out = {
        "cin": pd.concat(cin, ignore_index=True),
        "s47": pd.concat(s47s, ignore_index=True),
        "plans": pd.concat(plans, ignore_index=True),
        "reviews": pd.concat(reviews, ignore_index=True),
        "children": pd.DataFrame({"child": child, "dob": dob, "first_s47": s47}),
    }
    # a CIN referral never precedes the previous episode's closure (episodes do not overlap)
    return out


def simulate_cp(
    rng: np.random.Generator, p: DemoParams, h: Horizon, wd: WorkDays, first_child: int
) -> dict[str, pd.DataFrame]:
    """The child protection population, thinned so that plans open at each 31 March are about
    cp_to_cla_ratio x cla_target (with the trend). Child indices start at first_child."""
    target = p.cp_to_cla_ratio * p.cla_target
    window = float((h.end - h.report_start) / DAY) + CP_WARMUP_YEARS * 365.25
    plans_per_s47 = max(p.icpc_prob * p.plan_prob, 0.01)
    mean_plan_days = (p.plan_duration_gamma[0] * p.plan_duration_gamma[1] + 0.3) * 365.25
    oversample = 1.25  # about 1.1x is needed; the loop doubles it if short
    while True:
        n = int(np.ceil(oversample * target * window / (mean_plan_days * plans_per_s47))) + 50
        cand = _cycles(rng, p, h, wd, n)
        w_child = trend_weight(cand["children"]["first_s47"].values, h.mid, p.trend_per_year)
        plans = cand["plans"]
        s = plans["CPPstartDate"].values[:, None]
        e = plans["CPPendDate"].values[:, None]
        open_ = (s <= h.year_ends[None, :]) & (e > h.year_ends[None, :])
        stock = (open_ * w_child[plans["child"].values][:, None]).sum()
        c = target * len(h.year_ends) / max(stock, 1e-9)
        if (c * w_child).max() <= 1.0:
            break
        oversample *= 2
    keep = rng.random(len(w_child)) < c * w_child
    kept = np.flatnonzero(keep)
    new_index = np.full(len(keep), -1)
    new_index[kept] = first_child + np.arange(len(kept))
    out = {}
    for name, df in cand.items():
        df = df.loc[keep[df["child"].values]].copy()
        df["child"] = new_index[df["child"].values]
        out[name] = df.reset_index(drop=True)
    return out
