"""A section's standard body: its KPI table, the section's note, its trend charts and its
breakdowns (every section without a bespoke body, and the panel's sections, use it)."""

from __future__ import annotations

from markupsafe import Markup

from iro_analysis.report import html
from iro_analysis.report.breakdowns import BREAKDOWNS, breakdown_block
from iro_analysis.report.catalogue import Section
from iro_analysis.report.context import ReportContext
from iro_analysis.report.figures import kpi_table, trend_figure


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


def section_body(ctx: ReportContext, section: Section) -> Markup:
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
