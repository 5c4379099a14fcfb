"""The summary for the Corporate Parenting Panel: what is working well, what the service is
worried about, what the Panel is asked to do, the headline measures and the key messages.

"Working well" and "worried about" are built from the KPI ratings (GREEN; AMBER and RED)
and from the standards the figures breach (caseloads above the IRO Handbook's band,
overdue reviews and disputes), then completed by the analysts' narrative (headings
"## What is working well", "## What we are worried about" and "## Recommendation" in
`reports/narrative/<YEAR>.md`). Without ratings, "working well" lists the headline rates
that did not fall and are not below England, and "worried about" the areas for attention.
"""

from __future__ import annotations

from markupsafe import Markup

from iro_analysis.report import html
from iro_analysis.report.catalogue import SECTIONS
from iro_analysis.report.context import ReportContext
from iro_analysis.report.format import kpi_text, safe_markdown, year_label
from iro_analysis.report.ratings import (
    INCOMPLETE_MARK,
    Rating,
    change_text,
    comparable_previous,
    england,
    incomplete_note,
    incomplete_years,
    rating,
)
from iro_analysis.report.templating import macro, render


def headline_kpis(ctx: ReportContext) -> list[str]:
    """The headline measures (registered `headline=True`), in the report's section order."""
    order = {s.key: i for i, s in enumerate(SECTIONS)}
    ids = [k for k, d in ctx.definitions.items() if getattr(d, "headline", False)]
    return sorted(ids, key=lambda k: order.get(getattr(ctx.definitions[k], "section", ""), 99))


def rating_span(r: Rating) -> Markup:
    """A rating in words and a symbol, coloured by its class (`macros.rating`)."""
    return macro("rating")(r.css, r.symbol, r.label)


def _item(ctx: ReportContext, kpi_id: str, extra: str = "") -> Markup:
    """ "Measure: figure (rating; basis)" with the figure tagged as the KPI."""
    r = rating(ctx, kpi_id)
    text = kpi_text(ctx, kpi_id, ctx.value(kpi_id)) or "no cases"
    parts: list[object] = [ctx.phrase(kpi_id), ": ", html.kpi_span(kpi_id, text)]
    if ctx.year.year in incomplete_years(ctx, kpi_id):
        parts.append(f" {INCOMPLETE_MARK}")
    parts += [" (", rating_span(r)]
    if r.basis:
        parts.append(f"; {r.basis}")
    if extra:
        parts.append(f"; {extra}")
    parts.append(")")
    return html.join(parts)


def rated(ctx: ReportContext) -> bool:
    """Whether the KPI rows carry ratings at all."""
    h = ctx.history
    return "rating" in h and h.loc[h["year"] == ctx.year.year, "rating"].notna().any()


def standards_breached(ctx: ReportContext) -> list[str]:
    """What the figures say is wrong whatever the ratings: looked-after caseloads above the
    IRO Handbook's 50 to 70, reviews overdue and disputes open too long at 31 March."""
    points = []
    caseload = ctx.value("cla_caseload_per_iro_fte")
    if caseload is not None and caseload > 70:
        cp = ctx.value("cp_caseload_per_iro_fte")
        beside = (
            f"; IROs also carry {cp:.1f} children on a child protection plan per full-time IRO"
            if cp is not None
            else ""
        )
        points.append(
            f"Looked-after caseloads are above the IRO Handbook's 50 to 70: {caseload:.1f} "
            f"looked-after children per full-time IRO{beside}."
        )
    for k, text in (
        (
            "cla_reviews_overdue_at_31_march",
            "children had a looked-after review overdue at 31 March",
        ),
        (
            "drp_open_overdue_at_31_march",
            "disputes had been open for more than 20 working days at 31 March",
        ),
    ):
        v = ctx.value(k)
        if v:
            points.append(f"{int(v):,} {text}.")
    return points


def well_and_worried(ctx: ReportContext) -> tuple[list[object], list[object]]:
    """The summary's two lists (items are text or Markup)."""

    well: list[object] = []
    worried: list[object] = []
    if rated(ctx):
        for k in headline_kpis(ctx):
            if not ctx.has(k):
                continue
            code = rating(ctx, k).code
            if code == "GREEN":
                well.append(_item(ctx, k))
            elif code in ("RED", "AMBER"):
                worried.append(_item(ctx, k))
        return well, worried + standards_breached(ctx)
    for k in headline_kpis(ctx):
        d = ctx.definitions.get(k)
        cur = ctx.value(k)
        if cur is None or getattr(d, "direction", None) is not True:
            continue
        prev = comparable_previous(ctx, k)
        nat = england(ctx, k)
        fell = prev is not None and round(cur, 1) < round(ctx.value(k, prev), 1)
        below = nat is not None and round(cur, 1) < round(nat, 1)
        if not fell and not below and (prev is not None or nat is not None):
            why = "at or above England" if nat is not None else "no lower than last year"
            well.append(_item(ctx, k, why))
    return well, list(attention_points(ctx))


def headline_table(ctx: ReportContext) -> Markup:
    """Each headline measure: its value, change since last year, England and rating."""
    prev = year_label(ctx.year.year - 1)
    rows = []
    ids = headline_kpis(ctx)
    for k in ids:
        if not ctx.has(k):
            rows.append([ctx.title(k), "not supplied", "", "", rating_span(rating(ctx, k)), ""])
            continue
        text = kpi_text(ctx, k, ctx.value(k)) or "no cases"
        mark = f" {INCOMPLETE_MARK}" if ctx.year.year in incomplete_years(ctx, k) else ""
        nat = england(ctx, k)
        r = rating(ctx, k)
        rows.append(
            [
                ctx.title(k),
                html.join([html.kpi_span(k, text), mark]),
                change_text(ctx, k),
                "" if nat is None else kpi_text(ctx, k, nat),
                rating_span(r),
                r.basis,
            ]
        )
    table = html.raw_table(
        ["Measure", ctx.year.label, f"Change since {prev}", "England", "Rating", "Rated on"],
        rows,
        f"Headline measures, {ctx.year.label}",
        css="data headline",
    )
    note = incomplete_note(ctx, ids, {ctx.year.year, ctx.year.year - 1})
    return html.join([table, html.paragraph(note)]) if note else table


def key_messages(ctx: ReportContext) -> Markup:
    """One generated sentence per key message, changes only between comparable years."""
    from iro_analysis.report.narrative import KEY_MESSAGES, missing_sentence, sentence

    items = []
    for m in KEY_MESSAGES:
        if m.kpi_id not in ctx.definitions:
            continue
        if not ctx.has(m.kpi_id):
            items.append(
                missing_sentence(ctx.phrase(m.kpi_id), ctx.year.label, "its data was not supplied")
            )
            continue
        prev = comparable_previous(ctx, m.kpi_id)
        s = sentence(
            m,
            ctx.value(m.kpi_id),
            ctx.value(m.kpi_id, prev) if prev else None,
            year_label(prev) if prev else None,
            england(ctx, m.kpi_id) if m.has_england else None,
        )
        items.append(
            s
            or missing_sentence(
                ctx.phrase(m.kpi_id), ctx.year.label, "there were no cases to measure"
            )
        )
    return html.bullet_list(items, css="key-messages")


def section_summary(ctx: ReportContext) -> Markup:
    """The summary (`summary.html.j2`); also checks the narrative against the figures."""
    from iro_analysis.report.claims import warn_contradictions

    warn_contradictions(ctx)
    well, worried = well_and_worried(ctx)
    n = ctx.narrative

    def md(heading: str) -> Markup:
        return safe_markdown(n[heading]) if n.get(heading) else Markup()

    return render(
        "summary.html.j2",
        well=well,
        worried=worried,
        well_none="No headline measure is rated good this year.",
        worried_none="No headline measure is rated a concern or one to watch, and no standard "
        "is breached.",
        well_text=md("What is working well"),
        worried_text=md("What we are worried about"),
        recommendation=md("Recommendation"),
        missing=html.notice(
            "For the service to complete.",
            f"The recommendation to the Panel goes in the narrative for {ctx.year.label} under "
            "the heading \u201cRecommendation\u201d.",
        ),
        intro="Each headline measure with its change since last year, England's figure where "
        "one is published, and its rating. A rating is shown in words and a symbol as well as "
        "colour: \u2713 Good (GREEN), ! Watch (AMBER), \u2717 Concern (RED).",
        headline=headline_table(ctx),
        key_messages=key_messages(ctx),
        commentary=md("Key messages"),
    )


def attention_points(ctx: ReportContext) -> list[str]:
    """Data-driven areas for attention: rates that fell since a comparable year or sit below
    England, and the standards breached (`summary.standards_breached`: looked-after
    caseloads above the IRO Handbook's 50 to 70, overdue reviews and disputes)."""
    from iro_analysis.report.narrative import KEY_MESSAGES, format_value

    points = []
    for m in KEY_MESSAGES:
        cur = ctx.value(m.kpi_id)
        if cur is None or m.higher_is_better is None:
            continue
        # worse: lower when higher is better, higher when lower is better
        sign = 1 if m.higher_is_better else -1
        prev = comparable_previous(ctx, m.kpi_id)
        before = ctx.value(m.kpi_id, prev) if prev else None
        if before is not None and sign * round(cur, 1) < sign * round(before, 1):
            moved = "fell" if cur < before else "rose"
            points.append(
                f"{ctx.phrase(m.kpi_id)} {moved} to {format_value(cur, m.unit)} from {format_value(before, m.unit)} "
                f"in {year_label(prev)}."
            )
        nat = england(ctx, m.kpi_id)
        if nat is not None and sign * round(cur, 1) < sign * round(nat, 1):
            side = "below" if cur < nat else "above"
            points.append(
                f"{ctx.phrase(m.kpi_id)} ({format_value(cur, m.unit)}) is {side} England ({format_value(nat, m.unit)})."
            )
    return points + standards_breached(ctx)
