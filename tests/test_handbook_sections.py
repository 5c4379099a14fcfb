"""Issue #26: the IRO Handbook's annual-report contents as narrative sections the report
always lays out; nothing draft presented as final (a year without a narrative is DRAFT, no
file name, instruction or "not supplied" in a sentence); each quote at most once."""

from __future__ import annotations

import re
import warnings
from collections import Counter

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from iro_analysis import report
from iro_analysis.core import paths
from iro_analysis.core.settings import Settings
from iro_analysis.kpis.registry import KPI_DEFINITIONS
from iro_analysis.report import panel, summary
from iro_analysis.report.catalogue import (
    NARRATIVE_SECTIONS,
    SECTION_BY_KEY,
    SECTION_TITLES,
    sections_in,
)
from iro_analysis.report.front_sheet import render_front_sheet
from iro_analysis.report.handbook import (
    UnwrittenSectionWarning,
    unwritten_note,
    unwritten_sections,
    warn_unwritten,
)
from iro_analysis.report.narrative import (
    NOT_SUPPLIED,
    NarrativeError,
    check_narrative_file,
    render_narrative,
    split_sections,
)
from iro_analysis.report.sections import render_section
from tests._context import report_context

from .conftest import REPORT_YEAR

HANDBOOK_KEYS = [
    "training",
    "quality_assurance",
    "participation",
    "inspection",
    "other_work",
    "priorities",
]


class _Data:
    def __init__(self, tables=None):
        self.tables = tables or {}

    def years_with(self, name):
        return []


def _ctx(narrative=None, rows=(), tables=None, draft=False) -> report.ReportContext:
    history = pd.DataFrame(
        list(rows), columns=["kpi_id", "year", "value", "numerator", "denominator"]
    )
    settings = Settings(suppression_threshold=5, council_name="Shire")
    return report_context(
        history, settings=settings, dataset=_Data(tables), narrative=narrative, draft=draft
    )


def _text(markup) -> str:
    return " ".join(BeautifulSoup(str(markup), "html.parser").get_text(" ").split())


def test_the_handbook_sections_are_report_sections_in_the_catalogue():
    assert [s.key for s in NARRATIVE_SECTIONS] == HANDBOOK_KEYS
    report_keys = [s.key for s in sections_in("report")]
    for key in HANDBOOK_KEYS:
        assert SECTION_BY_KEY[key].document == "report" and key in report_keys
    # one "Priorities for next year", reused, not a second section
    assert SECTION_TITLES.count("Priorities for next year") == 1
    # placed sensibly: workforce matters after the IRO service, children's part after their
    # voice, priorities after progress
    assert report_keys.index("training") == report_keys.index("iro_service") + 1
    assert report_keys.index("participation") == report_keys.index("voice") + 1
    assert report_keys.index("progress") < report_keys.index("priorities")


def test_the_demo_narrative_writes_every_handbook_section():
    path = paths.NARRATIVE_DIR / "2022.md"
    check_narrative_file(path, KPI_DEFINITIONS, SECTION_TITLES)
    text = path.read_text(encoding="utf-8")
    parts = split_sections(text, SECTION_TITLES, str(path))
    for s in NARRATIVE_SECTIONS:
        assert len(parts.get(s.title, "").split()) > 30, s.title
    readme = (paths.NARRATIVE_DIR / "README.md").read_text(encoding="utf-8")
    for s in NARRATIVE_SECTIONS:
        assert f"## {s.title}" in readme, s.title


@pytest.mark.parametrize("key", HANDBOOK_KEYS)
def test_a_written_section_shows_the_services_text(key):
    title = SECTION_BY_KEY[key].title
    ctx = _ctx({title: "IROs *completed* training on <b>care planning</b>."})
    html = render_section(ctx, key)
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("h2").get_text() == title
    assert soup.select_one(".commentary em").get_text() == "completed"
    assert soup.find("b") is None  # sanitised, as every narrative
    assert "has not reported" not in _text(html)


@pytest.mark.parametrize("key", HANDBOOK_KEYS)
def test_an_unwritten_section_shows_a_neutral_line(key):
    text = _text(render_section(_ctx(), key))
    assert "The IRO service has not reported on this for 2021/22." in text
    for instruction in ("narrative", ".md", "##", "heading", "complete", "To be confirmed"):
        assert instruction not in text


def test_an_unwritten_section_is_logged_and_listed_in_the_annex():
    ctx = _ctx({"Training and registration of IROs": "Every IRO is registered."})
    missing = [s.title for s in unwritten_sections(ctx)]
    assert missing == [s.title for s in NARRATIVE_SECTIONS[1:]]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_unwritten(ctx)
    (w,) = [w for w in caught if issubclass(w.category, UnwrittenSectionWarning)]
    assert str(w.message).startswith("2021/22: narrative sections not written: ")
    assert all(f"'{t}'" in str(w.message) for t in missing)
    assert "Training" not in str(w.message)
    note = BeautifulSoup(unwritten_note(ctx), "html.parser")
    assert note.find("h3").get_text() == "Narrative sections not written this year"
    assert [li.get_text() for li in note.find_all("li")] == missing
    everything = _ctx({s.title: "Written." for s in NARRATIVE_SECTIONS})
    assert "Every narrative section was written" in _text(unwritten_note(everything))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_unwritten(everything)
    assert not [w for w in caught if issubclass(w.category, UnwrittenSectionWarning)]


def test_a_draft_front_sheet_says_draft_with_no_instruction_or_file_name():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        soup = BeautifulSoup(render_front_sheet(_ctx(draft=True)), "html.parser")
        final = BeautifulSoup(render_front_sheet(_ctx()), "html.parser")
    assert soup.find("h2").get_text().startswith("DRAFT: Report to")
    assert soup.select_one(".draft-mark").get_text().startswith("DRAFT This is a draft.")
    assert not final.select(".draft-mark") and "DRAFT" not in final.get_text()
    text = soup.get_text(" ")
    assert ".md" not in text and "narrative" not in text
    rec = soup.find("h3", string="Recommendation").find_next_sibling("p").get_text()
    assert rec == "No recommendation is included in this report."


def test_a_placeholder_of_an_unsupplied_kpi_stops_the_build_naming_file_line_and_kpi():
    ctx = _ctx(rows=[("drp_raised", 2022, 12, None, None)])
    formatted = ctx.formatted()
    assert formatted["drp_raised"] == "12"
    assert formatted["drp_resolved_within_20wd_pct"] == NOT_SUPPLIED
    text = "## Dispute resolution\n\nIROs raised {{ kpi.drp_raised }} disputes;\n{{ kpi.drp_resolved_within_20wd_pct }} were resolved.\n"
    with pytest.raises(NarrativeError) as err:
        render_narrative(text, formatted, "reports/narrative/2022.md")
    msg = str(err.value)
    assert "reports/narrative/2022.md" in msg and "line 4" in msg
    assert "kpi.drp_resolved_within_20wd_pct" in msg and "not supplied" in msg
    # the supplied one renders
    ok = render_narrative("{{ kpi.drp_raised }} disputes.", formatted, "f.md")
    assert ok == "12 disputes."


def test_the_summary_words_missing_data_as_a_sentence():
    ctx = _ctx(rows=[("cla_at_31_march", 2022, 100, None, None)])
    items = [li.get_text() for li in BeautifulSoup(summary.key_messages(ctx), "html.parser")("li")]
    assert items
    for item in items:
        assert not item.lower().startswith("not supplied"), item
        assert re.search(r"\bnot supplied (were|was|of|had)\b", item) is None, item
        assert item.endswith(".")


def _feedback() -> pd.DataFrame:
    rows = []
    for who in ("CHILD", "PARENT", "CARER", "PROFESSIONAL"):
        for i in range(6):
            rows.append([who, "2021-06-01", f"{who} says {i % 2}.", True])
        rows.append([who, "2021-06-02", "Shared by everyone.", True])
    return pd.DataFrame(rows, columns=["respondent", "response_date", "quote", "quote_publishable"])


def test_each_quote_appears_once_and_only_in_its_own_group():
    quotes = panel.publishable_quotes(_ctx(tables={"feedback": _feedback()}))
    assert list(quotes) == list(panel.RESPONDENTS.values())
    flat = [q for qs in quotes.values() for q in qs]
    assert len(flat) == len(set(flat))
    for code, label in panel.RESPONDENTS.items():
        own = [q for q in quotes[label] if q != "Shared by everyone."]
        assert own == [f"{code} says 0.", f"{code} says 1."]
    # the shared text is shown once, in the first group that has it
    assert "Shared by everyone." in quotes["Children and young people"]
    assert sum(q == "Shared by everyone." for q in flat) == 1
    html = panel._quotes(_ctx(tables={"feedback": _feedback()}))
    shown = [q.get_text() for q in BeautifulSoup(html, "html.parser").select("blockquote.quote")]
    assert Counter(shown).most_common(1)[0][1] == 1


# ---- the built demo report (slow) ----


def _sentences(soup: BeautifulSoup) -> list[str]:
    """Text of the paragraphs and list items (sentences), not of table cells."""
    return [" ".join(t.get_text(" ").split()) for t in soup.find_all(["p", "li"])]


def test_the_demo_report_shows_every_handbook_section_and_no_quote_twice(built_report):
    soup = BeautifulSoup(built_report.read_text(encoding="utf-8"), "html.parser")
    text = soup.get_text(" ")
    for s in NARRATIVE_SECTIONS:
        assert soup.find("h2", string=s.title), s.title
    assert "has not reported on this" not in text
    assert "DRAFT" not in text
    quotes = [q.get_text() for q in soup.select("blockquote.quote")]
    assert quotes and len(quotes) == len(set(quotes))
    for s in _sentences(soup):
        assert "not supplied" not in s or "could not be" in s or "was not supplied" in s, s
    annex = built_report.with_name(paths.annex_filename(REPORT_YEAR)).read_text(encoding="utf-8")
    assert "Every narrative section was written for 2021/22." in annex


def test_a_year_without_a_narrative_is_a_draft(built_copy, tmp_path):
    from iro_analysis.pipeline import build_report

    log: list[str] = []
    build_report(
        REPORT_YEAR,
        raw_dir=built_copy / "raw",
        reports_dir=built_copy / "reports",
        processed_dir=built_copy / "processed",
        restricted_dir=built_copy / "restricted",
        narrative_path=tmp_path / "none" / f"{REPORT_YEAR}.md",
        log=log.append,
    )
    folder = built_copy / "reports" / str(REPORT_YEAR)
    page = (folder / paths.report_filename(REPORT_YEAR)).read_text(encoding="utf-8")
    soup = BeautifulSoup(page, "html.parser")
    assert soup.title.get_text().startswith("DRAFT: ")
    assert soup.find("h1").get_text().startswith("DRAFT: ")
    sheet = soup.select_one("section.front-sheet")
    assert sheet.find("h2").get_text().startswith("DRAFT: ") and sheet.select_one(".draft-mark")
    annex = BeautifulSoup(
        (folder / paths.annex_filename(REPORT_YEAR)).read_text(encoding="utf-8"), "html.parser"
    )
    assert annex.title.get_text().startswith("DRAFT: ")
    listed = [
        li.get_text()
        for li in annex.find("h3", string=re.compile("not written")).find_next("ul")("li")
    ]
    assert listed == [s.title for s in NARRATIVE_SECTIONS]
    assert any("narrative sections not written" in line for line in log)
    body = soup.find("main")
    for s in _sentences(body):
        assert ".md" not in s and "narrative/" not in s, s
        assert "For the service to complete" not in s, s
        assert "To be confirmed" not in s, s
        assert "not supplied" not in s or "could not be" in s or "was not supplied" in s, s
    for dd in body.select("dd"):  # the settings' unset fields only, never a narrative place
        assert dd.get_text() != "To be confirmed" or "to-be-confirmed" in dd.get("class", [])
