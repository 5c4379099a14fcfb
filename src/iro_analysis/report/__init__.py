"""The IRO annual report: its catalogue of sections, the context they draw on, and HTML.

The notebooks and analysts use this package's API:

    from iro_analysis import report
    ctx = report.prepare(2022)
    report.show(ctx, "reviews")

Modules: `catalogue` (sections), `context` (`prepare`, `ReportContext`), `figures` (KPI
tables and trend charts), `breakdowns`, `sections`, `summary` (the summary for the
Corporate Parenting Panel), `ratings` (ratings in words and symbols, England, changes,
incomplete history), `panel` (voice and quotes, oversight, progress against priorities),
`claims` (the narrative checked against the figures), `annex` (data quality, appendix,
what is shown as c), `outputs` (kpis.csv/xlsx, manifest), `trends`, `narrative`,
`suppression`, `plots`, `html`, `templating` (the sandboxed Jinja2 environment every
HTML fragment comes from, templates/fragments/). Building and publishing live in `iro_analysis.pipeline`.
"""

from iro_analysis.report.annex import hidden_kpis, validation_html
from iro_analysis.report.breakdowns import (
    BREAKDOWNS,
    BreakdownView,
    breakdown_block,
    breakdown_mask,
    display_breakdown,
)
from iro_analysis.report.catalogue import SECTION_BY_KEY, SECTION_TITLES, SECTIONS, Section
from iro_analysis.report.context import ReportContext, kpi_history, prepare, prepare_run
from iro_analysis.report.outputs import published_kpis_csv, write_kpis_xlsx, write_outputs
from iro_analysis.report.sections import (
    render_document,
    render_section,
    show,
    show_document,
)
from iro_analysis.report.summary import attention_points
from iro_analysis.report.trends import render_trends, show_trends

__all__ = [
    "BREAKDOWNS",
    "SECTIONS",
    "SECTION_BY_KEY",
    "SECTION_TITLES",
    "BreakdownView",
    "ReportContext",
    "Section",
    "attention_points",
    "breakdown_block",
    "breakdown_mask",
    "display_breakdown",
    "hidden_kpis",
    "kpi_history",
    "prepare",
    "prepare_run",
    "published_kpis_csv",
    "render_document",
    "render_section",
    "render_trends",
    "show",
    "show_document",
    "show_trends",
    "validation_html",
    "write_kpis_xlsx",
    "write_outputs",
]
