"""The multi-year trends report's content."""

from __future__ import annotations

from markupsafe import Markup

from iro_analysis.report.catalogue import SECTIONS, Section
from iro_analysis.report.context import ReportContext
from iro_analysis.report.figures import kpi_table, trend_figure
from iro_analysis.report.format import contents, section_heading, year_label

TRENDS_FILENAME = "iro-trends.html"


def trends_sections() -> tuple[Section, ...]:
    """The sections the trends report has: those with KPIs, in the catalogue's order."""
    return tuple(s for s in SECTIONS if s.kpis)


def trends_contents() -> list[tuple[str, str]]:
    """The trends report's contents list, (anchor id, title) per section, for
    `build.export_html(..., contents=trends_contents())`."""
    return contents(trends_sections())


def render_trends(ctx: ReportContext) -> Markup:
    """Every KPI family over every year supplied, with a chart for each headline measure."""
    from iro_analysis.report import html

    years = sorted(int(y) for y in ctx.history["year"].unique())
    parts = [
        html.paragraph(
            f"Every measure of the annual report for each reporting year supplied, "
            f"{year_label(years[0])} to {year_label(years[-1])}, computed by the same code from the same "
            "definitions, with England where a national figure is published."
        )
    ]
    for section in trends_sections():
        parts.append(section_heading(section))
        parts.append(kpi_table(ctx, section.kpis, f"{section.title}: all years"))
        for kpi_id in section.kpis:
            if ctx.unit(kpi_id) == "percent" or kpi_id in section.trends:
                parts.append(trend_figure(ctx, kpi_id))
    return html.join(parts)


def show_trends(ctx: ReportContext) -> None:
    """Display the trends report's content in the notebook."""
    from IPython.display import HTML, display

    display(HTML(render_trends(ctx)))
