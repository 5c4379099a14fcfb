"""The settings' `code_map` read and type-checked (`core.settings` builds the frozen value):
table -> column -> {the council's value: the project's code}, each value and code text or
a whole number. That each table and column is an IRO extract's coded column and each code
one of its codes is the cleaner's check (`ingest.code_map.check_code_map`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from iro_analysis.core.errors import excerpt


def _text(at: str, what: str, value: Any, error: Callable[[str], Exception]) -> str:
    """A value or code: text or a whole number, not blank (YAML reads an unquoted yes, no
    or ~ as true, false or null)."""
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise error(
            f"{at}: {what} {excerpt(value)} must be text or a whole number, not blank "
            "(quote a value such as 'Yes', 'No' or 'N/A')"
        )
    return str(value)  # as written: the cleaner matches it (`ingest.code_map.match_key`)


def text_maps(
    where: str, value: Any, error: Callable[[str], Exception]
) -> dict[str, dict[str, dict[str, str]]]:
    """`value` as table -> column -> {value: code}, all text; `error(message)` is raised,
    the message naming `where`, the table, the column and the value, when it is not."""
    out: dict[str, dict[str, dict[str, str]]] = {}
    if not isinstance(value or {}, dict):
        raise error(f"{where}: must be a mapping of IRO extracts, got {excerpt(value)}")
    for table, cols in (value or {}).items():
        at = f"{where}: {excerpt(table, quote=False)}"
        if not isinstance(cols or {}, dict):
            raise error(f"{at}: must be a mapping of columns, got {excerpt(cols)}")
        out[str(table)] = {}
        for column, pairs in (cols or {}).items():
            col_at = f"{at}: {excerpt(column, quote=False)}"
            if not isinstance(pairs or {}, dict):
                raise error(f"{col_at}: must be a mapping of values to codes, got {excerpt(pairs)}")
            out[str(table)][str(column)] = {
                _text(col_at, "value", k, error): _text(col_at, "code", v, error)
                for k, v in (pairs or {}).items()
            }
    return out
