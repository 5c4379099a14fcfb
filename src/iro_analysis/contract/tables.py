"""The clean tables (name -> columns, key, source), the quarantine, accounting and facts
tables' columns, the supplied inputs, and each clean column's dtype.
"""

from __future__ import annotations

from dataclasses import dataclass

from iro_analysis.contract.raw_files import (
    CIN_CHILD_FIELDS,
    CIN_DETAILS_FIELDS,
    CPP_FIELDS,
    CPP_REVIEW_FIELD,
    DISPUTES,
    EPISODES,
    ESTABLISHMENT,
    FEEDBACK,
    FOOTPRINTS,
    HEADER,
    INDEPENDENT_VISITORS,
    MEETING_DETAILS,
    MEETINGS,
    OC2,
    PEP,
    REVIEWS,
    S47_FIELDS,
    WORKFORCE,
)
from iro_analysis.core.errors import excerpt
from iro_analysis.core.settings import Settings, SettingsError

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
    "meeting_details": CleanTable(
        "meeting_details",
        (*MEETING_DETAILS.columns, SOURCE_YEAR),
        MEETING_DETAILS.key,
        "iro",
        "What the SSD does not record of its meetings (joined to meetings by type and id)",
    ),
    # the optional IRO extracts
    "footprints": CleanTable(
        "footprints",
        (*FOOTPRINTS.columns, SOURCE_YEAR),
        FOOTPRINTS.key,
        "iro",
        "IRO footprints: oversight recorded between meetings (latest year wins)",
    ),
    "feedback": CleanTable(
        "feedback",
        (*FEEDBACK.columns, SOURCE_YEAR),
        FEEDBACK.key,
        "iro",
        "Feedback responses about reviews and conferences (quotes never published unless "
        "quote_publishable)",
    ),
    "establishment": CleanTable(
        "establishment",
        (*ESTABLISHMENT.columns, SOURCE_YEAR),
        ESTABLISHMENT.key,
        "iro",
        "The IRO service's funded FTE at a date",
    ),
    "independent_visitors": CleanTable(
        "independent_visitors",
        (*INDEPENDENT_VISITORS.columns, SOURCE_YEAR),
        INDEPENDENT_VISITORS.key,
        "iro",
        "Independent visitor matches of looked-after children",
    ),
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
# An input that a native file of another carries: not named missing when that one is
# (iro/meetings.csv carries the meeting details that SSD meetings take from
# iro/meeting_details.csv).
COMES_WITH = {"meeting_details": "meetings"}

# The returns every year's build needs unless the settings' `not_supplied` names them
# (issue #25: a core return must never go missing quietly).
CORE_INPUTS = ("header", "episodes", "reviews", "cin_census")


def check_not_supplied(settings: Settings) -> None:
    """Settings `not_supplied` names core returns only (`CORE_INPUTS`): anything else is a
    SettingsError naming the settings file and the value."""
    for name in settings.not_supplied:
        if name not in CORE_INPUTS:
            raise SettingsError(
                f"{settings.source}: not_supplied: {excerpt(name)} is none of {CORE_INPUTS}"
            )


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
    # rearrangements, visits and advocacy: native meetings.csv, or with the SSD's meetings
    # iro/meeting_details.csv
    "meeting_details",
    # optional IRO extracts: absent means their KPIs are "not supplied"
    "footprints",
    "feedback",
    "establishment",
    "independent_visitors",
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
        *MEETING_DETAILS.date_columns,
        *DISPUTES.date_columns,
        *WORKFORCE.date_columns,
        *PEP.date_columns,
        *FOOTPRINTS.date_columns,
        *FEEDBACK.date_columns,
        *ESTABLISHMENT.date_columns,
        *INDEPENDENT_VISITORS.date_columns,
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
BOOLEAN_COLUMNS = frozenset(
    {"pre_meeting_visit", "advocate_involved", "agency", "ICPCnotRequired", "quote_publishable"}
)
INT_COLUMNS = frozenset(
    {
        # OC2 0/1 flags and score (exactly 1 counts; anything else is not 1)
        *(c for c in OC2.columns if c not in ("CHILD", "DOB", "SDQ_REASON")),
        "times_rearranged",
        "highest_stage",
        "NumberOfPreviousCPP",
        "rating",  # feedback 1-5, blank allowed
    }
)
FLOAT_COLUMNS = frozenset({"fte", "establishment_fte"})


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
