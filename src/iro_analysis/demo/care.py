"""Periods of care, their episodes (903 episodes.csv) and looked-after reviews.

One simulated population moving through time: children enter care at an age drawn from
DfE entry shares, stay for a length drawn from a mixture (cut at their 18th birthday),
change placement and legal status (new episodes chained without gaps), leave with a
reason consistent with age, and some return later. Reviews follow the Care Planning
Regulations 2010 reg. 33: the first within 20 working days of the period's start, the
second within 3 months of the first, then every 6 months, each counted from the actual
date of the previous review; a tunable share is late.

This module simulates the periods of care; the rest lives in `sampling` (shared draws),
`episode_rules` and `episodes` (903 episodes), `short_breaks` (V3/V4), `reviews`
(reg. 33 and participation) and `education_health` (PEPs, OC2); other modules import
those from where they are defined.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from iro_analysis.demo.dates import DAY, birthday, completed_years, days
from iro_analysis.demo.horizon import Horizon, trend_weight
from iro_analysis.demo.params import DemoParams
from iro_analysis.demo.sampling import draw_ages


def _durations(rng: np.random.Generator, p: DemoParams, n: int) -> np.ndarray:
    shares = np.array([s for s, _ in p.duration_mix])
    means = np.array([m for _, m in p.duration_mix])
    comp = rng.choice(len(shares), size=n, p=shares / shares.sum())
    return np.maximum(1, np.round(rng.exponential(means[comp]) * 365.25)).astype(np.int64)


def _draw_children(rng: np.random.Generator, p: DemoParams, h: Horizon, n: int) -> pd.DataFrame:
    """Candidate children with a first period of care and maybe a return to care."""
    window = int((h.end - h.start) / DAY) + 1
    start = h.start + days(rng.integers(0, window, n))
    dob = start - days(draw_ages(rng, p.entry_age_shares, n))
    adult = birthday(dob, 18)
    end = np.minimum(start + days(_durations(rng, p, n)), adult)
    child = np.arange(n)
    first = pd.DataFrame({"child": child, "period_no": 1, "start": start, "end": end, "dob": dob})
    # Returns to care: after a period that ended before 16 and within the horizon.
    age_end = completed_years(dob, end)
    back = (end < h.end) & (age_end < 16) & (rng.random(n) < p.return_to_care_prob)
    gap = 30 + np.round(rng.exponential(p.return_gap_mean_years * 365.25, n)).astype(np.int64)
    s2 = end + days(gap)
    e2 = np.minimum(s2 + days(_durations(rng, p, n)), adult)
    back &= (s2 <= h.end) & (s2 < adult)
    second = pd.DataFrame(
        {"child": child[back], "period_no": 2, "start": s2[back], "end": e2[back], "dob": dob[back]}
    )
    return pd.concat([first, second], ignore_index=True)


def _stock(periods: pd.DataFrame, at: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Weighted number of periods open at each date (start <= at < end)."""
    s = periods["start"].values[:, None]
    e = periods["end"].values[:, None]
    open_ = (s <= at[None, :]) & (e > at[None, :])
    return (open_ * weight[:, None]).sum(axis=0)


def thin_to_target(
    rng: np.random.Generator,
    candidates: pd.DataFrame,
    first_start: np.ndarray,
    h: Horizon,
    target: float,
    trend: float,
) -> np.ndarray:
    """Children to keep (boolean per candidate child) so that the stock at each 31 March is
    about `target` times the trend. Thinning a Poisson process keeps it Poisson."""
    w_child = trend_weight(first_start, h.mid, trend)
    w = w_child[candidates["child"].values]
    stock = _stock(candidates, h.year_ends, w)
    c = target * len(h.year_ends) / max(stock.sum(), 1e-9)
    keep_prob = c * w_child
    if keep_prob.max() > 1.0:
        raise RuntimeError("not enough candidates to thin; raise the oversampling")
    return rng.random(len(w_child)) < keep_prob


def simulate_periods(rng: np.random.Generator, p: DemoParams, h: Horizon) -> pd.DataFrame:
    """Periods of care of the looked-after population: child, period_no, start, end, dob.

    `end` is the true end (it may fall after the horizon: the period is then open)."""
    pilot = _durations(rng, p, 20_000)
    window = float((h.end - h.start) / DAY)
    mean_days = float(np.minimum(pilot, 365.25 * 9).mean())
    oversample = 1.4  # about 1.3x is needed; the loop doubles it if short
    while True:
        n = int(np.ceil(oversample * p.cla_target * window / mean_days)) + 50
        cand = _draw_children(rng, p, h, n)
        first_start = cand.loc[cand["period_no"] == 1].sort_values("child")["start"].values
        try:
            keep = thin_to_target(rng, cand, first_start, h, p.cla_target, p.trend_per_year)
            break
        except RuntimeError:
            oversample *= 2
    periods = cand.loc[keep[cand["child"].values]].copy()
    periods = periods.sort_values(["child", "period_no"]).reset_index(drop=True)
    periods["child"] = pd.factorize(periods["child"])[0]  # dense 0..n-1, in order
    return periods
