"""Working days and calendar months (iro_analysis.kpis.calendar)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from iro_analysis.kpis.calendar import (
    add_months,
    add_working_days,
    england_holidays,
    working_days_between,
)

D = pd.Timestamp


def test_holidays_include_one_off_days_and_are_cached():
    h = england_holidays([2022, 2023])
    for day in ("2022-06-02", "2022-06-03", "2022-09-19", "2023-05-08", "2022-12-27"):
        assert np.datetime64(day, "D") in h
    assert np.datetime64("2022-06-01", "D") not in h
    assert england_holidays([2023, 2022]) is h  # same span, same cached array
    assert h.dtype == np.dtype("datetime64[D]")


def test_wd_examples():
    # wd(a, a) = 0; wd(Fri, next Mon) = 1 (spec conventions)
    assert working_days_between(D("2022-05-27"), D("2022-05-27")) == 0
    assert working_days_between(D("2022-05-27"), D("2022-05-30")) == 1
    # Fri 27 May 2022 -> Mon 6 June: 30, 31 May, 1 June; 2 and 3 June are bank holidays
    # (Spring bank holiday moved, Platinum Jubilee); 6 June -> 4.
    assert working_days_between(D("2022-05-27"), D("2022-06-06")) == 4
    # Reversed order is the negative.
    assert working_days_between(D("2022-06-06"), D("2022-05-27")) == -4
    # Christmas 2022: 26 and 27 December are bank holidays.
    assert working_days_between(D("2022-12-23"), D("2022-12-28")) == 1


def test_wd_vectorised_nat_safe_and_keeps_index():
    a = pd.Series([D("2022-05-27"), pd.NaT, D("2023-05-05")], index=[10, 11, 12])
    b = pd.Series([D("2022-06-21"), D("2022-06-21"), D("2023-05-09")], index=[10, 11, 12])
    out = working_days_between(a, b)
    assert list(out.index) == [10, 11, 12]
    # 27 May -> 21 June 2022 is 15 working days (Jubilee days skipped). Fri 5 -> Tue 9 May
    # 2023 is 1: Mon 8 May 2023 was the Coronation bank holiday.
    assert out.iloc[0] == 15
    assert np.isnan(out.iloc[1])
    assert out.iloc[2] == 1


def test_add_working_days_examples():
    # 15 working days after Fri 27 May 2022 skip the Jubilee days: 21 June 2022.
    assert add_working_days(np.datetime64("2022-05-27"), 15) == np.datetime64("2022-06-21")
    # From a Saturday the first working day is Monday (wd(Sat, Mon) = 1).
    assert add_working_days(np.datetime64("2022-05-28"), 1) == np.datetime64("2022-05-30")
    # 0 working days after a is a itself.
    assert add_working_days(np.datetime64("2022-05-28"), 0) == np.datetime64("2022-05-28")
    s = pd.Series([D("2021-01-04"), pd.NaT], index=["x", "y"])
    out = add_working_days(s, 20)
    # 20 working days after Mon 4 Jan 2021 is Mon 1 Feb 2021.
    assert out.loc["x"] == D("2021-02-01")
    assert pd.isna(out.loc["y"])


def test_add_months_is_dateoffset():
    s = pd.Series([D("2021-08-31"), D("2023-08-31"), D("2023-11-29"), pd.NaT])
    out = add_months(s, 6)
    assert list(out[:2]) == [D("2022-02-28"), D("2024-02-29")]
    assert add_months(D("2023-11-29"), 3) == D("2024-02-29")
    assert pd.isna(out.iloc[3])


DATES = st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2025, 12, 31))


_HOLIDAYS = set(england_holidays(range(2018, 2027)).astype(dt.date))


def _working(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _HOLIDAYS


@settings(max_examples=150, deadline=None)
@given(a=DATES, span=st.integers(min_value=0, max_value=90))
def test_wd_agrees_with_day_by_day_count(a: dt.date, span: int):
    b = a + dt.timedelta(days=span)
    expected = sum(_working(a + dt.timedelta(days=i)) for i in range(1, span + 1))
    assert working_days_between(D(a), D(b)) == expected
    assert working_days_between(D(b), D(a)) == -expected


@settings(max_examples=150, deadline=None)
@given(a=DATES, n=st.integers(min_value=1, max_value=40))
def test_due_date_is_a_working_day_n_working_days_after(a: dt.date, n: int):
    due = pd.Timestamp(add_working_days(np.datetime64(a), n)).date()
    assert _working(due)
    assert working_days_between(D(a), D(due)) == n
    # It is the first such day: the day before is fewer than n working days after a.
    assert working_days_between(D(a), D(due - dt.timedelta(days=1))) == n - 1
