"""Ratings of the headline KPIs: GREEN, AMBER or RED, and the basis they were rated on.

`add_ratings(history, settings)` is a pure function over a KPI history frame (kpis.csv
rows of one or more years: kpi_id, year, value, ...). It adds:

- `england`: England's published figure for the KPI's `england` measure and the row's year
  (data/national_figures.csv), for any KPI with an England measure; blank otherwise.
- `rating` and `rating_basis`, for headline KPIs only (other rows blank). The basis is
  the first of these that applies:

  1. **A target the council sets** (`settings.targets`, kpi_id -> number): GREEN when
     met (value >= target when higher is better, <= when lower is better), AMBER when
     missed by no more than the tolerance, RED otherwise. Basis e.g. "target 90%".
  2. **England's figure for the year**: GREEN when better than England by more than the
     tolerance, AMBER when within it (either side: in line with England), RED when worse
     by more. Basis e.g. "England 79.7%".
  3. **Last year's value** (the same KPI's row for year - 1 in the frame): GREEN when
     improved, AMBER when the same at 1 decimal place, RED when worse. Basis e.g.
     "last year 85.0%".

  The tolerance ("within 2 percentage points or 5%") is |difference| <= 2 percentage
  points for percentages and <= 5% of the comparator (target or England) for other units;
  differences use exact decimal arithmetic. A KPI with no direction (a neutral count or
  rate) or none of these bases has a blank rating and basis "no basis"; a headline KPI
  whose value is blank (0/0) has a blank rating and basis "no value".
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd

from iro_analysis.kpis.definitions import KPI_CSV_COLUMNS, round_half_up
from iro_analysis.kpis.national import national_value
from iro_analysis.kpis.registry import KPI_DEFINITIONS

GREEN, AMBER, RED = "GREEN", "AMBER", "RED"
RATINGS = (GREEN, AMBER, RED)
NO_BASIS = "no basis"
NO_VALUE = "no value"
PERCENT_TOLERANCE = Decimal(2)  # percentage points
RELATIVE_TOLERANCE = Decimal("0.05")  # 5% of the comparator


def _d(x: Any) -> Decimal:
    return Decimal(repr(float(x)))


def _plain(x: float) -> str:
    """A comparator as written: 90.0 -> "90", 79.7 -> "79.7" (no thousands separator)."""
    f = float(x)
    return str(int(f)) if f.is_integer() else repr(f)


def _suffix(unit: str) -> str:
    return "%" if unit == "percent" else ""


def _within(value: Any, comparator: Any, unit: str) -> bool:
    diff = abs(_d(value) - _d(comparator))
    if unit == "percent":
        return diff <= PERCENT_TOLERANCE
    return diff <= abs(_d(comparator)) * RELATIVE_TOLERANCE


def _better(value: Any, comparator: Any, higher_is_better: bool) -> bool:
    v, c = _d(value), _d(comparator)
    return v > c if higher_is_better else v < c


def rate_value(
    value: Any,
    *,
    unit: str,
    direction: bool | None,
    target: Any = None,
    england: Any = None,
    last_year: Any = None,
) -> tuple[str | None, str]:
    """(rating, basis) of one headline value against a target, else England, else last
    year (see the module docstring). Blank comparators are None or NA."""

    def given(x: Any) -> bool:
        return x is not None and not pd.isna(x)

    if direction is None:
        return None, NO_BASIS
    if not given(value):
        return None, NO_VALUE
    sfx = _suffix(unit)
    if given(target):
        met = not _better(target, value, direction)  # value at or beyond the target
        rating = GREEN if met else AMBER if _within(value, target, unit) else RED
        return rating, f"target {_plain(target)}{sfx}"
    if given(england):
        if _within(value, england, unit):
            rating = AMBER
        else:
            rating = GREEN if _better(value, england, direction) else RED
        return rating, f"England {_plain(england)}{sfx}"
    if given(last_year):
        now, then = round_half_up(float(value)), round_half_up(float(last_year))
        rating = AMBER if now == then else GREEN if _better(now, then, direction) else RED
        shown = str(int(then)) if unit == "count" else f"{then:.1f}"
        return rating, f"last year {shown}{sfx}"
    return None, NO_BASIS


def targets_of(settings: Any) -> dict[str, float]:
    """The council's targets (`settings.targets`: kpi_id -> number), {} when none."""
    raw = getattr(settings, "targets", None) or {}
    return {str(k): float(v) for k, v in dict(raw).items() if v is not None}


def england_of(kpi_id: str, year: int) -> float | None:
    """England's figure for the KPI and year (None when it names no England measure or
    DfE published none)."""
    d = KPI_DEFINITIONS.get(kpi_id)
    return None if d is None or d.england is None else national_value(d.england, int(year))


def add_ratings(history: pd.DataFrame, settings: Any = None) -> pd.DataFrame:
    """`history` (kpis.csv rows of any years) with the columns `england`, `rating` and
    `rating_basis` added (or replaced), kpis.csv columns first. Last year's value of a row
    is the same KPI's row for year - 1 in `history`, so pass the previous year's headline
    rows to rate against it. Does not modify `history`."""
    out = history.copy()
    targets = targets_of(settings)
    years = out["year"].astype("int64") if len(out) else pd.Series(dtype="int64")
    prev = {(k, int(y)): v for k, y, v in zip(out["kpi_id"], years, out["value"], strict=True)}
    england, rating, basis = [], [], []
    for kid, year, value in zip(out["kpi_id"], years, out["value"], strict=True):
        d = KPI_DEFINITIONS.get(kid)
        eng = england_of(kid, year)
        england.append(pd.NA if eng is None else eng)
        if d is None or not d.headline:
            rating.append(pd.NA)
            basis.append(pd.NA)
            continue
        r, b = rate_value(
            value,
            unit=d.unit,
            direction=d.direction,
            target=targets.get(kid),
            england=eng,
            last_year=prev.get((kid, int(year) - 1)),
        )
        rating.append(pd.NA if r is None else r)
        basis.append(b)
    out["england"] = pd.array(england, dtype="Float64")
    out["rating"] = pd.array(rating, dtype="string")
    out["rating_basis"] = pd.array(basis, dtype="string")
    first = [c for c in KPI_CSV_COLUMNS if c in out.columns]
    return out[first + [c for c in out.columns if c not in first]]
