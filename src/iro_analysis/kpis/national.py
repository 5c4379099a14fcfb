"""Published DfE national (England) figures shipped with the package for comparison.

The table is `src/iro_analysis/data/national_figures.csv` (measure, year, value, unit,
source, table, published); `docs/national-figures.md` documents each measure and source.
Refresh it each year when DfE publishes. A KPI is compared with the measure its registration
names (`@kpi(..., england="...")`, `KpiDefinition.england`):
`kpis.registry.england_value(kpi_id, year)`.

Every measure is a KPI id. Rates and percentages (`RATE_UNITS`) are England comparators;
the counts in `CONTEXT_ONLY` are kept for context only and no KPI should name them as its
`england` measure (a council's count is not comparable with England's).
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from iro_analysis.core.paths import PACKAGE_DATA_DIR

NATIONAL_FILE = PACKAGE_DATA_DIR / "national_figures.csv"
COLUMNS = ("measure", "year", "value", "unit", "source", "table", "published")
UNITS = ("count", "percent", "rate_per_10000")
RATE_UNITS = ("percent", "rate_per_10000")
# Published counts kept for context (docs/national-figures.md); never an England comparator.
CONTEXT_ONLY = frozenset({"cla_at_31_march", "cp_plans_at_31_march"})


@lru_cache(maxsize=1)
def _load() -> pd.DataFrame:
    df = pd.read_csv(NATIONAL_FILE, dtype={"measure": "str", "unit": "str", "source": "str"})
    df["year"] = df["year"].astype("int64")
    df["value"] = pd.to_numeric(df["value"], errors="raise")
    return df


def national_figures() -> pd.DataFrame:
    """The whole reference table (a copy)."""
    return _load().copy()


def england_measures() -> list[str]:
    """The comparator measures: every measure in the table that is not context-only."""
    return sorted(set(_load()["measure"]) - CONTEXT_ONLY)


def is_context_only(measure: str) -> bool:
    """True for a published count kept for context, which no KPI is compared with."""
    return measure in CONTEXT_ONLY


def national_value(measure: str, year: int) -> float | None:
    """England's published figure for `measure` in reporting year `year`, or None."""
    df = _load()
    hit = df[(df["measure"] == measure) & (df["year"] == year)]
    return None if hit.empty else float(hit["value"].iloc[0])


def national_source(measure: str, year: int) -> str | None:
    """The publication a national figure comes from."""
    df = _load()
    hit = df[(df["measure"] == measure) & (df["year"] == year)]
    return None if hit.empty else f"{hit['source'].iloc[0]} ({hit['table'].iloc[0]})"
