"""Disclosure control for published breakdowns.

Rule (GSS / DfE practice, threshold from `config/settings.yaml`): in a breakdown, a count
from 1 up to the threshold is shown as "c" and so is any percentage derived from it
(the count as numerator, or a denominator at or below the threshold). Zeros are shown.
Headline totals are not suppressed. DfE publications use the same symbol "c".
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


def suppress_table(
    df: pd.DataFrame,
    count_columns: list[str],
    percent_columns: dict[str, str] | None = None,
    threshold: int = 5,
    denominator_columns: dict[str, str] | None = None,
) -> pd.DataFrame:
    """A display copy of `df` with small counts and the percentages built on them shown as "c".

    `percent_columns` maps each percentage column to the count column it is derived from;
    `denominator_columns` maps a percentage column to the count column of its denominator
    (a small denominator suppresses the percentage too). Counts and percentages are
    formatted as strings; other columns are copied unchanged. The input is not modified.
    """
    percent_columns = percent_columns or {}
    denominator_columns = denominator_columns or {}
    out = df.copy()
    for col in count_columns:
        small = is_small(df[col], threshold) if threshold > 0 else pd.Series(False, index=df.index)
        out[col] = [
            SUPPRESSED if s else format_count(v) for v, s in zip(df[col], small, strict=True)
        ]
    for col, source in percent_columns.items():
        small = (
            is_small(df[source], threshold) if threshold > 0 else pd.Series(False, index=df.index)
        )
        den = denominator_columns.get(col)
        if den is not None and threshold > 0:
            small = small | is_small(df[den], threshold)
        out[col] = [
            SUPPRESSED if s else format_percent(v) for v, s in zip(df[col], small, strict=True)
        ]
    return out
