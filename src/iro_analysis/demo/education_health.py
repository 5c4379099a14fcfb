"""PEPs (school-age children in care) and the 903 OC2 rows (children looked after for 12
months at 31 March): health assessments, dental checks, immunisations, SDQs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from iro_analysis.contract import codes as C
from iro_analysis.demo.dates import birthday, completed_years, days
from iro_analysis.demo.horizon import Horizon
from iro_analysis.demo.params import DemoParams
from iro_analysis.demo.sampling import choose


def simulate_peps(
    rng: np.random.Generator, p: DemoParams, periods: pd.DataFrame, h: Horizon
) -> pd.DataFrame:
    """PEP meetings held termly while a child of school age (5-15) is in care: child, pep_date.

    The first is 10-30 days after entry (or after the 5th birthday); each next one
    pep_interval_days later; a share is missed (then the next comes a term after)."""
    dob = periods["dob"].values.astype("datetime64[D]")
    start = np.maximum(periods["start"].values.astype("datetime64[D]"), birthday(dob, 5))
    stop = np.minimum(periods["end"].values.astype("datetime64[D]"), birthday(dob, 16))
    stop = np.minimum(stop, h.end + 1)
    case = np.flatnonzero(start < stop)
    nxt = start[case] + days(rng.integers(10, 31, len(case)))
    lo, hi = p.pep_interval_days
    out = []
    while len(case):
        ok = nxt < stop[case]
        case, nxt = case[ok], nxt[ok]
        held = rng.random(len(case)) >= p.pep_miss_prob
        out.append(
            pd.DataFrame({"child": periods["child"].values[case[held]], "pep_date": nxt[held]})
        )
        nxt = nxt + days(rng.integers(lo, hi + 1, len(case)))
    return pd.concat(out, ignore_index=True)


def oc2_rows(
    rng: np.random.Generator, p: DemoParams, periods: pd.DataFrame, year: int
) -> pd.DataFrame:
    """Children looked after continuously for 12 months at 31 March `year` (period started on
    or before 1 April year-1 and not ended before 31 March; DfE's definition in the 903
    rules), with the OC2 items each age calls for:
    - SDQ score or reason from the year the child turns 4 to the year they turn 17 (none
      under 4 at 31 March nor 17 by 1 April: rules 188, 189); SDQ1 (outside the ages) only
      for a child turning 4 or 17 in the year (rules 157, 186, 197B);
    - HEALTH_CHECK (health promotion) only under 5 at 31 March (rules 545, 546);
    - CONVICTED only from 10 (rules 542, 543);
    - INTERVENTION_RECEIVED when misuse is flagged; INTERVENTION_OFFERED only when it was
      not received (rules 158, 159, 192, 193)."""
    y_start, y_end = Horizon.year_bounds(year)
    s = periods["start"].values.astype("datetime64[D]")
    e = periods["end"].values.astype("datetime64[D]")
    m = (s <= y_start) & (e >= y_end)
    rows = periods.loc[m, ["child", "dob"]].drop_duplicates("child")
    n = len(rows)
    dob = rows["dob"].values.astype("datetime64[D]")
    age = completed_years(dob, np.full(n, y_end))
    flags = {k: (rng.random(n) < v).astype(int).astype(str) for k, v in p.oc2_rates.items()}
    b4, b16, b17 = birthday(dob, 4), birthday(dob, 16), birthday(dob, 17)
    sdq_age = (b4 <= y_end) & (b17 >= y_start)
    core = (b4 <= y_start) & (b16 >= y_end)  # 4 to 16 all year: SDQ1 is not a reason
    sdq_done = sdq_age & (rng.random(n) < np.where(core, p.sdq_completed_prob, 0.4))
    score = np.clip(np.round(rng.normal(14, 6.5, n)), 0, 40).astype(int).astype(str)
    # SDQ1: outside ages 4-16; SDQ2-SDQ5: carer refused, disability, other, child refused
    reason = np.where(core, choose(rng, C.SDQ_REASON_CODES[1:], (0.3, 0.2, 0.3, 0.2), n), "SDQ1")
    misuse = flags["SUBSTANCE_MISUSE"]
    got = np.where(misuse == "1", (rng.random(n) < 0.6).astype(int).astype(str), "")
    offered = np.where(
        (misuse == "1") & (got == "0"), (rng.random(n) < 0.5).astype(int).astype(str), ""
    )
    return pd.DataFrame(
        {
            "child": rows["child"].values,
            "DOB": rows["dob"].values,
            "SDQ_SCORE": np.where(sdq_done, score, ""),
            "SDQ_REASON": np.where(sdq_age & ~sdq_done, reason, ""),
            "CONVICTED": np.where(age >= 10, flags["CONVICTED"], ""),
            "HEALTH_CHECK": np.where(age < 5, flags["HEALTH_CHECK"], ""),
            "IMMUNISATIONS": flags["IMMUNISATIONS"],
            "TEETH_CHECK": flags["TEETH_CHECK"],
            "HEALTH_ASSESSMENT": flags["HEALTH_ASSESSMENT"],
            "SUBSTANCE_MISUSE": misuse,
            "INTERVENTION_RECEIVED": got,
            "INTERVENTION_OFFERED": offered,
        }
    )
