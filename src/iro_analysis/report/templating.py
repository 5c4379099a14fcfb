"""The report's HTML comes from Jinja2 templates, never from Python strings.

Fragments live in `templates/fragments/` (`paths.TEMPLATES_DIR`): `macros.html.j2` holds
the components (tables, figures, notices, paragraphs, lists, headings, KPI spans) and the
other files lay out a section from them. The environment is sandboxed (a template can
call no Python it is not given and change nothing it is given) and autoescapes: every
value passed in is text and is escaped, except `Markup` made by another fragment or by
`markdown` (the narrative's markdown, after `narrative.markdown_html` has sanitised it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from iro_analysis.core import paths

FRAGMENTS_DIR = paths.TEMPLATES_DIR / "fragments"


@cache
def environment() -> ImmutableSandboxedEnvironment:
    """The one sandboxed, autoescaping environment the report's fragments render in."""
    return ImmutableSandboxedEnvironment(
        loader=jinja2.FileSystemLoader(str(FRAGMENTS_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )


def render(name: str, /, **values: Any) -> Markup:
    """Render the fragment template `name` (e.g. "section.html.j2") with `values`.

    The output is autoescaped HTML, so it is returned as Markup and can be passed into
    another fragment as it is."""
    return Markup(environment().get_template(name).render(**values))


def macro(name: str) -> Callable[..., Markup]:
    """A macro of `macros.html.j2`, callable from Python (it returns autoescaped Markup)."""
    module = environment().get_template("macros.html.j2").module
    found = getattr(module, name, None)
    if found is None:
        raise KeyError(f"macros.html.j2 has no macro {name!r}")
    return found


def join(parts: Iterable[str]) -> Markup:
    """Fragments one after another; a part that is plain text (not Markup) is escaped."""
    return Markup("").join(parts)


def markdown(text: str) -> Markup:
    """Markdown as HTML sanitised by `narrative.markdown_html` (nh3, an allow-list: no
    script, handler, frame or image), as Markup.

    The one way text from outside a template enters the report unescaped, and only after
    that sanitising."""
    from iro_analysis.report.narrative import markdown_html

    return Markup(markdown_html(text))
