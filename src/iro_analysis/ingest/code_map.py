"""The settings' `code_map`: a council's own values of the IRO extracts' coded columns,
turned into the project's codes when an extract is read (issue #30).

    code_map:
      meetings:
        meeting_type: {"LAC Review": CLA_REVIEW, "Initial CP Conference": ICPC}

Only the IRO extracts (`iro/*.csv`) and their coded columns (`rules.IRO_CODE_LISTS`) take
a map: the 903 and the CIN census carry DfE's codes, whose recoding by year is the
contract's (`contract/<YEAR>.yaml`). Each code must be one of the column's codes, and a
value that is itself another code of the column is refused (it would be ambiguous);
`check_code_map` says so in one line naming the settings file, table, column and value.

Matching ignores case and spaces as the cleaner does for codes (`rules.normalise_text`
strips and upper-cases a coded column): "LAC Review", "lac review" and " LAC  REVIEW "
are one value (`match_key`). The map is applied to the normalised text before exact
duplicates are removed and before the code check (`parts.make_part`), so a mapped value
is a clean code; a value neither a code nor mapped is quarantined (unknown_code) as
before, and `unmapped_lines` names those values in one line per file and column. The map
of a table is part of its parse-cache key (`ingest.cache`) and the clean data's freshness
key (`processed.clean_key`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from iro_analysis.contract import raw_files as R
from iro_analysis.contract.ssd import DEFAULT_CHAIR_ROLES
from iro_analysis.core.errors import excerpt
from iro_analysis.core.settings import Settings, SettingsError
from iro_analysis.ingest.rules import IRO_CODE_LISTS

# How many values a line of `unmapped_lines` names before "and N more".
SHOWN_VALUES = 10


def match_key(value: object) -> str:
    """How a value is matched: surrounding spaces dropped, runs of spaces made one and
    upper case ("  Lac   review " -> "LAC REVIEW")."""
    return " ".join(str(value).split()).upper()


def _coded() -> str:
    return "; ".join(f"{t} ({', '.join(cols)})" for t, cols in IRO_CODE_LISTS.items())


@dataclass(frozen=True)
class CodeMap:
    """A checked code map: table -> column -> {match_key(value): code as text}; `source`
    names the settings file for messages. With it, the other local codes the reader needs:
    `chair_roles`, the ssd_involvements role codes of the IRO who chairs a child's meetings
    (settings `ssd.chair_roles`, as match keys; `ingest.ssd`)."""

    maps: Mapping[str, Mapping[str, Mapping[str, str]]] = field(default_factory=dict)
    source: str = "settings"
    chair_roles: tuple[str, ...] = DEFAULT_CHAIR_ROLES

    def __bool__(self) -> bool:
        """Whether any column has a value mapped (`code_map: {meetings: {}}` has none)."""
        return any(m for cols in self.maps.values() for m in cols.values())

    def of_table(self, table: str) -> Mapping[str, Mapping[str, str]]:
        """The maps of one table's columns (empty if it has none)."""
        return self.maps.get(table, {})

    def digest(self, table: str | None = None) -> str:
        """sha256 of the map of `table` (of every table when None): '' when there is none,
        so a table without a map keeps the key it has without any map."""
        maps = dict(self.maps) if table is None else {table: self.of_table(table)}
        doc = {
            t: {c: dict(sorted(m.items())) for c, m in sorted(cols.items()) if m}
            for t, cols in sorted(maps.items())
        }
        doc = {t: cols for t, cols in doc.items() if cols}
        if table is None and self.chair_roles != DEFAULT_CHAIR_ROLES:
            doc["ssd chair_roles"] = sorted(self.chair_roles)
        if not doc:
            return ""
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


NO_CODE_MAP = CodeMap()


def _check_column(at: str, table: str, column: str, pairs: Mapping[str, str]) -> dict[str, str]:
    codes = IRO_CODE_LISTS[table][column]
    texts = {str(c): c for c in codes}
    valid = ", ".join(texts)
    numeric = all(isinstance(c, int) for c in codes)
    out: dict[str, str] = {}
    first: dict[str, str] = {}
    for value, code in pairs.items():
        code = str(code).strip()
        if code not in texts:
            raise SettingsError(
                f"{at}: {excerpt(value)} maps to {excerpt(code)}, which is not a code of "
                f"{column} in iro/{table}.csv; valid codes: {valid}"
            )
        key = match_key(value)
        as_code = key if key in texts else None
        if as_code is None and numeric:
            try:
                n = float(key)
                as_code = str(int(n)) if n.is_integer() and str(int(n)) in texts else None
            except ValueError:
                pass
        if as_code is not None and as_code != code:
            raise SettingsError(
                f"{at}: {excerpt(value)} is itself the code {as_code} of {column} and cannot "
                f"map to {code} (ambiguous); valid codes: {valid}"
            )
        if key in out and out[key] != code:
            raise SettingsError(
                f"{at}: {excerpt(first[key])} and {excerpt(value)} are one value once case and "
                f"spaces are ignored, but map to {out[key]} and {code}"
            )
        out[key] = code
        first.setdefault(key, value)
    return out


def code_map_of(settings: Settings) -> CodeMap:
    """The settings' `code_map`, checked: only the IRO extracts' coded columns, each code
    one of its column's, no value that is another code, no value given two codes once case
    and spaces are ignored. SettingsError in one line naming the file, table, column and
    value otherwise."""
    where = f"{settings.source}: code_map"
    maps: dict[str, dict[str, dict[str, str]]] = {}
    for table, columns in settings.code_map.items():
        if table not in IRO_CODE_LISTS:
            what = (
                "an IRO extract without coded columns"
                if R.RAW_CSVS.get(table) is not None and R.RAW_CSVS[table].source == "iro"
                else "not an IRO extract (the 903 and the CIN census carry DfE's codes)"
            )
            raise SettingsError(
                f"{where}: {excerpt(table)} is {what}; the coded columns are: {_coded()}"
            )
        maps[table] = {}
        for column, pairs in columns.items():
            if column not in IRO_CODE_LISTS[table]:
                raise SettingsError(
                    f"{where}: {table}: {excerpt(column)} is not a coded column of "
                    f"iro/{table}.csv; its coded columns: {', '.join(IRO_CODE_LISTS[table])}"
                )
            maps[table][column] = _check_column(f"{where}: {table}: {column}", table, column, pairs)
    roles = tuple(sorted({match_key(r) for r in settings.ssd.chair_roles}))
    return CodeMap(maps, settings.source, roles)


def check_code_map(settings: Settings) -> None:
    """The cleaner's check of settings `code_map` (`code_map_of`), run at the build's door."""
    code_map_of(settings)


def apply_code_map(text: pd.DataFrame, table: str, code_map: CodeMap | None) -> pd.DataFrame:
    """`text` (normalised by `rules.normalise_text`) with each mapped value of the table's
    coded columns replaced by its code; every other value as it was."""
    cols = (code_map or NO_CODE_MAP).of_table(table)
    if not any(cols.values()):
        return text
    out = text.copy()
    for column, m in cols.items():
        if not m or column not in out:
            continue
        s = out[column]
        key = s.str.replace(r"\s+", " ", regex=True)
        mapped = key.map(dict(m))
        out[column] = mapped.where(mapped.notna(), s).astype(s.dtype)
    return out


def unmapped_lines(quarantine: pd.DataFrame, code_map: CodeMap | None) -> list[str]:
    """With a code map, one line per file and coded IRO column naming the values that were
    neither a code nor mapped (quarantined as unknown_code), with their rows, most rows
    first: "2022/iro/meetings.csv, meeting_type: 2 values neither a code nor in code_map
    (config/settings.yaml): 'LAC REV' (12 rows), 'STRATEGY' (3 rows)". Values are shown as
    the cleaner reads them (trimmed, upper case), each as a short excerpt. None without a
    code map (the build says what it said before)."""
    if not code_map:
        return []
    q = quarantine[quarantine["rule"].eq("unknown_code")]
    coded = pd.Series(
        [c in IRO_CODE_LISTS.get(t, {}) for t, c in zip(q["table"], q["column"], strict=True)],
        index=q.index,
        dtype=bool,
    )
    q = q[coded]
    lines = []
    for (year, file, column), g in q.groupby(["year", "file", "column"], sort=True):
        counts = g["value"].fillna("").value_counts()
        order = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        shown = ", ".join(
            f"{excerpt(v, 40)} ({n} row{'s' if n != 1 else ''})" for v, n in order[:SHOWN_VALUES]
        )
        rest = order[SHOWN_VALUES:]
        if rest:
            shown += f" and {len(rest)} more ({sum(n for _, n in rest)} rows)"
        n_values = len(order)
        lines.append(
            f"{year}/{excerpt(file, quote=False)}, {column}: {n_values} "
            f"value{'s' if n_values != 1 else ''} neither a code nor in code_map "
            f"({code_map.source}): {shown}"
        )
    return lines
