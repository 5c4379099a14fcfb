"""Small HTML components for the report: the macros of `templates/fragments/macros.html.j2`.

Each returns autoescaped Markup (see `report.templating`): text arguments are escaped,
Markup arguments (another component's output) are kept. Tables have captions and header
scopes, text columns left-aligned and number columns right-aligned (`column_kinds`), and
scroll sideways on a narrow screen inside a focusable region; charts are figures with alt
text stating the message, a caption, a narrow drawing for phones, and the data behind the
chart as a table beneath (WCAG 2.2 AA).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd
from markupsafe import Markup

from iro_analysis.report.templating import join, macro

if TYPE_CHECKING:
    from iro_analysis.report.plots import Chart

__all__ = [
    "bullet_list",
    "column_kinds",
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


# A cell that is a figure: "1,234", "85.2%", "-3.0", "61.3 †"; the placeholders a numeric
# column may hold instead ("c" suppressed, "no cases", "not supplied") do not decide it.
_NUMBER = re.compile(r"[-−+]?\d[\d,]*(?:\.\d+)?%?(?:\s*†)?")
_PLACEHOLDERS = ("", "c", "no cases", "not supplied", "—")


def column_kinds(rows: Sequence[Sequence[object]], width: int) -> list[str]:
    """Each of `width` columns' alignment from its cells: "n" (numbers, right-aligned in
    tabular figures) when every cell is a figure or a placeholder and at least one is a
    figure, else "" (text, left-aligned). Markup cells are judged by their text; a short
    row's missing cells count as empty."""
    width = max([width, *map(len, rows)])
    if not rows:
        return [""] * width
    text = [[Markup(c).striptags() if isinstance(c, Markup) else str(c) for c in r] for r in rows]
    cells = pd.DataFrame([t + [""] * (width - len(t)) for t in text], dtype="str")
    cells = cells.apply(lambda col: col.str.strip())
    number = cells.apply(lambda col: col.str.fullmatch(_NUMBER.pattern))
    placeholder = cells.isin(_PLACEHOLDERS)
    numeric = (number | placeholder).all() & number.any()
    return ["n" if v else "" for v in numeric.tolist()]


def table(df: pd.DataFrame, caption: str, css: str = "data", current: str | None = None) -> Markup:
    """An accessible table: a caption, column headers, and the first column as row headers.

    Text columns are left-aligned and number columns right-aligned (`column_kinds`); see
    `raw_table` for `current`."""
    headers, rows = frame_rows(df)
    return raw_table(headers, rows, caption, css, current)


def raw_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    caption: str,
    css: str = "data",
    current: str | None = None,
) -> Markup:
    """A table from rows whose cells may be Markup (e.g. `kpi_span`); other cells are escaped.

    `current` names the column of the current year in a table whose columns are years,
    oldest first: its cells are marked, and on a narrow screen the table opens scrolled
    to its newest years with the measure column held in place and a cue to scroll back.
    """
    headers, rows = list(headers), [list(r) for r in rows]
    kinds = column_kinds(rows, len(headers))
    now = headers.index(current) if current in headers else -1
    return macro("table")(headers, rows, caption, css, kinds, now)


def figure(chart: Chart, data_table: pd.DataFrame | None = None) -> Markup:
    """A chart with its alt text and caption (and its narrow drawing for phones, if any),
    and the data behind it as a table."""
    headers, rows = frame_rows(chart.data if data_table is None else data_table)
    png = base64.b64encode(chart.png).decode("ascii")
    narrow = base64.b64encode(chart.narrow_png).decode("ascii") if chart.narrow_png else ""
    kinds = column_kinds(rows, len(headers))
    size = (f"{chart.text_pt:g}", f"{chart.dpi:g}") if chart.text_pt and chart.dpi else None
    return macro("figure")(png, chart.alt, chart.caption, headers, rows, narrow, kinds, size)


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
