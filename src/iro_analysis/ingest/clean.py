"""Clean the raw returns into typed, deduplicated tables; quarantine what breaks the contract.

Rules (data contract and the "Readings" of `shared/spec/kpis.md`):
- Every year folder is read; values are stripped, codes upper-cased, dates parsed from
  DD/MM/YYYY or YYYY-MM-DD, Y/N and 0/1 flags made booleans, numbers typed.
- A row (CSV line or XML element) that breaks a row-level rule goes to the quarantine table
  with its file, line, column, rule and raw value; the rest of the file still counts.
- Exact duplicate rows within a file are removed and counted. For every raw file
  rows read = rows kept + duplicates removed + rows quarantined; this is checked here.
- Across years the latest year's row wins on each table's key (`schema.CLEAN_TABLES`);
  CP review dates are unioned; OC2 is kept per year.
"""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from iro_analysis import paths
from iro_analysis.build.manifest import sha256_file
from iro_analysis.contract import analysis_codes, contract_years, load_contract
from iro_analysis.contract import schema as S
from iro_analysis.errors import InputError
from iro_analysis.ingest import discover
from iro_analysis.ingest.dataset import SUPPLIED_COLUMNS, Dataset
from iro_analysis.ingest.discover import YearFiles
from iro_analysis.ingest.read import (
    LINE,
    MALFORMED,
    PARENT_CHILD,
    PARENT_PLAN,
    RAW_TEXT,
    UNMATCHED_QUOTE,
    element_lines,
    read_cin_census,
    read_raw_csv,
)

# --------------------------------------------------------------------------------------
# Table rules: code lists, required values, date order. Codes come from `schema`.
# --------------------------------------------------------------------------------------

# Tables whose codes the DfE contract declares per collection year (`iro_analysis.contract`);
# the IRO extracts' codes are the project's own and the same every year.
CONTRACT_TABLES = ("header", "episodes", "reviews", "oc2", "cin_children", "cp_plans")
IRO_CODE_LISTS: dict[str, dict[str, tuple]] = {
    "meetings": {"meeting_type": S.MEETING_TYPES, "rearranged_reason": S.REARRANGED_REASONS},
    "disputes": {
        "cohort": S.DISPUTE_COHORTS,
        "theme": S.DISPUTE_THEMES,
        "highest_stage": S.DISPUTE_STAGES,
        "outcome": S.DISPUTE_OUTCOMES,
    },
}


def _analysis_lists(table: str) -> dict[str, tuple]:
    cols: dict[str, None] = {}
    for y in contract_years():
        cols.update(dict.fromkeys(load_contract(y).columns_with_codes(table)))
    return {c: analysis_codes(table, c) for c in cols}


# Clean-data code lists (the analysis vocabulary): what each coded column may hold after
# cleaning. Raw values are checked against the year's own contract instead (`type_frame`).
CODE_LISTS: dict[str, dict[str, tuple]] = {
    t: _analysis_lists(t) if t in CONTRACT_TABLES else IRO_CODE_LISTS.get(t, {})
    for t in (*S.RAW_CSVS, "cin_children", "cin_details", "s47", "cp_plans", "cp_reviews")
}


def year_code_maps(table: str, year: int) -> dict[str, Mapping[str, str]]:
    """Raw code -> analysis code for each coded column of `table` in collection year `year`.

    A column coded in some years but not in `year` gets an empty map (every value refused).
    """
    if table not in CONTRACT_TABLES:
        return {c: {v: v for v in codes} for c, codes in CODE_LISTS[table].items()}
    c = load_contract(year)
    have = c.columns_with_codes(table)
    return {col: (c.analysis_map(table, col) if col in have else {}) for col in CODE_LISTS[table]}


# Free-text columns that are still upper-cased (identifiers issued in upper case).
UPPER_TEXT_COLUMNS = frozenset(
    {
        "UPN",
        "HOME_POST",
        "PL_POST",
        "SDQ_REASON",
        "URN",
        "ReferralSource",
        "PrimaryNeedCode",
        "ReasonForClosure",
    }
)

# (earlier, later) date pairs within a row: the later one must not precede the earlier one.
DATE_ORDER: dict[str, tuple[tuple[str, str], ...]] = {
    "header": (("DOB", "MC_DOB"),),
    "episodes": (("DECOM", "DEC"),),
    "reviews": (("DOB", "REVIEW"),),
    "disputes": (("raised_date", "resolved_date"),),
    "workforce": (("start_date", "end_date"),),
    "cin_children": (),
    "cin_details": (("CINreferralDate", "CINclosureDate"),),
    "s47": (("S47ActualStartDate", "DateOfInitialCPC"),),
    "cp_plans": (("CPPstartDate", "CPPendDate"),),
    "cp_reviews": (("CPPstartDate", S.CPP_REVIEW_FIELD),),
}

# Non-negative counts (a negative or fractional value is quarantined as unknown_code).
COUNT_COLUMNS = frozenset({"times_rearranged", "NumberOfPreviousCPP", "SDQ_SCORE"})

TRUE_TEXT = ("Y", "1", "TRUE", "YES")
FALSE_TEXT = ("N", "0", "FALSE", "NO")

# Dates before this, or more than a year after the end of their folder's reporting year,
# are implausible (quarantined as impossible_date); end dates of posts may lie in the future.
EARLIEST_DATE = pd.Timestamp(1900, 1, 1)
NO_UPPER_BOUND = frozenset({"end_date"})

DATETIME_DTYPE = "datetime64[us]"


@dataclass(frozen=True)
class TableSpec:
    """How one clean table is made from its raw rows."""

    table: str
    columns: tuple[str, ...]  # raw columns, clean order (without source_year)
    required: tuple[str, ...]
    key: tuple[str, ...]  # within-file and cross-year key


_RAW_SPECS = {
    name: TableSpec(name, raw.columns, raw.required, raw.key) for name, raw in S.RAW_CSVS.items()
}
_CIN_SPECS = {
    "cin_children": TableSpec("cin_children", S.CIN_CHILD_FIELDS, ("LAchildID",), ("LAchildID",)),
    "cin_details": TableSpec(
        "cin_details",
        ("LAchildID", *S.CIN_DETAILS_FIELDS),
        ("LAchildID", "CINreferralDate"),
        ("LAchildID", "CINreferralDate"),
    ),
    "s47": TableSpec(
        "s47",
        ("LAchildID", *S.S47_FIELDS),
        ("LAchildID", "S47ActualStartDate"),
        ("LAchildID", "S47ActualStartDate"),
    ),
    "cp_plans": TableSpec(
        "cp_plans",
        ("LAchildID", *S.CPP_FIELDS),
        ("LAchildID", "CPPstartDate"),
        ("LAchildID", "CPPstartDate"),
    ),
    "cp_reviews": TableSpec(
        "cp_reviews",
        ("LAchildID", "CPPstartDate", S.CPP_REVIEW_FIELD),
        ("LAchildID", "CPPstartDate", S.CPP_REVIEW_FIELD),
        ("LAchildID", "CPPstartDate", S.CPP_REVIEW_FIELD),
    ),
}
TABLE_SPECS: dict[str, TableSpec] = {**_RAW_SPECS, **_CIN_SPECS}

# CIN census element -> clean table, for the quarantine and accounting `file` labels.
CIN_ELEMENTS = {
    "cin_children": "Child",
    "cin_details": "CINdetails",
    "s47": "Section47",
    "cp_plans": "ChildProtectionPlans",
    "cp_reviews": S.CPP_REVIEW_FIELD,
}
# Orphan rule: 903 rows need a 903 header child; IRO rows a header or CIN census child.
ORPHAN_903 = ("episodes", "reviews", "oc2")
ORPHAN_IRO = ("meetings", "disputes", "pep")

FAILURE_COLUMNS = ("row", "column", "rule", "value")


# --------------------------------------------------------------------------------------
# Vectorised normalising and typing
# --------------------------------------------------------------------------------------


def isin_ids(s: pd.Series, ids) -> pd.Series:
    """`s.isin(ids)` for large string id sets, computed by pyarrow (missing -> False)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = pa.array(pd.Series(s, dtype="str")).cast(pa.large_string())
    ids = list(ids) if isinstance(ids, set | frozenset) else ids
    lookup = pa.array(pd.Series(ids, dtype="str").dropna()).cast(pa.large_string())
    hit = pc.fill_null(pc.is_in(values, value_set=lookup), False)
    return pd.Series(hit.to_numpy(zero_copy_only=False), index=s.index, dtype=bool)


def parse_dates(s: pd.Series) -> pd.Series:
    """Parse DD/MM/YYYY or YYYY-MM-DD text (vectorised); anything else becomes NaT."""
    s = s.astype("str")
    out = pd.to_datetime(s, format="%d/%m/%Y", errors="coerce").astype(DATETIME_DTYPE)
    rest = out.isna() & s.notna()
    if rest.any():
        iso = pd.to_datetime(s[rest], format="%Y-%m-%d", errors="coerce")
        out[rest] = iso.astype(DATETIME_DTYPE)
    return out


def month_first_only(s: pd.Series, parsed: pd.Series) -> pd.Series:
    """Values that are not DD/MM/YYYY or ISO dates but are MM/DD/YYYY ones (a US export)."""
    rest = (s.notna() & parsed.isna()).to_numpy(dtype=bool)
    out = pd.Series(False, index=s.index)
    if rest.any():
        out[rest] = pd.to_datetime(s[rest], format="%m/%d/%Y", errors="coerce").notna()
    return out


def normalise_text(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Strip every value, blank to missing, and upper-case code and flag columns."""
    out = {}
    codes = CODE_LISTS[table]
    for c in TABLE_SPECS[table].columns:
        s = frame[c].astype("str").str.strip()
        s = s.where(s.str.len() > 0)
        if c in codes or c in S.BOOLEAN_COLUMNS or c in UPPER_TEXT_COLUMNS:
            s = s.str.upper()
        out[c] = s
    return pd.DataFrame(out, index=frame.index)


def _failures(mask: pd.Series, column: str, rule: str, values: pd.Series) -> pd.DataFrame:
    idx = mask.index[mask.to_numpy(dtype=bool)]
    return pd.DataFrame(
        {
            "row": idx,
            "column": column,
            "rule": rule,
            "value": values.loc[idx].astype("str").to_numpy(),
        }
    )


def empty_failures() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype="int64" if c == "row" else "str") for c in FAILURE_COLUMNS}
    )


def _concat_failures(parts: Iterable[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else empty_failures()


def type_frame(
    text: pd.DataFrame, table: str, year: int, stats: dict[str, int] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Type normalised text and list each cell that breaks a rule.

    Returns (typed frame with the same index, failures with row/column/rule/value). A blank
    required value is missing_required; a date that does not parse is unparseable_date, one
    before 1900 or over a year after the folder's 31 March is impossible_date; a code or
    flag outside its list, or a number that does not parse, is unknown_code; a later date
    of a pair before its earlier date is impossible_date (DATE_ORDER). Codes are checked
    against the contract of collection year `year` and typed as their analysis codes.
    `stats`, when given, counts the date values ("dates") and those that parse only
    month-first ("month_first_dates").
    """
    spec = TABLE_SPECS[table]
    codes = CODE_LISTS[table]
    year_maps = year_code_maps(table, year)
    typed: dict[str, pd.Series] = {}
    fails: list[pd.DataFrame] = []
    latest = pd.Timestamp(year + 1, 3, 31)
    for c in spec.columns:
        s = text[c]
        present = s.notna()
        if c in spec.required:
            fails.append(_failures(~present, c, "missing_required", s.fillna("")))
        kind = S.clean_dtype(c)
        if kind == "datetime":
            d = parse_dates(s)
            fails.append(_failures(present & d.isna(), c, "unparseable_date", s))
            if stats is not None:
                stats["dates"] = stats.get("dates", 0) + int(present.sum())
                stats["month_first_dates"] = stats.get("month_first_dates", 0) + int(
                    month_first_only(s, d).sum()
                )
            implausible = d < EARLIEST_DATE
            if c not in NO_UPPER_BOUND:
                implausible |= d > latest
            fails.append(_failures(implausible.fillna(False), c, "impossible_date", s))
            typed[c] = d.where(~implausible.fillna(False))
        elif kind == "boolean":
            b = pd.Series(pd.NA, index=s.index, dtype="boolean")
            b[s.isin(TRUE_TEXT).to_numpy(dtype=bool)] = True
            b[s.isin(FALSE_TEXT).to_numpy(dtype=bool)] = False
            fails.append(_failures(present & b.isna(), c, "unknown_code", s))
            typed[c] = b
        elif kind in ("Int64", "float64"):
            n = pd.to_numeric(s, errors="coerce")
            bad = present & n.isna()
            if kind == "Int64":
                bad |= present & n.notna() & (n != np.floor(n))
                if c in COUNT_COLUMNS:
                    bad |= present & (n < 0).fillna(False)
            if c in codes:
                bad |= present & ~n.isin(codes[c]).fillna(False)
            bad = bad.fillna(False)
            fails.append(_failures(bad, c, "unknown_code", s))
            n = n.where(~bad)
            typed[c] = n.round().astype("Int64") if kind == "Int64" else n.astype("float64")
        elif c in codes:
            m = year_maps[c]
            valid = s.isin(list(m))
            fails.append(_failures(present & ~valid, c, "unknown_code", s))
            typed[c] = s.map(dict(m)).where(valid, s)  # the analysis code; unknown kept as written
        else:
            typed[c] = s
    out = pd.DataFrame(typed, index=text.index)
    for early, late in DATE_ORDER.get(table, ()):
        if early in out and late in out:
            bad = (out[late] < out[early]).fillna(False)
            fails.append(_failures(bad, late, "impossible_date", text[late]))
    if table == "episodes":  # REC is required when DEC is set (903 rule)
        fails.append(
            _failures(
                out["DEC"].notna() & text["REC"].isna(),
                "REC",
                "missing_required",
                text["REC"].fillna(""),
            )
        )
    return out, _concat_failures(fails)


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


def make_part(year: int, table: str, file: str, raw: pd.DataFrame) -> Part:
    """Normalise, deduplicate exact copies and type the raw rows of one source.

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
    if RAW_TEXT in raw:
        why = why + ": " + raw.loc[mal_rows, RAW_TEXT].astype("str").str.slice(0, 200)
    mal_fail = pd.DataFrame(
        {
            "row": mal_rows.to_numpy(),
            "column": pd.Series([pd.NA] * len(mal_rows), dtype="str").to_numpy(),
            "rule": "malformed_record",
            "value": why.to_numpy(),
        }
    )
    text = normalise_text(raw.loc[~malformed], table)
    dup = text.duplicated(keep="first")
    text = text.loc[~dup]
    stats: dict[str, int] = {"dates": 0, "month_first_dates": 0, "stray_quotes": stray}
    typed, fails = type_frame(text, table, year, stats)
    warn = fails["rule"].eq("unknown_code") & fails["column"].isin(S.WARN_ONLY_COLUMNS)
    warnings = fails[warn.to_numpy()].assign(rule="unknown_code_kept")
    return Part(
        year=year,
        table=table,
        file=file,
        rows_read=len(raw),
        raw=raw[[c for c in RAW_KEPT if c in raw]],
        typed=typed,
        failures=_concat_failures([mal_fail, fails[~warn.to_numpy()]]),
        duplicates=int(dup.sum()),
        warnings=warnings.reset_index(drop=True),
        extra=dict(stats),
    )


def add_failures(part: Part, fails: pd.DataFrame) -> None:
    """Add failures to a part; a row broken twice by one rule on one column is listed once."""
    both = _concat_failures([part.failures, fails])
    part.failures = both.drop_duplicates(["row", "column", "rule"]).reset_index(drop=True)


def key_duplicates(part: Part) -> pd.DataFrame:
    """Rows of a source sharing the key of an earlier kept row (duplicate_key failures)."""
    spec = TABLE_SPECS[part.table]
    kept = part.kept()
    dup = kept.duplicated(subset=list(spec.key), keep="first")
    col = spec.key[-1]
    raw_vals = kept[col].astype("str")
    return _failures(dup, col, "duplicate_key", raw_vals)


# --------------------------------------------------------------------------------------
# Reading a year folder
# --------------------------------------------------------------------------------------


SUPPLIED_PATHS = {
    **{name: raw.relpath for name, raw in S.RAW_CSVS.items()},
    "cin_census": S.CIN_FILE,
}


def supplied_inputs(
    found: YearFiles, year: int, xml_tables: frozenset[str] = frozenset()
) -> pd.DataFrame:
    """One row per input of `schema.SUPPLIED_INPUTS`: the file found for it (or the usual
    name when none was), present, sha256 (None if absent).

    A 903 XML supplies the tables it holds records of (`xml_tables`), as a folder of CSVs
    supplies the tables it has files for.
    """
    rows = []
    for name in S.SUPPLIED_INPUTS:
        p = found.path_of(name)
        if p is not None and p == found.ssda903_xml and name not in xml_tables:
            p = None
        present = p is not None
        path = p if present else found.year_dir / SUPPLIED_PATHS[name]
        rows.append((year, name, str(path), present, sha256_file(p) if present else None))
    return pd.DataFrame(rows, columns=list(SUPPLIED_COLUMNS)).astype(
        {"year": "int64", "input": "str", "path": "str", "present": "bool", "sha256": "str"}
    )


def _file_warnings(year: int, file: str, table: str, rule: str, columns, value="") -> list:
    return [(year, file, 1, table, c, rule, value) for c in columns]


def read_csv_parts(found: YearFiles, year: int) -> tuple[list[Part], list[tuple]]:
    """The year's 903 and IRO tables as Parts, from CSVs or the 903 XML, and file warnings.

    File warnings (rows of the warnings table) name the columns a file has that its table
    does not (ignored) and the optional columns it leaves out (read as blank).
    """
    parts: list[Part] = []
    warns: list[tuple] = []
    for name, path in found.csvs.items():
        spec = S.RAW_CSVS[name]
        required = discover.required_columns(name, year)
        table = read_raw_csv(path, spec, required)
        rel = found.relpath(path)
        parts.append(make_part(year, name, rel, table.frame))
        parts[-1].extra["encoding"] = table.encoding
        warns += _file_warnings(year, rel, name, "unknown_column", table.unknown)
        if name in S.SSDA903_TABLES:  # columns the year's contract has that the file lacks
            defined = load_contract(year).tables[name].columns
            warns += _file_warnings(
                year, rel, name, "absent_column", [c for c in table.absent if c in defined]
            )
    if found.ssda903_xml is not None:
        from iro_analysis.ingest.ssda903_xml import read_903_xml

        rel = found.relpath(found.ssda903_xml)
        for name, t in read_903_xml(found.ssda903_xml).items():
            label = f"{rel}#{name}"
            parts.append(make_part(year, name, label, t.frame))
            warns += _file_warnings(year, label, name, "unknown_column", t.unknown)
    return parts, warns


def _replace_failures(part: Part, lost: pd.Series, column: str, values: pd.Series) -> None:
    """Mark rows whose parent element was quarantined (their own failures are moot)."""
    lost = lost.fillna(False).astype(bool)
    keep = part.failures[~part.failures["row"].isin(lost.index[lost.to_numpy()])]
    part.failures = _concat_failures([keep, _failures(lost, column, "parent_quarantined", values)])


def check_census_year(collection: Mapping[str, str], path: Path, year: int) -> None:
    """The census's Header/CollectionDetails must be the folder's collection: Year YEAR and
    ReferenceDate 31 March YEAR (DfE CIN census XSD). Otherwise InputError naming both."""
    got_year = collection.get("Year", "")
    got_ref = collection.get("ReferenceDate", "")
    want_ref = f"{year}-03-31"
    if got_year == str(year) and got_ref == want_ref:
        return
    said = (
        f"collection year {got_year or '(none)'} with ReferenceDate {got_ref or '(none)'}"
        if collection
        else "no Header/CollectionDetails (collection year and ReferenceDate)"
    )
    raise InputError(
        f"{path}: the census header gives {said}, but the file is in the folder for "
        f"{year - 1}/{str(year)[2:]}, whose census has Year {year} and ReferenceDate "
        f"{want_ref}. Put each census in the folder of its own year."
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
    cin = read_cin_census(p)
    check_census_year(cin.collection, p, year)
    rel = found.relpath(p)
    ids = cin.children["LAchildID"].str.strip()
    child_ok = (ids.str.len() > 0).to_numpy()
    child_ids = cin.children["LAchildID"].to_numpy()
    parts: dict[str, Part] = {}
    parts["cin_children"] = make_part(year, "cin_children", f"{rel}#Child", cin.children)
    for table, frame in (("cin_details", cin.details), ("s47", cin.s47), ("cp_plans", cin.plans)):
        parent = frame[PARENT_CHILD].to_numpy()
        f = frame.drop(columns=PARENT_CHILD)
        f.insert(0, "LAchildID", pd.Series(child_ids[parent], index=f.index, dtype="str"))
        part = make_part(year, table, f"{rel}#{CIN_ELEMENTS[table]}", f)
        orphan = pd.Series(~child_ok[parent], index=f.index).reindex(part.typed.index)
        _replace_failures(part, orphan, "LAchildID", f["LAchildID"].fillna(""))
        parts[table] = part
    # plan reviews carry their plan's child and start date, the key that links them
    pidx = cin.reviews[PARENT_PLAN].to_numpy()
    r = cin.reviews.drop(columns=PARENT_PLAN)
    plan_child = cin.plans[PARENT_CHILD].to_numpy()[pidx]
    r.insert(0, "LAchildID", pd.Series(child_ids[plan_child], index=r.index, dtype="str"))
    r.insert(
        1,
        "CPPstartDate",
        pd.Series(cin.plans["CPPstartDate"].to_numpy()[pidx], index=r.index, dtype="str"),
    )
    rev_part = make_part(year, "cp_reviews", f"{rel}#{CIN_ELEMENTS['cp_reviews']}", r)
    bad_plans = parts["cp_plans"].failed_rows().to_numpy()
    lost = pd.Series(np.isin(pidx, bad_plans), index=r.index).reindex(rev_part.typed.index)
    _replace_failures(rev_part, lost, "CPPstartDate", r["CPPstartDate"].fillna(""))
    parts["cp_reviews"] = rev_part
    for table, part in parts.items():
        part.extra.update(path=p, element=CIN_ELEMENTS[table])
    fill_xml_lines(list(parts.values()))  # here, so that it runs in the year's process
    return list(parts.values())


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


# --------------------------------------------------------------------------------------
# Cross-file rules, accounting, quarantine and cross-year dedup
# --------------------------------------------------------------------------------------


def _raw_ids(parts: list[Part], table: str, column: str) -> pd.Index:
    vals = [p.raw[column].astype("str").str.strip() for p in parts if p.table == table]
    if not vals:
        return pd.Index([], dtype="str")
    s = pd.concat(vals)
    return pd.Index(s[s.str.len() > 0].unique())


def apply_cross_file_rules(parts: list[Part]) -> None:
    """Orphan children, care or reviews before birth, and within-file key duplicates.

    A child is known to the 903 when its CHILD appears in any year's header file (even on a
    quarantined row); IRO rows may also name a CIN census child.
    """
    header_ids = _raw_ids(parts, "header", "CHILD")
    known_ids = header_ids.union(_raw_ids(parts, "cin_children", "LAchildID"))
    header = dedup_latest([p for p in parts if p.table == "header"], "header")
    dob = header.set_index("CHILD")["DOB"] if len(header) else pd.Series(dtype=DATETIME_DTYPE)
    for p in parts:
        if p.table in ORPHAN_903 or p.table in ORPHAN_IRO:
            col = "CHILD" if p.table in ORPHAN_903 else "child_id"
            ids = header_ids if p.table in ORPHAN_903 else known_ids
            t = p.typed
            orphan = t[col].notna() & ~isin_ids(t[col], ids)
            add_failures(p, _failures(orphan, col, "orphan_child", t[col]))
        # care starting, or a review held, before the child's birth in the 903 header
        # (whatever the row's own DOB says, and when it has none)
        when = {"episodes": "DECOM", "reviews": "REVIEW"}.get(p.table)
        if when is not None:
            t = p.typed
            # reindex, not map: map fails on an empty header (every header row quarantined)
            birth = pd.Series(dob.reindex(t["CHILD"].to_numpy()).to_numpy(), index=t.index)
            before = (t[when] < birth).fillna(False)
            add_failures(p, _failures(before, when, "impossible_date", p.raw.loc[t.index, when]))
    for p in parts:
        if p.table != "cp_reviews":
            add_failures(p, key_duplicates(p))


def quarantine_of(parts: list[Part]) -> pd.DataFrame:
    """The quarantine table: one row per broken rule of a quarantined row."""
    return _rule_table(parts, lambda p: p.failures)


def warnings_of(parts: list[Part], file_warnings: list[tuple]) -> pd.DataFrame:
    """The warnings table (quarantine columns): codes kept on rows that were kept, then the
    file-level warnings (files not read, unknown and absent columns)."""
    rows = _rule_table(parts, lambda p: p.warnings[~p.warnings["row"].isin(p.failed_rows())])
    files = pd.DataFrame(file_warnings, columns=list(S.QUARANTINE_COLUMNS))
    if not len(files):
        return rows
    both = pd.concat([rows, files.astype(QUARANTINE_DTYPES)], ignore_index=True)
    both = both.astype(QUARANTINE_DTYPES)
    return both.sort_values(["year", "file", "line", "column"], kind="stable").reset_index(
        drop=True
    )


def _rule_table(parts: list[Part], rows_of) -> pd.DataFrame:
    """Rows of the quarantine or warnings table: the failures `rows_of(part)` of each part."""
    frames = []
    for p in parts:
        f = rows_of(p)
        if not len(f):
            continue
        raw_value = f["value"]
        frames.append(
            pd.DataFrame(
                {
                    "year": p.year,
                    "file": p.file,
                    "line": p.raw[LINE].to_numpy()[f["row"].to_numpy()],
                    "table": p.table,
                    "column": f["column"].to_numpy(),
                    "rule": f["rule"].to_numpy(),
                    "value": raw_value.to_numpy(),
                }
            )
        )
    q = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=list(S.QUARANTINE_COLUMNS))
    )
    q = q.astype(QUARANTINE_DTYPES)
    return q.sort_values(["year", "file", "line", "column"], kind="stable").reset_index(drop=True)


QUARANTINE_DTYPES = {
    "year": "int64",
    "file": "str",
    "line": "Int64",
    "table": "str",
    "column": "str",
    "rule": "str",
    "value": "str",
}
ACCOUNTING_DTYPES = {c: ("str" if c == "file" else "int64") for c in S.ACCOUNTING_COLUMNS}
FACT_DTYPES = {c: ("str" if c in ("file", "table") else "int64") for c in S.FACT_COLUMNS}


CHILD_COLUMNS = ("CHILD", "LAchildID", "child_id")


def facts_of(parts: list[Part]) -> pd.DataFrame:
    """Per source, what the plausibility gates compare (`schema.FACT_COLUMNS`): the
    accounting, the distinct children kept, and how many dates parse only month-first."""
    rows = []
    for p in parts:
        failed = len(p.failed_rows())
        kept = p.kept()
        col = next((c for c in CHILD_COLUMNS if c in kept), None)
        children = int(kept[col].nunique()) if col else 0
        rows.append(
            (
                p.year,
                p.file,
                p.table,
                p.rows_read,
                len(p.typed) - len(p.failed_rows().intersection(p.typed.index)),
                failed,
                children,
                int(p.extra.get("dates", 0)),
                int(p.extra.get("month_first_dates", 0)),
                int(p.extra.get("stray_quotes", 0)),
            )
        )
    return pd.DataFrame(rows, columns=list(S.FACT_COLUMNS)).astype(FACT_DTYPES)


class AccountingError(AssertionError):
    """Rows read != kept + duplicates + quarantined for a file (a bug, never bad input)."""


def accounting_of(parts: list[Part]) -> pd.DataFrame:
    """Per source: rows read, kept, exact duplicates removed, quarantined; checked to balance."""
    rows = []
    for p in parts:
        quarantined = len(p.failed_rows())
        kept = len(p.typed) - len(p.failed_rows().intersection(p.typed.index))
        rows.append((p.year, p.file, p.rows_read, kept, p.duplicates, quarantined))
    acc = pd.DataFrame(rows, columns=list(S.ACCOUNTING_COLUMNS)).astype(ACCOUNTING_DTYPES)
    check_accounting(acc)
    return acc


def check_accounting(acc: pd.DataFrame) -> None:
    """Raise AccountingError unless rows_read = rows_kept + duplicates_removed + rows_quarantined."""
    total = acc["rows_kept"] + acc["duplicates_removed"] + acc["rows_quarantined"]
    bad = acc[acc["rows_read"] != total]
    if len(bad):
        raise AccountingError(
            "row accounting does not balance for: "
            + "; ".join(
                f"{r.year} {r.file}: read {r.rows_read} != kept {r.rows_kept} + "
                f"duplicates {r.duplicates_removed} + quarantined {r.rows_quarantined}"
                for r in bad.itertuples()
            )
        )


def coerce_table(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Select the clean table's columns in order with their `schema.clean_dtype` dtypes."""
    out = {}
    for c in S.CLEAN_TABLES[table].columns:
        kind = S.clean_dtype(c)
        s = df[c] if c in df else pd.Series(pd.NA, index=df.index)
        if kind == "datetime":
            s = pd.to_datetime(s).astype(DATETIME_DTYPE)
        elif kind == "str":
            s = s.astype("str")
        else:
            s = s.astype(kind)
        out[c] = s
    return pd.DataFrame(out, index=df.index).reset_index(drop=True)


def dedup_latest(parts: list[Part], table: str) -> pd.DataFrame:
    """Kept rows of every year, latest year winning on the table's key (CP reviews unioned)."""
    clean = S.CLEAN_TABLES[table]
    frames = []
    for p in sorted(parts, key=lambda p: p.year):
        k = p.kept()
        if S.SOURCE_YEAR in clean.columns:
            k = k.assign(**{S.SOURCE_YEAR: p.year})
        frames.append(k)
    if not frames:
        return coerce_table(pd.DataFrame(columns=list(clean.columns)), table)
    df = pd.concat(frames, ignore_index=True)
    df = df.drop_duplicates(subset=list(clean.key), keep="last")
    df = coerce_table(df, table)
    return df.sort_values(list(clean.key), kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def _progress(items, progress: bool, desc: str, total: int | None = None):
    if not progress:
        return items
    from tqdm.auto import tqdm

    return tqdm(items, desc=desc, file=sys.stderr, total=total)


def read_year(raw_dir: Path, year: int) -> tuple[pd.DataFrame, list[Part], list[tuple]]:
    """One year folder: its supplied-inputs rows, its Parts (CSVs or 903 XML, then the
    census) and its file-level warnings (files not read, unknown or absent columns)."""
    found = discover.discover_year(paths.raw_year_dir(year, raw_dir), year)
    csv_parts, warns = read_csv_parts(found, year)
    parts = csv_parts + read_cin_parts(found, year)
    warns += [(year, rel, 1, "", None, "file_not_read", why) for rel, why in found.unread]
    xml = found.relpath(found.ssda903_xml) + "#" if found.ssda903_xml else None
    xml_tables = frozenset(
        p.table for p in csv_parts if xml and p.file.startswith(xml) and p.rows_read
    )
    return supplied_inputs(found, year, xml_tables), parts, warns


# Above this many bytes of raw data, year folders are read in parallel processes.
PARALLEL_BYTES = 200 * 1024 * 1024


def _read_years(raw_dir: Path, years: list[int]):
    """Yield `read_year` for each year, oldest first; large data uses one process per core.

    Year folders are independent until the cross-file rules, so they can be read apart.
    """
    size = sum(
        f.stat().st_size
        for y in years
        for f in paths.raw_year_dir(y, raw_dir).rglob("*")
        if f.is_file()
    )
    workers = min(len(years), os.cpu_count() or 1)
    if size < PARALLEL_BYTES or workers < 2:
        for year in years:
            yield read_year(raw_dir, year)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: pyarrow's thread pools are not safe to fork
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        yield from pool.map(read_year, [raw_dir] * len(years), years)


def build_dataset(raw_dir: Path | None = None, progress: bool = False) -> Dataset:
    """Read every year folder of `raw_dir` (default data/raw) into a clean Dataset."""
    raw_dir = Path(raw_dir) if raw_dir is not None else paths.RAW_DIR
    years = paths.available_years(raw_dir)
    if not years:
        raise InputError(
            f"no year folders (named like 2022) in {raw_dir}; put each year's files in "
            f"{raw_dir}/<YEAR>/ or run `make data` for the demo council"
        )
    parts: list[Part] = []
    supplied = []
    file_warnings: list[tuple] = []
    for year_supplied, year_parts, year_warnings in _progress(
        _read_years(raw_dir, years), progress, "reading years", total=len(years)
    ):
        supplied.append(year_supplied)
        parts.extend(year_parts)
        file_warnings.extend(year_warnings)
    apply_cross_file_rules(parts)
    fill_xml_lines(parts)
    accounting = accounting_of(parts)
    tables = {t: dedup_latest([p for p in parts if p.table == t], t) for t in S.CLEAN_TABLES}
    return Dataset(
        tables=tables,
        supplied=pd.concat(supplied, ignore_index=True),
        quarantine=quarantine_of(parts),
        accounting=accounting,
        warnings=warnings_of(parts, file_warnings),
        facts=facts_of(parts),
    )


EXTRA_TABLES = ("supplied", "quarantine", "accounting", "warnings", "facts")


def write_processed(ds: Dataset, out_dir: Path) -> Path:
    """Write a Dataset as parquet to `out_dir` atomically (temporary folder, then rename).

    A failure before the final rename leaves any previous `out_dir` untouched.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{uuid.uuid4().hex}"
    old = out_dir.parent / f".{out_dir.name}.old-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        for name, df in ds.tables.items():
            df.to_parquet(tmp / f"{name}.parquet", index=False)
        for name in EXTRA_TABLES:
            getattr(ds, name).to_parquet(tmp / f"{name}.parquet", index=False)
        if out_dir.exists():
            out_dir.rename(old)
        try:
            tmp.rename(out_dir)
        except BaseException:
            if old.exists():
                old.rename(out_dir)
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return out_dir


def run_clean(
    year: int,
    raw_dir: Path | None = None,
    processed_dir: Path | None = None,
    progress: bool = False,
) -> Dataset:
    """Clean every year folder and write the Dataset to `processed_dir/<year>/` as parquet."""
    raw_dir = Path(raw_dir) if raw_dir is not None else paths.RAW_DIR
    year_dir = paths.raw_year_dir(year, raw_dir)
    if not year_dir.is_dir():
        raise InputError(f"no raw data for {year}: expected the folder {year_dir}")
    ds = build_dataset(raw_dir, progress=progress)
    write_processed(
        ds, paths.processed_year_dir(year, Path(processed_dir) if processed_dir else None)
    )
    return ds


def load_processed(year: int, processed_dir: Path | None = None) -> Dataset:
    """Read back what `run_clean` wrote for `year`, with the clean dtypes."""
    folder = paths.processed_year_dir(year, Path(processed_dir) if processed_dir else None)
    if not folder.is_dir():
        raise InputError(
            f"no processed data for {year}: expected {folder} (run `iro-analysis clean --year {year}`)"
        )
    tables = {}
    for t in S.CLEAN_TABLES:
        f = folder / f"{t}.parquet"
        if not f.is_file():
            raise InputError(f"processed data incomplete: expected {f}")
        tables[t] = coerce_table(pd.read_parquet(f), t)
    for name in EXTRA_TABLES:
        if not (folder / f"{name}.parquet").is_file():
            raise InputError(f"processed data incomplete: expected {folder / f'{name}.parquet'}")
    supplied = pd.read_parquet(folder / "supplied.parquet").astype(
        {"year": "int64", "input": "str", "path": "str", "present": "bool", "sha256": "str"}
    )
    quarantine = pd.read_parquet(folder / "quarantine.parquet").astype(QUARANTINE_DTYPES)
    accounting = pd.read_parquet(folder / "accounting.parquet").astype(ACCOUNTING_DTYPES)
    warnings = pd.read_parquet(folder / "warnings.parquet").astype(QUARANTINE_DTYPES)
    return Dataset(
        tables=tables,
        supplied=supplied,
        quarantine=quarantine,
        accounting=accounting,
        warnings=warnings,
        facts=pd.read_parquet(folder / "facts.parquet").astype(FACT_DTYPES),
    )


def quarantine_summary(ds: Dataset) -> pd.DataFrame:
    """Quarantined rows by year, file, rule and column (for analysts)."""
    q = ds.quarantine
    if not len(q):
        return pd.DataFrame(columns=["year", "file", "rule", "column", "records"])
    return (
        q.assign(column=q["column"].fillna("(whole line)"))
        .groupby(["year", "file", "rule", "column"], dropna=False)
        .size()
        .rename("records")
        .reset_index()
    )


def cli_main(args) -> int:
    """`iro-analysis clean --year YEAR`: clean and write parquet, print the accounting."""
    ds = run_clean(args.year, args.raw_dir, args.processed_dir, progress=sys.stderr.isatty())
    acc = ds.accounting
    out = paths.processed_year_dir(args.year, args.processed_dir)
    print(
        f"Cleaned years {', '.join(map(str, ds.years))}: {int(acc['rows_read'].sum())} rows read, "
        f"{int(acc['rows_kept'].sum())} kept, {int(acc['duplicates_removed'].sum())} exact "
        f"duplicates removed, {int(acc['rows_quarantined'].sum())} quarantined. Written to {out}"
    )
    for line in warning_lines(ds.warnings):
        print(line)
    return 0


def load_warnings(year: int, processed_dir: Path | None = None) -> pd.DataFrame:
    """The warnings table `run_clean` wrote for `year` (without loading the clean tables)."""
    folder = paths.processed_year_dir(year, Path(processed_dir) if processed_dir else None)
    return pd.read_parquet(folder / "warnings.parquet").astype(QUARANTINE_DTYPES)


def warning_lines(w: pd.DataFrame) -> list[str]:
    """One line per file present but not read, then the warnings counted by rule."""
    lines = [
        f"Present but not read: {r.year}/{r.file} ({r.value})"
        for r in w[w["rule"] == "file_not_read"].itertuples()
    ]
    rest = w[w["rule"] != "file_not_read"]
    for (rule, column), n in rest.groupby(["rule", "column"], sort=True).size().items():
        lines.append(f"Warning: {n} x {rule} in {column} ({S.WARNING_RULES[rule]})")
    return lines
