"""The committee front sheet: the first thing in the councillors' report (page 1 in print).

It names the meeting the report goes to, the meeting's date, the author and their role,
the report's classification (from the settings' `committee:` block, the meeting date by
reporting year), the purpose and the recommendation (from the narrative: "## Purpose",
else the standard purpose of an IRO annual report; "## Recommendation", the same text the
summary's "What the Panel is asked to do" shows). A field that is not set is printed as
"To be confirmed", never invented, and a `FrontSheetWarning` names where to set it (the
build log prints it). Without a recommendation the front sheet says none is included (a
neutral line, not an instruction). A year with no narrative at all is a draft
(`ReportContext.draft`): the front sheet's title and a status line say DRAFT.
"""

from __future__ import annotations

import warnings

from markupsafe import Markup

from iro_analysis.report.context import ReportContext
from iro_analysis.report.format import safe_markdown

TO_BE_CONFIRMED = "To be confirmed"
NO_RECOMMENDATION = "No recommendation is included in this report."
DRAFT = "DRAFT"


def draft_note(ctx: ReportContext) -> str:
    """The front sheet's status line for a draft (a year without a narrative)."""
    return (
        f"This is a draft. The IRO service's own account of {ctx.year.label} is not yet part "
        "of the report, so it is not the final report."
    )


FRONT_SHEET_ID = "front-sheet-title"


class FrontSheetWarning(UserWarning):
    """A front-sheet field that is not set (printed "To be confirmed")."""


def standard_purpose(ctx: ReportContext) -> str:
    """The purpose when the narrative gives none: the IRO Handbook (2010, chapter 7) asks
    the IRO service's manager to produce an annual report for the scrutiny of the
    council's corporate parenting board."""
    return (
        f"To present the annual report of {ctx.settings.council_name}'s Independent Reviewing "
        f"Officer (IRO) service for {ctx.year.label} (1 April {ctx.year.year - 1} to 31 March "
        f"{ctx.year.year}), which the IRO Handbook asks the service to produce so that the "
        "council's corporate parents can scrutinise its work."
    )


def front_sheet_fields(ctx: ReportContext) -> list[tuple[str, str, str | None]]:
    """(label, value, where to set it when missing, else None) for each field of the
    front sheet, in the order councils print them."""
    c = ctx.settings.committee
    when = c.meeting_date(ctx.year.year)
    date_text = f"{when.day} {when:%B %Y}" if when else None
    y = ctx.year.year
    rows = [
        ("Meeting", c.meeting, "committee: meeting"),
        ("Date of meeting", date_text, f"committee: meeting_dates: {y}"),
        ("Report title", f"{ctx.settings.report_title} {ctx.year.label}", ""),
        ("Report author", c.author, "committee: author"),
        ("Author's role", c.role, "committee: role"),
        ("Classification", c.classification, "committee: classification"),
    ]
    return [(label, value or TO_BE_CONFIRMED, None if value else key) for label, value, key in rows]


def missing_fields(ctx: ReportContext) -> list[str]:
    """What the front sheet lacks, each naming where to set it (settings or narrative)."""
    out = [
        f"'{label}' is not set: add {key} to the settings file"
        for label, _, key in front_sheet_fields(ctx)
        if key
    ]
    if not ctx.narrative.get("Recommendation"):
        out.append(
            f"'Recommendation' is not set: add a '## Recommendation' section to the narrative "
            f"for {ctx.year.label}"
        )
    return out


def render_front_sheet(ctx: ReportContext) -> Markup:
    """The front sheet's HTML (`front_sheet.html.j2`): a section labelled by its h2
    (id `front-sheet-title`); warns (FrontSheetWarning) for each field not set."""
    from iro_analysis.report.templating import render

    for message in missing_fields(ctx):
        warnings.warn(f"{ctx.year.label}: {message}", FrontSheetWarning, stacklevel=2)
    meeting = ctx.settings.committee.meeting
    purpose = ctx.narrative.get("Purpose")
    recommendation = ctx.narrative.get("Recommendation")
    draft = bool(getattr(ctx, "draft", False))
    title = f"Report to the {meeting}" if meeting else "Report to committee"
    return render(
        "front_sheet.html.j2",
        heading_id=FRONT_SHEET_ID,
        title=f"{DRAFT}: {title}" if draft else title,
        draft=draft_note(ctx) if draft else "",
        fields=[(label, value, key is not None) for label, value, key in front_sheet_fields(ctx)],
        purpose=safe_markdown(purpose) if purpose else "",
        standard_purpose=standard_purpose(ctx),
        recommendation=safe_markdown(recommendation) if recommendation else "",
        no_recommendation=NO_RECOMMENDATION,
    )


def show_front_sheet(ctx: ReportContext) -> None:
    """Display the front sheet in the notebook (the first output of the report)."""
    from IPython.display import HTML, display

    display(HTML(render_front_sheet(ctx)))
