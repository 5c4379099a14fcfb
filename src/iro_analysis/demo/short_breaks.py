"""Short breaks (legal status V3/V4): outside looked-after counts, never reviewed (903 rule
399), written as their own periods and episodes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from iro_analysis.demo.dates import DAY, birthday, days
from iro_analysis.demo.episode_rules import provider_ids
from iro_analysis.demo.horizon import Horizon
from iro_analysis.demo.params import DemoParams
from iro_analysis.demo.sampling import choose, draw_ages

# Short breaks for disabled children in a residential care home or a health-run unit
# (hospice): placements for which DfE's rules ask no Ofsted URN, since a short break gives
# no placement postcode or URN (903 rules 214, 218, 384, 398).
SHORT_BREAK_PLACES = (("R1", "R2"), (0.7, 0.3))


def simulate_short_breaks(
    rng: np.random.Generator, p: DemoParams, h: Horizon, first_child: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Children on short breaks: one single-episode period each (V3 single short break of 1-14
    days, or V4 series agreement of 1-12 months). Returns (periods, episodes)."""
    start_lo = h.report_start - 365
    window = int((h.end - start_lo) / DAY) + 1
    mean_days = 0.5 * 7.5 + 0.5 * 180
    n = rng.poisson(max(p.short_break_share * p.cla_target, 0) * window / mean_days)
    start = start_lo + days(rng.integers(0, window, n))
    v4 = rng.random(n) < 0.5
    dur = np.where(v4, rng.integers(30, 366, n), rng.integers(1, 15, n))
    dob = start - days(draw_ages(rng, (0, 0, 0.45, 0.5, 0.05), n) + 5 * 365)
    adult = birthday(dob, 18)
    end = np.minimum(start + days(dur), adult - 1)
    ok = end > start
    start, end, dob, v4 = start[ok], end[ok], dob[ok], v4[ok]
    n = len(start)
    child = first_child + np.arange(n)
    periods = pd.DataFrame({"child": child, "period_no": 1, "start": start, "end": end, "dob": dob})
    place = choose(rng, *SHORT_BREAK_PLACES, n).astype(object)
    episodes = pd.DataFrame(
        {
            "child": child,
            "period": -1,
            "period_no": 1,
            "ordinal": 0,
            "DECOM": start,
            "RNE": "S",
            "LS": np.where(v4, "V4", "V3"),
            "CIN": "N2",
            "PLACE": place.astype(str),
            "PLACE_PROVIDER": provider_ids(rng, place).astype(str),
            "DEC": end,
            "REC": "E8",
            "REASON_PLACE_CHANGE": "",
            "HOME_POST": "",
            "PL_POST": "",
            "URN": "",
        }
    )
    return periods, episodes
