"""Narrative from data: key-message sentences and analysts' commentary with KPI placeholders.

Sentences are generated with Jinja2 from the same KPI table the report shows, so text and
figures never disagree. Analysts add commentary and priorities in
`reports/narrative/<YEAR>.md`; it may use placeholders such as
`{{ kpi.icpc_within_15wd_pct }}` (the formatted figure) and an unknown placeholder is an
error naming it and the file.

The narrative goes into a public report, so it is treated as untrusted: its template is
checked to hold only the documented placeholders before anything is evaluated, rendered
in Jinja's immutable sandbox with autoescaping, and its Markdown is turned into HTML that
an allow-list sanitiser reduces to text markup (`markdown_html`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import jinja2
import mistune
import nh3
import pandas as pd
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from iro_analysis.core.errors import IroAnalysisError
from iro_analysis.core.text import read_narrative


class NarrativeError(IroAnalysisError):
    """An analyst's narrative file that cannot be rendered (unknown placeholder, bad section)."""


@dataclass(frozen=True)
class Message:
    """How one KPI is put into words. `phrase` follows the figure: "{figure} {phrase}"."""

    kpi_id: str
    phrase: str

    @property
    def unit(self) -> str:
        """ "percent" | "count" | "ratio", from the KPI registry."""
        from iro_analysis.kpis.registry import KPI_DEFINITIONS

        return KPI_DEFINITIONS[self.kpi_id].unit

    @property
    def higher_is_better(self) -> bool | None:
        """The registry's direction (None: a neutral count or rate)."""
        from iro_analysis.kpis.registry import KPI_DEFINITIONS

        return KPI_DEFINITIONS[self.kpi_id].direction

    @property
    def has_england(self) -> bool:
        from iro_analysis.kpis.registry import KPI_DEFINITIONS

        return KPI_DEFINITIONS[self.kpi_id].england is not None


def _key_messages() -> tuple[Message, ...]:
    """Each headline KPI (the registry's `headline=True`, in registry order) with the
    phrase its registration declares; its unit and direction come from the registry too."""
    from iro_analysis.kpis.registry import KPI_DEFINITIONS, headline_kpis

    return tuple(Message(k, KPI_DEFINITIONS[k].phrase) for k in headline_kpis())


KEY_MESSAGES: tuple[Message, ...] = _key_messages()

# Narrative headings that are not report sections: the summary's parts ("Recommendation"
# is also the front sheet's) and the front sheet's purpose. "Key messages" (and text
# before the first heading) is the summary's commentary.
SUMMARY_HEADINGS = (
    "Key messages",
    "What is working well",
    "What we are worried about",
    "Recommendation",
    "Purpose",
)

# Plain-text templates (not HTML): a fragment escapes their output where it shows it.
_TEXT_ENV = ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)
SENTENCE = _TEXT_ENV.from_string(
    "{{ figure }} {{ phrase }}"
    "{% if change == 'up' %}, up from {{ previous }} in {{ previous_label }}"
    "{% elif change == 'down' %}, down from {{ previous }} in {{ previous_label }}"
    "{% elif change == 'level' %}, the same as in {{ previous_label }}"
    "{% endif %}"
    "{% if national is not none %}; England {{ national }}{% endif %}."
)
MISSING = _TEXT_ENV.from_string(
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


# What `ReportContext.formatted` gives a defined KPI that was not produced this year (its
# data was not supplied). A placeholder of it stops the build, naming the file, the line
# and the KPI: "not supplied" cannot stand in a sentence as a figure.
NOT_SUPPLIED = "not supplied"

# The only placeholders a narrative may use: `{{ kpi.<id> }}` and these names.
PLACEHOLDER_NAMES = ("council", "period")
_ALLOWED = ", ".join(["{{ kpi.<id> }}", *(f"{{{{ {n} }}}}" for n in PLACEHOLDER_NAMES)])

# Analysts' text is rendered in Jinja's immutable sandbox with autoescaping, after its
# syntax tree has been checked to hold nothing but text and the placeholders above: no
# expression is evaluated before it has been checked, and the checked ones only read a
# figure or a name.
_NARRATIVE_ENV = ImmutableSandboxedEnvironment(
    autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True
)


def _describe(node: nodes.Node) -> str:
    """A short rendering of a placeholder expression for error messages."""
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_describe(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem):
        return f"{_describe(node.node)}[...]"
    if isinstance(node, nodes.Call):
        return f"{_describe(node.node)}(...)"
    if isinstance(node, nodes.Filter):
        return f"{_describe(node.node) if node.node else '...'} | {node.name}"
    if isinstance(node, nodes.Const):
        return repr(node.value)
    return f"<{type(node).__name__.lower()}>"


def check_narrative(text: str, formatted: dict[str, str], source: str) -> None:
    """Refuse anything in a narrative but text and the documented placeholders.

    Checks the lexer's tokens (no `{% %}` statement or raw block) and the parsed syntax
    tree (each `{{ }}` holds exactly `kpi.<known id>`, `council` or `period`: no other
    name, attribute, item, filter, call, operator or literal), and that no `kpi.<id>` is
    one whose data was not supplied (`formatted` maps it to NOT_SUPPLIED). Nothing is
    evaluated. A problem raises NarrativeError naming the file and line.
    """
    try:
        for lineno, token, _ in _NARRATIVE_ENV.lex(text):
            if token in ("block_begin", "raw_begin", "linestatement_begin"):
                raise NarrativeError(
                    f"{source}: line {lineno}: '{{% ... %}}' statements are not allowed in a "
                    f"narrative; use only the placeholders {_ALLOWED}"
                )
        tree = _NARRATIVE_ENV.parse(text)
    except jinja2.TemplateSyntaxError as exc:
        raise NarrativeError(f"{source}, line {exc.lineno}: {exc.message}") from None
    for stmt in tree.body:
        if not isinstance(stmt, nodes.Output):  # pragma: no cover - the lexer check stops these
            raise NarrativeError(
                f"{source}: line {stmt.lineno}: statements are not allowed in a narrative"
            )
        for node in stmt.nodes:
            if isinstance(node, nodes.TemplateData):
                continue
            what = _describe(node)
            if isinstance(node, nodes.Name) and node.name in PLACEHOLDER_NAMES:
                continue
            if (
                isinstance(node, nodes.Getattr)
                and isinstance(node.node, nodes.Name)
                and node.node.name == "kpi"
            ):
                if formatted.get(node.attr) == NOT_SUPPLIED:
                    raise NarrativeError(
                        f"{source}: line {node.lineno}: placeholder '{{{{ {what} }}}}' has no "
                        "figure this year (its data was not supplied); write that sentence "
                        "without the figure or leave it out"
                    )
                if node.attr in formatted:
                    continue
                raise NarrativeError(
                    f"{source}: unknown placeholder '{what}' on line {node.lineno} "
                    "(no such KPI for this year)"
                )
            simple = isinstance(node, nodes.Name) or (
                isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name)
            )
            kind = "unknown placeholder" if simple else "not a placeholder"
            raise NarrativeError(
                f"{source}: {kind} '{{{{ {what} }}}}' on line {node.lineno}; "
                f"a narrative may use only {_ALLOWED}"
            )


def render_narrative(text: str, formatted: dict[str, str], source: str, **extra: object) -> str:
    """Fill the placeholders in analysts' text after `check_narrative` has passed it.

    Placeholder values are HTML-escaped (the text then becomes Markdown, then HTML).
    `extra` gives the values of `PLACEHOLDER_NAMES`; other keys are ignored.
    """
    check_narrative(text, formatted, source)
    values = {k: v for k, v in extra.items() if k in PLACEHOLDER_NAMES}
    try:
        return str(_NARRATIVE_ENV.from_string(text).render(kpi=dict(formatted), **values))
    except jinja2.UndefinedError as exc:  # a documented name the caller did not supply
        raise NarrativeError(f"{source}: unknown placeholder ({exc.message})") from None
    except SecurityError as exc:  # pragma: no cover - the check above stops these
        raise NarrativeError(f"{source}: not allowed in a narrative ({exc})") from None


# Markdown to HTML, for the narrative and the project's own Markdown (the assumptions log).
# The HTML is passed through an allow-list sanitiser (nh3): only text markup survives.
# Script, style and frame elements are removed with their content; any other tag outside
# the list (img, form, object, svg...) is removed and its text kept; every attribute but a
# link's href and title goes (no event handler, style or id); links may point only to
# http, https, mailto or a relative address (mistune already turns javascript:, vbscript:,
# data: and file: links into "#harmful-link").
_MARKDOWN = mistune.create_markdown(escape=False, plugins=["strikethrough", "table"])
ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "em", "strong", "del", "code", "pre", "blockquote",
        "ul", "ol", "li", "h3", "h4", "h5", "h6", "a",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
REMOVED_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "frame", "frameset", "object", "embed", "noscript",
     "template", "svg", "math", "textarea", "select", "title"}
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


def sanitise_html(fragment: str) -> str:
    """Keep only the allow-listed tags, attributes and link schemes of an HTML fragment."""
    return nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(REMOVED_WITH_CONTENT),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def markdown_html(text: str) -> str:
    """Markdown as safe HTML: rendered by mistune, then sanitised to the allow-list."""
    return sanitise_html(_MARKDOWN(text))


_HEADING = re.compile(r"^##\s+(.+?)\s*$", re.MULTILINE)


def split_sections(text: str, allowed: list[str], source: str) -> dict[str, str]:
    """Split narrative Markdown on `## Heading` lines into {heading: body}.

    Headings must name a report section or one of `SUMMARY_HEADINGS` (case-insensitive);
    text before the first heading belongs to "Key messages".
    """
    allowed = [*allowed, *(h for h in SUMMARY_HEADINGS if h not in allowed)]
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
    text = render_narrative(read_narrative(path), formatted, str(path), **extra)
    return split_sections(text, allowed, str(path))


def check_narrative_file(path: Path, kpi_ids: Iterable[str], allowed: list[str]) -> None:
    """Check `reports/narrative/<YEAR>.md` (if it exists) before a build runs anything.

    The same checks as `load_narrative` (placeholders, statements, headings) without data:
    any defined KPI id is accepted. Raises NarrativeError naming the file and line.
    """
    if not path.is_file():
        return
    text = read_narrative(path)
    check_narrative(text, dict.fromkeys(kpi_ids, ""), str(path))
    split_sections(text, allowed, str(path))
