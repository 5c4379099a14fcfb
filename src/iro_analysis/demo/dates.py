"""Small vectorised date helpers (numpy datetime64[D] arrays) for the generator."""

from __future__ import annotations

import numpy as np
import pandas as pd

DAY = np.timedelta64(1, "D")


def d64(value) -> np.ndarray:
    """Anything date-like as a datetime64[D] array."""
    return np.asarray(value, dtype="datetime64[D]")


def add_months(dates: np.ndarray, months: int) -> np.ndarray:
    """Calendar-month arithmetic as pandas DateOffset (31 Aug + 6 months = 28/29 Feb)."""
    idx = pd.DatetimeIndex(d64(dates)) + pd.DateOffset(months=months)
    return idx.values.astype("datetime64[D]")


def completed_years(dob: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Age in completed years at `at` (a birthday on 29 Feb falls on 28 Feb in other years)."""
    b, a = pd.DatetimeIndex(d64(dob)), pd.DatetimeIndex(d64(at))
    years = a.year.values - b.year.values
    before = (a.month.values < b.month.values) | (
        (a.month.values == b.month.values) & (a.day.values < b.day.values)
    )
    return (years - before).astype(np.int64)


def birthday(dob: np.ndarray, years: int) -> np.ndarray:
    """The date a child reaches `years` (DateOffset: 29 Feb births on 28 Feb)."""
    return add_months(dob, 12 * years)


def days(n) -> np.ndarray:
    """Integer day counts as timedelta64[D]."""
    return np.asarray(n, dtype=np.int64).astype("timedelta64[D]")
