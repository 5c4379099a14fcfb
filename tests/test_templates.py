"""The report's HTML comes from sandboxed, autoescaping Jinja2 templates (issue #18).

No HTML is built in Python strings in report/ or pipeline/export.py; the fragments render
in a sandbox that escapes every value it is given; the contents list comes from the
catalogue; and the same inputs give byte-identical HTML.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import jinja2
import nbformat
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from markupsafe import Markup

from iro_analysis import pipeline, report
from iro_analysis.core import paths
from iro_analysis.core.settings import Settings
from iro_analysis.report import html, sections, templating, trends
from iro_analysis.report.format import _slug, contents, section_heading

from .conftest import REPORT_YEAR

SRC = Path(report.__file__).parent
SCANNED = sorted(SRC.glob("*.py")) + [Path(pipeline.__file__).parent / "export.py"]
# A start or end tag of an element (not "<YEAR>" in a path or "<{...}>" in a message).
TAG = re.compile(r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9]*(\s|/?>|$)")
HTML_TAGS = (
    "a|caption|div|figcaption|figure|h1|h2|h3|h4|img|li|nav|ol|p|span|strong|table|tbody|td"
    "|th|thead|tr|ul"
)
# A string constant holding one of the elements the report is made of, e.g. '<p>' or '</td>'.
REPORT_TAG = re.compile(rf"<\s*/?\s*({HTML_TAGS})(\s|/?>)")
# Nothing is allowed: were one ever needed, it would be listed here as (file name, line
# text) with the reason.
ALLOWED: set[tuple[str, str]] = set()

HOSTILE = '<script>alert(1)</script> & "Co" <img src=x onerror=alert(2)>'


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _literal_parts(node: ast.AST) -> list[str]:
    """The literal text of a string constant or f-string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.Constant)]
    return []


def _has_tag(node: ast.AST) -> bool:
    return any(TAG.search(p) for p in _literal_parts(node))


def html_in_python(source: str, name: str = "<source>") -> list[str]:
    """Every place `source` builds HTML in Python: an f-string, concatenation, `%`,
    `.format` or `.join` with tag markup, `Markup("<...")`, an HTML template from a
    string, an unsandboxed Jinja environment, or any string constant (not a docstring)
    holding one of the report's elements. (Plain-text templates, such as the key
    messages' sentences and the analysts' narrative, render in sandboxes too.)"""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    lines = source.splitlines()
    found = []

    def hit(node: ast.AST, why: str) -> None:
        line = lines[node.lineno - 1].strip()
        if (name, line) not in ALLOWED:
            found.append(f"{name}:{node.lineno}: {why}: {line}")

    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) and _has_tag(node):
            hit(node, "f-string with HTML")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
            if _has_tag(node.left) or _has_tag(node.right):
                hit(node, "HTML built by + or %")
        elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add):
            if _has_tag(node.value):
                hit(node, "HTML built by +=")
        elif isinstance(node, ast.Call):
            func = node.func
            fname = getattr(func, "id", None) or getattr(func, "attr", None)
            if fname == "from_string" and any(_has_tag(a) for a in node.args):
                hit(node, "an HTML template from a Python string")
            elif fname == "Environment":
                hit(node, "a Jinja environment that is not sandboxed")
            elif fname == "Markup" and any(_has_tag(a) for a in node.args):
                hit(node, "Markup from a Python string")
            elif fname in {"format", "join"} and _has_tag(getattr(func, "value", None) or func):
                hit(node, "HTML built by .format or .join")
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docs
            and REPORT_TAG.search(node.value)
        ):
            hit(node, "HTML in a string constant")
    return sorted(set(found))


def test_no_html_is_built_in_python():
    assert len(SCANNED) >= 12, SCANNED  # the report's modules and pipeline/export.py
    found = []
    for path in SCANNED:
        found += html_in_python(path.read_text(encoding="utf-8"), path.name)
    assert found == [], "\n".join(found)


@pytest.mark.parametrize(
    "code",
    [
        "x = f'<h3>{t}</h3>'",
        "out += '<h3>' + escape(t)",
        "out = a + '</div>'",
        "x = '<p>%s</p>' % t",
        "x = '<li>{}</li>'.format(t)",
        "x = Markup('<span class=\"kpi\">{}</span>').format(t)",
        "t = env.from_string('<p>{{ x }}</p>')",
        "env = jinja2.Environment(autoescape=True)",
        "ROW = '<tr>'",
        "x = ''.join(['<td>', t])",
    ],
)
def test_the_scan_finds_html_built_in_python(code):
    assert html_in_python(code), code


def test_the_scan_passes_text_and_docstrings():
    code = (
        'def f():\n    """A <figure> with its table."""\n'
        '    return f"Bar chart of {x}." + " Groups of 1 to 5 < 6"\n'
        'P = "reports/narrative/<YEAR>.md"\nQ = f"<{name}>"\n'
    )
    assert html_in_python(code) == []


def test_the_environment_is_sandboxed_and_autoescapes():
    env = templating.environment()
    assert isinstance(env, SandboxedEnvironment)
    assert env.autoescape is True
    assert Path(env.loader.searchpath[0]) == paths.TEMPLATES_DIR / "fragments"
    with pytest.raises(SecurityError):
        env.from_string("{{ x.__class__.__mro__ }}").render(x="")
    with pytest.raises(SecurityError):
        env.from_string("{{ x.append(1) }}").render(x=[])
    with pytest.raises(jinja2.UndefinedError):
        templating.render("section.html.j2")


def test_every_fragment_named_in_the_code_exists_and_parses():
    env = templating.environment()
    names = set()
    for path in SCANNED:
        names |= set(re.findall(r'render\(\s*"([\w.]+\.j2)"', path.read_text(encoding="utf-8")))
    on_disk = {p.name for p in (paths.TEMPLATES_DIR / "fragments").glob("*.j2")}
    assert names and names <= on_disk, names - on_disk
    for name in on_disk:
        env.get_template(name)  # parses


def test_every_component_escapes_text_and_keeps_markup():
    span = html.kpi_span("k", HOSTILE)
    assert isinstance(span, Markup)
    outs = [
        html.paragraph(HOSTILE),
        html.notice(HOSTILE, HOSTILE),
        html.bullet_list([HOSTILE], css=HOSTILE),
        html.heading(HOSTILE, HOSTILE),
        html.subheading(HOSTILE),
        html.table(pd.DataFrame({HOSTILE: [HOSTILE], "n": [None]}), HOSTILE, css=HOSTILE),
        html.raw_table([HOSTILE], [[span, HOSTILE]], HOSTILE),
        html.join([HOSTILE, span]),
    ]
    for out in outs:
        assert isinstance(out, Markup)
        assert "<script" not in out and "<img" not in out and 'onerror="' not in out, out
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in out, out
    # a component's output is kept as markup inside another
    table = html.raw_table(["a", "b"], [["row", span]], "c")
    assert '<td><span class="kpi" data-kpi="k">&lt;script&gt;' in table


def test_commentary_is_sanitised_markdown_and_the_rest_is_text(monkeypatch):
    section = report.Section("x", HOSTILE, intro=HOSTILE)
    monkeypatch.setattr(sections, "SECTION_BY_KEY", {"x": section})
    monkeypatch.setattr(sections, "_BODIES", {"x": lambda ctx: html.paragraph("body")})

    class Ctx:
        narrative = {HOSTILE: "**Bold** <script>alert(3)</script> [x](javascript:y)"}

        def has(self, kpi_id: str) -> bool:
            return True

    out = report.render_section(Ctx(), "x")
    assert "<script" not in out and "javascript:" not in out and "<img" not in out
    assert "<strong>Bold</strong>" in out  # markdown rendered, after sanitising
    soup = BeautifulSoup(out, "html.parser")
    assert soup.h2["id"] == _slug(HOSTILE) and soup.h2.get_text() == HOSTILE
    assert soup.find("p").get_text() == HOSTILE
    assert soup.select_one("div.commentary h3").get_text() == "Commentary from the IRO service"
    assert out.endswith("<p>body</p>\n")
    assert report.render_section(Ctx(), "x") == out  # deterministic


def test_headings_and_contents_share_their_anchors():
    for section in report.SECTIONS:
        h2 = BeautifulSoup(section_heading(section), "html.parser").h2
        assert (h2["id"], h2.get_text()) == (_slug(section.title), section.title)
    assert contents() == [(_slug(s.title), s.title) for s in report.SECTIONS]
    assert trends.trends_contents() == [
        (_slug(s.title), s.title) for s in report.SECTIONS if s.kpis
    ]


def _notebook(tmp_path: Path, body: str) -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x", id="cell-1")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": body})]
    nb.cells = [cell]
    path = tmp_path / "in.ipynb"
    nbformat.write(nb, str(path))
    return path


def _toc(path: Path) -> list[tuple[str, str]]:
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    return [(a["href"], a.get_text()) for a in soup.select("nav.toc ol > li > a")]


def test_export_renders_the_annual_contents_by_default(tmp_path):
    # A heading in the body that is not a section does not enter the contents.
    src = _notebook(tmp_path, '<h2 id="stray">Stray</h2><p>body</p>')
    out = pipeline.export_html(src, tmp_path / "a.html", REPORT_YEAR, Settings())
    assert _toc(out) == [(f"#{_slug(s.title)}", s.title) for s in report.SECTIONS]
    assert "<!--IRO-TOC-->" not in out.read_text(encoding="utf-8")


def test_export_renders_the_contents_it_is_given_escaped(tmp_path):
    src = _notebook(tmp_path, "<p>body</p>")
    out = pipeline.export_html(
        src,
        tmp_path / "t.html",
        REPORT_YEAR,
        Settings(),
        contents=[*trends.trends_contents(), ('x" onclick="y', HOSTILE)],
    )
    soup = BeautifulSoup(out.read_text(encoding="utf-8"), "html.parser")
    assert not soup.find_all(["script", "img"])
    assert all(set(a.attrs) == {"href"} for a in soup.select("nav.toc a"))  # no onclick
    toc = _toc(out)
    assert toc[:-1] == [(f"#{i}", t) for i, t in trends.trends_contents()]
    assert toc[-1] == ('#x" onclick="y', HOSTILE)
    empty = pipeline.export_html(src, tmp_path / "e.html", REPORT_YEAR, Settings(), contents=[])
    assert "nav" not in {t.name for t in BeautifulSoup(empty.read_text(), "html.parser").find_all()}


def test_export_is_byte_identical_between_renders(tmp_path):
    body = str(html.join([html.heading("a", "A"), html.paragraph(HOSTILE)]))
    src = _notebook(tmp_path, body)
    one = pipeline.export_html(src, tmp_path / "1.html", REPORT_YEAR, Settings())
    two = pipeline.export_html(src, tmp_path / "2.html", REPORT_YEAR, Settings())
    assert one.read_bytes() == two.read_bytes()


def test_report_modules_stay_small():
    for path in sorted(SRC.glob("*.py")):
        n = len(path.read_text(encoding="utf-8").splitlines())
        assert n <= 400, f"{path.name} has {n} lines"


def _cells(markup: str, tag: str) -> list[tuple[str, str]]:
    """(class, text) of each `tag` cell of a rendered table, in order."""
    soup = BeautifulSoup(markup, "html.parser")
    return [(" ".join(c.get("class", [])), c.get_text()) for c in soup.find_all(tag)]


def test_text_columns_are_left_and_number_columns_right_aligned():
    """A column is numbers ("n": right-aligned, tabular figures) when every cell is a figure
    or a placeholder (c, no cases, not supplied, blank) and one at least is a figure; a
    KPI span is judged by its text; anything else is text (left-aligned)."""
    rows = [
        ["Children", "1,234", html.kpi_span("k", "85.2%"), "▲ up 2.0 points", "0-4", "c"],
        ["Reviews", "c", html.kpi_span("k", "no cases"), "= the same", "5-9", ""],
        ["Plans", "", "61.3 †", "▼ down 3", "10 to 15", "not supplied"],
    ]
    out = html.raw_table(["Measure", "Count", "2021/22", "Change", "Age", "Only c"], rows, "t")
    head = BeautifulSoup(out, "html.parser").select("thead th")
    assert [" ".join(h.get("class", [])) for h in head] == ["", "n", "n", "", "", ""]
    first_row = [k for k, _ in _cells(out, "td")[:5]]
    assert first_row == ["n", "n", "", "", ""]
    assert html.column_kinds([], 2) == ["", ""]
    assert html.column_kinds([["2017/18", "-3.5", "12 days"]], 3) == ["", "n", ""]


def test_a_year_table_marks_its_current_year_and_cues_the_scroll():
    """A table of years marks the current year's cells ("now"), sits in a wrapper that opens
    at the newest years on a screen ("years"), and has a scroll hint hidden from screen
    readers; every wrapper is a labelled region a keyboard can focus and scroll."""
    rows = [["Measure A", "1.0%", html.kpi_span("a", "2.0%"), "3.0%"]]
    out = html.raw_table(
        ["Measure", "2020/21", "2021/22", "England"], rows, "Trend", current="2021/22"
    )
    soup = BeautifulSoup(out, "html.parser")
    wrap = soup.find("div")
    assert wrap["class"] == ["table-wrap", "years"]
    assert wrap["role"] == "region" and wrap["tabindex"] == "0" and wrap["aria-label"] == "Trend"
    hint = soup.find("p", class_="scroll-hint")
    assert hint is not None and hint["aria-hidden"] == "true" and "earlier years" in hint.text
    now = [c.get_text() for c in soup.select(".now")]
    assert now == ["2021/22", "2.0%"]
    plain = BeautifulSoup(html.raw_table(["Measure", "2021/22"], [["A", "1"]], "T"), "html.parser")
    assert plain.find("div")["class"] == ["table-wrap"]
    assert not plain.select(".now, .scroll-hint")


def test_a_figure_offers_its_narrow_drawing_to_phones():
    from iro_analysis.report.plots import Chart

    data = pd.DataFrame({"Year": ["2020/21", "2021/22"], "Value": ["1.0%", "2.0%"]})
    chart = Chart(b"\x89PNG wide", "Alt <text>", "Caption", data, b"\x89PNG narrow")
    soup = BeautifulSoup(html.figure(chart), "html.parser")
    source, img = soup.select_one("picture > source"), soup.select_one("picture > img")
    assert source["media"] == "screen and (max-width: 40rem)"
    assert source["srcset"].startswith("data:image/png;base64,")
    assert source["srcset"] != img["src"] and img["alt"] == "Alt <text>"
    assert [k for k, _ in _cells(str(soup), "td")] == ["n", "n"]
    wide_only = BeautifulSoup(html.figure(Chart(b"x", "a", "c", data)), "html.parser")
    assert wide_only.select("picture > source") == [] and wide_only.select_one("picture > img")
