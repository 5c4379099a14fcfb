"""Disclosure control for published breakdowns: the rule and its formatting.

Rule (GSS / DfE practice, threshold from `config/settings.yaml`): in a breakdown, a count
from 1 up to the threshold is shown as "c" and so is any percentage derived from it
(the count as numerator, or a denominator at or below the threshold). Zeros are shown.
Headline totals are not suppressed. DfE publications use the same symbol "c".
`iro_analysis.report.display_breakdown` applies the rule column by column.
"""

from __future__ import annotations

import pandas as pd

SUPPRESSED = "c"


def is_small(counts: pd.Series, threshold: int) -> pd.Series:
    """True where a count is from 1 up to `threshold` (NA counts are not small)."""
    c = pd.to_numeric(counts, errors="coerce")
    return (c >= 1) & (c <= threshold) & c.notna()


def format_count(value: object) -> str:
    """A count with thousands separators; blank for missing."""
    if value is None or pd.isna(value):
        return ""
    return f"{int(value):,}"


def format_percent(value: object) -> str:
    """A percentage to one decimal place with a % sign; blank for missing."""
    if value is None or pd.isna(value):
        return ""
    return f"{float(value):.1f}%"
