"""The suites' expectations evaluated in pandas, giving what Great Expectations gives.

A build records its validation the GX way (Checkpoints in a file project, results kept,
Data Docs: `gx_project`). Where nothing is recorded (`validate_dataset` without a project:
each council of a region, `iro-analysis kpis` and `validate`, an analyst's notebook) the
same expectations (`checks.suite_checks`, the gates on `file_facts`, the raw files' suites
of `raw_checks`) are evaluated here, with GX's own semantics, so that such a run neither
imports GX (seconds) nor sets it up in each worker (issue #31). `tests/test_pandas_suites.py`
holds the two to the same
results, row for row and sample for sample, on a hand-made table that fails every kind,
on tables breaking every suite's every expectation and on every year of the demo, its raw
files (with their faults) included.

GX's semantics kept (great_expectations 1.x, pandas execution engine, the SUMMARY result
format with `partial_unexpected_count` 5):
- a column-values expectation looks only at the column's non-missing values, except the
  ones about missing values themselves; the unexpected values are listed in row order,
  repeats included, the first five;
- "unique" fails every row whose value appears more than once (all of them, not the
  repeats only); a compound key ignores rows whose every column is missing, and lists
  each failing row as {column: value};
- "A greater than B" with `ignore_row_if: either_value_is_missing` looks only at rows
  with both, and lists (A, B) pairs;
- an expectation on a column the table lacks fails with no count and no sample;
- "match regex" searches each value as text (the suites' patterns are anchored);
- a raw source's failing value is followed by its row's line ("X9 (line 120)");
- on `file_facts` (COMPLETE with the file as index column) the sample is every failing
  file, in row order.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from iro_analysis.ingest.raw_tables import RAW_LINE
from iro_analysis.validate.checks import CHECK_COLUMNS, SAMPLE_SIZE, Check, gx_name, sample_strings
from iro_analysis.validate.gates import FACTS_TABLE

SUPPORTED = frozenset(
    {
        "ExpectTableColumnsToMatchSet",
        "ExpectColumnValuesToNotBeNull",
        "ExpectColumnValuesToBeInSet",
        "ExpectColumnValuesToBeUnique",
        "ExpectCompoundColumnsToBeUnique",
        "ExpectColumnPairValuesAToBeGreaterThanB",
        "ExpectColumnValuesToBeBetween",
        "ExpectColumnValuesToBeNull",
        "ExpectColumnValuesToMatchRegex",
    }
)


def run_pandas_suites(
    tables: dict[str, pd.DataFrame],
    suites: dict[str, list[Check]],
    raw: dict[str, tuple[str, list[Check], pd.DataFrame]] | None = None,
) -> pd.DataFrame:
    """Each table's suite evaluated in pandas; rows of `CHECK_COLUMNS`, as
    `gx_run.run_gx_suites` gives them for the same tables, suites and raw sources (`raw`:
    source key -> label, suite, rows as read; their rows last, each failing value with its
    line)."""
    jobs = [(table, table, suites[table], df, False) for table, df in tables.items()]
    jobs += [(key, label, checks, df, True) for key, (label, checks, df) in (raw or {}).items()]
    rows = []
    for key, label, checks, df, is_raw in jobs:
        for check in checks:
            if check.expectation not in SUPPORTED:
                raise ValueError(
                    f"suite {key}: {check.expectation} has no pandas evaluation "
                    "(validate_dataset needs a GX project for it)"
                )
            rows.append(_result(label, df, check, is_raw))
    return pd.DataFrame(rows, columns=list(CHECK_COLUMNS))


def _result(table: str, df: pd.DataFrame, check: Check, raw: bool = False) -> tuple:
    def row(success: bool, count: int, sample: list[str]) -> tuple:
        name = gx_name(check.expectation)
        return (table, check.column, name, check.severity, success, count, sample)

    if check.expectation == "ExpectTableColumnsToMatchSet":
        wrong = sorted(set(df.columns) ^ set(check.kwargs["column_set"]))
        return row(not wrong, len(wrong), wrong[:SAMPLE_SIZE])
    if not set(check.columns) <= set(df.columns):
        return row(False, 0, [])  # GX raises inside, and gives a failure with no count
    bad, listed = _unexpected(df, check)
    count = int(bad.sum())
    first = np.flatnonzero(bad.to_numpy())[:SAMPLE_SIZE]
    if table == FACTS_TABLE and not raw:
        sample = [str(f) for f in df.loc[bad, "file"]]
    elif raw:  # "X9 (line 120)": GX's values with their rows' lines
        lines = df[RAW_LINE].iloc[first]
        sample = [
            f"{v} (line {n})" if not pd.isna(n) else v
            for v, n in zip(sample_strings(listed(first)), lines, strict=True)
        ]
    else:
        sample = sample_strings(listed(first))
    return row(count == 0, count, sample)


def _unexpected(df: pd.DataFrame, check: Check) -> tuple[pd.Series, Callable]:
    """(a boolean per row: unexpected; and a function giving the rows at some positions
    as GX lists them)."""
    k = check.kwargs
    name = check.expectation
    if name == "ExpectCompoundColumnsToBeUnique":
        cols = list(k["column_list"])
        part = df[cols]
        considered = part.notna().any(axis=1)
        dup = part[considered].duplicated(keep=False).reindex(df.index, fill_value=False)
        return dup, lambda pos: part.iloc[pos].to_dict("records")
    if name == "ExpectColumnPairValuesAToBeGreaterThanB":
        a, b = df[k["column_A"]], df[k["column_B"]]
        both = a.notna() & b.notna()
        ok = (a >= b) if k.get("or_equal") else (a > b)
        bad = both & ~ok.fillna(True).astype(bool)
        return bad, lambda pos: list(zip(a.iloc[pos], b.iloc[pos], strict=True))
    s = df[k["column"]]

    def values(pos):
        return s.iloc[pos].tolist()

    if name == "ExpectColumnValuesToNotBeNull":
        return s.isna(), values
    if name == "ExpectColumnValuesToBeNull":
        return s.notna(), values
    present = s.notna()
    if name == "ExpectColumnValuesToBeInSet":
        bad = present & ~s.isin(list(k["value_set"]))
    elif name == "ExpectColumnValuesToMatchRegex":
        bad = present & ~s.astype(str).str.contains(k["regex"], regex=True)
    elif name == "ExpectColumnValuesToBeUnique":
        bad = present & s.duplicated(keep=False)
    else:  # ExpectColumnValuesToBeBetween
        bad = present & ~_between(s, k)
    return bad.fillna(False).astype(bool), values


def _between(s: pd.Series, k: dict) -> pd.Series:
    ok = pd.Series(True, index=s.index)
    if k.get("min_value") is not None:
        ok &= (s > k["min_value"]) if k.get("strict_min") else (s >= k["min_value"])
    if k.get("max_value") is not None:
        ok &= (s < k["max_value"]) if k.get("strict_max") else (s <= k["max_value"])
    return ok.fillna(True).astype(bool)
