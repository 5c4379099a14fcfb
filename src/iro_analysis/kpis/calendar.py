"""England & Wales working days and calendar months, vectorised over whole columns.

Working days are Monday to Friday except England & Wales bank holidays, taken offline from
the `holidays` package (country GB, subdivision ENG), which knows one-off days such as the
Platinum Jubilee (2 and 3 June 2022), the State Funeral (19 September 2022) and the
Coronation (8 May 2023). The day arithmetic is numpy's business-day functions
(`np.busday_count`, `np.busday_offset`) over `datetime64[D]` arrays.

Definitions (docs/kpis.md, "Conventions"):
- `wd(a, b)` is the number of working days after `a` up to and including `b`, so
  `wd(a, a) = 0` and `wd(Fri, next Mon) = 1`; "within N working days of a" is
  `wd(a, b) <= N`. For `b < a` it is minus `wd(b, a)`.
- `a + N working days` is the N-th working day after `a`: the first day `d` with
  `wd(a, d) = N` (N >= 1), never a weekend or bank holiday.
- `a + n months` follows `pd.DateOffset(months=n)`: 31 August + 6 months = 28/29 February.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import holidays
import numpy as np
import pandas as pd

# Holidays are generated for the span of the data plus this margin of years each side, so
# that an offset of a few dozen working days never runs past the calendar.
_MARGIN_YEARS = 1
_NAT = np.datetime64("NaT", "D")


@lru_cache(maxsize=64)
def _holidays_span(first: int, last: int) -> np.ndarray:
    cal = holidays.country_holidays("GB", subdiv="ENG", years=range(first, last + 1))
    days = np.array(sorted(cal.keys()), dtype="datetime64[D]")
    days.setflags(write=False)
    return days


def england_holidays(years: Iterable[int]) -> np.ndarray:
    """England & Wales bank holidays of `years` as a sorted `datetime64[D]` array (cached).

    The array covers every year from the smallest to the largest of `years` (read-only).
    """
    ys = [int(y) for y in years]
    if not ys:
        return np.array([], dtype="datetime64[D]")
    return _holidays_span(min(ys), max(ys))


@lru_cache(maxsize=64)
def _busdaycalendar(first: int, last: int) -> np.busdaycalendar:
    return np.busdaycalendar(weekmask="1111100", holidays=_holidays_span(first, last))


def _to_days(x: object) -> np.ndarray:
    """Anything date-like (Series, Index, array, list, scalar) as a `datetime64[D]` array."""
    if isinstance(x, pd.Series | pd.Index):
        values = x.to_numpy(dtype="datetime64[ns]") if len(x) else np.array([], "datetime64[ns]")
        return values.astype("datetime64[D]")
    if isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.datetime64):
        return x.astype("datetime64[D]")
    if isinstance(x, pd.Timestamp | np.datetime64 | str) or x is None or x is pd.NaT:
        ts = pd.Timestamp(x) if x is not None else pd.NaT
        return np.asarray(np.datetime64(ts, "D") if ts is not pd.NaT else _NAT)
    arr = pd.to_datetime(pd.Series(list(x) if not isinstance(x, np.ndarray) else x))
    return _to_days(arr)


def _span_of(*arrays: np.ndarray) -> tuple[int, int]:
    """The calendar years `arrays` cover (missing dates ignored), with the margin."""
    years: list[int] = []
    for arr in arrays:
        valid = arr[~np.isnat(arr)] if arr.ndim else (arr[None] if not np.isnat(arr) else arr[:0])
        if valid.size:
            years += [int(str(valid.min())[:4]), int(str(valid.max())[:4])]
    if not years:
        years = [2000]
    return min(years) - _MARGIN_YEARS, max(years) + _MARGIN_YEARS


def _calendar_for(*arrays: np.ndarray) -> np.busdaycalendar:
    return _busdaycalendar(*_span_of(*arrays))


@lru_cache(maxsize=64)
def _cumulative_workdays(first: int, last: int) -> tuple[np.datetime64, np.ndarray]:
    """(1 January `first`, c) where c[i] is the number of working days from 1 January
    `first` up to and including the i-th day after it, through 31 December `last`."""
    start = np.datetime64(f"{first:04d}-01-01", "D")
    days = np.arange(start, np.datetime64(f"{last + 1:04d}-01-01", "D"))
    cum = np.cumsum(np.is_busday(days, busdaycal=_busdaycalendar(first, last)), dtype=np.int64)
    cum.setflags(write=False)
    return start, cum


def _index_of(*xs: object) -> pd.Index | None:
    for x in xs:
        if isinstance(x, pd.Series):
            return x.index
    return None


def working_days_between(a: object, b: object) -> np.ndarray | pd.Series:
    """`wd(a, b)`: working days after `a` up to and including `b`, element-wise.

    `wd(a, a) = 0`, `wd(Fri, next Mon) = 1`, and `wd(a, b) = -wd(b, a)`. Inputs may be
    Series, arrays or scalars (broadcast). The result is float64 with NaN where either date
    is missing; a Series in gives a Series out with the same index, scalars a scalar.
    Source: the working-day convention of docs/kpis.md, England & Wales bank holidays.
    """
    da, db = np.broadcast_arrays(_to_days(a), _to_days(b))
    missing = np.isnat(da) | np.isnat(db)
    # wd(a, b) = C(b) - C(a), C(d) the working days from a fixed start up to and including
    # d: one table look-up per date instead of a business-day count per pair.
    start, cum = _cumulative_workdays(*_span_of(da, db))
    ia = (da - start).astype(np.int64)
    ib = (db - start).astype(np.int64)
    any_missing = bool(missing.any())
    if any_missing:
        ia = np.where(missing, 0, ia)
        ib = np.where(missing, 0, ib)
    counts = np.asarray(cum[ib] - cum[ia], dtype="float64")
    if any_missing:
        counts = np.where(missing, np.nan, counts)
    index = _index_of(a, b)
    if index is not None:
        return pd.Series(counts, index=index, dtype="float64")
    return counts[()] if counts.ndim == 0 else counts


def add_working_days(a: object, n: object) -> np.ndarray | pd.Series:
    """The N-th working day after `a` (`a` itself when N = 0), element-wise.

    For N >= 1 the result `d` is a working day with `wd(a, d) = N`, so "within N working
    days of a" (`wd(a, b) <= N`) holds for every `b` up to `d` and for any weekend or bank
    holiday straight after it. NaT in, NaT out; a Series in gives a Series out.
    """
    da = _to_days(a)
    nn = np.asarray(n.to_numpy() if isinstance(n, pd.Series) else n, dtype="int64")
    da, nn = np.broadcast_arrays(da, nn)
    missing = np.isnat(da)
    filler = np.datetime64("2000-01-03", "D")
    sa = np.where(missing, filler, da)
    cal = _calendar_for(sa)
    # Roll a non-working start back to the previous working day, then step N working days:
    # the first working day after a Saturday is then Monday, as wd(Sat, Mon) = 1.
    due = np.busday_offset(sa, nn, roll="backward", busdaycal=cal)
    zero = nn == 0
    due = np.where(zero, sa, due)
    due = np.where(missing, _NAT, due)
    index = _index_of(a, n)
    if index is not None:
        return pd.Series(due.astype("datetime64[s]"), index=index)
    return due[()] if due.ndim == 0 else due


def add_months(a: object, n: int) -> pd.Series | pd.Timestamp:
    """`a + n calendar months` with `pd.DateOffset(months=n)` semantics (31 Aug + 6 = 28/29 Feb).

    Vectorised over a Series (NaT stays NaT); a scalar gives a Timestamp.
    """
    offset = pd.DateOffset(months=int(n))
    if isinstance(a, pd.Series):
        return pd.to_datetime(a) + offset
    if isinstance(a, pd.Index | np.ndarray | list):
        return pd.Series(pd.to_datetime(a)) + offset
    return pd.Timestamp(a) + offset
