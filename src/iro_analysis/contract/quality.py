"""Data-quality vocabulary: the demo's injected fault kinds, quarantine and warning rules,
warn-only DfE columns and the columns that identify a child.
"""

from __future__ import annotations

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
    "parent_quarantined": "an XML element whose parent element (Child or plan) was quarantined, "
    "or the details of an SSD meeting that was",
    "ssd_unknown_period": "an SSD looked-after review whose clar_cla_id names no period of care "
    "in ssd_cla_episodes, or names one given to two children",
    "no_such_meeting": "a meeting_details row whose meeting (type and id) is in none of the "
    "year's SSD meeting tables",
    "outside_collection_year": "a row dated outside its folder's collection year (1 April to "
    "31 March), as DfE's validators reject it: a file from another year in this folder",
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
    "census_year_differs": "the CIN census header's Year disagrees with its ReferenceDate, "
    "which decides the collection year (as DfE's CIN validator does)",
    "missing_year_folder": "a year folder missing between the earliest folder and the year: "
    "the history of timeliness measures is cut there",
    "input_gap": "an input supplied one year and absent the next: its history is cut there",
    "history_gap": "records an earlier folder left open that the year's own file does not "
    "hold: taken to have ended before the year began (never counted in the year)",
    "overlapping_episodes": "an episode that starts before the child's previous episode ends, "
    "or while it is still open (DfE's 903 validator rules 501 and 142): the figures take "
    "the overlapping episodes as one period of care",
    "dob_differs_903_census": "a child's date of birth in the 903 header differs from the CIN "
    "census's (the figures use the 903's)",
    "sex_differs_903_census": "a child's sex in the 903 header differs from the CIN census's, "
    "both male or female (the figures use the 903's)",
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

# Free text (feedback quotes): child-adjacent words that may name or describe a child. No
# value of these columns is written anywhere under reports/ (validation samples and the
# text of a malformed line are withheld); only a quote with quote_publishable = Y is ever a
# candidate for the report, and the report renders it escaped with nothing beside it.
FREE_TEXT_COLUMNS = frozenset({"quote"})
WITHHELD_FREE_TEXT = "withheld: free text"
