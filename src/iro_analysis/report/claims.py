"""The narrative check against the figures: a sentence that quotes a range or threshold the
figures contradict is a warning (the analyst's text is theirs to correct, not ours).

Checked, in the analysts' text after its placeholders are filled:

- the IRO Handbook's caseload band: "within / above / below 50 to 70" against
  `cla_caseload_per_iro_fte` (looked-after children per full-time IRO: the band is for
  looked-after children, never for looked-after and child protection together);
- thresholds of on-time and other rates: "over / more than / above / at least / below /
  under / less than N%" in a sentence about reviews, initial or review conferences,
  disputes, midway checks, attendance or participation, against that rate;
- universal claims: "every" or "all" children, reviews or conferences on time or chaired,
  against the overdue reviews and the on-time rates.

A sentence about the future ("will", "aim", "bring", "target", "plan") states an intention,
not a figure, and is not checked.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping

from iro_analysis.report.narrative import SUMMARY_HEADINGS


class NarrativeWarning(UserWarning):
    """A narrative sentence that the figures contradict."""


_FUTURE = re.compile(
    r"\b(will|would|aim|aims|bring|target|plan to|plans to|priority|should|by next)\b", re.I
)
_BAND = re.compile(r"\b50\s*(?:to|-|\u2013|and)\s*70\b")
# "more than", and "more <up to two words> than" ("fewer children than the Handbook's ...").
_ABOVE = re.compile(
    r"\b(above|over|exceed\w*|higher than|beyond|more\s+(?:[\w-]+\s+){0,2}?than)\b", re.I
)
_BELOW = re.compile(r"\b(below|under|lower than|(?:fewer|less)\s+(?:[\w-]+\s+){0,2}?than)\b", re.I)
_WITHIN = re.compile(r"\b(within|in line with|inside|in the range|meets?|met)\b", re.I)
_THRESHOLD = re.compile(
    r"\b(over|more than|above|exceeding|at least|under|below|less than|fewer than)\s+"
    r"(\d+(?:\.\d+)?)\s*(?:%|per ?cent)",
    re.I,
)
_ALL = re.compile(
    r"\b(every|all)\s+(?:of\s+(?:the|our)\s+)?(?:[\w-]+\s+)?"
    r"(child|children|reviews?|conferences?|disputes?)\b",
    re.I,
)
_DONE = re.compile(r"\b(on time|in time|within|chaired|held|reviewed|resolved)\b", re.I)

# The rate a sentence is about, from its words (first match wins).
_SUBJECTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\binitial\b.*\bconference|\bICPCs?\b", re.I), "icpc_within_15wd_pct"),
    (re.compile(r"review (child protection )?conference|\bRCPCs?\b", re.I), "rcpc_on_time_pct"),
    (re.compile(r"\bdisputes?\b", re.I), "drp_resolved_within_20wd_pct"),
    (re.compile(r"\bmidway\b", re.I), "midway_checks_pct"),
    (re.compile(r"\battend", re.I), "cla_review_attendance_pct"),
    (re.compile(r"\bparticipat", re.I), "cla_participation_pct"),
    (
        re.compile(r"\breviews?\b.*\b(on time|in time|timescales?)\b", re.I),
        "cla_reviews_on_time_pct",
    ),
)


def sentences(text: str) -> list[str]:
    """The sentences of a Markdown section (list items are sentences of their own)."""
    text = re.sub(r"^\s*(?:[-*+]|\d+\.)\s+", "\n\n", text, flags=re.MULTILINE)
    text = re.sub(r"[*_`]", "", text)
    out = []
    for para in re.split(r"\n\s*\n", text):
        for s in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9])", " ".join(para.split())):
            if s.strip():
                out.append(s.strip())
    return out


def _band(v: float) -> str:
    return "within" if 50 <= v <= 70 else ("above" if v > 70 else "below")


def _breaks(op: str, limit: float, value: float) -> bool:
    op = op.lower()
    if op in ("over", "more than", "above", "exceeding"):
        return not value > limit
    if op == "at least":
        return not value >= limit
    return not value < limit  # under, below, less than, fewer than


def _subject(s: str) -> str | None:
    return next((kpi for pattern, kpi in _SUBJECTS if pattern.search(s)), None)


def _check(s: str, values: Mapping[str, float | None]) -> list[str]:
    out: list[str] = []
    caseload = values.get("cla_caseload_per_iro_fte")
    if _BAND.search(s) and caseload is not None:
        claim = (
            "above"
            if _ABOVE.search(s)
            else "below"
            if _BELOW.search(s)
            else "within"
            if _WITHIN.search(s)
            else None
        )
        if claim is not None and claim != _band(caseload):
            out.append(
                f"says caseloads are {claim} the IRO Handbook's 50 to 70, but looked-after "
                f"children per full-time IRO is {caseload:.1f} ({_band(caseload)} the range)"
            )
    kpi = _subject(s)
    value = values.get(kpi) if kpi else None
    for m in _THRESHOLD.finditer(s):
        if value is not None and _breaks(m.group(1), float(m.group(2)), value):
            out.append(f"says {m.group(1)} {m.group(2)}%, but {kpi} is {value:.1f}%")
    if _ALL.search(s) and _DONE.search(s):
        overdue = values.get("cla_reviews_overdue_at_31_march")
        about_reviews = re.search(r"\breview", s, re.I) and re.search(r"\bchild", s, re.I)
        if about_reviews and kpi in (None, "cla_reviews_on_time_pct") and overdue:
            out.append(
                f"claims every child or review, but {int(overdue):,} children had a review "
                "overdue at 31 March"
            )
        elif value is not None and value < 100 and kpi in _ON_TIME:
            out.append(f"claims all or every, but {kpi} is {value:.1f}%")
    return out


_ON_TIME = {
    "cla_reviews_on_time_pct",
    "icpc_within_15wd_pct",
    "rcpc_on_time_pct",
    "drp_resolved_within_20wd_pct",
    "midway_checks_pct",
}


def contradictions(
    narrative: Mapping[str, str], values: Mapping[str, float | None]
) -> list[tuple[str, str, str]]:
    """(section heading, sentence, what the figures say) for each sentence of the
    narrative's sections (`{heading: rendered markdown}`) that the figures contradict."""
    found = []
    for heading, text in narrative.items():
        for s in sentences(text):
            if _FUTURE.search(s):
                continue
            found += [(heading, s, why) for why in _check(s, values)]
    return found


def narrative_values(ctx) -> dict[str, float | None]:
    """The figures the check compares with, for a ReportContext's year."""
    ids = {kpi for _, kpi in _SUBJECTS} | {
        "cla_caseload_per_iro_fte",
        "cla_reviews_overdue_at_31_march",
    }
    return {k: ctx.value(k) for k in ids}


def warn_contradictions(ctx) -> list[str]:
    """Warn (NarrativeWarning) for each narrative sentence the figures contradict; the
    messages, naming the narrative file's section, are returned too."""
    skip = {"Priorities for next year", *SUMMARY_HEADINGS[3:]}
    sections = {k: v for k, v in ctx.narrative.items() if k not in skip}
    messages = [
        f"narrative for {ctx.year.label}, section '{h}': \u201c{s}\u201d {why}"
        for h, s, why in contradictions(sections, narrative_values(ctx))
    ]
    for m in messages:
        warnings.warn(m, NarrativeWarning, stacklevel=2)
    return messages
