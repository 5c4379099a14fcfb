"""Small formatting helpers the report's sections share."""

from __future__ import annotations

import re
from collections.abc import Iterable

from markupsafe import Markup

from iro_analysis.core.years import ReportingYear
from iro_analysis.report.catalogue import SECTIONS, Section
from iro_analysis.report.context import ReportContext


def _slug(text: str) -> str:
    """A heading's anchor id: lower case, runs of other characters as one hyphen."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def contents(sections: Iterable[Section] = SECTIONS) -> list[tuple[str, str]]:
    """The contents list: (anchor id, title) of each section's heading, in order (every
    section of the catalogue by default; one document's: `catalogue.sections_in`).
    `section_heading` gives each heading the same anchor. The committee front sheet, the
    report's cover, is not a section and is not listed."""
    return [(_slug(s.title), s.title) for s in sections]


def year_label(year: int) -> str:
    return ReportingYear(year).label


def kpi_text(ctx: ReportContext, kpi_id: str, value: object) -> str:
    """A KPI's figure as the report prints it; a count of staff (IROs) of 1 or 2 reads
    "fewer than 3" (`suppression.format_staff`)."""
    from iro_analysis.kpis.workforce import STAFF_COUNTS
    from iro_analysis.report.narrative import format_value
    from iro_analysis.report.suppression import format_staff

    if kpi_id in STAFF_COUNTS:
        return format_staff(value)
    text = format_value(value, ctx.unit(kpi_id))
    return "" if text is None else text


def national_figure(kpi_id: str, year: int) -> float | None:
    from iro_analysis.kpis.national import national_value

    return national_value(kpi_id, year)


def section_heading(section: Section) -> Markup:
    """A section's h2, its anchor id from `_slug` (as in `contents`)."""
    from iro_analysis.report import html

    return html.heading(_slug(section.title), section.title)


def safe_markdown(text: str) -> Markup:
    """Markdown as HTML sanitised to an allow-list (no script, handler, frame or image)."""
    from iro_analysis.report.templating import markdown

    return markdown(text)
