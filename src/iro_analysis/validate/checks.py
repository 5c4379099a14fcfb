"""The checks of every validation suite, in code: one suite per clean table (columns,
non-null keys and required values, code sets, key uniqueness, date order, plausible
ranges) and the plausibility gates on the year's files. `make gx` writes them to gx/.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from iro_analysis.contract import quality as Q
from iro_analysis.contract import tables as T
from iro_analysis.ingest.clean import (
    CODE_LISTS,
    DATE_ORDER,
    TABLE_SPECS,
)
from iro_analysis.validate.gates import FACTS_TABLE, GateLimits, gate_kwargs

CRITICAL = "critical"
WARNING = "warning"
RESULT_COLUMNS = (
    "table",
    "column",
    "expectation",
    "severity",
    "success",
    "unexpected_count",
    "sample",
    "accepted",  # the analyst's reason where a failed gate was accepted, else ""
)
CHECK_COLUMNS = RESULT_COLUMNS[:-1]  # what each check gives, before acceptance
SAMPLE_SIZE = 5
MAX_AGE_AT_ENTRY = 17  # completed years at DECOM: a child enters care before turning 18

# Checks that are warnings rather than critical (table, expectation or check name).
# A child whose every header row was quarantined still has valid episodes and reviews, so
# a missing header is a data-quality warning, not a reason to stop.


@dataclass(frozen=True)
class Check:
    """One expectation of a suite: GX expectation class name, its kwargs, severity."""

    expectation: str  # GX class name, e.g. "ExpectColumnValuesToNotBeNull"
    kwargs: dict[str, Any]
    severity: str = CRITICAL

    @property
    def columns(self) -> list[str]:
        """The columns the expectation reads (none for a table-level one)."""
        k = self.kwargs
        if "column" in k:
            return [k["column"]]
        if "column_A" in k:
            return [k["column_A"], k["column_B"]]
        return list(k.get("column_list", ()))

    @property
    def column(self) -> str:
        """The columns as a result row names them ("A >= B" for a pair)."""
        return " >= ".join(self.columns) if "column_A" in self.kwargs else ", ".join(self.columns)


def gate_checks(limits: GateLimits) -> list[Check]:
    """The plausibility gates (`iro_analysis.validate.gates`) as expectations on `file_facts`."""
    return [
        Check("ExpectColumnValuesToBeBetween", {"column": column, **kwargs})
        for column, kwargs in gate_kwargs(limits).items()
    ]


def suite_checks(table: str, limits: GateLimits | None = None) -> list[Check]:
    """The expectations of one table's suite (rules from the contract, `clean` and `gates`)."""
    if table == FACTS_TABLE:
        return gate_checks(limits or GateLimits())
    clean = T.CLEAN_TABLES[table]
    spec = TABLE_SPECS[table]
    checks = [
        Check(
            "ExpectTableColumnsToMatchSet", {"column_set": list(clean.columns), "exact_match": True}
        )
    ]
    for c in dict.fromkeys((*clean.key, *spec.required)):
        checks.append(Check("ExpectColumnValuesToNotBeNull", {"column": c}))
    for c, codes in CODE_LISTS[table].items():
        # codes outside the list are kept, with a warning, in columns no figure uses
        severity = WARNING if c in Q.WARN_ONLY_COLUMNS else CRITICAL
        checks.append(
            Check("ExpectColumnValuesToBeInSet", {"column": c, "value_set": list(codes)}, severity)
        )
    if len(clean.key) == 1:
        checks.append(Check("ExpectColumnValuesToBeUnique", {"column": clean.key[0]}))
    else:
        checks.append(Check("ExpectCompoundColumnsToBeUnique", {"column_list": list(clean.key)}))
    for early, late in DATE_ORDER.get(table, ()):
        checks.append(
            Check(
                "ExpectColumnPairValuesAToBeGreaterThanB",
                {
                    "column_A": late,
                    "column_B": early,
                    "or_equal": True,
                    "ignore_row_if": "either_value_is_missing",
                },
            )
        )
    if table == "workforce":
        checks.append(
            Check(
                "ExpectColumnValuesToBeBetween",
                {"column": "fte", "min_value": 0, "max_value": 1, "strict_min": True},
            )
        )
    if table == "establishment":
        checks.append(
            Check(
                "ExpectColumnValuesToBeBetween",
                {"column": "establishment_fte", "min_value": 0, "strict_min": True},
            )
        )
    for c in ("times_rearranged", "NumberOfPreviousCPP"):
        if c in clean.columns:
            checks.append(Check("ExpectColumnValuesToBeBetween", {"column": c, "min_value": 0}))
    if table == "meetings":
        checks.append(
            Check(
                "ExpectColumnPairValuesAToBeGreaterThanB",
                {
                    "column_A": "held_date",
                    "column_B": "first_scheduled_date",
                    "or_equal": True,
                    "ignore_row_if": "either_value_is_missing",
                },
                WARNING,
            )
        )
    return checks


def gx_name(class_name: str) -> str:
    """ "ExpectColumnValuesToBeUnique" -> "expect_column_values_to_be_unique"."""
    return "".join("_" + ch.lower() if ch.isupper() else ch for ch in class_name).lstrip("_")


def sample_strings(values) -> list[str]:
    out = []
    for v in list(values or [])[:SAMPLE_SIZE]:
        if isinstance(v, tuple | list):
            out.append(
                " / ".join(str(pd.Timestamp(x).date()) if _is_date(x) else str(x) for x in v)
            )
        else:
            out.append(str(pd.Timestamp(v).date()) if _is_date(v) else str(v))
    return out


def _is_date(v) -> bool:
    import numpy as np

    return isinstance(v, pd.Timestamp | np.datetime64) and not pd.isna(v)


def all_suites(limits: GateLimits | None = None) -> dict[str, list[Check]]:
    """Every suite: one per clean table, and the plausibility gates on `file_facts`."""
    return {t: suite_checks(t, limits) for t in (*T.CLEAN_TABLES, FACTS_TABLE)}
