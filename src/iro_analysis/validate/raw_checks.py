"""The suites of the raw files: the cleaner's row rules as expectations on each source as
read (`ingest.raw_tables`), before cleaning, so that GX's results and Data Docs show what
was wrong in the raw files and where (the failing rows' lines).

Every expectation is a warning: a row that breaks one is quarantined by the cleaner, and
the quarantine, the clean-table suites and the plausibility gates decide whether the build
stops. Per source of table T in collection year Y:

- the reader could read each line as a record (`malformed` missing; malformed_record);
- T's required columns are not blank (missing_required);
- a coded column holds a code of Y's contract (unknown_code), a flag Y/N/1/0/TRUE/FALSE/
  YES/NO, a number a number (whole where the clean column is), not negative for a count;
- a date column holds DD/MM/YYYY or YYYY-MM-DD naming a day that exists (`DATE_REGEX`, a
  regular expression GX applies to the whole column at once; 29 February passes in any
  year; unparseable_date);
- T's key is unique in the file (duplicate_key; an exact duplicate row, which the cleaner
  removes and counts rather than quarantines, breaks it too);
- the rules GX cannot see in one table (`raw_tables.CROSS_FILE_RULES`): the cleaner's
  verdict column is missing.

What these leave out: a number that must be above 0 (establishment_fte), a date before 1900
or after the folder's year, and date order (impossible_date, in its verdict column).
"""

from __future__ import annotations

import re

from iro_analysis.contract import tables as T
from iro_analysis.ingest.raw_tables import CROSS_FILE_RULES, RAW_LINE, RAW_MALFORMED
from iro_analysis.ingest.rules import (
    CODE_LISTS,
    COUNT_COLUMNS,
    FALSE_TEXT,
    TABLE_SPECS,
    TRUE_TEXT,
    year_code_maps,
)
from iro_analysis.validate.checks import WARNING, Check

RAW_PREFIX = "raw."  # a raw source's suite and asset: iro_analysis.raw.<source key>
# A day and month that exist (29 February in any year: a leap year is not checked).
_DAY_MONTH = (
    r"(?:0?[1-9]|1[0-9]|2[0-9])/(?:0?[1-9]|1[0-2])"
    r"|30/(?:0?[13-9]|1[0-2])|31/(?:0?[13578]|1[02])"
)
_MONTH_DAY = (
    r"(?:0?[1-9]|1[0-2])-(?:0?[1-9]|1[0-9]|2[0-9])"
    r"|(?:0?[13-9]|1[0-2])-30|(?:0?[13578]|1[02])-31"
)
DATE_REGEX = rf"^(?:(?:{_DAY_MONTH})/[0-9]{{4}}|[0-9]{{4}}-(?:{_MONTH_DAY}))$"
WHOLE_REGEX = r"^[+-]?[0-9]+(?:\.0*)?$"
COUNT_REGEX = r"^\+?[0-9]+(?:\.0*)?$"
NUMBER_REGEX = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"


def source_key(label: str) -> str:
    """A source's label as a GX name: "ssda903/episodes.csv" -> "raw.ssda903_episodes_csv"."""
    return RAW_PREFIX + re.sub(r"[^A-Za-z0-9_]+", "_", label).strip("_")


def _warn(expectation: str, **kwargs) -> Check:
    return Check(expectation, kwargs, WARNING)


def raw_suite_checks(table: str, year: int) -> list[Check]:
    """The expectations on one raw source of `table` in collection year `year`."""
    spec = TABLE_SPECS[table]
    maps = year_code_maps(table, year)
    checks = [_warn("ExpectColumnValuesToBeNull", column=RAW_MALFORMED)]
    checks += [_warn("ExpectColumnValuesToNotBeNull", column=c) for c in spec.required]
    for c in spec.columns:
        kind = T.clean_dtype(c)
        if kind == "datetime":
            checks.append(_warn("ExpectColumnValuesToMatchRegex", column=c, regex=DATE_REGEX))
        elif kind == "boolean":
            flags = [*TRUE_TEXT, *FALSE_TEXT]
            checks.append(_warn("ExpectColumnValuesToBeInSet", column=c, value_set=flags))
        elif kind in ("Int64", "float64"):
            if c in CODE_LISTS[table]:
                codes = sorted({str(int(v)) for v in CODE_LISTS[table][c]})
                checks.append(_warn("ExpectColumnValuesToBeInSet", column=c, value_set=codes))
            else:
                regex = (
                    NUMBER_REGEX
                    if kind == "float64"
                    else COUNT_REGEX
                    if c in COUNT_COLUMNS
                    else WHOLE_REGEX
                )
                checks.append(_warn("ExpectColumnValuesToMatchRegex", column=c, regex=regex))
        elif c in maps:
            codes = sorted(maps[c])
            checks.append(_warn("ExpectColumnValuesToBeInSet", column=c, value_set=codes))
    if len(spec.key) == 1:
        checks.append(_warn("ExpectColumnValuesToBeUnique", column=spec.key[0]))
    else:
        checks.append(_warn("ExpectCompoundColumnsToBeUnique", column_list=list(spec.key)))
    checks += [_warn("ExpectColumnValuesToBeNull", column=rule) for rule in CROSS_FILE_RULES]
    return checks


# The result format of the raw suites: a sample of failing values with their lines.
RAW_RESULT_FORMAT = {
    "result_format": "SUMMARY",
    "partial_unexpected_count": 5,
    "unexpected_index_column_names": [RAW_LINE],
}
