"""A section's KPI table over the years and its trend charts."""

from __future__ import annotations

import pandas as pd
from markupsafe import Markup

from iro_analysis.report.context import ReportContext
from iro_analysis.report.format import kpi_text, year_label
from iro_analysis.report.ratings import INCOMPLETE_MARK, england, incomplete_note, incomplete_years


def kpi_table(ctx: ReportContext, kpi_ids: tuple[str, ...], caption: str) -> Markup:
    """Each KPI of a section over every year supplied, with England where published.

    The current year's figures carry `data-kpi` so tests can check them against kpis.csv,
    and its column is marked (`html.raw_table(current=...)`) so a phone opens the table at
    the current year with the measure column held beside it (`pipeline.browser` checks).
    Blank means the figure could not be calculated for that year (its data was not supplied
    or its denominator was zero); "not supplied" marks this year's missing inputs; a
    dagger marks a year whose history is incomplete (`ratings.incomplete_years`), explained
    beneath the table.
    """
    from iro_analysis.report import html

    h = ctx.history
    years = sorted(int(y) for y in h["year"].unique())
    headers = ["Measure", *[year_label(y) for y in years], "England"]
    rows = []
    for kpi_id in kpi_ids:
        row: list[object] = [ctx.title(kpi_id)]
        bad = incomplete_years(ctx, kpi_id)
        for y in years:
            at = ctx.position(kpi_id, y)
            text = "" if at is None else kpi_text(ctx, kpi_id, h["value"].iat[at])
            mark = f" {INCOMPLETE_MARK}" if text and y in bad else ""
            if y == ctx.year.year:
                if at is None:
                    row.append("not supplied")
                else:
                    row.append(html.join([html.kpi_span(kpi_id, text or "no cases"), mark]))
            else:
                row.append(text + mark)
        nat = england(ctx, kpi_id)
        row.append("" if nat is None else kpi_text(ctx, kpi_id, nat))
        rows.append(row)
    note = incomplete_note(ctx, kpi_ids)
    table = html.raw_table(headers, rows, caption, "data trend", current=ctx.year.label)
    return html.join([table, html.paragraph(note)]) if note else table


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
            {"year_label": year_label(int(y)), "series": ctx.settings.council_name, "value": v}
        )
        # England is drawn only for rates: a national count is not comparable with a council's.
        nat = england(ctx, kpi_id, int(y)) if _has_england(kpi_id) else None
        if nat is not None:
            rows.append({"year_label": year_label(int(y)), "series": "England", "value": nat})
    data = pd.DataFrame(rows)
    council = data[(data["series"] == ctx.settings.council_name) & data["value"].notna()]
    if council.empty:
        return Markup()
    message = trend_message(ctx, kpi_id, title, council)
    eng = data[(data["series"] == "England") & (data["year_label"] == ctx.year.label)]
    if not eng.empty:
        message += f" England: {kpi_text(ctx, kpi_id, eng['value'].iloc[0])} in {ctx.year.label}."
    bad = {year_label(y) for y in incomplete_years(ctx, kpi_id)}
    data["year_label"] = [f"{y} {INCOMPLETE_MARK}" if y in bad else y for y in data["year_label"]]
    caption = f"{title}, by reporting year"
    if bad & set(council["year_label"]):
        caption += f" ({INCOMPLETE_MARK} incomplete history, not compared)"
    alt = f"Line chart. {message}"
    if unit == "percent":
        bottom = plots.percent_axis(data["value"])[0]
        if bottom > 0:  # the axis fits the data: say so where it does not start at zero
            caption += f"; {plots.axis_note(bottom)}"
            alt += f" The chart's {plots.axis_note(bottom)}."
    references = chart_references(ctx, kpi_id)
    for r in references:  # hatched band or dashed line, named in the legend
        alt += f" The chart draws {r.label} as a {'dashed line' if r.high is None else 'hatched band'}."
    chart = plots.trend_chart(
        data,
        value_label=axis_title(ctx, kpi_id),
        alt=alt,
        caption=caption,
        percent=unit == "percent",
        references=references,
        cache_dir=ctx.chart_cache,
    )
    table = data.pivot_table(
        index="year_label", columns="series", values="value", aggfunc="first", sort=False
    )
    table = table.reset_index().rename(columns={"year_label": "Reporting year"})
    for col in table.columns[1:]:
        table[col] = [kpi_text(ctx, kpi_id, v) for v in table[col]]
    return html.figure(chart, table)


# A reference range a KPI is read against, drawn as a band on its trend chart.
BANDS = {"cla_caseload_per_iro_fte": (50.0, 70.0, "IRO Handbook: 50 to 70")}
# The y axis's title in words where the KPI's title does not read as one.
AXIS_TITLES = {"cla_caseload_per_iro_fte": "Looked-after children per full-time IRO"}


def axis_title(ctx: ReportContext, kpi_id: str) -> str:
    """What a trend chart's y axis measures, in words: the KPI's title without its unit
    ("(%)": the ticks carry it), never "Ratio" or "Value"."""
    return AXIS_TITLES.get(kpi_id) or ctx.title(kpi_id).removesuffix(" (%)")


def chart_references(ctx: ReportContext, kpi_id: str) -> tuple:
    """The council's target for the KPI (settings `targets`) as a line, and the range it
    is read against (`BANDS`) as a band."""
    from iro_analysis.report.plots import Reference

    refs = []
    target = ctx.settings.target(kpi_id)
    if target is not None:
        refs.append(Reference(f"Target: {kpi_text(ctx, kpi_id, target)}", float(target)))
    if kpi_id in BANDS:
        low, high, label = BANDS[kpi_id]
        refs.append(Reference(label, low, high))
    return tuple(refs)


def trend_message(ctx: ReportContext, kpi_id: str, title: str, council: pd.DataFrame) -> str:
    """The chart's message: the latest change, then the whole run, from the years whose
    history is complete (a year with incomplete history is named, never compared)."""
    from iro_analysis.report.narrative import direction

    unit = ctx.unit(kpi_id)
    bad = {year_label(y) for y in incomplete_years(ctx, kpi_id)}
    points = [(y, float(v)) for y, v in zip(council["year_label"], council["value"], strict=True)]
    good = [(y, v) for y, v in points if y not in bad]
    fmt = lambda v: kpi_text(ctx, kpi_id, v)  # noqa: E731
    verbs = {"up": "rose", "down": "fell"}
    parts = []
    if len(good) == 1:
        parts.append(f"{title} was {fmt(good[0][1])} in {good[0][0]}.")
    elif len(good) > 1:
        (py, pv), (ly, lv) = good[-2], good[-1]
        d = direction(lv, pv, unit)
        parts.append(
            f"{title} was {fmt(lv)} in both {py} and {ly}."
            if d == "level"
            else f"{title} {verbs[d]} from {fmt(pv)} in {py} to {fmt(lv)} in {ly}."
        )
        if len(good) > 2:
            fy, fv = good[0]
            lo, hi = min(good, key=lambda p: p[1]), max(good, key=lambda p: p[1])
            d = direction(lv, fv, unit)
            overall = {"up": "higher than", "down": "lower than", "level": "the same as"}[d]
            parts.append(
                f"Over the {len(good)} years from {fy} it is {overall} the {fmt(fv)} of {fy} "
                f"(lowest {fmt(lo[1])} in {lo[0]}, highest {fmt(hi[1])} in {hi[0]})."
            )
    for y, v in points:
        if y in bad:
            parts.append(f"{y} ({fmt(v)}) has incomplete history and is not compared.")
    return " ".join(parts)


def _has_england(kpi_id: str) -> bool:
    """England is drawn only for a KPI the registry compares with a national rate (never a
    count: a national count is not comparable with a council's)."""
    from iro_analysis.kpis.registry import KPI_DEFINITIONS

    d = KPI_DEFINITIONS.get(kpi_id)
    return d is not None and d.england is not None
