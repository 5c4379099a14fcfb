"""Breakdown tables and charts, with disclosure control."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from markupsafe import Markup

from iro_analysis.report.context import ReportContext


@dataclass(frozen=True)
class Col:
    """How one breakdown column is shown: a label, a count, or a figure derived from a count.

    kind: "label" | "count" | "percent" | "ratio" (derived: hidden with its `base` or
    `den` count) | "staff" (a count of staff, not children: published, 1 or 2 read "fewer
    than 3", `suppression.format_staff`) | "number" (one decimal place, never suppressed;
    no breakdown uses it). A count whose `hide_with` count is hidden, or is a staff count
    read "fewer than 3", is hidden too (a figure for a group whose size is not shown, e.g.
    the CP children of a caseload band of fewer than 3 IROs).
    """

    name: str
    header: str
    kind: str = "count"
    base: str | None = None  # the count a percent or ratio is derived from
    den: str | None = None  # its denominator count, if any
    hide_with: str | None = None  # a count: hidden wherever this count is hidden


@dataclass(frozen=True)
class BreakdownView:
    caption: str
    columns: tuple[Col, ...]
    chart: str | None = None  # the count column drawn as bars
    value_label: str = "Number"
    band: tuple[float, float, str] | None = None  # a reference range drawn on the chart
    prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = None  # applied before display
    # Every count column's total is taken as published (a headline, or findable); rows'
    # totals only when a row's counts partition something printed (see breakdown_mask).
    row_totals: bool = False


_SHARE = (Col("count", "Number"), Col("percent", "Percent", "percent", base="count"))

BREAKDOWNS: dict[str, BreakdownView] = {
    "cla_by_age_band": BreakdownView(
        "Children looked after at 31 March by age",
        (Col("age_band", "Age", "label"), *_SHARE),
        "count",
        "Children",
    ),
    "cla_by_sex": BreakdownView(
        "Children looked after at 31 March by sex", (Col("sex", "Sex", "label"), *_SHARE)
    ),
    "cla_by_ethnicity_group": BreakdownView(
        "Children looked after at 31 March by ethnicity",
        (Col("ethnicity_group", "Ethnicity", "label"), *_SHARE),
    ),
    "cla_by_legal_status": BreakdownView(
        "Children looked after at 31 March by legal status",
        (Col("legal_status", "Legal status", "label"), *_SHARE),
    ),
    "cla_by_placement": BreakdownView(
        "Children looked after at 31 March by placement type",
        (Col("placement", "Placement", "label"), *_SHARE),
        "count",
        "Children",
    ),
    "participation_by_code": BreakdownView(
        "Reviews in the year by participation code",
        (Col("code", "Code", "label"), Col("label", "Meaning", "label"), *_SHARE),
        "count",
        "Reviews",
    ),
    "participation_by_age_band": BreakdownView(
        "Review participation by age at the review",
        (
            Col("age_band", "Age", "label"),
            Col("reviews", "Reviews"),
            Col("eligible", "Coded PN1 to PN7"),
            Col("participated", "Participated"),
            Col(
                "participated_percent",
                "Participation",
                "percent",
                base="participated",
                den="eligible",
            ),
        ),
    ),
    "cp_by_category": BreakdownView(
        "Child protection plans open at 31 March by category of abuse",
        (Col("label", "Category", "label"), *_SHARE),
        "count",
        "Plans",
    ),
    "drp_by_theme": BreakdownView(
        "Disputes raised in the year by theme",
        (Col("label", "Theme", "label"), *_SHARE),
        "count",
        "Disputes",
    ),
    "drp_by_stage": BreakdownView(
        "Disputes raised in the year by highest stage reached",
        (Col("label", "Highest stage", "label"), *_SHARE),
    ),
    "meetings_by_type": BreakdownView(
        "Meetings held in the year by type",
        (
            Col("label", "Meeting", "label"),
            Col("held", "Held"),
            Col("rearranged", "Rearranged"),
            Col("rearranged_percent", "Rearranged %", "percent", base="rearranged", den="held"),
            Col("pre_meeting_visit", "Pre-meeting visit"),
            Col(
                "pre_meeting_visit_percent",
                "Pre-meeting visit %",
                "percent",
                base="pre_meeting_visit",
                den="held",
            ),
            Col("advocacy", "Advocate involved"),
            Col("advocacy_percent", "Advocate involved %", "percent", base="advocacy", den="held"),
        ),
    ),
    "rearranged_by_reason": BreakdownView(
        "Rearranged meetings by reason",
        (Col("label", "Reason", "label"), *_SHARE),
        "count",
        "Meetings",
    ),
    "drp_by_outcome": BreakdownView(
        "Disputes resolved in the year by outcome",
        (Col("label", "Outcome", "label"), *_SHARE),
    ),
    "feedback_by_respondent": BreakdownView(
        "Feedback received in the year by respondent",
        (
            Col("label", "Respondent", "label"),
            Col("count", "Responses"),
            Col("percent", "Share of responses", "percent", base="count"),
            Col("rated", "With a rating"),
            Col("positive", "Rated 4 or 5"),
            Col("positive_percent", "Rated 4 or 5 %", "percent", base="positive", den="rated"),
        ),
    ),
    "footprints_by_type": BreakdownView(
        "Oversight recorded between meetings by type",
        (Col("label", "Oversight", "label"), *_SHARE),
    ),
    # No IRO is shown one by one (no per-person FTE or caseload): IROs are counted in bands,
    # a staff count published as it is but for 1 or 2 ("fewer than 3"); CP children are
    # children's counts under the usual rule, hidden with a band of fewer than 3 IROs.
    "caseload_bands": BreakdownView(
        "IROs in post at 31 March by looked-after children per full-time equivalent",
        (
            Col("band", "Looked-after children per full-time equivalent", "label"),
            Col("iros", "IROs", "staff"),
            Col("cp_children", "Children on a child protection plan", hide_with="iros"),
        ),
    ),
}


def breakdown_mask(df: pd.DataFrame, view: BreakdownView, threshold: int) -> pd.DataFrame:
    """Which count cells of a breakdown show as "c" (True): `suppression.disclosure_mask`
    over the view's count columns, each column's total taken as published.

    Most count columns add up to a headline the report prints (children looked after at
    31 March, reviews held, plans open at 31 March, disputes raised, meetings held; the
    rearranged, visited and advocacy meetings as printed percentages of meetings held);
    the others' totals can be found elsewhere (IROs in post), so every one is protected.
    A count with `hide_with` is hidden where that count is (or, for a staff count, where it
    reads "fewer than 3"), then the rule runs again. Staff counts are never masked.
    """
    from iro_analysis.report.suppression import disclosure_mask, few_staff

    names = [c.name for c in view.columns if c.kind == "count" and c.name in df.columns]
    staff = {
        c.name: few_staff(df[c.name])
        for c in view.columns
        if c.kind == "staff" and c.name in df.columns
    }
    counts = df[names]
    if not names:  # staff counts only (the caseload bands without the CIN census)
        return pd.DataFrame(index=df.index)
    linked = [
        (c.name, c.hide_with)
        for c in view.columns
        if c.name in names and c.hide_with in {*names, *staff}
    ]
    mask = disclosure_mask(counts, threshold, row_totals=view.row_totals)
    while linked:
        hide = mask.copy()
        for name, other in linked:
            hide[name] = hide[name] | (mask[other] if other in mask else staff[other])
        again = disclosure_mask(counts, threshold, row_totals=view.row_totals, hide=hide)
        if again.equals(mask):
            break
        mask = again
    return mask


def display_breakdown(df: pd.DataFrame, view: BreakdownView, threshold: int) -> pd.DataFrame:
    """The breakdown as shown: hidden counts (`breakdown_mask`) and every percentage or
    ratio built on a hidden count, as numerator or denominator, as "c". A view column the
    frame does not have (its input was not supplied) is left out."""
    from iro_analysis.report.suppression import (
        SUPPRESSED,
        format_count,
        format_percent,
        format_staff,
    )

    mask = breakdown_mask(df, view, threshold)

    def hidden(col: str | None) -> pd.Series:
        if col is None or col not in mask:
            return pd.Series(False, index=df.index)
        return mask[col]

    out = {}
    for c in view.columns:
        if c.name not in df.columns:
            continue
        v = df[c.name]
        if c.kind == "label":
            out[c.header] = v.astype(str).tolist()
            continue
        if c.kind == "count":
            hide, fmt = hidden(c.name), format_count
        elif c.kind == "staff":
            hide, fmt = pd.Series(False, index=df.index), format_staff
        elif c.kind == "percent":
            hide, fmt = hidden(c.base) | hidden(c.den), format_percent
        elif c.kind == "ratio":
            hide = hidden(c.base) | hidden(c.den)
            fmt = lambda x: "" if pd.isna(x) else f"{float(x):.1f}"  # noqa: E731
        else:  # "number"
            hide, fmt = (
                pd.Series(False, index=df.index),
                (lambda x: "" if pd.isna(x) else f"{float(x):.1f}"),
            )
        out[c.header] = [
            SUPPRESSED if h else fmt(x) for x, h in zip(v.tolist(), hide.tolist(), strict=True)
        ]
    return pd.DataFrame(out)


def breakdown_block(ctx: ReportContext, name: str, chart: bool = True) -> Markup:
    """A breakdown (from `kpis.compute_breakdowns`) as a table and, where useful, a bar chart.

    Disclosure control (`display_breakdown`): counts from 1 to the settings' threshold, the
    counts hidden so that those cannot be worked out from a total, and percentages or
    ratios built on them, are shown as "c" in the table, the chart labels and the alt text.
    """
    from iro_analysis.report import html, plots
    from iro_analysis.report.suppression import SUPPRESSED

    view = BREAKDOWNS[name]
    df = ctx.breakdowns.get(name)
    if df is None:
        return html.notice(
            "Not supplied.",
            f"The data for {view.caption.lower()} was not supplied for {ctx.year.label}.",
        )
    if view.prepare is not None:
        df = view.prepare(df)
    if df.empty:
        return html.paragraph(f"{view.caption}: no cases in {ctx.year.label}.")
    display = display_breakdown(df, view, ctx.settings.suppression_threshold)
    if not (chart and view.chart):
        return html.table(display, view.caption)
    label = next(c.header for c in view.columns if c.kind == "label" and c.name != "code")
    header = next(c.header for c in view.columns if c.name == view.chart)
    texts = display[header].tolist()
    values = [
        0 if t == SUPPRESSED else v for t, v in zip(texts, df[view.chart].tolist(), strict=True)
    ]
    plot_df = pd.DataFrame({label: display[label], view.chart: values})
    shown = [
        (lab, t, v)
        for lab, t, v in zip(plot_df[label], texts, values, strict=True)
        if t != SUPPRESSED
    ]
    alt = f"Bar chart of {view.caption[0].lower() + view.caption[1:]}."
    if shown and max(v for _, _, v in shown) > 0:
        top = max(shown, key=lambda x: x[2])
        alt += f" The largest group is {top[0]} ({top[1]})."
    if SUPPRESSED in texts:
        alt += (
            f" Groups of 1 to {ctx.settings.suppression_threshold}, and groups that would reveal "
            "them, are suppressed (shown as c)."
        )
    if view.band is not None:
        alt += f" The shaded band marks the {view.band[2][0].lower() + view.band[2][1:]}."
    c = plots.bar_chart(
        plot_df,
        label,
        view.chart,
        view.value_label,
        alt,
        view.caption,
        value_text=texts,
        band=view.band,
        cache_dir=ctx.chart_cache,
    )
    return html.figure(c, display)  # the figure carries the table as the data behind it
