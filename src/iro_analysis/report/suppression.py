"""Disclosure control for published tables: which cells to hide, and their formatting.

The rule (docs/assumptions.md, "Disclosure control"; threshold from `config/settings.yaml`):

- **Primary suppression.** A count from 1 up to the threshold is shown as "c", as DfE
  publications do. Zeros are shown: a zero says nobody is in a group, not who is.
- **Secondary suppression.** A *line* is a column (or row) of counts whose total is
  published: a one-dimensional breakdown's count column adds up to a headline printed in
  the report (children looked after at 31 March for the looked-after breakdowns), and in a
  table with years as columns each year's column adds up to that year's headline. While a
  line's hidden cells could be worked out from the line's total and its shown cells,
  another cell of the line is hidden: the smallest non-zero shown cell (ties: the first
  in table order). A line's hidden cells are safe when there are at least two of them and
  their sum (which a reader can work out as the total minus the shown cells) is more
  than the threshold and more than their number (otherwise they would all have to be 1).
  With no non-zero cell left to hide, the line's zeros are hidden too, so the whole line
  shows "c" (there, and only there, "c" may stand for 0). Rows and columns are checked
  in turn until nothing changes.
- **Derived figures.** A percentage or ratio is hidden with its count or its denominator
  (`iro_analysis.report.display_breakdown` applies this).

Headline totals are not suppressed. `disclosure_mask` is a pure function of a table of
counts; `iro_analysis.report.breakdown_mask` applies it to the report's breakdowns.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

SUPPRESSED = "c"


def is_small(counts: pd.Series, threshold: int) -> pd.Series:
    """True where a count is from 1 up to `threshold` (NA counts are not small)."""
    c = pd.to_numeric(counts, errors="coerce")
    return (c >= 1) & (c <= threshold) & c.notna()


# Ratios whose denominator is staff time (full-time equivalent IROs), not children or
# events: a small denominator there says how many IROs a council employs, not who a child is.
STAFF_TIME_FAMILY = "Workforce"


def small_figures(rows: pd.DataFrame, threshold: int) -> pd.Series:
    """Which KPI rows (`kpi_id`, `numerator`, `denominator`) a benchmark across councils
    shows as c: the numerator, or the denominator unless it is staff time (a Workforce
    ratio), from 1 up to `threshold`. One rule for the region's published
    region_kpis.csv and its pages (issue #19), so the two never disagree."""
    from iro_analysis.kpis.registry import KPI_DEFINITIONS

    staff = rows["kpi_id"].map(lambda k: KPI_DEFINITIONS[k].family == STAFF_TIME_FAMILY)
    small_den = is_small(rows["denominator"], threshold) & ~staff.astype(bool)
    return (is_small(rows["numerator"], threshold) | small_den).astype(bool)


def _lines(labels: pd.Index, published: bool | Iterable[object]) -> np.ndarray:
    """Which of `labels` (columns or rows) have a published total."""
    if isinstance(published, bool):
        return np.full(len(labels), published)
    return np.asarray(labels.isin(list(published)))


def _protect(
    values: np.ndarray, valid: np.ndarray, hidden: np.ndarray, lines: np.ndarray, threshold: int
) -> np.ndarray:
    """One pass over the columns of `values` flagged in `lines` (their totals published):
    the cells each unsafe column must hide next (a boolean array shaped like `values`)."""
    v = np.where(valid, values, 0.0)
    k = hidden.sum(axis=0)
    s = np.where(hidden, v, 0.0).sum(axis=0)
    whole = (hidden | ~valid).all(axis=0)  # nothing left to hide
    safe = (k == 0) | whole | ((k >= 2) & (s > threshold) & (s > k))
    todo = lines & ~safe
    candidate = valid & ~hidden & (v > 0)
    smallest = np.where(candidate, v, np.inf).argmin(axis=0)  # first of equal values
    has = candidate.any(axis=0)
    add = np.zeros_like(hidden)
    cols = np.flatnonzero(todo & has)
    add[smallest[cols], cols] = True
    zeros = todo & ~has  # only zeros left: hide the whole line
    add[:, zeros] = valid[:, zeros] & ~hidden[:, zeros]
    return add


def disclosure_mask(
    counts: pd.DataFrame,
    threshold: int,
    *,
    column_totals: bool | Iterable[object] = True,
    row_totals: bool | Iterable[object] = False,
    hide: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Which cells of a table of counts to show as "c" (True = hide), by the module's rule.

    counts: counts, one category per row, in table order (which breaks ties); NA cells are
    not counts (never hidden, not part of any total). column_totals / row_totals: whether
    the total of every column / row is published (True), of none (False), or the labels
    of those that are. hide: cells to hide whatever their value (e.g. a figure for a group
    whose size is hidden); they count as hidden for the secondary rule. A threshold of 0
    or less turns suppression off (only `hide` is applied). Inputs are not modified.
    """
    values = counts.apply(pd.to_numeric, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    valid = ~np.isnan(values)
    hidden = np.zeros(values.shape, dtype=bool)
    if hide is not None:
        hidden |= hide.reindex(
            index=counts.index, columns=counts.columns, fill_value=False
        ).to_numpy(dtype=bool)
    if threshold > 0:
        hidden |= valid & (values >= 1) & (values <= threshold)
        cols = _lines(counts.columns, column_totals)
        rows = _lines(counts.index, row_totals)
        while True:
            add = _protect(values, valid, hidden, cols, threshold)
            hidden |= add
            add_rows = _protect(values.T, valid.T, hidden.T, rows, threshold).T
            hidden |= add_rows
            if not (add.any() or add_rows.any()):
                break
    return pd.DataFrame(hidden, index=counts.index, columns=counts.columns)


def format_count(value: object) -> str:
    """A count with thousands separators; blank for missing."""
    if value is None or pd.isna(value):
        return ""
    return f"{int(value):,}"


# Counts of staff (IROs by caseload band) describe workload, not children: published, with a
# count of one or two IROs read as "fewer than 3" (kpis-panel-2.md, "Caseload disclosure").
STAFF_FEWER_THAN = 3
STAFF_FEW = f"fewer than {STAFF_FEWER_THAN}"


def few_staff(counts: pd.Series) -> pd.Series:
    """True where a count of staff is 1 or 2 (shown as STAFF_FEW; NA is not few)."""
    c = pd.to_numeric(counts, errors="coerce")
    return ((c >= 1) & (c < STAFF_FEWER_THAN) & c.notna()).astype(bool)


def format_staff(value: object) -> str:
    """A count of staff: "fewer than 3" for 1 or 2, else as format_count (0 shown)."""
    if value is None or pd.isna(value):
        return ""
    return STAFF_FEW if 1 <= int(value) < STAFF_FEWER_THAN else format_count(value)


def format_percent(value: object) -> str:
    """A percentage to one decimal place with a % sign; blank for missing."""
    if value is None or pd.isna(value):
        return ""
    return f"{float(value):.1f}%"
