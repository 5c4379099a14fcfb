"""The summary for the Corporate Parenting Panel: what is working well, what the service is
worried about, what the Panel is asked to do, the headline measures and the key messages.

"Working well" and "worried about" are built from the ratings of every rated measure (GREEN;
RED and a missed target), the demand rates far from England's and large workforce moves,
and the standards the figures breach (IROs above the IRO Handbook's caseload, overdue
reviews and disputes), then completed by the analysts' narrative (headings
"## What is working well", "## What we are worried about" and "## Recommendation" in
`reports/narrative/<YEAR>.md`). Without ratings, "working well" lists the headline rates
that did not fall and are not below England, and "worried about" the areas for attention.
"""

from __future__ import annotations

from markupsafe import Markup

from iro_analysis.kpis.definitions import CHILD_POPULATION_PER, FAMILY_WORKFORCE
from iro_analysis.report import html
from iro_analysis.report.catalogue import SECTIONS
from iro_analysis.report.context import ReportContext
from iro_analysis.report.format import kpi_text, safe_markdown, year_label
from iro_analysis.report.ratings import (
    INCOMPLETE_MARK,
    LAST_YEAR_NOTE,
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
        parts.append(f"; {r.short_basis}")
    if extra:
        parts.append(f"; {extra}")
    parts.append(")")
    return html.join(parts)


def rated(ctx: ReportContext) -> bool:
    """Whether the KPI rows carry ratings at all."""
    h = ctx.history
    return "rating" in h and h.loc[h["year"] == ctx.year.year, "rating"].notna().any()


def standards_breached(ctx: ReportContext) -> list[str]:
    """What the figures say is wrong whatever the ratings: IROs carrying more than the IRO
    Handbook's 70 looked-after children per full-time IRO (told by IRO, with the service's
    average and the child protection load beside it, never from the average alone),
    reviews overdue and disputes open too long at 31 March."""
    points = []
    above = ctx.value("iros_above_handbook_caseload")
    caseload = ctx.value("cla_caseload_per_iro_fte")
    cp = ctx.value("cp_caseload_per_iro_fte")
    beside = (
        f"; IROs also carry {cp:.1f} children on a child protection plan per full-time IRO"
        if cp is not None
        else ""
    )
    if above:
        n = int(above)
        average = f" (the service's average is {caseload:.1f})" if caseload is not None else ""
        points.append(
            f"{n:,} {'IRO carries' if n == 1 else 'IROs carry'} more than the IRO Handbook's "
            f"70 looked-after children per full-time IRO{average}{beside}."
        )
    elif above is None and caseload is not None and caseload > 70:
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


# A demand rate this far from England's (a share of England's figure) is named in the
# summary: context for the Panel, neither better nor worse (it is not rated).
DEMAND_GAP = 0.25
# A workforce measure that moved this far since last year (a share of last year's figure)
# is named, significant or not: a small team's figures move a lot on one person.
WORKFORCE_MOVE = 0.5
SUMMARY_GOOD_ITEMS = 8  # "working well" names at most this many; the sections list the rest


def by_importance(ctx: ReportContext, ids: list[str]) -> list[str]:
    """Headline measures first, then the others, each in the report's section order."""
    order = {s.key: i for i, s in enumerate(SECTIONS)}

    def key(k: str) -> tuple[int, int]:
        d = ctx.definitions[k]
        return (0 if getattr(d, "headline", False) else 1, order.get(d.section, 99))

    return sorted(ids, key=key)


def rated_measures(ctx: ReportContext, *codes: str) -> list[str]:
    """Every measure of the year with a value rated one of `codes` (not only headline
    ones), by importance."""
    ids = [k for k in ctx.definitions if ctx.has(k) and ctx.value(k) is not None]
    return by_importance(ctx, [k for k in ids if rating(ctx, k).code in codes])


def context_points(ctx: ReportContext) -> list[object]:
    """What matters that no rating says: demand rates far from England's (children entering
    care, looked after, on a plan per 10,000) and large moves in the IRO workforce."""
    from iro_analysis.report.narrative import format_value

    points: list[object] = []
    for k, d in ctx.definitions.items():
        cur, nat = ctx.value(k), england(ctx, k)
        if d.per != CHILD_POPULATION_PER or cur is None or not nat:
            continue
        if abs(cur - nat) > DEMAND_GAP * nat:
            side = "above" if cur > nat else "below"
            points.append(
                f"{ctx.title(k)}: {format_value(cur, d.unit)}, {side} England's "
                f"{format_value(nat, d.unit)}."
            )
    for k, d in ctx.definitions.items():
        prev = comparable_previous(ctx, k) if d.family == FAMILY_WORKFORCE else None
        if prev is None or rating(ctx, k).code in ("RED", "GREEN"):
            continue  # a rated move is named with the concerns or what works already
        cur, before = ctx.value(k), ctx.value(k, prev)
        if before and abs(cur - before) > WORKFORCE_MOVE * abs(before):
            moved = "rose" if cur > before else "fell"
            points.append(
                f"{ctx.phrase(k)} {moved} to {format_value(cur, d.unit)} from "
                f"{format_value(before, d.unit)} in {year_label(prev)} "
                f"({rating(ctx, k).short_basis or 'not rated'})."
            )
    return points


def well_and_worried(ctx: ReportContext) -> tuple[list[object], list[object]]:
    """The summary's two lists (items are text or Markup), found from every rated measure,
    not only the headline ones: "worried" names each measure rated a concern (RED) and
    each that missed the council's target, then the demand and workforce context and the
    standards breached; "working well" names the measures rated good (GREEN), the most
    important first. A measure that did not change significantly (AMBER) is in neither."""
    well: list[object] = []
    worried: list[object] = []
    if rated(ctx):
        good = rated_measures(ctx, "GREEN")
        well = [_item(ctx, k) for k in good[:SUMMARY_GOOD_ITEMS]]
        if len(good) > SUMMARY_GOOD_ITEMS:
            more = len(good) - SUMMARY_GOOD_ITEMS
            well.append(
                f"{more} more {'measure is' if more == 1 else 'measures are'} rated good; "
                "the sections show them."
            )
        worried = [_item(ctx, k) for k in rated_measures(ctx, "RED")]
        worried += [
            _item(ctx, k)
            for k in rated_measures(ctx, "AMBER")
            if rating(ctx, k).basis.startswith("target")
        ]
        return well, worried + context_points(ctx) + standards_breached(ctx)
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
                r.short_basis,
            ]
        )
    table = html.raw_table(
        ["Measure", ctx.year.label, f"Change since {prev}", "England", "Rating", "Rated on"],
        rows,
        f"Headline measures, {ctx.year.label}",
        css="data headline",
    )
    note = incomplete_note(ctx, ids, {ctx.year.year, ctx.year.year - 1})
    notes = [html.paragraph(LAST_YEAR_NOTE)] + ([html.paragraph(note)] if note else [])
    return html.join([table, *notes])


def key_messages(ctx: ReportContext) -> Markup:
    """One generated sentence per key message, changes only between comparable years."""
    from iro_analysis.report.narrative import KEY_MESSAGES, missing_sentence, sentence

    items = []
    for m in KEY_MESSAGES:
        if m.kpi_id not in ctx.definitions:
            continue
        if not ctx.has(m.kpi_id):
            items.append(
                missing_sentence(
                    ctx.phrase(m.kpi_id), ctx.year.label, "its data was not among this year's files"
                )
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
        well_none="No measure is rated good this year.",
        worried_none="No measure is rated a concern and none missed its target, and no "
        "standard is breached.",
        well_text=md("What is working well"),
        worried_text=md("What we are worried about"),
        recommendation=md("Recommendation"),
        missing=html.paragraph("No recommendation is included in this report."),
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
