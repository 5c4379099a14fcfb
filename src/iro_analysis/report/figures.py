"""A section's KPI table over the years and its trend charts."""

from __future__ import annotations

import pandas as pd
from markupsafe import Markup

from iro_analysis.report.context import ReportContext
from iro_analysis.report.format import _fmt, _national, _year_label


def kpi_table(ctx: ReportContext, kpi_ids: tuple[str, ...], caption: str) -> Markup:
    """Each KPI of a section over every year supplied, with England where published.

    The current year's figures carry `data-kpi` so tests can check them against kpis.csv.
    Blank means the figure could not be calculated for that year (its data was not supplied
    or its denominator was zero); "not supplied" marks this year's missing inputs.
    """
    from iro_analysis.report import html

    h = ctx.history
    years = sorted(int(y) for y in h["year"].unique())
    headers = ["Measure", *[_year_label(y) for y in years], "England"]
    rows = []
    for kpi_id in kpi_ids:
        row: list[object] = [ctx.title(kpi_id)]
        for y in years:
            hit = h[(h["kpi_id"] == kpi_id) & (h["year"] == y)]
            if y == ctx.year.year:
                if hit.empty:
                    row.append("not supplied")
                else:
                    text = _fmt(ctx, kpi_id, hit["value"].iloc[0]) or "no cases"
                    row.append(html.kpi_span(kpi_id, text))
            else:
                row.append("" if hit.empty else _fmt(ctx, kpi_id, hit["value"].iloc[0]))
        nat = _national(kpi_id, ctx.year.year)
        row.append("" if nat is None else _fmt(ctx, kpi_id, nat))
        rows.append(row)
    return html.raw_table(headers, rows, caption)


def trend_figure(ctx: ReportContext, kpi_id: str) -> Markup:
    """A line chart of one KPI over the years supplied, with England where published."""
    from iro_analysis.report import html, plots

    h = ctx.history[ctx.history["kpi_id"] == kpi_id].sort_values("year")
    if h.empty:
        return Markup()
    unit = ctx.unit(kpi_id)
    title = ctx.phrase(kpi_id)
    rows = []
    for y, v in zip(h["year"], h["value"], strict=True):
        rows.append(
            {"year_label": _year_label(int(y)), "series": ctx.settings.council_name, "value": v}
        )
        # England is drawn only for rates: a national count is not comparable with a council's.
        nat = _national(kpi_id, int(y)) if unit == "percent" else None
        if nat is not None:
            rows.append({"year_label": _year_label(int(y)), "series": "England", "value": nat})
    data = pd.DataFrame(rows)
    council = data[(data["series"] == ctx.settings.council_name) & data["value"].notna()]
    if council.empty:
        return Markup()
    first, last = council.iloc[0], council.iloc[-1]
    f_first, f_last = _fmt(ctx, kpi_id, first["value"]), _fmt(ctx, kpi_id, last["value"])
    if len(council) == 1:
        message = f"{title} was {f_last} in {last['year_label']}."
    else:
        from iro_analysis.report.narrative import direction

        d = direction(float(last["value"]), float(first["value"]), unit)
        verb = {"up": "rose", "down": "fell", "level": "was level"}[d or "level"]
        message = (
            f"{title} {verb} from {f_first} in {first['year_label']} to {f_last} in {last['year_label']}."
            if d != "level"
            else f"{title} was {f_last} in both {first['year_label']} and {last['year_label']}."
        )
    eng = data[(data["series"] == "England") & (data["year_label"] == ctx.year.label)]
    if not eng.empty:
        message += f" England: {_fmt(ctx, kpi_id, eng['value'].iloc[0])} in {ctx.year.label}."
    chart = plots.trend_chart(
        data,
        value_label={"percent": "Percent", "ratio": "Ratio"}.get(unit, "Number"),
        alt=f"Line chart. {message}",
        caption=f"{title}, by reporting year",
        percent=unit == "percent",
    )
    table = data.pivot_table(
        index="year_label", columns="series", values="value", aggfunc="first", sort=False
    )
    table = table.reset_index().rename(columns={"year_label": "Reporting year"})
    for col in table.columns[1:]:
        table[col] = [_fmt(ctx, kpi_id, v) for v in table[col]]
    return html.figure(chart, table)
