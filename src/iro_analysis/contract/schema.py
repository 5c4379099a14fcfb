"""Column names, code lists and table definitions: the one source of truth.

Raw files are described exactly as the data contract (`shared/spec/data-contract.md`)
states them; the clean tables keep the same column names (DfE names for the statutory
returns, snake case for the IRO extracts) with typed values. Every other module imports
names and codes from here rather than spelling them again.
"""

from __future__ import annotations

from dataclasses import dataclass

from iro_analysis import contract as _contract

# --------------------------------------------------------------------------------------
# Raw files (relative to data/raw/<YEAR>/), in the exact column order of the contract.
# --------------------------------------------------------------------------------------

SSDA903_DIR = "ssda903"
SSDA903_TABLES = _contract.SSDA903_TABLES  # header, episodes, reviews, oc2
IRO_DIR = "iro"
CIN_FILE = "cin_census.xml"


@dataclass(frozen=True)
class RawCsv:
    """A raw CSV of the contract: where it lives, its columns, and how it is read."""

    name: str  # the table name used everywhere (e.g. "episodes")
    relpath: str  # relative to the year folder
    columns: tuple[str, ...]
    date_columns: tuple[str, ...] = ()
    key: tuple[str, ...] = ()  # dedup key across years (latest year wins)
    required: tuple[str, ...] = ()  # must be non-blank after cleaning
    optional_file: bool = True  # a missing file marks its KPIs "not supplied"
    source: str = ""  # "ssda903" | "iro"
    # Columns of free text, which may hold quoted newlines. A table without any never
    # does: a record over several lines is a stray quote, and each line is read alone.
    free_text: tuple[str, ...] = ()


def _903_columns(table: str) -> tuple[str, ...]:
    """A 903 table's columns in every contract year: the latest year's order, then any
    column only earlier years had (a file without a column of the table reads it blank)."""
    years = sorted(_contract.contract_years(), reverse=True)
    cols: dict[str, None] = {}
    for y in years:
        cols.update(dict.fromkeys(_contract.load_contract(y).tables[table].columns))
    return tuple(cols)


HEADER = RawCsv(
    name="header",
    relpath=f"{SSDA903_DIR}/header.csv",
    columns=_903_columns("header"),
    date_columns=("DOB", "MC_DOB"),
    key=("CHILD",),
    required=("CHILD", "SEX", "DOB", "ETHNIC"),
    source="ssda903",
)
EPISODES = RawCsv(
    name="episodes",
    relpath=f"{SSDA903_DIR}/episodes.csv",
    columns=_903_columns("episodes"),
    date_columns=("DECOM", "DEC"),
    key=("CHILD", "DECOM"),
    required=("CHILD", "DECOM", "RNE", "LS"),  # REC also required when DEC is set
    source="ssda903",
)
REVIEWS = RawCsv(
    name="reviews",
    relpath=f"{SSDA903_DIR}/reviews.csv",
    columns=_903_columns("reviews"),
    date_columns=("DOB", "REVIEW"),
    key=("CHILD", "REVIEW"),
    required=("CHILD", "REVIEW", "REVIEW_CODE"),
    source="ssda903",
)
OC2 = RawCsv(
    name="oc2",
    relpath=f"{SSDA903_DIR}/oc2.csv",
    columns=_903_columns("oc2"),
    date_columns=("DOB",),
    key=("CHILD",),  # OC2 KPIs use YEAR's own file only; no cross-year history
    required=("CHILD",),
    source="ssda903",
)
MEETINGS = RawCsv(
    name="meetings",
    relpath=f"{IRO_DIR}/meetings.csv",
    columns=(
        "meeting_id",
        "child_id",
        "meeting_type",
        "iro_id",
        "first_scheduled_date",
        "held_date",
        "times_rearranged",
        "rearranged_reason",
        "pre_meeting_visit",
        "advocate_involved",
    ),
    date_columns=("first_scheduled_date", "held_date"),
    key=("meeting_id",),
    required=("meeting_id", "child_id", "meeting_type"),
    source="iro",
)
DISPUTES = RawCsv(
    name="disputes",
    relpath=f"{IRO_DIR}/disputes.csv",
    columns=(
        "dispute_id",
        "child_id",
        "cohort",
        "iro_id",
        "raised_date",
        "theme",
        "highest_stage",
        "resolved_date",
        "outcome",
    ),
    date_columns=("raised_date", "resolved_date"),
    key=("dispute_id",),
    required=("dispute_id", "child_id", "cohort", "raised_date", "theme", "highest_stage"),
    source="iro",
)
WORKFORCE = RawCsv(
    name="workforce",
    relpath=f"{IRO_DIR}/workforce.csv",
    columns=("iro_id", "fte", "start_date", "end_date", "agency"),
    date_columns=("start_date", "end_date"),
    key=("iro_id", "start_date"),
    required=("iro_id", "fte", "start_date"),
    source="iro",
)
PEP = RawCsv(
    name="pep",
    relpath=f"{IRO_DIR}/pep.csv",
    columns=("child_id", "pep_date"),
    date_columns=("pep_date",),
    key=("child_id", "pep_date"),
    required=("child_id", "pep_date"),
    source="iro",
)

RAW_CSVS: dict[str, RawCsv] = {
    t.name: t for t in (HEADER, EPISODES, REVIEWS, OC2, MEETINGS, DISPUTES, WORKFORCE, PEP)
}

# --------------------------------------------------------------------------------------
# CIN census XML: element names (DfE CIN census XSD) and the clean tables taken from it.
# --------------------------------------------------------------------------------------

CIN_CHILD_FIELDS = ("LAchildID", "UPN", "PersonBirthDate", "Sex", "Ethnicity")
CIN_DETAILS_FIELDS = (
    "CINreferralDate",
    "ReferralSource",
    "PrimaryNeedCode",
    "CINclosureDate",
    "ReasonForClosure",
    "DateOfInitialCPC",
)
S47_FIELDS = ("S47ActualStartDate", "InitialCPCtarget", "DateOfInitialCPC", "ICPCnotRequired")
CPP_FIELDS = (
    "CPPstartDate",
    "CPPendDate",
    "InitialCategoryOfAbuse",
    "LatestCategoryOfAbuse",
    "NumberOfPreviousCPP",
)
CPP_REVIEW_FIELD = "CPPreviewDate"

# --------------------------------------------------------------------------------------
# Code lists of the analysis vocabulary (upper case after cleaning). The DfE codes valid in
# each collection year, and how they map to these, are in `iro_analysis.contract`; the 903
# and CIN lists below are the union of every year's analysis codes.
# --------------------------------------------------------------------------------------

SEX_CODES = _contract.analysis_codes("header", "SEX")  # 1 male, 2 female (903 M/F from 2025)
SEX_LABELS = {"1": "Male", "2": "Female"}
# CIN Sex / GenderCurrent: 1 male, 2 female, 0 not known, 9 not specified (Sex M/F/U mapped)
CIN_SEX_CODES = _contract.analysis_codes("cin_children", "Sex")

# DfE ethnicity codes and their groups (903 ETHNIC and CIN Ethnicity).
ETHNIC_GROUPS = {
    "WBRI": "White",
    "WIRI": "White",
    "WIRT": "White",
    "WOTH": "White",
    "WROM": "White",
    "MWBC": "Mixed",
    "MWBA": "Mixed",
    "MWAS": "Mixed",
    "MOTH": "Mixed",
    "AIND": "Asian",
    "APKN": "Asian",
    "ABAN": "Asian",
    "AOTH": "Asian",
    "CHNE": "Asian",
    "BCRB": "Black",
    "BAFR": "Black",
    "BOTH": "Black",
    "OOTH": "Other",
    "REFU": "Refused or not obtained",
    "NOBT": "Refused or not obtained",
}
ETHNIC_CODES = tuple(ETHNIC_GROUPS)

RNE_CODES = _contract.analysis_codes("episodes", "RNE")
RNE_NEW_PERIOD = "S"
LS_CODES = _contract.analysis_codes("episodes", "LS")
LS_SHORT_BREAKS = ("V3", "V4")
LS_LABELS = {
    "C1": "Interim care order",
    "C2": "Full care order",
    "D1": "Freeing order granted",
    "E1": "Placement order granted",
    "J1": "Remanded to LA accommodation",
    "J2": "Placed in LA accommodation under PACE",
    "J3": "Sentenced to CRO/YRO",
    "L1": "Under police protection",
    "L2": "Emergency protection order",
    "L3": "Child assessment order",
    "V2": "Single period of accommodation (s20)",
    "V3": "Short break (single placement)",
    "V4": "Short breaks (series)",
}
LS_GROUPS = {
    "C1": "Care order",
    "C2": "Care order",
    "D1": "Placement order",
    "E1": "Placement order",
    "J1": "Youth justice",
    "J2": "Youth justice",
    "J3": "Youth justice",
    "L1": "Emergency/other",
    "L2": "Emergency/other",
    "L3": "Emergency/other",
    "V2": "Voluntary agreement (s20)",
}
CIN_CODES = _contract.analysis_codes("episodes", "CIN")
PLACE_CODES = _contract.analysis_codes("episodes", "PLACE")
PLACE_GROUPS = {
    **{c: "Foster placement" for c in ("U1", "U2", "U3", "U4", "U5", "U6")},
    **{c: "Placed for adoption" for c in ("A3", "A4", "A5", "A6")},
    **{c: "Children's home / secure unit" for c in ("K1", "K2", "R1")},
    **{c: "Placed with parents" for c in ("P1",)},
    # K3 (supported accommodation, from 2024/25) continues H5's placements
    **{c: "Independent / semi-independent living" for c in ("H5", "K3", "P2", "P3")},
    # Z11-Z14 (from 2025/26) split Z1, "other placements"
    **{
        c: "Other placement"
        for c in ("R2", "R3", "R5", "S1", "T0", "T1", "T2", "T3", "T4", "Z1")
        + ("Z11", "Z12", "Z13", "Z14")
    },
}
PLACE_PROVIDER_CODES = _contract.analysis_codes("episodes", "PLACE_PROVIDER")
REC_CODES = _contract.analysis_codes("episodes", "REC")
REC_CONTINUING = "X1"  # episode ends but the period of care continues
REASON_PLACE_CHANGE_CODES = _contract.analysis_codes("episodes", "REASON_PLACE_CHANGE")

REVIEW_CODE_LABELS = {
    "PN0": "Child under 4 at the review",
    "PN1": "Attends and speaks for themselves",
    "PN2": "Attends, an advocate speaks for them",
    "PN3": "Attends, conveys views non-verbally",
    "PN4": "Attends without contributing",
    "PN5": "Does not attend, briefs an advocate",
    "PN6": "Does not attend, conveys views by another medium",
    "PN7": "Does not attend, no views conveyed",
}
REVIEW_CODES = tuple(REVIEW_CODE_LABELS)  # PN0-PN7 (checked against the contract by a test)

CP_CATEGORY_LABELS = {
    "NEG": "Neglect",
    "PHY": "Physical abuse",
    "SAB": "Sexual abuse",
    "EMO": "Emotional abuse",
    "MUL": "Multiple categories",
}
CP_CATEGORIES = tuple(CP_CATEGORY_LABELS)  # checked against the contract by a test

# Other DfE codes the returns carry (written by the demo generator, documented in
# docs/data-dictionary.md; no KPI reads them).
SDQ_REASON_CODES = _contract.analysis_codes("oc2", "SDQ_REASON")  # 903 OC2: why no SDQ score
CIN_REFERRAL_SOURCES = (
    *("1A", "1B", "1C", "1D", "2A", "2B", "3A", "3B", "3C", "3D", "3E", "3F", "4"),
    *("5A", "5B", "5C", "5D", "6", "7", "8", "9", "10"),
)
CIN_PRIMARY_NEED_CODES = ("N0", "N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9")
CIN_CLOSURE_REASONS = ("RC1", "RC2", "RC3", "RC4", "RC5", "RC6", "RC7", "RC8")

MEETING_TYPES = ("CLA_REVIEW", "ICPC", "RCPC")
MEETING_TYPE_LABELS = {
    "CLA_REVIEW": "Looked-after review",
    "ICPC": "Initial child protection conference",
    "RCPC": "Review child protection conference",
}
REARRANGED_REASONS = (
    "CHILD_REQUEST",
    "FAMILY_REQUEST",
    "PROFESSIONAL_UNAVAILABLE",
    "PAPERS_NOT_READY",
    "IRO_UNAVAILABLE",
    "GOOD_PRACTICE",
    "OTHER",
)
REARRANGED_REASON_LABELS = {
    "CHILD_REQUEST": "Child's request",
    "FAMILY_REQUEST": "Family's request",
    "PROFESSIONAL_UNAVAILABLE": "Professional unavailable",
    "PAPERS_NOT_READY": "Papers not ready",
    "IRO_UNAVAILABLE": "IRO unavailable",
    "GOOD_PRACTICE": "Good practice (e.g. to include the child)",
    "OTHER": "Other",
}
DISPUTE_COHORTS = ("CLA", "CP")
DISPUTE_THEMES = (
    "DRIFT_DELAY",
    "CARE_PLAN",
    "PLACEMENT",
    "CONTACT",
    "EDUCATION",
    "HEALTH",
    "QUALITY_OF_ASSESSMENT",
    "LIFE_STORY",
    "OTHER",
)
DISPUTE_THEME_LABELS = {
    "DRIFT_DELAY": "Drift and delay",
    "CARE_PLAN": "Care plan",
    "PLACEMENT": "Placement",
    "CONTACT": "Family time / contact",
    "EDUCATION": "Education",
    "HEALTH": "Health",
    "QUALITY_OF_ASSESSMENT": "Quality of assessment",
    "LIFE_STORY": "Life story work",
    "OTHER": "Other",
}
DISPUTE_STAGES = (1, 2, 3, 4)
DISPUTE_STAGE_LABELS = {
    1: "Stage 1: social worker / team manager",
    2: "Stage 2: service manager",
    3: "Stage 3: head of service",
    4: "Stage 4: director",
}
DISPUTE_OUTCOMES = ("RESOLVED", "PARTIALLY_RESOLVED", "NOT_RESOLVED", "WITHDRAWN")

YES_NO = ("Y", "N")

# DfE age bands at 31 March (children looked after statistics).
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("Under 1", 0, 0),
    ("1 to 4", 1, 4),
    ("5 to 9", 5, 9),
    ("10 to 15", 10, 15),
    ("16 and over", 16, 200),
)

# --------------------------------------------------------------------------------------
# Clean tables: name -> columns. Dates are datetime64; codes upper-case strings; flags
# booleans; `source_year` is the year folder the surviving row came from.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CleanTable:
    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    source: str  # "ssda903" | "cin" | "iro": which supplied-file check gates its KPIs
    description: str = ""


SOURCE_YEAR = "source_year"

CLEAN_TABLES: dict[str, CleanTable] = {
    "header": CleanTable(
        "header",
        (*HEADER.columns, SOURCE_YEAR),
        HEADER.key,
        "ssda903",
        "903 header: one row per child (latest year wins)",
    ),
    "episodes": CleanTable(
        "episodes",
        (*EPISODES.columns, SOURCE_YEAR),
        EPISODES.key,
        "ssda903",
        "903 episodes deduplicated across years on (CHILD, DECOM)",
    ),
    "reviews": CleanTable(
        "reviews",
        (*REVIEWS.columns, SOURCE_YEAR),
        REVIEWS.key,
        "ssda903",
        "903 reviews deduplicated across years on (CHILD, REVIEW)",
    ),
    "oc2": CleanTable(
        "oc2",
        (*OC2.columns, SOURCE_YEAR),
        ("CHILD", SOURCE_YEAR),
        "ssda903",
        "903 OC2 rows, kept per year (OC2 KPIs use YEAR's file alone)",
    ),
    "cin_children": CleanTable(
        "cin_children",
        (*CIN_CHILD_FIELDS, SOURCE_YEAR),
        ("LAchildID",),
        "cin",
        "CIN census children (latest year wins)",
    ),
    "cin_details": CleanTable(
        "cin_details",
        ("LAchildID", *CIN_DETAILS_FIELDS, SOURCE_YEAR),
        ("LAchildID", "CINreferralDate"),
        "cin",
        "CIN episodes",
    ),
    "s47": CleanTable(
        "s47",
        ("LAchildID", *S47_FIELDS, SOURCE_YEAR),
        ("LAchildID", "S47ActualStartDate"),
        "cin",
        "Section 47 enquiries deduplicated on (child, S47ActualStartDate)",
    ),
    "cp_plans": CleanTable(
        "cp_plans",
        ("LAchildID", *CPP_FIELDS, SOURCE_YEAR),
        ("LAchildID", "CPPstartDate"),
        "cin",
        "Child protection plans deduplicated on (child, CPPstartDate)",
    ),
    "cp_reviews": CleanTable(
        "cp_reviews",
        ("LAchildID", "CPPstartDate", CPP_REVIEW_FIELD),
        ("LAchildID", "CPPstartDate", CPP_REVIEW_FIELD),
        "cin",
        "CP review conferences, unioned over all years",
    ),
    "meetings": CleanTable(
        "meetings",
        (*MEETINGS.columns, SOURCE_YEAR),
        MEETINGS.key,
        "iro",
        "IRO-chaired meetings (latest year wins)",
    ),
    "disputes": CleanTable(
        "disputes",
        (*DISPUTES.columns, SOURCE_YEAR),
        DISPUTES.key,
        "iro",
        "IRO disputes (latest state of each dispute wins)",
    ),
    "workforce": CleanTable(
        "workforce", (*WORKFORCE.columns, SOURCE_YEAR), WORKFORCE.key, "iro", "IRO post holders"
    ),
    "pep": CleanTable("pep", (*PEP.columns, SOURCE_YEAR), PEP.key, "iro", "PEP meetings held"),
}

# Quarantine and accounting table columns.
QUARANTINE_COLUMNS = ("year", "file", "line", "table", "column", "rule", "value")
ACCOUNTING_COLUMNS = (
    "year",
    "file",
    "rows_read",
    "rows_kept",
    "duplicates_removed",
    "rows_quarantined",
)

# Per source (CSV file or census element kind): what the plausibility gates compare.
FACT_COLUMNS = (
    "year",
    "file",
    "table",
    "rows_read",
    "rows_kept",
    "rows_quarantined",
    "children",  # distinct children in the rows kept
    "dates",  # date values present
    "month_first_dates",  # of which parse only as MM/DD/YYYY
    "stray_quotes",  # lines with an unmatched double quote (a broken export)
)

# Which raw input gates which KPI family (a family is produced only when its input file
# exists in YEAR's own folder). Keys are the supplied-input names recorded by the cleaner.
SUPPLIED_INPUTS = (
    "header",
    "episodes",
    "reviews",
    "oc2",
    "cin_census",
    "meetings",
    "disputes",
    "workforce",
    "pep",
)


# --------------------------------------------------------------------------------------
# Clean column types. Anything not listed is a string column (pandas `str` dtype, missing
# values NaN). "datetime" columns are datetime64 of any unit (code that needs days casts to
# datetime64[D]); "boolean" and "Int64" are pandas nullable dtypes.
# --------------------------------------------------------------------------------------

DATETIME_COLUMNS = frozenset(
    {
        *HEADER.date_columns,
        *EPISODES.date_columns,
        *REVIEWS.date_columns,
        *OC2.date_columns,
        *MEETINGS.date_columns,
        *DISPUTES.date_columns,
        *WORKFORCE.date_columns,
        *PEP.date_columns,
        "PersonBirthDate",
        "CINreferralDate",
        "CINclosureDate",
        "DateOfInitialCPC",
        "S47ActualStartDate",
        "InitialCPCtarget",
        "CPPstartDate",
        "CPPendDate",
        CPP_REVIEW_FIELD,
    }
)
BOOLEAN_COLUMNS = frozenset({"pre_meeting_visit", "advocate_involved", "agency", "ICPCnotRequired"})
INT_COLUMNS = frozenset(
    {
        # OC2 0/1 flags and score (exactly 1 counts; anything else is not 1)
        *(c for c in OC2.columns if c not in ("CHILD", "DOB", "SDQ_REASON")),
        "times_rearranged",
        "highest_stage",
        "NumberOfPreviousCPP",
    }
)
FLOAT_COLUMNS = frozenset({"fte"})


def clean_dtype(column: str) -> str:
    """The clean dtype of a column: "datetime", "boolean", "Int64", "float64", "int64" or "str"."""
    if column == SOURCE_YEAR:
        return "int64"
    if column in DATETIME_COLUMNS:
        return "datetime"
    if column in BOOLEAN_COLUMNS:
        return "boolean"
    if column in INT_COLUMNS:
        return "Int64"
    if column in FLOAT_COLUMNS:
        return "float64"
    return "str"


# --------------------------------------------------------------------------------------
# Data-quality faults and quarantine rules. The demo generator writes a fault manifest per
# year folder (FAULT_MANIFEST); the cleaner names quarantined rows with the same rule names,
# so tests can prove that every injected fault is found.
# --------------------------------------------------------------------------------------

FAULT_MANIFEST = "fault_manifest.json"

# fault kind -> what the cleaner must do with the row: "duplicate" (removed as an exact
# duplicate and counted), "kept" (normalised and kept), "quarantined" (quarantine rule of
# the same name), "file" (a file-level fault the reader must cope with).
FAULT_KINDS: dict[str, str] = {
    "exact_duplicate": "duplicate",
    "whitespace": "kept",
    "lower_case_code": "kept",
    "iso_date": "kept",
    "unparseable_date": "quarantined",
    "impossible_date": "quarantined",
    "unknown_code": "quarantined",
    "missing_required": "quarantined",
    "orphan_child": "quarantined",
    "cp1252_encoding": "file",
}

# Quarantine rules (the `rule` column of the quarantine table).
QUARANTINE_RULES: dict[str, str] = {
    "unparseable_date": "a date that is neither DD/MM/YYYY nor YYYY-MM-DD, or does not exist",
    "impossible_date": "a date out of order (end before start, event before birth) or implausible",
    "unknown_code": "a code outside its code list",
    "missing_required": "a blank key or required value",
    "orphan_child": "a child absent from every 903 header and CIN census child record",
    "malformed_record": "an XML element or CSV line that cannot be read as a record",
    "duplicate_key": "a second row with the key of an earlier row of the same file (first kept)",
    "parent_quarantined": "an XML element whose parent element (Child or plan) was quarantined",
}

# DfE columns that no KPI or breakdown reads. A code outside the year's list in one of them
# is a warning on a row that is kept (the value is kept as written, or blank for a number);
# in every other coded column it quarantines the row. Dates and keys always quarantine.
WARN_ONLY_COLUMNS = frozenset(
    {
        "UPN",
        "MOTHER",
        "CIN",
        "PLACE_PROVIDER",
        "REASON_PLACE_CHANGE",
        "HOME_POST",
        "PL_POST",
        "URN",
        "SDQ_SCORE",
        "SDQ_REASON",
        "CONVICTED",
        "HEALTH_CHECK",
        "SUBSTANCE_MISUSE",
        "INTERVENTION_RECEIVED",
        "INTERVENTION_OFFERED",
        "Sex",  # CIN census: the 903 header gives sex for the breakdowns
    }
)

# Warnings (the `rule` column of the warnings table): listed and counted, nothing dropped.
WARNING_RULES: dict[str, str] = {
    "unknown_code_kept": "a code outside the year's list in a column no figure uses (row kept)",
    "unknown_column": "a column the table does not have (ignored)",
    "absent_column": "an optional column the file leaves out (read as blank)",
    "file_not_read": "a file present in the year folder that the project does not read",
}

# Columns whose values identify a child (ids, dates of birth, postcodes). Their values never
# appear in anything written under reports/ (validation samples are withheld for them).
IDENTIFYING_COLUMNS = frozenset(
    {
        "CHILD",
        "LAchildID",
        "child_id",
        "UPN",
        "DOB",
        "MC_DOB",
        "PersonBirthDate",
        "HOME_POST",
        "PL_POST",
    }
)
WITHHELD = "withheld: identifies a child"
