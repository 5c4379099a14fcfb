"""The committee front sheet (#16): from the settings' `committee:` block and the
narrative, first in the councillors' report; unset fields say so, never invent."""

from __future__ import annotations

import datetime as dt
import warnings
from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup

from iro_analysis.core.settings import SettingsError, settings_from_dict
from iro_analysis.core.years import ReportingYear
from iro_analysis.report.front_sheet import (
    NO_RECOMMENDATION,
    TO_BE_CONFIRMED,
    FrontSheetWarning,
    render_front_sheet,
)

COMMITTEE = {
    "meeting": "Corporate Parenting Panel",
    "author": "Sam Jones",
    "role": "IRO Service Manager",
    "classification": "OFFICIAL",
    "meeting_dates": {2022: dt.date(2022, 7, 14)},
}


def _ctx(committee: dict | None, narrative: dict[str, str] | None = None, year: int = 2022):
    """What the front sheet reads of a ReportContext: settings, year and narrative."""
    data = {"council_name": "Shire"} | ({"committee": committee} if committee is not None else {})
    return SimpleNamespace(
        settings=settings_from_dict(data),
        year=ReportingYear(year),
        narrative=narrative
        if narrative is not None
        else {"Recommendation": "The Panel is asked to **note** the report."},
    )


def _sheet(ctx) -> tuple[BeautifulSoup, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        html = render_front_sheet(ctx)
    messages = [str(w.message) for w in caught if issubclass(w.category, FrontSheetWarning)]
    return BeautifulSoup(html, "html.parser"), messages


def _fields(soup: BeautifulSoup) -> dict[str, str]:
    return {dt.get_text(): dt.find_next_sibling("dd").get_text() for dt in soup.find_all("dt")}


def test_every_field_from_settings_and_the_narrative():
    soup, messages = _sheet(_ctx(COMMITTEE))
    section = soup.find("section")
    assert section["class"] == ["front-sheet"] and section["aria-labelledby"] == "front-sheet-title"
    assert section.find("h2")["id"] == "front-sheet-title"
    assert section.find("h2").get_text() == "Report to the Corporate Parenting Panel"
    assert _fields(soup) == {
        "Meeting": "Corporate Parenting Panel",
        "Date of meeting": "14 July 2022",
        "Report title": "Independent Reviewing Officer Service Annual Report 2021/22",
        "Report author": "Sam Jones",
        "Author's role": "IRO Service Manager",
        "Classification": "OFFICIAL",
    }
    assert messages == []
    # the narrative's "## Recommendation" (sanitised markdown), the same text as the summary's
    rec = soup.find("h3", string="Recommendation").find_next_sibling("p")
    assert rec.decode_contents() == "The Panel is asked to <strong>note</strong> the report."
    purpose = soup.find("h3", string="Purpose").find_next_sibling("p").get_text()
    assert purpose.startswith("To present the annual report of Shire's Independent Reviewing")
    assert "1 April 2021 to 31 March 2022" in purpose


def test_unset_fields_are_to_be_confirmed_and_the_build_log_names_where_to_set_them():
    committee = {
        "meeting": "Corporate Parenting Panel",
        "meeting_dates": {2021: dt.date(2021, 7, 1)},
    }
    soup, messages = _sheet(_ctx(committee, narrative={}))
    fields = _fields(soup)
    assert fields["Date of meeting"] == TO_BE_CONFIRMED  # 2021's date is not 2022's
    assert fields["Report author"] == fields["Classification"] == TO_BE_CONFIRMED
    assert len(soup.select("dd.to-be-confirmed")) == 4
    # no recommendation: a neutral line, not "To be confirmed" nor an instruction
    rec = soup.select_one("p.no-recommendation").get_text()
    assert rec == NO_RECOMMENDATION and "narrative" not in rec
    assert messages == [
        "2021/22: 'Date of meeting' is not set: add committee: meeting_dates: 2022 to the settings file",
        "2021/22: 'Report author' is not set: add committee: author to the settings file",
        "2021/22: 'Author's role' is not set: add committee: role to the settings file",
        "2021/22: 'Classification' is not set: add committee: classification to the settings file",
        "2021/22: 'Recommendation' is not set: add a '## Recommendation' section to the narrative for 2021/22",
    ]


def test_no_committee_block_invents_nothing():
    soup, messages = _sheet(_ctx(None))
    assert soup.find("h2").get_text() == "Report to committee"
    values = _fields(soup)
    assert values.pop("Report title").endswith("2021/22")
    assert set(values.values()) == {TO_BE_CONFIRMED}
    assert len(messages) == 5


def test_settings_and_narrative_text_is_escaped():
    committee = COMMITTEE | {"meeting": "<script>alert(1)</script> Panel", "author": "A & B"}
    soup, _ = _sheet(
        _ctx(
            committee,
            narrative={
                "Recommendation": "<img src=x onerror=alert(1)> Note it.",
                "Purpose": "To *inform*.",
            },
        )
    )
    assert soup.find("script") is None and soup.find("img") is None
    assert _fields(soup)["Meeting"] == "<script>alert(1)</script> Panel"
    assert (
        soup.find("h3", string="Purpose").find_next_sibling("p").decode_contents()
        == "To <em>inform</em>."
    )


@pytest.mark.parametrize(
    ("committee", "message"),
    [
        ({"meetng": "Panel"}, "committee: unknown key(s) 'meetng'"),
        ({"author": ""}, "committee: 'author' must not be empty"),
        ({"classification": 3}, "committee: 'classification' must be str"),
        (
            {"meeting_dates": {2022: "14 July 2022"}},
            "meeting_dates: 2022 must be a date (YYYY-MM-DD)",
        ),
        (
            {"meeting_dates": {2022: dt.date(2022, 3, 1)}},
            "on or before the end of the reporting year",
        ),
        ({"meeting_dates": {"22": dt.date(2022, 7, 1)}}, "'22' is not a year"),
        ({"meeting_dates": [dt.date(2022, 7, 1)]}, "'meeting_dates' must be dict"),
        ("Panel", "'committee' must be dict"),
    ],
)
def test_a_wrong_committee_setting_is_an_error_naming_the_key(committee, message):
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        settings_from_dict({"committee": committee}, where="settings.yaml")


def test_the_project_settings_set_the_demo_councils_front_sheet():
    from iro_analysis.core.settings import load_settings

    c = load_settings().committee
    assert c.meeting == "Corporate Parenting Panel" and c.classification == "OFFICIAL"
    assert c.meeting_date(2022) == dt.date(2022, 7, 14)
    assert c.meeting_date(2017) is None


def test_the_front_sheet_opens_the_built_report(built_report):
    """The first thing in the report's main: the front sheet, with the narrative's
    recommendation, as the summary shows it too."""
    soup = BeautifulSoup(built_report.read_text(encoding="utf-8"), "html.parser")
    sheet = soup.main.find("section")
    assert "front-sheet" in sheet["class"]
    assert soup.main.find("h2")["id"] == "front-sheet-title"
    # nothing is shown before it
    assert soup.main.get_text(" ", strip=True).startswith(sheet.get_text(" ", strip=True))
    after = sheet.find("h3", string="Recommendation").find_next_siblings()
    ask = " ".join(el.get_text(" ", strip=True) for el in after)
    assert ask.startswith("The Corporate Parenting Panel is asked to:")
    assert "note the report" in ask
    assert ask in soup.select_one(".summary-ask").get_text(" ", strip=True)
