"""The simulated time window: warm-up years, then the reporting years written."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Horizon:
    """Reporting years `first`..`last` (YEAR = the year its 31 March falls in)."""

    first: int
    last: int
    warmup_years: int

    @property
    def start(self) -> np.datetime64:
        """First day simulated (1 April, warm-up years before the first reporting year)."""
        return np.datetime64(f"{self.first - 1 - self.warmup_years}-04-01", "D")

    @property
    def report_start(self) -> np.datetime64:
        return np.datetime64(f"{self.first - 1}-04-01", "D")

    @property
    def end(self) -> np.datetime64:
        """Last day simulated: 31 March of the last year."""
        return np.datetime64(f"{self.last}-03-31", "D")

    @property
    def years(self) -> list[int]:
        return list(range(self.first, self.last + 1))

    @property
    def year_ends(self) -> np.ndarray:
        return np.array([f"{y}-03-31" for y in self.years], dtype="datetime64[D]")

    @property
    def mid(self) -> np.datetime64:
        """Middle of the reporting years (the trend's reference date)."""
        return self.report_start + (self.end - self.report_start) // 2

    @staticmethod
    def year_bounds(year: int) -> tuple[np.datetime64, np.datetime64]:
        """1 April year-1 and 31 March year."""
        return np.datetime64(f"{year - 1}-04-01", "D"), np.datetime64(f"{year}-03-31", "D")


def trend_weight(dates: np.ndarray, mid: np.datetime64, trend: float) -> np.ndarray:
    """(1 + trend) ** (years from mid): the relative intensity of entries at each date."""
    years = (np.asarray(dates, dtype="datetime64[D]") - mid).astype(np.int64) / 365.25
    return (1.0 + trend) ** years
