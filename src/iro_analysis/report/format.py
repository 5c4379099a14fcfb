"""Small formatting helpers the report's sections share."""

from __future__ import annotations

import re

from markupsafe import escape

from iro_analysis.report.catalogue import Section
from iro_analysis.report.context import ReportContext
from iro_analysis.years import ReportingYear


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _year_label(year: int) -> str:
    return ReportingYear(year).label


def _fmt(ctx: ReportContext, kpi_id: str, value: object) -> str:
    from iro_analysis.report.narrative import format_value

    text = format_value(value, ctx.unit(kpi_id))
    return "" if text is None else text


def _national(kpi_id: str, year: int) -> float | None:
    from iro_analysis.kpis.national import national_value

    return national_value(kpi_id, year)


def _heading(section: Section) -> str:
    return f'<h2 id="{escape(_slug(section.title))}">{escape(section.title)}</h2>\n'


def _markdown(text: str) -> str:
    """Markdown as HTML sanitised to an allow-list (no script, handler, frame or image)."""
    from iro_analysis.report.narrative import markdown_html

    return markdown_html(text)
