"""The IRO extracts' columns in words: what each row is, what each column holds and the
values it takes. One source for the data dictionary's `iro/` tables and the templates'
README (`contract.templates`): a test checks that the columns are `raw_files`' in its
order and that docs/data-dictionary.md prints each table as `columns_markdown` gives it.
Whether a column is required is `raw_files`' (`RawCsv.required`).
"""

from __future__ import annotations

from iro_analysis.contract import raw_files as R

# The IRO extracts, in the order of `raw_files` (the core four, then the optional ones).
IRO_EXTRACTS = tuple(name for name, raw in R.RAW_CSVS.items() if raw.source == R.IRO_DIR)

ROW: dict[str, str] = {
    "meetings": "one row per review or conference chaired by an IRO in the year",
    "disputes": "one row per dispute (dispute resolution process) raised by an IRO",
    "workforce": "one row per IRO post holder in post at any time in the year",
    "pep": "one row per Personal Education Plan meeting held (from the virtual school)",
    "meeting_details": "with meetings from the SSD only: one row per SSD meeting, what the "
    "SSD does not record of it",
    "footprints": "one row per IRO footprint: oversight recorded between meetings",
    "feedback": "one row per feedback response about a review or conference",
    "establishment": "one row per date: the IRO service's funded posts",
    "independent_visitors": "one row per independent visitor match",
}
COLUMNS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "meetings": (
        ("meeting_id", "unique meeting identifier", "text"),
        ("child_id", "child identifier", "text"),
        ("meeting_type", "kind of meeting", "code list below"),
        ("iro_id", "the chairing IRO (as in `workforce.csv`)", "text"),
        ("first_scheduled_date", "date first set for the meeting", "date"),
        ("held_date", "date held; blank = not held", "date"),
        ("times_rearranged", "times the date was changed (blank = 0)", "0, 1, 2 …"),
        ("rearranged_reason", "why it was last rearranged", "code list below"),
        ("pre_meeting_visit", "the IRO saw the child before the meeting", "Y/N"),
        ("advocate_involved", "an advocate was involved", "Y/N"),
    ),
    "disputes": (
        ("dispute_id", "unique dispute identifier, the same in every year", "text"),
        ("child_id", "child identifier", "text"),
        ("cohort", "the child was looked after or on a plan", "`CLA`, `CP`"),
        ("iro_id", "the IRO who raised it", "text"),
        ("raised_date", "date raised", "date"),
        ("theme", "what it was about", "code list below"),
        ("highest_stage", "highest stage reached", "1-4 (below)"),
        ("resolved_date", "date resolved; blank while open", "date"),
        (
            "outcome",
            "outcome once resolved; blank while open",
            "`PLAN_CHANGED`, `RESOLVED_NO_CHANGE`, `REFERRED_TO_CAFCASS`, `WITHDRAWN` (code lists below)",
        ),
    ),
    "workforce": (
        ("iro_id", "IRO identifier (as in meetings and disputes)", "text"),
        ("fte", "full-time equivalent", "0.1-1.0"),
        ("start_date", "start in post", "date"),
        ("end_date", "last day in post; blank while in post", "date"),
        ("agency", "agency (locum) worker", "Y/N"),
    ),
    "pep": (
        ("child_id", "child identifier", "text"),
        ("pep_date", "date the PEP meeting was held", "date"),
    ),
    "meeting_details": (
        ("meeting_type", "the SSD table the meeting is in", "`CLA_REVIEW`, `ICPC` or `RCPC`"),
        ("meeting_id", "the meeting's row id in that SSD table", "text"),
        ("first_scheduled_date", "date first set for the meeting", "date"),
        ("times_rearranged", "times the date was changed (blank = 0)", "0, 1, 2 …"),
        ("rearranged_reason", "why it was last rearranged", "code list below"),
        ("pre_meeting_visit", "the IRO saw the child before the meeting", "Y/N"),
        ("advocate_involved", "an advocate was involved", "Y/N"),
    ),
    "footprints": (
        ("footprint_id", "unique footprint identifier, the same in every year", "text"),
        ("child_id", "child identifier", "text"),
        ("iro_id", "the IRO (as in `workforce.csv`)", "text"),
        ("footprint_date", "date recorded", "date"),
        (
            "footprint_type",
            "what the IRO did",
            "code list below (`MIDWAY_CHECK`, `PRE_MEETING_CONTACT`, `CHALLENGE`, `OTHER`)",
        ),
    ),
    "feedback": (
        ("response_id", "unique response identifier", "text"),
        ("meeting_id", "the meeting it is about (as in `meetings.csv`); may be blank", "text"),
        ("respondent", "who answered", "`CHILD`, `PARENT`, `CARER`, `PROFESSIONAL`"),
        ("response_date", "date of the response", "date"),
        ("rating", "overall rating, 1 (worst) to 5 (best); may be blank", "1-5"),
        ("quote", "what the respondent said, as written (free text)", "text"),
        ("quote_publishable", "the service approved the quote for publication", "Y/N"),
    ),
    "establishment": (
        ("as_at_date", "date (31 March at least)", "date"),
        ("establishment_fte", "funded full-time equivalent IRO posts", "a number above 0"),
    ),
    "independent_visitors": (
        ("child_id", "child identifier (a looked-after child)", "text"),
        ("match_start_date", "date matched", "date"),
        ("match_end_date", "date the match ended; blank while open", "date"),
    ),
}


def columns_markdown(table: str) -> list[str]:
    """The extract's columns as the data dictionary's Markdown table (column, required,
    meaning, values), one line each."""
    required = R.RAW_CSVS[table].required
    out = ["| column | required | meaning | values |", "|---|---|---|---|"]
    for column, meaning, values in COLUMNS[table]:
        req = "yes " if column in required else ""
        out.append(f"| `{column}` | {req}| {meaning} | {values} |")
    return out
