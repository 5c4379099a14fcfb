"""The raw files of a year folder (data/raw/<YEAR>/), column for column as the data contract
(docs/data-dictionary.md) states them, and the CIN census XML elements read.
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
        contract = _contract.load_contract(y)
        if contract.has_table(table):
            cols.update(dict.fromkeys(contract.tables[table].columns))
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


# With meetings from the Standard Safeguarding Dataset (`contract.ssd`), what the SSD does
# not record of a meeting, by the SSD row's type and id (docs/ssd.md). Native meetings.csv
# carries these columns itself.
MEETING_DETAILS = RawCsv(
    name="meeting_details",
    relpath=f"{IRO_DIR}/meeting_details.csv",
    columns=(
        "meeting_type",
        "meeting_id",
        "first_scheduled_date",
        "times_rearranged",
        "rearranged_reason",
        "pre_meeting_visit",
        "advocate_involved",
    ),
    date_columns=("first_scheduled_date",),
    key=("meeting_type", "meeting_id"),
    required=("meeting_type", "meeting_id"),
    source="iro",
)
DETAIL_COLUMNS = MEETING_DETAILS.columns[2:]  # what it adds to an SSD meeting


# Optional IRO extracts (data contract section 3, "Optional extracts"): a KPI that needs
# one is "not supplied" without it, as for every other input.
FOOTPRINTS = RawCsv(
    name="footprints",
    relpath=f"{IRO_DIR}/footprints.csv",
    columns=("footprint_id", "child_id", "iro_id", "footprint_date", "footprint_type"),
    date_columns=("footprint_date",),
    key=("footprint_id",),
    required=("footprint_id", "child_id", "footprint_date", "footprint_type"),
    source="iro",
)
FEEDBACK = RawCsv(
    name="feedback",
    relpath=f"{IRO_DIR}/feedback.csv",
    columns=(
        "response_id",
        "meeting_id",
        "respondent",
        "response_date",
        "rating",
        "quote",
        "quote_publishable",
    ),
    date_columns=("response_date",),
    key=("response_id",),
    required=("response_id", "respondent", "response_date"),
    source="iro",
    # A quote is child-adjacent free text: it may hold commas, quotes and line breaks (CSV
    # quoting), and is never written anywhere published (`quality.FREE_TEXT_COLUMNS`).
    free_text=("quote",),
)
ESTABLISHMENT = RawCsv(
    name="establishment",
    relpath=f"{IRO_DIR}/establishment.csv",
    columns=("as_at_date", "establishment_fte"),
    date_columns=("as_at_date",),
    key=("as_at_date",),
    required=("as_at_date", "establishment_fte"),
    source="iro",
)
INDEPENDENT_VISITORS = RawCsv(
    name="independent_visitors",
    relpath=f"{IRO_DIR}/independent_visitors.csv",
    columns=("child_id", "match_start_date", "match_end_date"),
    date_columns=("match_start_date", "match_end_date"),
    key=("child_id", "match_start_date"),
    required=("child_id", "match_start_date"),
    source="iro",
)
OPTIONAL_IRO_EXTRACTS = ("footprints", "feedback", "establishment", "independent_visitors")

RAW_CSVS: dict[str, RawCsv] = {
    t.name: t
    for t in (
        HEADER,
        EPISODES,
        REVIEWS,
        OC2,
        MEETINGS,
        DISPUTES,
        WORKFORCE,
        PEP,
        MEETING_DETAILS,
        FOOTPRINTS,
        FEEDBACK,
        ESTABLISHMENT,
        INDEPENDENT_VISITORS,
    )
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
