"""Table rules of the data contract and the vectorised normalising and typing of raw text.

Code lists (per collection year for the DfE tables), required values, date order, counts
and flags; `type_frame` turns one source's text into typed columns plus its failures.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from iro_analysis.contract import analysis_codes, contract_years, load_contract
from iro_analysis.contract import codes as C
from iro_analysis.contract import raw_files as R
from iro_analysis.contract import tables as T

# --------------------------------------------------------------------------------------
# Table rules: code lists, required values, date order. Codes come from `contract.codes`.
# --------------------------------------------------------------------------------------

# Tables whose codes the DfE contract declares per collection year (`iro_analysis.contract`);
# the IRO extracts' codes are the project's own and the same every year.
CONTRACT_TABLES = ("header", "episodes", "reviews", "oc2", "cin_children", "cp_plans")
IRO_CODE_LISTS: dict[str, dict[str, tuple]] = {
    "meetings": {"meeting_type": C.MEETING_TYPES, "rearranged_reason": C.REARRANGED_REASONS},
    "meeting_details": {
        "meeting_type": C.MEETING_TYPES,
        "rearranged_reason": C.REARRANGED_REASONS,
    },
    "disputes": {
        "cohort": C.DISPUTE_COHORTS,
        "theme": C.DISPUTE_THEMES,
        "highest_stage": C.DISPUTE_STAGES,
        "outcome": C.DISPUTE_OUTCOMES,
    },
    "footprints": {"footprint_type": C.FOOTPRINT_TYPES},
    "feedback": {"respondent": C.FEEDBACK_RESPONDENTS, "rating": C.FEEDBACK_RATINGS},
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
    for t in (*R.RAW_CSVS, "cin_children", "cin_details", "s47", "cp_plans", "cp_reviews")
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
    "independent_visitors": (("match_start_date", "match_end_date"),),
    "cin_children": (),
    "cin_details": (("CINreferralDate", "CINclosureDate"),),
    "s47": (("S47ActualStartDate", "DateOfInitialCPC"),),
    "cp_plans": (("CPPstartDate", "CPPendDate"),),
    "cp_reviews": (("CPPstartDate", R.CPP_REVIEW_FIELD),),
}

# Non-negative counts (a negative or fractional value is quarantined as unknown_code).
COUNT_COLUMNS = frozenset({"times_rearranged", "NumberOfPreviousCPP", "SDQ_SCORE"})
# Amounts that must be above 0 (a zero or negative value is quarantined as unknown_code).
POSITIVE_COLUMNS = frozenset({"establishment_fte"})

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
    name: TableSpec(name, raw.columns, raw.required, raw.key) for name, raw in R.RAW_CSVS.items()
}
_CIN_SPECS = {
    "cin_children": TableSpec("cin_children", R.CIN_CHILD_FIELDS, ("LAchildID",), ("LAchildID",)),
    "cin_details": TableSpec(
        "cin_details",
        ("LAchildID", *R.CIN_DETAILS_FIELDS),
        ("LAchildID", "CINreferralDate"),
        ("LAchildID", "CINreferralDate"),
    ),
    "s47": TableSpec(
        "s47",
        ("LAchildID", *R.S47_FIELDS),
        ("LAchildID", "S47ActualStartDate"),
        ("LAchildID", "S47ActualStartDate"),
    ),
    "cp_plans": TableSpec(
        "cp_plans",
        ("LAchildID", *R.CPP_FIELDS),
        ("LAchildID", "CPPstartDate"),
        ("LAchildID", "CPPstartDate"),
    ),
    "cp_reviews": TableSpec(
        "cp_reviews",
        ("LAchildID", "CPPstartDate", R.CPP_REVIEW_FIELD),
        ("LAchildID", "CPPstartDate", R.CPP_REVIEW_FIELD),
        ("LAchildID", "CPPstartDate", R.CPP_REVIEW_FIELD),
    ),
}
TABLE_SPECS: dict[str, TableSpec] = {**_RAW_SPECS, **_CIN_SPECS}

# CIN census element -> clean table, for the quarantine and accounting `file` labels.
CIN_ELEMENTS = {
    "cin_children": "Child",
    "cin_details": "CINdetails",
    "s47": "Section47",
    "cp_plans": "ChildProtectionPlans",
    "cp_reviews": R.CPP_REVIEW_FIELD,
}
# Orphan rule: 903 rows need a 903 header child; IRO rows a header or CIN census child.
ORPHAN_903 = ("episodes", "reviews", "oc2")
ORPHAN_IRO = ("meetings", "disputes", "pep", "footprints", "independent_visitors")

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
        if c in codes or c in T.BOOLEAN_COLUMNS or c in UPPER_TEXT_COLUMNS:
            s = s.str.upper()
        out[c] = s
    return pd.DataFrame(out, index=frame.index)


def failure_rows(mask: pd.Series, column: str, rule: str, values: pd.Series) -> pd.DataFrame:
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


def concat_failures(parts: Iterable[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else empty_failures()


def type_frame(
    text: pd.DataFrame, table: str, year: int, stats: dict[str, int] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Type normalised text and list each cell that breaks a rule.

    Returns (typed frame with the same index, failures with row/column/rule/value). A blank
    required value is missing_required; a date that does not parse is unparseable_date, one
    before 1900 or over a year after the folder's 31 March is impossible_date; a code or
    flag outside its list, or a number that does not parse (or is not above 0 in
    POSITIVE_COLUMNS), is unknown_code; a later date of a pair before its earlier date is
    impossible_date (DATE_ORDER). Codes are checked
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
            fails.append(failure_rows(~present, c, "missing_required", s.fillna("")))
        kind = T.clean_dtype(c)
        if kind == "datetime":
            d = parse_dates(s)
            fails.append(failure_rows(present & d.isna(), c, "unparseable_date", s))
            if stats is not None:
                stats["dates"] = stats.get("dates", 0) + int(present.sum())
                stats["month_first_dates"] = stats.get("month_first_dates", 0) + int(
                    month_first_only(s, d).sum()
                )
            implausible = d < EARLIEST_DATE
            if c not in NO_UPPER_BOUND:
                implausible |= d > latest
            fails.append(failure_rows(implausible.fillna(False), c, "impossible_date", s))
            typed[c] = d.where(~implausible.fillna(False))
        elif kind == "boolean":
            b = pd.Series(pd.NA, index=s.index, dtype="boolean")
            b[s.isin(TRUE_TEXT).to_numpy(dtype=bool)] = True
            b[s.isin(FALSE_TEXT).to_numpy(dtype=bool)] = False
            fails.append(failure_rows(present & b.isna(), c, "unknown_code", s))
            typed[c] = b
        elif kind in ("Int64", "float64"):
            n = pd.to_numeric(s, errors="coerce")
            bad = present & n.isna()
            if kind == "Int64":
                bad |= present & n.notna() & (n != np.floor(n))
                if c in COUNT_COLUMNS:
                    bad |= present & (n < 0).fillna(False)
            if c in POSITIVE_COLUMNS:
                bad |= present & (n <= 0).fillna(False)
            if c in codes:
                bad |= present & ~n.isin(codes[c]).fillna(False)
            bad = bad.fillna(False)
            fails.append(failure_rows(bad, c, "unknown_code", s))
            n = n.where(~bad)
            typed[c] = n.round().astype("Int64") if kind == "Int64" else n.astype("float64")
        elif c in codes:
            m = year_maps[c]
            valid = s.isin(list(m))
            fails.append(failure_rows(present & ~valid, c, "unknown_code", s))
            typed[c] = s.map(dict(m)).where(valid, s)  # the analysis code; unknown kept as written
        else:
            typed[c] = s
    out = pd.DataFrame(typed, index=text.index)
    for early, late in DATE_ORDER.get(table, ()):
        if early in out and late in out:
            bad = (out[late] < out[early]).fillna(False)
            fails.append(failure_rows(bad, late, "impossible_date", text[late]))
    if table == "episodes":  # REC is required when DEC is set (903 rule)
        fails.append(
            failure_rows(
                out["DEC"].notna() & text["REC"].isna(),
                "REC",
                "missing_required",
                text["REC"].fillna(""),
            )
        )
    return out, concat_failures(fails)
