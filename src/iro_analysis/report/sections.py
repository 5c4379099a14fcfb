"""Rendering each section: heading, introduction, commentary, figures."""

from __future__ import annotations

from markupsafe import Markup

from iro_analysis.report import html
from iro_analysis.report.annex import section_appendix, section_data_quality
from iro_analysis.report.body import section_body
from iro_analysis.report.catalogue import SECTION_BY_KEY, Section, sections_in
from iro_analysis.report.context import ReportContext
from iro_analysis.report.format import safe_markdown, section_heading
from iro_analysis.report.handbook import narrative_body, warn_unwritten
from iro_analysis.report.panel import (
    PROGRESS_HEADING,
    progress_items,
    section_oversight,
    section_progress,
    section_voice,
)
from iro_analysis.report.summary import attention_points, section_summary
from iro_analysis.report.templating import render

# The inputs (`contract.tables.SUPPLIED_INPUTS`) as the councillors' report names them.
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


def _section_priorities(ctx: ReportContext) -> Markup:
    parts = [narrative_body(ctx, SECTION_BY_KEY["priorities"])]
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
    from iro_analysis.core.paths import annex_filename

    return annex_filename(ctx.year.year)


def report_href(ctx: ReportContext) -> str:
    """The councillors' report's file name, beside the annex (a relative link)."""
    from iro_analysis.core.paths import report_filename

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
    "summary": section_summary,
    "voice": section_voice,
    "oversight": section_oversight,
    "progress": section_progress,
    "data_quality": section_data_quality,
    "priorities": _section_priorities,
    "about_data": _section_about_data,
    "appendix": section_appendix,
}


def render_section(ctx: ReportContext, key: str) -> Markup:
    """One section's HTML (`section.html.j2`): heading, introduction, analysts'
    commentary (sanitised markdown), figures."""
    section = SECTION_BY_KEY[key]
    if key in _BODIES:
        body = _BODIES[key](ctx)
    elif section.narrative:  # the service's own account: its commentary is the section
        body = narrative_body(ctx, section)
    else:
        body = section_body(ctx, section)
    commentary = ctx.narrative.get(section.title)
    if key == "summary" or (key == "progress" and progress_items(ctx)):
        commentary = None  # the summary places its own; progress is the table
    return render(
        "section.html.j2",
        heading=section_heading(section),
        intro=section.intro,
        notice=_missing_notice(ctx, section),
        commentary=safe_markdown(commentary) if commentary else "",
        label="Priorities"
        if key == "priorities"
        else (
            PROGRESS_HEADING
            if key == "progress"
            else (
                "From the IRO service" if section.narrative else "Commentary from the IRO service"
            )
        ),
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

    if document == "report":
        warn_unwritten(ctx)
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
