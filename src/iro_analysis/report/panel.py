"""The sections the Corporate Parenting Panel asked for beyond the statutory measures:
the voice of children and families (feedback and approved quotes), IRO oversight and
challenge, and progress against last year's priorities.

Quotes are data from outside: only those the service marked publishable
(`quote_publishable`), only for a respondent group whose responses in the year are more
than the suppression threshold (a group the report shows a count for), never with a name,
date or identifier beside them, and only through the autoescaping templates.
"""

from __future__ import annotations

import re

import pandas as pd
from markupsafe import Markup

from iro_analysis.report import html
from iro_analysis.report.body import section_body
from iro_analysis.report.catalogue import SECTION_BY_KEY
from iro_analysis.report.context import ReportContext
from iro_analysis.report.figures import kpi_table
from iro_analysis.report.templating import macro

PROGRESS_HEADING = "Progress against last year's priorities"
RESPONDENTS = {
    "CHILD": "Children and young people",
    "PARENT": "Parents",
    "CARER": "Carers",
    "PROFESSIONAL": "Professionals",
}
QUOTES_PER_GROUP = 3
_STATUS = {"Met": "\u2713 Met", "Partly met": "\u25d0 Partly met", "Not met": "\u2717 Not met"}


def per_code_table(ctx: ReportContext, section_key: str, caption: str) -> Markup:
    """The section's per-code KPIs (e.g. feedback by respondent) as one table, each shown
    as the appendix and the published kpis.csv show it (c where those hide it)."""
    from iro_analysis.report.annex import appendix_value

    rows = []
    for row in ctx.kpis.itertuples(index=False):
        d = ctx.definitions.get(row.kpi_id)
        if getattr(d, "section", "") == section_key and getattr(d, "pattern", ""):
            text = appendix_value(ctx, row.kpi_id, row.value, d)
            rows.append([ctx.title(row.kpi_id), html.kpi_span(row.kpi_id, text)])
    if not rows:
        return Markup()
    return html.raw_table(["Measure", ctx.year.label], rows, caption)


def publishable_quotes(ctx: ReportContext) -> dict[str, list[str]]:
    """Respondent group label -> its approved quotes of the year (at most
    QUOTES_PER_GROUP, in the extract's order), for groups with more responses in the year
    than the suppression threshold. Nothing but the quote's text is kept. Each group shows
    only its own respondents' quotes, and a quote appears once in the report: a repeat
    within a group is dropped, and a text another group already shows (groups in
    RESPONDENTS order) is left out of the later one."""
    tables = getattr(ctx.dataset, "tables", None) or {}
    fb = tables.get("feedback")
    if fb is None or not {"quote", "quote_publishable", "respondent"} <= set(fb.columns):
        return {}
    if "response_date" in fb:
        when = pd.to_datetime(fb["response_date"], errors="coerce")
        fb = fb[(when >= ctx.year.start) & (when <= ctx.year.end)]
    flag = fb["quote_publishable"]
    ok = flag.astype(str).str.upper().isin(["TRUE", "Y", "1"]) if flag.dtype != bool else flag
    out: dict[str, list[str]] = {}
    threshold = ctx.settings.suppression_threshold
    order = list(RESPONDENTS)
    groups = sorted(
        fb.groupby(fb["respondent"].astype(str).str.strip().str.upper(), sort=False),
        key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order),
    )
    seen: set[str] = set()  # a quote's text, compared without case or spacing
    for code, group in groups:
        if len(group) <= threshold:
            continue
        quotes = []
        for q, good in zip(group["quote"], ok.loc[group.index], strict=True):
            text = " ".join(str(q).split()) if isinstance(q, str) else ""
            if bool(good) and text and text.casefold() not in seen:
                seen.add(text.casefold())
                quotes.append(text)
            if len(quotes) == QUOTES_PER_GROUP:
                break
        if quotes:
            out[RESPONDENTS.get(code, code.capitalize())] = quotes
    return out


def _quotes(ctx: ReportContext) -> Markup:
    quotes = publishable_quotes(ctx)
    parts = [html.subheading("In their own words")]
    if not quotes:
        parts.append(
            html.paragraph(
                "No quotes are published for this year: none was approved for publication, or "
                "no group of respondents was large enough to quote without identifying anyone."
            )
        )
        return html.join(parts)
    parts.append(
        html.paragraph(
            "Quotes the service approved for publication, chosen to show the range of views, "
            "with nothing beside them that could identify anyone."
        )
    )
    for label, items in quotes.items():
        parts.append(macro("subsubheading")(label))
        parts.extend(macro("quote")(q) for q in items)
    return html.join(parts)


def section_voice(ctx: ReportContext) -> Markup:

    section = SECTION_BY_KEY["voice"]
    parts = [section_body(ctx, section)]
    by_respondent = Markup()
    if "feedback_by_respondent" not in ctx.breakdowns:  # else shown as the section's breakdown
        by_respondent = per_code_table(ctx, "voice", "Feedback in the year by respondent")
    if by_respondent:
        parts += [html.subheading("By respondent"), by_respondent]
    parts.append(_quotes(ctx))
    return html.join(parts)


# Oversight the IRO service records elsewhere in the report, shown again beside the
# midway checks: visits before meetings and challenge through disputes.
OVERSIGHT_ALSO = (
    "pre_meeting_visit_pct",
    "drp_raised",
    "drp_raised_per_100_cla",
    "drp_outcome_plan_changed_pct",
)


def section_oversight(ctx: ReportContext) -> Markup:

    parts = [section_body(ctx, SECTION_BY_KEY["oversight"])]
    also = tuple(k for k in OVERSIGHT_ALSO if k in ctx.definitions)
    if also:
        parts += [
            html.subheading("Visits before meetings and challenge"),
            html.paragraph(
                "IROs see the child before the meeting and challenge the plan when it drifts; "
                "challenge that the social worker or team manager does not resolve becomes a "
                "dispute (see the dispute resolution section)."
            ),
            kpi_table(ctx, also, "Visits before meetings and challenge through disputes"),
        ]
    return html.join(parts)


def _fallback_progress(text: str) -> list[tuple[str, str]]:
    """The list items of the progress section as (status, text), when the KPI package's
    parser is not installed: "- Met: text", "- **Partly met**: text"..."""
    out = []
    for line in text.splitlines():
        m = re.match(
            r"^\s*[-*+]\s+\**\s*(Met|Partly met|Not met)\s*\**\s*[:\u2013\u2014-]\s*(.+)$",
            line,
            re.I,
        )
        if m:
            status = next(s for s in _STATUS if s.lower() == m.group(1).lower())
            out.append((status, m.group(2).strip()))
    return out


def progress_items(ctx: ReportContext) -> list[tuple[str, str]] | None:
    """Last year's priorities and how far each was met, from the narrative; None when the
    narrative has no progress section."""
    body = ctx.narrative.get(PROGRESS_HEADING)
    if not body:
        return None
    text = f"## {PROGRESS_HEADING}\n\n{body}\n"
    try:
        from iro_analysis.kpis.priorities import parse_progress
    except ImportError:
        return _fallback_progress(text)
    return [(str(s), str(t)) for s, t in parse_progress(text)]


def section_progress(ctx: ReportContext) -> Markup:
    items = progress_items(ctx)
    parts = []
    if items is None:  # neutral, never an instruction (README: the narrative's headings)
        parts.append(
            html.paragraph(
                f"The IRO service has not reported its progress against last year's priorities "
                f"for {ctx.year.label}."
            )
        )
    elif items:
        met = sum(s == "Met" for s, _ in items)
        parts.append(
            html.paragraph(f"{met} of {len(items)} of last year's priorities were met in full.")
        )
        rows = [[text, _STATUS.get(status, status)] for status, text in items]
        parts.append(
            html.raw_table(["Priority", "Progress"], rows, "Last year's priorities", "data text")
        )
    ids = SECTION_BY_KEY["progress"].kpis
    if ids:
        parts.append(kpi_table(ctx, ids, "Priorities met"))
    return html.join(parts)
