"""Looked-after reviews (Care Planning Regulations 2010, reg. 33) and participation codes:
the first review within 20 working days of the period's start, the second within 3 months
of the first, then every 6 months from the actual previous review; a share is late.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from iro_analysis.demo.dates import add_months, completed_years
from iro_analysis.demo.horizon import Horizon
from iro_analysis.demo.params import DemoParams
from iro_analysis.demo.sampling import choose
from iro_analysis.demo.workdays import WorkDays


def review_schedule(
    rng: np.random.Generator,
    wd: WorkDays,
    start: np.ndarray,
    end: np.ndarray,
    horizon_end: np.datetime64,
    late_prob: float,
    early_max_wd: int,
    late_max_wd: int,
    first_wd: int | None,
    first_months: int,
    later_months: int,
) -> pd.DataFrame:
    """Statutory meetings for each case [start, end): the first due `first_wd` working days
    after start (or `first_months` months when first_wd is None), the second `first_months`
    after the first (when first_wd is set), later ones `later_months` after the previous
    actual meeting. On time: held 0..early_max_wd working days before due (never on or
    before the previous); late (share late_prob): 1..late_max_wd working days after due.
    Meetings on or after `end` or after the horizon are not held.
    Returns case, ordinal (1-based), due, held, late."""
    n = len(start)
    case = np.arange(n)
    prev = start.astype("datetime64[D]")
    end = end.astype("datetime64[D]")
    out = []
    ordinal = 1
    while len(case):
        if ordinal == 1:
            due = wd.add(prev, first_wd) if first_wd is not None else add_months(prev, first_months)
        elif ordinal == 2 and first_wd is not None:
            due = add_months(prev, first_months)
        else:
            due = add_months(prev, later_months)
        late = rng.random(len(case)) < late_prob
        early = rng.integers(0, early_max_wd + 1, len(case))
        lateness = rng.integers(1, late_max_wd + 1, len(case))
        held = wd.add(due, np.where(late, lateness, -early))
        held = np.where(held <= prev, wd.add(prev, 1), held)
        late = held > due
        ok = (held < end[case]) & (held <= horizon_end)
        out.append(
            pd.DataFrame(
                {
                    "case": case[ok],
                    "ordinal": ordinal,
                    "due": due[ok],
                    "held": held[ok],
                    "late": late[ok],
                }
            )
        )
        case, prev = case[ok], held[ok]
        ordinal += 1
    if not out:
        empty_d = np.array([], dtype="datetime64[D]")
        return pd.DataFrame(
            {
                "case": np.array([], dtype=np.int64),
                "ordinal": np.array([], dtype=np.int64),
                "due": empty_d,
                "held": empty_d,
                "late": np.array([], dtype=bool),
            }
        )
    return pd.concat(out, ignore_index=True)


def participation_codes(rng: np.random.Generator, p: DemoParams, age: np.ndarray) -> np.ndarray:
    """PN0 exactly for children under 4 at the review (903 rules 440/441), else PN1-PN7."""
    codes = choose(
        rng, ("PN1", "PN2", "PN3", "PN4", "PN5", "PN6", "PN7"), p.participation_shares, len(age)
    )
    return np.where(age < 4, "PN0", codes)


def simulate_reviews(
    rng: np.random.Generator, p: DemoParams, periods: pd.DataFrame, wd: WorkDays, h: Horizon
) -> pd.DataFrame:
    """Looked-after reviews of every period: child, period, ordinal, due, REVIEW, late, REVIEW_CODE."""
    sched = review_schedule(
        rng,
        wd,
        periods["start"].values,
        periods["end"].values,
        h.end,
        p.review_late_prob,
        p.review_early_max_wd,
        p.review_late_max_wd,
        first_wd=20,
        first_months=3,
        later_months=6,
    )
    dob = periods["dob"].values.astype("datetime64[D]")[sched["case"].values]
    held = sched["held"].values.astype("datetime64[D]")
    return pd.DataFrame(
        {
            "child": periods["child"].values[sched["case"].values],
            "period": sched["case"].values,
            "ordinal": sched["ordinal"].values,
            "due": sched["due"].values,
            "REVIEW": held,
            "late": sched["late"].values,
            "DOB": dob,
            "REVIEW_CODE": participation_codes(rng, p, completed_years(dob, held)),
        }
    )
