"""Working days for the generator: Monday-Friday except England & Wales bank holidays.

Private to the demo package (the KPI engine has its own in `iro_analysis.kpis.calendar`).
Same rule as docs/kpis.md ("Conventions"): `wd(a, b)` counts working days after `a` up to and
including `b`.
"""

from __future__ import annotations

from functools import lru_cache

import holidays
import numpy as np


@lru_cache(maxsize=8)
def bank_holidays(first_year: int, last_year: int) -> np.ndarray:
    """England & Wales bank holidays from the `holidays` package, as datetime64[D]."""
    days = holidays.country_holidays("GB", subdiv="ENG", years=range(first_year, last_year + 1))
    return np.array(sorted(days), dtype="datetime64[D]")


class WorkDays:
    """Vectorised working-day arithmetic over the years of a simulation."""

    def __init__(self, first_year: int, last_year: int) -> None:
        self.holidays = bank_holidays(first_year - 1, last_year + 2)
        self.cal = np.busdaycalendar(holidays=self.holidays)

    def add(self, dates: np.ndarray, n: np.ndarray | int) -> np.ndarray:
        """The n-th working day after each date (n >= 1), or the date itself rolled back to a
        working day and moved n working days (any n): `wd(date, add(date, n)) == n`."""
        d = np.asarray(dates, dtype="datetime64[D]")
        return np.busday_offset(d, n, roll="backward", busdaycal=self.cal)

    def count(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """wd(a, b): working days after a up to and including b (negative if b < a)."""
        a = np.asarray(a, dtype="datetime64[D]") + 1
        b = np.asarray(b, dtype="datetime64[D]") + 1
        return np.busday_count(a, b, busdaycal=self.cal)

    def roll_forward(self, dates: np.ndarray) -> np.ndarray:
        """Each date, or the next working day when it is not one."""
        d = np.asarray(dates, dtype="datetime64[D]")
        return np.busday_offset(d, 0, roll="forward", busdaycal=self.cal)
