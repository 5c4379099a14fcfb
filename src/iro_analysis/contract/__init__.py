"""The DfE data contract, one file per collection year (`contract/<YEAR>.yaml`).

Each file declares, for the collection year ending 31 March YEAR (2021/22 is 2022), the
SSDA903 tables' columns (which a file may leave out; a table DfE added later, such as the
2026/27 `dolo`, only in the years that have it) and the code lists of the 903 and the
CIN census as DfE defined them that year, with their sources. Codes that DfE recoded
between years (903 SEX 1/2 became M/F in 2024/25) map to one analysis vocabulary, so KPIs
and breakdowns see one coding across years. A new DfE year is one new file plus fixtures.

Sources: DfE's "Children looked after return: guide" and "Children in need census: guide"
for each year (each file names its own), checked against the per-year specs of DfE's 903
validator and liia-tools.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import yaml

from iro_analysis.core.errors import InputError

CONTRACT_DIR: Path = Path(__file__).resolve().parent
SSDA903_TABLES = ("header", "episodes", "reviews", "oc2")  # every collection year has these
# 903 tables DfE added in a later collection year (the 2026/27 return's Deprivation of
# Liberty Orders, `dolo`: CHILD, DOLO_START, DOLO_END). A year's contract lists such a table
# from the year DfE introduced it; a year whose contract does not list it does not have it.
LATER_903_TABLES = ("dolo",)


def contract_years() -> list[int]:
    """Collection years with a contract file, oldest first."""
    return sorted(int(p.stem) for p in CONTRACT_DIR.glob("[0-9][0-9][0-9][0-9].yaml"))


@dataclass(frozen=True)
class TableContract:
    """One 903 table in one collection year."""

    name: str
    columns: tuple[str, ...]  # DfE column names in the return's order
    optional: frozenset[str]  # may be absent from a file (read as blank)

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Columns that must be in a file's header for it to be read as this table."""
        return tuple(c for c in self.columns if c not in self.optional)


@dataclass(frozen=True)
class Contract:
    """The data contract of one collection year."""

    year: int
    collection: str  # "2021/22"
    sources: tuple[str, ...]
    tables: Mapping[str, TableContract]
    code_maps: Mapping[str, Mapping[str, Mapping[str, str]]]  # table -> column -> raw -> analysis

    def has_table(self, table: str) -> bool:
        """Whether the 903 return of this year has `table` (a later table only from the
        year DfE introduced it)."""
        return table in self.tables

    def columns_with_codes(self, table: str) -> tuple[str, ...]:
        """Columns of `table` (903 or CIN clean table) that have a code list this year."""
        return tuple(self.code_maps.get(table, {}))

    def codes(self, table: str, column: str) -> tuple[str, ...]:
        """The raw codes valid for `table.column` this year (KeyError if it has no list)."""
        return tuple(self.code_maps[table][column])

    def analysis_map(self, table: str, column: str) -> Mapping[str, str]:
        """Raw code -> analysis code for `table.column` this year (identity where unchanged)."""
        return self.code_maps[table][column]


def _problem(path: Path, msg: str) -> InputError:
    return InputError(f"{path}: data contract {msg}")


def _code_map(path: Path, where: str, value) -> Mapping[str, str]:
    if isinstance(value, list):
        items = [(v, v) for v in value]
    elif isinstance(value, dict):
        items = list(value.items())
    else:
        raise _problem(path, f"{where}: a code list must be a list or a mapping")
    # YAML reads unquoted 1, 01, NO or YES as numbers or booleans: codes must be quoted text
    odd = list(dict.fromkeys(repr(x) for pair in items for x in pair if not isinstance(x, str)))
    if odd:
        raise _problem(path, f"{where}: quote these codes as text: {', '.join(odd)}")
    raw = [k for k, _ in items]
    if len(set(raw)) != len(raw) or not raw:
        raise _problem(path, f"{where}: empty or repeated codes")
    return MappingProxyType(dict(items))


def parse_contract(path: Path) -> Contract:
    """Read and check one contract file (InputError naming the file and key if malformed)."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict):
        raise _problem(path, "is not a mapping")
    for key in ("year", "collection", "sources", "ssda903", "codes"):
        if key not in doc:
            raise _problem(path, f"has no '{key}'")
    year = int(doc["year"])
    if str(year) != path.stem:
        raise _problem(path, f"says year {year} but is named {path.name}")
    expected = f"{year - 1}/{str(year)[2:]}"
    if str(doc["collection"]) != expected:
        raise _problem(path, f"collection {doc['collection']!r} should be {expected!r}")
    tables = {}
    listed = doc["ssda903"] if isinstance(doc["ssda903"], dict) else {}
    unknown = sorted(set(listed) - set(SSDA903_TABLES) - set(LATER_903_TABLES))
    if unknown:
        raise _problem(
            path,
            f"ssda903 names {', '.join(map(repr, unknown))}, not a 903 table "
            f"({', '.join(SSDA903_TABLES + LATER_903_TABLES)})",
        )
    for name in SSDA903_TABLES + tuple(t for t in LATER_903_TABLES if t in listed):
        t = listed.get(name)
        if not t or not t.get("columns"):
            raise _problem(path, f"has no ssda903.{name}.columns")
        columns = tuple(str(c) for c in t["columns"])
        optional = frozenset(str(c) for c in t.get("optional") or ())
        if not optional <= set(columns) or "CHILD" in optional:
            raise _problem(path, f"ssda903.{name}.optional names a column not in its columns")
        tables[name] = TableContract(name, columns, optional)
    code_maps = {}
    for table, cols in (doc["codes"] or {}).items():
        if table in tables and not set(cols) <= set(tables[table].columns):
            raise _problem(path, f"codes.{table} names a column not in the table")
        code_maps[table] = MappingProxyType(
            {col: _code_map(path, f"codes.{table}.{col}", v) for col, v in cols.items()}
        )
    return Contract(
        year=year,
        collection=expected,
        sources=tuple(str(s) for s in doc["sources"]),
        tables=MappingProxyType(tables),
        code_maps=MappingProxyType(code_maps),
    )


@functools.cache
def load_contract(year: int) -> Contract:
    """The data contract of collection year `year`; InputError if the project has none."""
    path = CONTRACT_DIR / f"{int(year)}.yaml"
    if not path.is_file():
        have = contract_years()
        raise InputError(
            f"no DfE data contract for {year - 1}/{str(year)[2:]} (year {year}): this version "
            f"knows {have[0]} to {have[-1]}. Add src/iro_analysis/contract/{year}.yaml"
        )
    return parse_contract(path)


def analysis_codes(table: str, column: str) -> tuple[str, ...]:
    """Every analysis code `table.column` can take in any year (sorted)."""
    out: set[str] = set()
    for y in contract_years():
        maps = load_contract(y).code_maps.get(table, {})
        if column in maps:
            out.update(maps[column].values())
    return tuple(sorted(out))


def _span(years: list[int]) -> str:
    """Years as ranges of collection years: [2016, 2017, 2019] -> "2015/16–2016/17, 2018/19"."""
    runs: list[list[int]] = []
    for y in years:
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])

    def label(y: int) -> str:
        return f"{y - 1}/{str(y)[2:]}"

    return ", ".join(label(r[0]) if len(r) == 1 else f"{label(r[0])}–{label(r[-1])}" for r in runs)


def codes_by_year_markdown(table: str, column: str) -> str:
    """A Markdown table of every code `table.column` has had: the collection years it is
    valid in and the analysis code it maps to (for the data dictionary)."""
    seen: dict[str, tuple[list[int], str]] = {}
    for y in contract_years():
        maps = load_contract(y).code_maps.get(table, {})
        for raw, analysis in maps.get(column, {}).items():
            years, _ = seen.setdefault(raw, ([], analysis))
            years.append(y)
    every = contract_years()
    rows = ["| code | valid in | analysis code |", "|---|---|---|"]
    for raw, (years, analysis) in seen.items():
        when = "every year" if years == every else _span(years)
        rows.append(f"| `{raw}` | {when} | {'' if analysis == raw else f'`{analysis}`'} |")
    return "\n".join(rows)
