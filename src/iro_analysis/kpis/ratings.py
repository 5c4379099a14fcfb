"""Ratings of every KPI with a direction: GREEN, AMBER or RED, and the basis rated on.

`add_ratings(history, settings)` is a pure function over a KPI history frame (kpis.csv
rows of one or more years: kpi_id, year, value, ...). It adds:

- `england`: England's published figure for the KPI's `england` measure and the row's year
  (data/national_figures.csv), for any KPI with an England measure; blank otherwise.
- `rating` and `rating_basis`, for every KPI with a direction (kpis-panel.md: "every KPI
  that has a direction (not only headline ones) carries a rating"; other rows blank). The
  basis is the first of these that applies:

  1. **A target the council sets** (`settings.targets`, kpi_id -> number): GREEN when
     met (value >= target when higher is better, <= when lower is better), AMBER when
     missed by no more than the tolerance, RED otherwise. Basis e.g. "target 90%".
  2. **England's figure for the year**: GREEN when better than England by more than the
     tolerance, AMBER when within it (either side: in line with England), RED when worse
     by more. Basis e.g. "England 79.7%".
  3. **Last year's value** (the same KPI's row for year - 1 in the frame), counted only
     when the change is real (kpis-panel.md, "Last year as a basis", revised 2026-12-07):
     a percentage is improved (GREEN) or worse (RED) only when the difference is
     significant at the 95% level in a two-sided two-proportion z-test on this year's and
     last year's numerators and denominators; a rate, ratio or count only when it moved by
     more than 5% of last year's value. Anything else is AMBER, basis "no significant
     change from last year (X%)" followed by the test; an unchanged figure is never GREEN
     or RED. Basis e.g. "last year 85.0%: a significant change (two-proportion z-test,
     p = 0.003)".

  The tolerance ("within 2 percentage points or 5%") is |difference| <= 2 percentage
  points for percentages and <= 5% of the comparator (target or England) for other units;
  differences use exact decimal arithmetic. A KPI with no direction (a neutral count or
  rate) or none of these bases has a blank rating and basis "no basis"; a headline KPI
  whose value is blank (0/0) has a blank rating and basis "no value".
"""

from __future__ import annotations

from decimal import Decimal
from statistics import NormalDist
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
SIGNIFICANCE = 0.05  # two-sided, the 95% level (kpis-panel.md, "Last year as a basis")
Z_TEST = "two-proportion z-test"
MOVE_TEST = "a move of more than 5% of last year's value"


def two_proportion_p(x1: float, n1: float, x2: float, n2: float) -> float | None:
    """The two-sided p-value of a two-proportion z-test of x1/n1 against x2/n2 (pooled
    standard error); None when a denominator is 0. Two equal proportions give 1.0, as do
    proportions of 0 or 1 in both years (no variation to test)."""
    if n1 <= 0 or n2 <= 0:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    se = (pooled * (1 - pooled) * (1 / n1 + 1 / n2)) ** 0.5
    if se == 0:
        return 1.0
    z = abs(x1 / n1 - x2 / n2) / se
    return 2 * (1 - NormalDist().cdf(z))


def _p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _against_last_year(
    value: Any, last_year: Any, unit: str, direction: bool, counts: tuple | None
) -> tuple[str, str]:
    """(rating, basis) against last year: GREEN or RED only for a real change (a
    significant z-test for a percentage with both years' numerators and denominators; a
    move of more than 5% of last year's value otherwise), else AMBER."""
    now, then = round_half_up(float(value)), round_half_up(float(last_year))
    sfx = _suffix(unit)
    shown = f"{int(then)}" if unit == "count" else f"{then:.1f}"
    if unit == "percent":
        p = None if counts is None else two_proportion_p(*counts)
        real = p is not None and p < SIGNIFICANCE
        test = f"{Z_TEST}, {_p_text(p)}" if p is not None else "no counts to test"
    else:
        moved = abs(_d(value) - _d(last_year))
        real, test = moved > abs(_d(last_year)) * RELATIVE_TOLERANCE, MOVE_TEST
        test = test if real else "no move of more than 5% of it"
    if not real or now == then:
        return AMBER, f"no significant change from last year ({shown}{sfx}): {test}"
    rating = GREEN if _better(now, then, direction) else RED
    return rating, f"last year {shown}{sfx}: a significant change ({test})"


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
    counts: tuple | None = None,
) -> tuple[str | None, str]:
    """(rating, basis) of one value against a target, else England, else last year (see
    the module docstring). Blank comparators are None or NA. `counts`: (this year's
    numerator, denominator, last year's numerator, denominator) of a percentage, for the
    significance test against last year."""

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
        return _against_last_year(value, last_year, unit, direction, counts)
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
    `rating_basis` added (or replaced), kpis.csv columns first. Last year's row of a KPI is
    its row for year - 1 in `history`, so pass the previous year's rated rows to rate
    against it. Does not modify `history`. (A loop over KPI rows, a few hundred at most.)"""
    out = history.copy()
    targets = targets_of(settings)
    years = out["year"].astype("int64") if len(out) else pd.Series(dtype="int64")
    rows = list(
        zip(out["kpi_id"], years, out["value"], out["numerator"], out["denominator"], strict=True)
    )
    prev = {(k, int(y)): (v, num, den) for k, y, v, num, den in rows}
    england, rating, basis = [], [], []
    for kid, year, value, num, den in rows:
        d = KPI_DEFINITIONS.get(kid)
        eng = england_of(kid, year)
        england.append(pd.NA if eng is None else eng)
        if d is None or (d.direction is None and not d.headline):  # a headline: "no basis"
            rating.append(pd.NA)
            basis.append(pd.NA)
            continue
        last, last_num, last_den = prev.get((kid, int(year) - 1), (None, None, None))
        known = [x for x in (num, den, last_num, last_den) if x is not None and not pd.isna(x)]
        r, b = rate_value(
            value,
            unit=d.unit,
            direction=d.direction,
            target=targets.get(kid),
            england=eng,
            last_year=last,
            counts=tuple(float(x) for x in known) if len(known) == 4 else None,
        )
        rating.append(pd.NA if r is None else r)
        basis.append(b)
    out["england"] = pd.array(england, dtype="Float64")
    out["rating"] = pd.array(rating, dtype="string")
    out["rating_basis"] = pd.array(basis, dtype="string")
    first = [c for c in KPI_CSV_COLUMNS if c in out.columns]
    return out[first + [c for c in out.columns if c not in first]]
