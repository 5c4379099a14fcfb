"""Small HTML components for the report: the macros of `templates/fragments/macros.html.j2`.

Each returns autoescaped Markup (see `report.templating`): text arguments are escaped,
Markup arguments (another component's output) are kept. Tables have captions and header
scopes; charts are figures with alt text stating the message, a caption, and the data
behind the chart as a table beneath (WCAG 2.2 AA).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd
from markupsafe import Markup

from iro_analysis.report.templating import join, macro

if TYPE_CHECKING:
    from iro_analysis.report.plots import Chart

__all__ = [
    "bullet_list",
    "figure",
    "frame_rows",
    "heading",
    "join",
    "kpi_span",
    "notice",
    "paragraph",
    "raw_table",
    "subheading",
    "table",
]


def _cell(v: object) -> object:
    return "" if (v is None or (not isinstance(v, str) and pd.isna(v))) else v


def frame_rows(df: pd.DataFrame) -> tuple[list[str], list[list[object]]]:
    """A frame's column headers and rows, a missing value as an empty cell."""
    rows = [[_cell(v) for v in r] for r in df.itertuples(index=False)]
    return [str(c) for c in df.columns], rows


def table(df: pd.DataFrame, caption: str, css: str = "data") -> Markup:
    """An accessible table: a caption, column headers, and the first column as row headers."""
    headers, rows = frame_rows(df)
    return macro("table")(headers, rows, caption, css)


def raw_table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], caption: str, css: str = "data"
) -> Markup:
    """A table from rows whose cells may be Markup (e.g. `kpi_span`); other cells are escaped."""
    return macro("table")(list(headers), [list(r) for r in rows], caption, css)


def figure(chart: Chart, data_table: pd.DataFrame | None = None) -> Markup:
    """A chart with its alt text and caption, and the data behind it as a table."""
    headers, rows = frame_rows(chart.data if data_table is None else data_table)
    png = base64.b64encode(chart.png).decode("ascii")
    return macro("figure")(png, chart.alt, chart.caption, headers, rows)


def notice(title: str, text: str) -> Markup:
    """A highlighted note (e.g. data not supplied)."""
    return macro("notice")(title, text)


def kpi_span(kpi_id: str, text: str) -> Markup:
    """A figure tagged with its KPI id, so tests can check it against kpis.csv."""
    return macro("kpi_span")(kpi_id, text)


def paragraph(text: str) -> Markup:
    """A paragraph of text."""
    return macro("paragraph")(text)


def bullet_list(items: Sequence[str], css: str = "") -> Markup:
    """An unordered list; `css` is its class, if any."""
    return macro("bullet_list")(list(items), css)


def heading(anchor: str, title: str) -> Markup:
    """A section heading (h2) with its anchor id, the target of the contents list."""
    return macro("heading")(anchor, title)


def subheading(text: str) -> Markup:
    """A heading within a section (h3)."""
    return macro("subheading")(text)
