"""One raw source of one year as a `Part`: read, normalised, deduplicated and typed.

A Part is what one file (or one element kind of a census file) gives, before the
cross-file and cross-year rules: it depends only on that file's bytes, its year folder
and the year's contract, which is what `ingest.cache` stores.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from iro_analysis.contract import load_contract
from iro_analysis.contract import quality as Q
from iro_analysis.contract import raw_files as R
from iro_analysis.contract import tables as T
from iro_analysis.core.errors import InputError, excerpt
from iro_analysis.core.hashing import sha256_file
from iro_analysis.ingest import discover
from iro_analysis.ingest.bookkeeping import LINE, MALFORMED, RAW_TEXT, UNMATCHED_QUOTE
from iro_analysis.ingest.cin_census import (
    PARENT_CHILD,
    PARENT_PLAN,
    census_tables,
    element_lines,
    read_cin_census,
)
from iro_analysis.ingest.code_map import CodeMap, apply_code_map
from iro_analysis.ingest.dataset import SUPPLIED_COLUMNS
from iro_analysis.ingest.discover import YearFiles
from iro_analysis.ingest.read import read_raw_csv
from iro_analysis.ingest.rules import (
    CIN_ELEMENTS,
    TABLE_SPECS,
    concat_failures,
    empty_failures,
    failure_rows,
    normalise_text,
    type_frame,
)

# --------------------------------------------------------------------------------------
# One raw source (a CSV file, or one element kind of a census file) of one year
# --------------------------------------------------------------------------------------


# Raw text kept on a Part after typing: line numbers and what the cross-file rules read.
RAW_KEPT = (LINE, "CHILD", "LAchildID", "DECOM", "REVIEW")


@dataclass
class Part:
    """A year's rows of one table, typed, with failures and the accounting of its source."""

    year: int
    table: str
    file: str  # label used in quarantine and accounting ("ssda903/episodes.csv", ...)
    rows_read: int
    raw: pd.DataFrame  # RAW_KEPT columns of every row read (index = row id)
    typed: pd.DataFrame  # typed rows not removed as duplicates or malformed (same index)
    failures: pd.DataFrame  # row/column/rule/value
    duplicates: int = 0
    extra: dict = field(default_factory=dict)
    warnings: pd.DataFrame = field(default_factory=lambda: empty_failures())  # rows kept

    def failed_rows(self) -> pd.Index:
        return pd.Index(self.failures["row"].unique())

    def kept(self) -> pd.DataFrame:
        return self.typed.drop(index=self.failed_rows(), errors="ignore")


def make_part(
    year: int, table: str, file: str, raw: pd.DataFrame, code_map: CodeMap | None = None
) -> Part:
    """Normalise, map the council's own values to codes (`code_map`, an IRO extract's),
    deduplicate exact copies and type the raw rows of one source.

    `raw` holds the table's columns as text plus LINE (and optionally MALFORMED). Lines
    that could not be read as records are failures (malformed_record); of the rest, a row
    equal to an earlier one after normalising is an exact duplicate (removed, counted).
    """
    raw = raw.reset_index(drop=True)
    if MALFORMED not in raw:
        raw = raw.assign(**{MALFORMED: pd.Series("", index=raw.index, dtype="str")})
    malformed = raw[MALFORMED].fillna("") != ""
    stray = int(raw[MALFORMED].eq(UNMATCHED_QUOTE).sum())
    mal_rows = raw.index[malformed.to_numpy()]
    why = raw.loc[mal_rows, MALFORMED].astype("str")
    spec = R.RAW_CSVS.get(table)
    if spec is not None and spec.free_text:  # the line may hold a quote: never copied
        why = why + ": " + Q.WITHHELD_FREE_TEXT
    elif RAW_TEXT in raw:
        why = why + ": " + raw.loc[mal_rows, RAW_TEXT].astype("str").str.slice(0, 200)
    mal_fail = pd.DataFrame(
        {
            "row": mal_rows.to_numpy(),
            "column": pd.Series([pd.NA] * len(mal_rows), dtype="str").to_numpy(),
            "rule": "malformed_record",
            "value": why.to_numpy(),
        }
    )
    text = apply_code_map(normalise_text(raw.loc[~malformed], table), table, code_map)
    dup = text.duplicated(keep="first")
    text = text.loc[~dup]
    stats: dict[str, int] = {"dates": 0, "month_first_dates": 0, "stray_quotes": stray}
    typed, fails = type_frame(text, table, year, stats)
    warn = fails["rule"].eq("unknown_code") & fails["column"].isin(Q.WARN_ONLY_COLUMNS)
    warnings = fails[warn.to_numpy()].assign(rule="unknown_code_kept")
    return Part(
        year=year,
        table=table,
        file=file,
        rows_read=len(raw),
        raw=raw[[c for c in RAW_KEPT if c in raw]],
        typed=typed,
        failures=concat_failures([mal_fail, fails[~warn.to_numpy()]]),
        duplicates=int(dup.sum()),
        warnings=warnings.reset_index(drop=True),
        extra=dict(stats),
    )


def add_failures(part: Part, fails: pd.DataFrame) -> None:
    """Add failures to a part; a row broken twice by one rule on one column is listed once."""
    both = concat_failures([part.failures, fails])
    part.failures = both.drop_duplicates(["row", "column", "rule"]).reset_index(drop=True)


def key_duplicates(part: Part) -> pd.DataFrame:
    """Rows of a source sharing the key of an earlier kept row (duplicate_key failures)."""
    spec = TABLE_SPECS[part.table]
    kept = part.kept()
    dup = kept.duplicated(subset=list(spec.key), keep="first")
    col = spec.key[-1]
    raw_vals = kept[col].astype("str")
    return failure_rows(dup, col, "duplicate_key", raw_vals)


# --------------------------------------------------------------------------------------
# Reading a year folder
# --------------------------------------------------------------------------------------


SUPPLIED_PATHS = {
    **{name: raw.relpath for name, raw in R.RAW_CSVS.items()},
    "cin_census": R.CIN_FILE,
}


def _sha256(path: Path, hashes: Mapping[Path, str] | None) -> str:
    """The file's sha256, from `hashes` when already computed."""
    return (hashes or {}).get(path) or sha256_file(path)


def supplied_inputs(
    found: YearFiles,
    year: int,
    xml_tables: frozenset[str] = frozenset(),
    hashes: Mapping[Path, str] | None = None,
) -> pd.DataFrame:
    """One row per input of `schema.SUPPLIED_INPUTS`: the file found for it (or the usual
    name when none was), present, sha256 (None if absent).

    A 903 XML supplies the tables it holds records of (`xml_tables`), as a folder of CSVs
    supplies the tables it has files for. `hashes`: sha256 already computed, by path.
    """
    rows = []
    for name in T.SUPPLIED_INPUTS:
        p = found.path_of(name)
        if p is not None and p == found.ssda903_xml and name not in xml_tables:
            p = None
        present = p is not None
        path = p if present else found.year_dir / SUPPLIED_PATHS[name]
        rows.append((year, name, str(path), present, _sha256(p, hashes) if present else None))
    return pd.DataFrame(rows, columns=list(SUPPLIED_COLUMNS)).astype(
        {"year": "int64", "input": "str", "path": "str", "present": "bool", "sha256": "str"}
    )


def _file_warnings(year: int, file: str, table: str, rule: str, columns, value="") -> list:
    return [(year, file, 1, table, c, rule, value) for c in columns]


def csv_file_parts(
    path: Path, rel: str, year: int, name: str, code_map: CodeMap | None = None
) -> tuple[list[Part], list[tuple]]:
    """One CSV of table `name` as a Part, and its file warnings (labelled `rel`); an IRO
    extract's values mapped to codes by `code_map`.

    File warnings (rows of the warnings table) name the columns a file has that its table
    does not (ignored) and the optional columns it leaves out (read as blank).
    """
    required = discover.required_columns(name, year)
    table = read_raw_csv(path, R.RAW_CSVS[name], required)
    part = make_part(year, name, rel, table.frame, code_map)
    part.extra["encoding"] = table.encoding
    warns = _file_warnings(year, rel, name, "unknown_column", table.unknown)
    if name in R.SSDA903_TABLES:  # columns the year's contract has that the file lacks
        defined = load_contract(year).tables[name].columns
        warns += _file_warnings(
            year, rel, name, "absent_column", [c for c in table.absent if c in defined]
        )
    return [part], warns


def xml903_file_parts(path: Path, rel: str, year: int) -> tuple[list[Part], list[tuple]]:
    """The 903 tables of one SSDA903 XML return as Parts (labelled `rel#table`), and the
    unknown-element warnings."""
    from iro_analysis.ingest.ssda903_xml import read_903_xml

    parts: list[Part] = []
    warns: list[tuple] = []
    for name, t in read_903_xml(path).items():
        label = f"{rel}#{name}"
        parts.append(make_part(year, name, label, t.frame))
        warns += _file_warnings(year, label, name, "unknown_column", t.unknown)
    return parts, warns


def read_csv_parts(
    found: YearFiles, year: int, code_map: CodeMap | None = None
) -> tuple[list[Part], list[tuple]]:
    """The year's 903 and IRO tables as Parts, from CSVs or the 903 XML, and file warnings."""
    parts: list[Part] = []
    warns: list[tuple] = []
    for name, path in found.csvs.items():
        got, w = csv_file_parts(path, found.relpath(path), year, name, code_map)
        parts += got
        warns += w
    if found.ssda903_xml is not None:
        got, w = xml903_file_parts(found.ssda903_xml, found.relpath(found.ssda903_xml), year)
        parts += got
        warns += w
    return parts, warns


def _replace_failures(part: Part, lost: pd.Series, column: str, values: pd.Series) -> None:
    """Mark rows whose parent element was quarantined (their own failures are moot)."""
    lost = lost.fillna(False).astype(bool)
    keep = part.failures[~part.failures["row"].isin(lost.index[lost.to_numpy()])]
    part.failures = concat_failures(
        [keep, failure_rows(lost, column, "parent_quarantined", values)]
    )


def check_census_year(
    collection: Mapping[str, str], path: Path, year: int, rel: str | None = None
) -> list[tuple]:
    """The census's Header/CollectionDetails ReferenceDate must be 31 March of the folder's
    year: it decides the collection year, as DfE's CIN validator does (`Year` is the year
    before in two of DfE's own published samples). Otherwise InputError naming both values.
    A `Year` that disagrees with a right ReferenceDate is a warning naming both (returned
    as a file-warning tuple, `census_year_differs`)."""
    got_year = collection.get("Year", "")
    got_ref = collection.get("ReferenceDate", "")
    want_ref = f"{year}-03-31"
    if got_ref == want_ref and got_year == str(year):
        return []
    # values from the file: shown short, whatever they hold
    got_year, said_ref = excerpt(got_year, quote=False), excerpt(got_ref, quote=False)
    if got_ref == want_ref:
        return [
            (
                year,
                rel or path.name,
                1,
                "cin_children",
                "Year",
                "census_year_differs",
                f"Year {got_year or '(none)'} with ReferenceDate {got_ref}: the ReferenceDate "
                f"decides, so the census is read as {year - 1}/{str(year)[2:]}'s",
            )
        ]
    said = (
        f"collection year {got_year or '(none)'} with ReferenceDate {said_ref or '(none)'}"
        if collection
        else "no Header/CollectionDetails (collection year and ReferenceDate)"
    )
    raise InputError(
        f"{path}: the census header gives {said}, but the file is in the folder for "
        f"{year - 1}/{str(year)[2:]}, whose census has ReferenceDate {want_ref} (and Year "
        f"{year}). Put each census in the folder of its own year."
    )


def read_cin_parts(found: YearFiles, year: int) -> list[Part]:
    """The CIN census of one year folder as Parts, one per element kind (none if absent).

    Sub-elements of a Child with a blank LAchildID, and review dates of a plan that was
    quarantined, are quarantined as parent_quarantined (the link is lost). A census whose
    header names another collection year is an error (`check_census_year`).
    """
    p = found.cin_census
    if p is None:
        return []
    return cin_file_parts(p, found.relpath(p), year)[0]


def cin_file_parts(
    p: Path, rel: str, year: int, source: dict | None = None
) -> tuple[list[Part], list[tuple]]:
    """One CIN census file as Parts, one per element kind (labelled `rel#Element`), and its
    file warnings (a `Year` the ReferenceDate overrules). See `read_cin_parts`. With
    `source` (a dict), its element kinds as text tables, as read (`census_tables`), are
    put there too."""
    cin = read_cin_census(p)
    warns = check_census_year(cin.collection, p, year, rel)
    ids = cin.children["LAchildID"].str.strip()
    child_ok = (ids.str.len() > 0).to_numpy()
    tables = census_tables(cin)
    if source is not None:
        source.update(tables)
    parts: dict[str, Part] = {}
    parts["cin_children"] = make_part(year, "cin_children", f"{rel}#Child", cin.children)
    for table, frame in (("cin_details", cin.details), ("s47", cin.s47), ("cp_plans", cin.plans)):
        parent = frame[PARENT_CHILD].to_numpy()
        f = tables[table]
        part = make_part(year, table, f"{rel}#{CIN_ELEMENTS[table]}", f)
        orphan = pd.Series(~child_ok[parent], index=f.index).reindex(part.typed.index)
        _replace_failures(part, orphan, "LAchildID", f["LAchildID"].fillna(""))
        parts[table] = part
    # plan reviews carry their plan's child and start date, the key that links them
    pidx = cin.reviews[PARENT_PLAN].to_numpy()
    r = tables["cp_reviews"]
    rev_part = make_part(year, "cp_reviews", f"{rel}#{CIN_ELEMENTS['cp_reviews']}", r)
    bad_plans = parts["cp_plans"].failed_rows().to_numpy()
    lost = pd.Series(np.isin(pidx, bad_plans), index=r.index).reindex(rev_part.typed.index)
    _replace_failures(rev_part, lost, "CPPstartDate", r["CPPstartDate"].fillna(""))
    parts["cp_reviews"] = rev_part
    for table, part in parts.items():
        part.extra.update(path=p, element=CIN_ELEMENTS[table])
    fill_xml_lines(list(parts.values()))  # here, so that it runs in the year's process
    return list(parts.values()), warns


def fill_xml_lines(parts: list[Part]) -> None:
    """Give quarantined census elements their physical line (one scan per element kind).

    Rows of a census table are in document order, so row i is the i-th start tag of its
    element; lines stay blank if the counts disagree (a tag inside a comment, say).
    """
    for p in parts:
        element = p.extra.get("element")
        if element is None or not len(p.failures):
            continue
        if p.raw[LINE].iloc[p.failures["row"].to_numpy()].notna().all():
            continue  # already known
        lines = element_lines(p.extra["path"], element)
        if len(lines) == len(p.raw):
            p.raw[LINE] = pd.array(lines, dtype="Int64")
