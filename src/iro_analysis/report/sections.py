"""Rendering each section: heading, introduction, commentary, figures."""

from __future__ import annotations

from markupsafe import Markup

from iro_analysis.report import html
from iro_analysis.report.annex import _section_appendix, _section_data_quality
from iro_analysis.report.breakdowns import BREAKDOWNS, breakdown_block
from iro_analysis.report.catalogue import SECTION_BY_KEY, Section, sections_in
from iro_analysis.report.context import ReportContext
from iro_analysis.report.figures import kpi_table, trend_figure
from iro_analysis.report.format import _heading, _markdown, _year_label
from iro_analysis.report.panel import (
    PROGRESS_HEADING,
    _section_oversight,
    _section_progress,
    _section_voice,
    progress_items,
)
from iro_analysis.report.summary import _section_summary
from iro_analysis.report.templating import render
from iro_analysis.years import ReportingYear

# The inputs (`contract.schema.SUPPLIED_INPUTS`) as the councillors' report names them.
INPUT_NAMES = {
    "header": "the SSDA903 return's list of children",
    "episodes": "the SSDA903 return's episodes of care",
    "reviews": "the SSDA903 return's reviews",
    "oc2": "the SSDA903 return's outcomes for children in care for a year",
    "cin_census": "the Children in Need census",
    "meetings": "the IRO service's record of meetings",
    "disputes": "the IRO service's record of disputes",
    "workforce": "the IRO service's workforce record",
    "pep": "the virtual school's Personal Education Plans",
    "footprints": "the IRO service's record of oversight between meetings",
    "feedback": "the IRO service's feedback record",
    "establishment": "the IRO service's establishment of posts",
    "independent_visitors": "the independent visitor record",
}


def _missing_notice(ctx: ReportContext, section: Section) -> Markup:
    absent = [k for k in section.kpis if not ctx.has(k)]
    if not absent:
        return Markup()
    inputs = sorted(
        {INPUT_NAMES.get(i, i.replace("_", " ")) for f in ctx.missing.values() for i in f}
    )
    return html.notice(
        "Not supplied.",
        f"Some figures in this section could not be produced for {ctx.year.label} because data was not "
        f"supplied for that year ({'; '.join(inputs) or 'the technical annex lists what was supplied'}). "
        "They are marked \u201cnot supplied\u201d, never shown as zero.",
    )


def _caseload_note(ctx: ReportContext) -> Markup:
    """The caseload against the IRO Handbook's 50 to 70, which is for looked-after children:
    `cla_caseload_per_iro_fte`, with the child protection caseload beside it."""
    caseload = ctx.value("cla_caseload_per_iro_fte")
    cp = ctx.value("cp_caseload_per_iro_fte")
    parts = []
    if caseload is not None:
        band = "within" if 50 <= caseload <= 70 else ("above" if caseload > 70 else "below")
        text = (
            f"The looked-after caseload of {caseload:.1f} children per full-time IRO is {band} the "
            "IRO Handbook's recommended range of 50 to 70, which is for looked-after children."
        )
        if cp is not None:
            text += (
                f" Beside it, IROs carry {cp:.1f} children on a child protection plan per "
                "full-time IRO; the Handbook sets no range for these."
            )
        parts.append(html.paragraph(text))
    if "caseload_bands" in ctx.breakdowns:
        parts.append(
            html.paragraph(
                "The IRO caseloads table counts the IROs in post at 31 March by the children looked "
                "after they carry per full-time equivalent, against the Handbook's 50 to 70 (a child "
                "counts for the IRO who chaired their latest meeting), with the children on a child "
                "protection plan those IROs carry beside it. No IRO's own hours or caseload are "
                "published."
            )
        )
    return html.join(parts)


def _participation_note(ctx: ReportContext) -> Markup:
    pn4 = "counts" if ctx.settings.pn4_counts_as_participation else "does not count"
    return html.paragraph(
        "Participation is the share of reviews coded PN1 to PN6 among reviews coded PN1 to PN7 (children "
        f"under 4, PN0, are excluded). In this report PN4 (attends without contributing) {pn4} as participation."
    )


# Text a section adds after its KPI table.
_NOTES = {"iro_service": _caseload_note, "reviews": _participation_note}


def _section_body(ctx: ReportContext, section: Section) -> Markup:
    """KPI table, section note, trend charts, then each breakdown under its heading."""
    parts = [kpi_table(ctx, section.kpis, section.table_caption)]
    if section.key in _NOTES:
        parts.append(_NOTES[section.key](ctx))
    parts.extend(trend_figure(ctx, kpi_id) for kpi_id in section.trends)
    for heading, name in section.breakdowns:
        parts += [html.subheading(heading), breakdown_block(ctx, name)]
    for heading, name in section.optional:
        if name in ctx.breakdowns and name in BREAKDOWNS:
            parts += [html.subheading(heading), breakdown_block(ctx, name)]
    return html.join(parts)


def attention_points(ctx: ReportContext) -> list[str]:
    """Data-driven areas for attention: rates that fell since a comparable year or sit below
    England, and the standards breached (`summary.standards_breached`: looked-after
    caseloads above the IRO Handbook's 50 to 70, overdue reviews and disputes)."""
    from iro_analysis.report.narrative import KEY_MESSAGES, format_value
    from iro_analysis.report.ratings import comparable_previous, england
    from iro_analysis.report.summary import standards_breached

    points = []
    for m in KEY_MESSAGES:
        cur = ctx.value(m.kpi_id)
        if cur is None or m.higher_is_better is None:
            continue
        # worse: lower when higher is better, higher when lower is better
        sign = 1 if m.higher_is_better else -1
        prev = comparable_previous(ctx, m.kpi_id)
        before = ctx.value(m.kpi_id, prev) if prev else None
        if before is not None and sign * round(cur, 1) < sign * round(before, 1):
            moved = "fell" if cur < before else "rose"
            points.append(
                f"{ctx.phrase(m.kpi_id)} {moved} to {format_value(cur, m.unit)} from {format_value(before, m.unit)} "
                f"in {_year_label(prev)}."
            )
        nat = england(ctx, m.kpi_id)
        if nat is not None and sign * round(cur, 1) < sign * round(nat, 1):
            side = "below" if cur < nat else "above"
            points.append(
                f"{ctx.phrase(m.kpi_id)} ({format_value(cur, m.unit)}) is {side} England ({format_value(nat, m.unit)})."
            )
    return points + standards_breached(ctx)


def _section_priorities(ctx: ReportContext) -> Markup:
    parts = []
    if "Priorities for next year" not in ctx.narrative:
        parts.append(
            html.notice(
                "For the service to complete.",
                f"The IRO service's priorities for {ReportingYear(ctx.year.year + 1).label} go in "
                f"the narrative for {ctx.year.label} under the heading \u201cPriorities for next year\u201d.",
            )
        )
    points = attention_points(ctx)
    parts.append(html.subheading("Areas for attention from the data"))
    parts.append(
        html.bullet_list(points)
        if points
        else html.paragraph("No measure fell or sits below England this year.")
    )
    return html.join(parts)


def annex_href(ctx: ReportContext) -> str:
    """The technical annex's file name, beside the report (a relative link)."""
    from iro_analysis.build.publish import annex_filename

    return annex_filename(ctx.year.year)


def report_href(ctx: ReportContext) -> str:
    """The councillors' report's file name, beside the annex (a relative link)."""
    from iro_analysis.build.publish import report_filename

    return report_filename(ctx.year.year)


def _section_about_data(ctx: ReportContext) -> Markup:
    """A plain-English note for members (`about_data.html.j2`): where the figures come
    from, small numbers shown as c, incomplete history, and the link to the technical
    annex, which holds the detail."""
    from iro_analysis.report.ratings import INCOMPLETE_MARK

    return render(
        "about_data.html.j2",
        threshold=ctx.settings.suppression_threshold,
        mark=INCOMPLETE_MARK,
        label=ctx.year.label,
        annex_href=annex_href(ctx),
    )


_BODIES = {
    "summary": _section_summary,
    "voice": _section_voice,
    "oversight": _section_oversight,
    "progress": _section_progress,
    "data_quality": _section_data_quality,
    "priorities": _section_priorities,
    "about_data": _section_about_data,
    "appendix": _section_appendix,
}


def render_section(ctx: ReportContext, key: str) -> Markup:
    """One section's HTML (`section.html.j2`): heading, introduction, analysts'
    commentary (sanitised markdown), figures."""
    section = SECTION_BY_KEY[key]
    body = _BODIES[key](ctx) if key in _BODIES else _section_body(ctx, section)
    commentary = ctx.narrative.get(section.title)
    if key == "summary" or (key == "progress" and progress_items(ctx)):
        commentary = None  # the summary places its own; progress is the table
    return render(
        "section.html.j2",
        heading=_heading(section),
        intro=section.intro,
        notice=_missing_notice(ctx, section),
        commentary=_markdown(commentary) if commentary else "",
        label="Priorities"
        if key == "priorities"
        else (PROGRESS_HEADING if key == "progress" else "Commentary from the IRO service"),
        body=body,
    )


def show(ctx: ReportContext, key: str) -> None:
    """Display one section in the notebook (its HTML becomes part of the report)."""
    from IPython.display import HTML, display

    display(HTML(render_section(ctx, key)))


def render_document(ctx: ReportContext, document: str) -> Markup:
    """One document's body: the councillors' "report" (the committee front sheet, then
    its sections) or the technical "annex" (a note linking back to the report, then its
    sections); the catalogue decides the sections and their order."""
    from iro_analysis.report.front_sheet import render_front_sheet

    opening = (
        render_front_sheet(ctx)
        if document == "report"
        else render(
            "annex_intro.html.j2",
            title=ctx.settings.report_title,
            label=ctx.year.label,
            report_href=report_href(ctx),
        )
    )
    return html.join([opening, *(render_section(ctx, s.key) for s in sections_in(document))])


def show_document(ctx: ReportContext, document: str) -> None:
    """Display one document's body in the notebook (`render_document`): the report
    notebook's cell tagged "report" shows the report, its cell tagged "annex" the annex."""
    from IPython.display import HTML, display

    display(HTML(render_document(ctx, document)))
