"""Small HTML components for the report, rendered with Jinja2 (autoescaped).

Tables have captions and header scopes; charts are <figure>s with alt text stating the
message, a caption, and the data behind the chart as a table beneath (WCAG 2.2 AA).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

import jinja2
import pandas as pd
from markupsafe import Markup

from iro_analysis.report.plots import Chart

_ENV = jinja2.Environment(
    autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True
)

_TABLE = _ENV.from_string(
    """<div class="table-wrap"><table class="{{ css }}">
<caption>{{ caption }}</caption>
<thead><tr>{% for h in headers %}<th scope="col">{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in rows %}<tr>{% for cell in row %}{% if loop.first %}<th scope="row">{{ cell }}</th>{% else %}<td>{{ cell }}</td>{% endif %}{% endfor %}</tr>
{% endfor %}</tbody>
</table></div>
"""
)

_FIGURE = _ENV.from_string(
    """<figure class="chart">
<img src="data:image/png;base64,{{ b64 }}" alt="{{ alt }}">
<figcaption>{{ caption }}</figcaption>
{{ table }}
</figure>
"""
)

_NOTICE = _ENV.from_string(
    '<div class="notice" role="note"><strong>{{ title }}</strong> {{ text }}</div>\n'
)


def table(df: pd.DataFrame, caption: str, css: str = "data") -> str:
    """An accessible table: a caption, column headers, and the first column as row headers."""
    rows = [
        ["" if (v is None or (not isinstance(v, str) and pd.isna(v))) else v for v in r]
        for r in df.itertuples(index=False)
    ]
    return _TABLE.render(headers=list(df.columns), rows=rows, caption=caption, css=css)


def raw_table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], caption: str, css: str = "data"
) -> str:
    """A table from rows whose cells may contain pre-rendered HTML (Markup)."""
    return _TABLE.render(
        headers=list(headers), rows=[list(r) for r in rows], caption=caption, css=css
    )


def figure(chart: Chart, data_table: pd.DataFrame | None = None) -> str:
    """A chart with its alt text and caption, and the data behind it as a table."""
    data = chart.data if data_table is None else data_table
    return _FIGURE.render(
        b64=base64.b64encode(chart.png).decode("ascii"),
        alt=chart.alt,
        caption=chart.caption,
        table=Markup(table(data, f"Data behind the chart: {chart.caption}", css="data chart-data")),
    )


def notice(title: str, text: str) -> str:
    """A highlighted note (e.g. data not supplied)."""
    return _NOTICE.render(title=title, text=text)


def kpi_span(kpi_id: str, text: str) -> Markup:
    """A figure tagged with its KPI id, so tests can check it against kpis.csv."""
    return Markup('<span class="kpi" data-kpi="{}">{}</span>').format(kpi_id, text)


def paragraph(text: str) -> str:
    return _ENV.from_string("<p>{{ t }}</p>\n").render(t=text)


def bullet_list(items: Sequence[str], css: str = "") -> str:
    return _ENV.from_string(
        '<ul{% if css %} class="{{ css }}"{% endif %}>{% for i in items %}<li>{{ i }}</li>{% endfor %}</ul>\n'
    ).render(items=items, css=css)
