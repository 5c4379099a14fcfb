"""Narrative from data: key-message sentences and analysts' commentary with KPI placeholders.

Sentences are generated with Jinja2 from the same KPI table the report shows, so text and
figures never disagree. Analysts add commentary and priorities in
`reports/narrative/<YEAR>.md`; it may use placeholders such as
`{{ kpi.icpc_within_15wd_pct }}` (the formatted figure) and an unknown placeholder is an
error naming it and the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import jinja2
import pandas as pd

from iro_analysis.errors import IroAnalysisError


class NarrativeError(IroAnalysisError):
    """An analyst's narrative file that cannot be rendered (unknown placeholder, bad section)."""


@dataclass(frozen=True)
class Message:
    """How one KPI is put into words. `phrase` follows the figure: "{figure} {phrase}"."""

    kpi_id: str
    phrase: str
    unit: str  # "percent" | "count" | "ratio"
    higher_is_better: bool | None = None


KEY_MESSAGES: tuple[Message, ...] = (
    Message("cla_at_31_march", "children were looked after at 31 March", "count"),
    Message(
        "cla_reviews_on_time_pct", "of looked-after reviews were held on time", "percent", True
    ),
    Message(
        "cla_participation_pct",
        "of looked-after reviews had the child's participation",
        "percent",
        True,
    ),
    Message(
        "cp_plans_at_31_march",
        "children were subject to a child protection plan at 31 March",
        "count",
    ),
    Message(
        "icpc_within_15wd_pct",
        "of initial child protection conferences were held within 15 working days",
        "percent",
        True,
    ),
    Message(
        "rcpc_on_time_pct",
        "of child protection review conferences were held on time",
        "percent",
        True,
    ),
    Message(
        "drp_raised", "disputes were raised by IROs through the dispute resolution process", "count"
    ),
    Message(
        "drp_resolved_within_20wd_pct",
        "of disputes were resolved within 20 working days",
        "percent",
        True,
    ),
    Message(
        "iro_caseload_per_fte",
        "children per full-time IRO at 31 March (IRO Handbook: 50 to 70)",
        "ratio",
    ),
)

SENTENCE = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False).from_string(
    "{{ figure }} {{ phrase }}"
    "{% if change == 'up' %}, up from {{ previous }} in {{ previous_label }}"
    "{% elif change == 'down' %}, down from {{ previous }} in {{ previous_label }}"
    "{% elif change == 'level' %}, the same as in {{ previous_label }}"
    "{% endif %}"
    "{% if national is not none %}; England {{ national }}{% endif %}."
)
MISSING = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False).from_string(
    "{{ title }} could not be reported for {{ year_label }}: {{ reason }}."
)


def format_value(value: object, unit: str) -> str | None:
    """The figure as printed in the report: "85.2%", "1,234" or "61.3"; None when missing."""
    if value is None or pd.isna(value):
        return None
    if unit == "percent":
        return f"{float(value):.1f}%"
    if unit == "ratio":
        return f"{float(value):.1f}"
    return f"{int(round(float(value))):,}"


def direction(current: float, previous: float | None, unit: str) -> str | None:
    """ "up", "down" or "level" comparing figures as printed (so 81.04 and 81.0 are level)."""
    if previous is None or pd.isna(previous):
        return None
    a = round(float(current), 1) if unit != "count" else round(float(current))
    b = round(float(previous), 1) if unit != "count" else round(float(previous))
    return "level" if a == b else ("up" if a > b else "down")


def sentence(
    message: Message,
    current: object,
    previous: object = None,
    previous_label: str | None = None,
    national: object = None,
) -> str | None:
    """One key-message sentence, or None when the current figure is missing."""
    figure = format_value(current, message.unit)
    if figure is None:
        return None
    prev = None if previous_label is None else previous
    text = SENTENCE.render(
        figure=figure,
        phrase=message.phrase,
        change=direction(float(current), prev, message.unit),  # type: ignore[arg-type]
        previous=format_value(prev, message.unit),
        previous_label=previous_label,
        national=format_value(national, message.unit),
    )
    return text[0].upper() + text[1:]


def missing_sentence(title: str, year_label: str, reason: str) -> str:
    """The sentence used when a figure cannot be reported."""
    return MISSING.render(title=title, year_label=year_label, reason=reason)


class KpiPlaceholders:
    """`kpi.<id>` inside narrative text: the formatted figure; an unknown id is an error."""

    def __init__(self, formatted: dict[str, str], source: str) -> None:
        self._formatted = formatted
        self._source = source

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._formatted[name]
        except KeyError:
            raise NarrativeError(
                f"{self._source}: unknown placeholder 'kpi.{name}' (no such KPI for this year)"
            ) from None

    __getitem__ = __getattr__


def render_narrative(text: str, formatted: dict[str, str], source: str, **extra: object) -> str:
    """Fill `{{ kpi.<id> }}` placeholders in analysts' text; unknown ones raise NarrativeError."""
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True
    )
    try:
        template = env.from_string(text)
        return template.render(kpi=KpiPlaceholders(formatted, source), **extra)
    except jinja2.UndefinedError as exc:
        raise NarrativeError(f"{source}: unknown placeholder ({exc.message})") from None
    except jinja2.TemplateSyntaxError as exc:
        raise NarrativeError(f"{source}, line {exc.lineno}: {exc.message}") from None


_HEADING = re.compile(r"^##\s+(.+?)\s*$", re.MULTILINE)


def split_sections(text: str, allowed: list[str], source: str) -> dict[str, str]:
    """Split narrative Markdown on `## Heading` lines into {heading: body}.

    Headings must name a report section (case-insensitive); text before the first heading
    belongs to "Key messages".
    """
    lookup = {a.lower(): a for a in allowed}
    parts = _HEADING.split(text)
    out: dict[str, str] = {}
    lead = parts[0].strip()
    if lead:
        out["Key messages"] = lead
    for heading, body in zip(parts[1::2], parts[2::2], strict=True):
        key = lookup.get(heading.lower())
        if key is None:
            raise NarrativeError(
                f"{source}: heading '## {heading}' is not a report section; use one of: {', '.join(allowed)}"
            )
        out[key] = (out.get(key, "") + "\n\n" + body.strip()).strip()
    return out


def load_narrative(
    path: Path, formatted: dict[str, str], allowed: list[str], **extra: object
) -> dict[str, str]:
    """Read `reports/narrative/<YEAR>.md` (if it exists) and return its sections, placeholders filled."""
    if not path.is_file():
        return {}
    text = render_narrative(path.read_text(encoding="utf-8"), formatted, str(path), **extra)
    return split_sections(text, allowed, str(path))
