"""Cells safe to open in a spreadsheet: no value from the data becomes a formula (issue #29).

Managers open the exception lists and the KPI files in Excel, and a spreadsheet reads a
cell that begins with `=`, `+`, `-` or `@` as a formula: a child or IRO id such as
`=HYPERLINK("http://x","click")` would run as one ("CSV injection" or "formula
injection"). The rule is OWASP's, "CSV Injection"
(https://owasp.org/www-community/attacks/CSV_Injection):

- **Dangerous**: a text cell whose first character is one of `DANGEROUS_PREFIXES`:
  `=`, `+`, `-`, `@`, a tab (`\\t`) or a carriage return (`\\r`).
- **Except a plain number**: optional sign, digits, optional decimal point and digits
  (`PLAIN_NUMBER`: "-5", "+3.2", "-.5", "7."), which a spreadsheet reads as that number and
  never as a formula. Nothing else is a plain number: "-2+3", "-1e5", "- 5", "-" and
  "--5" are dangerous. Leading spaces are not stripped: " =1" begins with a space.
- **CSV**: a dangerous cell is written with a single quote `'` before it, as OWASP
  advises (`csv_safe`, `csv_safe_column`, `csv_safe_value`): `=1+1` is written `'=1+1`.
  The quote is part of the cell's text for any program that reads the CSV.
- **xlsx**: a dangerous cell is stored as a text cell, never a formula, and reads exactly
  as the data (no quote added to its value); it carries Excel's "quote prefix" style so
  that editing it in Excel keeps it text (`keep_text`, called on each worksheet after
  pandas wrote it: openpyxl makes any text beginning with `=` a formula).

Only text cells are touched: numbers, dates, booleans and blanks (None, NaN, NA) are
never changed, and a file without a dangerous cell is written byte for byte as before.
The functions return new frames and never modify their inputs.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_ESCAPE = "'"
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")  # whole cell (fullmatch)

_STARTS = "^[" + re.escape("".join(DANGEROUS_PREFIXES)) + "]"


def is_dangerous(value: Any) -> bool:
    """True when `value` is text a spreadsheet could read as a formula (the rule above)."""
    return (
        isinstance(value, str)
        and value.startswith(DANGEROUS_PREFIXES)
        and PLAIN_NUMBER.fullmatch(value) is None
    )


def _is_text(s: pd.Series) -> bool:
    return (
        isinstance(s.dtype, pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(s.dtype)
        or pd.api.types.is_string_dtype(s.dtype)
    )


def dangerous(s: pd.Series) -> pd.Series:
    """A boolean Series, True where the cell of `s` is dangerous text (vectorised; a cell
    that is not a str, in a column of mixed objects, is never dangerous)."""
    none = pd.Series(False, index=s.index, dtype=bool)
    if not _is_text(s) or not len(s):
        return none
    text = s.astype(object) if isinstance(s.dtype, pd.CategoricalDtype) else s
    if text.dtype == object and pd.api.types.infer_dtype(text, skipna=True) != "string":
        is_str = text.map(lambda v: isinstance(v, str))  # mixed objects: only str cells
        if not is_str.any():
            return none
        text = text.where(is_str, None)
    starts = text.str.contains(_STARTS, regex=True, na=False)
    number = text.str.fullmatch(PLAIN_NUMBER.pattern, na=False)
    return (starts & ~number).astype(bool)


def csv_safe_value(value: Any) -> Any:
    """`value` as a CSV cell: a dangerous text with `'` before it, anything else as it is."""
    return CSV_ESCAPE + value if is_dangerous(value) else value


def csv_safe_column(s: pd.Series) -> pd.Series:
    """A copy of `s` with each dangerous text cell prefixed with `'` (the dtype kept; a
    categorical's categories are escaped)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = pd.Series(s.cat.categories, dtype=object)
        mask = dangerous(cats)
        if not mask.any():
            return s.copy()
        return s.cat.rename_categories(cats.mask(mask, CSV_ESCAPE + cats[mask]).tolist())
    mask = dangerous(s)
    out = s.copy()
    if mask.any():
        out[mask] = CSV_ESCAPE + s[mask].astype(str)
    return out


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` ready for a CSV: every dangerous text cell prefixed with `'`; other
    cells, the index and the column names unchanged."""
    out = df.copy()
    for i in range(out.shape[1]):
        col = out.iloc[:, i]
        if _is_text(col) and dangerous(col).any():
            out.isetitem(i, csv_safe_column(col))
    return out


def keep_text(ws) -> int:
    """Make every dangerous text cell of the openpyxl worksheet `ws` a text cell (never a
    formula) with Excel's quote-prefix style; its value stays the data's text. Call it after
    the sheet is written (pandas `to_excel`) and before the workbook is saved. Returns the
    number of cells changed."""
    changed = 0
    for row in ws.iter_rows():
        for cell in row:
            value = cell.value
            if is_dangerous(value):
                cell.data_type = "s"
                cell.quotePrefix = True
                changed += 1
    return changed
