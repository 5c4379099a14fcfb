"""The multi-year trends report's content."""

from __future__ import annotations

from iro_analysis.report.catalogue import SECTIONS
from iro_analysis.report.context import ReportContext
from iro_analysis.report.figures import kpi_table, trend_figure
from iro_analysis.report.format import _heading, _year_label

TRENDS_FILENAME = "iro-trends.html"


def render_trends(ctx: ReportContext) -> str:
    """Every KPI family over every year supplied, with a chart for each headline measure."""
    from iro_analysis.report import html

    years = sorted(int(y) for y in ctx.history["year"].unique())
    out = html.paragraph(
        f"Every measure of the annual report for each reporting year supplied, "
        f"{_year_label(years[0])} to {_year_label(years[-1])}, computed by the same code from the same "
        "definitions, with England where a national figure is published."
    )
    for section in SECTIONS:
        if not section.kpis:
            continue
        out += _heading(section)
        out += kpi_table(ctx, section.kpis, f"{section.title}: all years")
        for kpi_id in section.kpis:
            if ctx.unit(kpi_id) == "percent" or kpi_id in section.trends:
                out += trend_figure(ctx, kpi_id)
    return out


def show_trends(ctx: ReportContext) -> None:
    from IPython.display import HTML, display

    display(HTML(render_trends(ctx)))
