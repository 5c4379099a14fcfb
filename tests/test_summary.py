"""The summary for the Corporate Parenting Panel (#15): the first section of the report says
what is working well, what the service is worried about and what the Panel is asked to do,
then each headline measure with its value, change, England and a rating in words and
symbols; changes never compare a year whose history is incomplete."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from iro_analysis import report
from iro_analysis.core.years import ReportingYear
from iro_analysis.kpis.registry import KPI_DEFINITIONS
from iro_analysis.report import ratings, summary
from iro_analysis.report.narrative import format_value
from tests._context import report_context


class _Data:
    """A stand-in Dataset: only which years supplied which input."""

    def __init__(self, first: dict[str, int]):
        self.first = first

    def years_with(self, name: str) -> list[int]:
        return [self.first[name], self.first[name] + 1] if name in self.first else []


def _ctx(rows, narrative=None, first=None) -> report.ReportContext:
    cols = [
        "kpi_id",
        "year",
        "value",
        "numerator",
        "denominator",
        "england",
        "rating",
        "rating_basis",
    ]
    history = pd.DataFrame([r + [None] * (len(cols) - len(r)) for r in rows], columns=cols)
    data = _Data(first or {"reviews": 2020, "cin_census": 2020})
    return report_context(history, dataset=data, narrative=narrative)


ROWS = [
    ["cla_reviews_on_time_pct", 2020, 60.0, 6, 10, None, "", ""],
    ["cla_reviews_on_time_pct", 2021, 90.0, 9, 10, None, "GREEN", "last year 60.0%"],
    ["cla_reviews_on_time_pct", 2022, 85.0, 85, 100, None, "RED", "last year 90.0%"],
    ["icpc_within_15wd_pct", 2021, 70.0, 7, 10, 79.0, "RED", "England 79.0%"],
    ["icpc_within_15wd_pct", 2022, 81.0, 81, 100, 79.2, "GREEN", "England 79.2%"],
    ["cla_reviews_overdue_at_31_march", 2022, 24, None, None, None, "", ""],
    ["cla_caseload_per_iro_fte", 2022, 82.4, 824, 10, None, "AMBER", "target 70"],
    ["cp_caseload_per_iro_fte", 2022, 21.0, 210, 10, None, "", ""],
]


def _text(markup) -> str:
    return " ".join(BeautifulSoup(str(markup), "html.parser").get_text(" ").split())


def test_ratings_are_words_and_symbols_not_colour_alone():
    ctx = _ctx(ROWS)
    green, red = (
        ratings.rating(ctx, "icpc_within_15wd_pct"),
        ratings.rating(ctx, "cla_reviews_on_time_pct"),
    )
    assert (green.symbol, green.label) == ("\u2713", "Good (GREEN)")
    assert (red.symbol, red.label) == ("\u2717", "Concern (RED)")
    assert ratings.rating(ctx, "cla_caseload_per_iro_fte").label == "Watch (AMBER)"
    assert ratings.rating(ctx, "cla_at_31_march").label == "Not rated"
    span = summary.rating_span(red)
    assert "rating-red" in span and "Concern (RED)" in _text(span)


def test_working_well_and_worried_come_from_the_ratings_and_the_standards():
    well, worried = summary.well_and_worried(_ctx(ROWS))
    well_text, worried_text = " ".join(map(_text, well)), " ".join(map(_text, worried))
    assert "81.0%" in well_text and "Good (GREEN)" in well_text
    assert "85.0%" in worried_text and "Concern (RED)" in worried_text
    # the Handbook's band is compared with looked-after children only, CP beside it
    assert "82.4 looked-after children per full-time IRO" in worried_text
    assert "21.0 children on a child protection plan" in worried_text
    assert "24 children had a looked-after review overdue" in worried_text


def test_the_summary_finds_what_matters_beyond_the_headline_measures():
    """Issue #26: every rated measure (not only headline ones), a measure that did not
    change significantly in neither list, demand far from England, a large workforce move,
    and the caseload told by IRO rather than from the average alone."""
    rows = ROWS + [
        # not headline, rated a concern: named
        ["health_assessment_pct", 2022, 80.0, 80, 100, 89.0, "RED", "England 89%"],
        # no significant change: neither list
        [
            "rcpc_on_time_pct",
            2022,
            92.8,
            928,
            1000,
            None,
            "AMBER",
            "no significant change from last year (92.8%): two-proportion z-test, p = 1.000",
        ],
        # demand: 45.3 per 10,000 against England's 26.0 (74% above): named as context
        ["cla_started_per_10000", 2022, 45.3, 730, 161000, 26.0, "", ""],
        ["cla_per_10000", 2022, 70.0, 1127, 161000, 70.0, "", "no basis"],  # in line: not
        # workforce: 6.1% -> 20.6% of IROs left, not significant with a small team: named
        ["iro_leavers_pct", 2021, 6.1, 2, 33, None, "", ""],
        [
            "iro_leavers_pct",
            2022,
            20.6,
            7,
            34,
            None,
            "AMBER",
            "no significant change from last year (6.1%): two-proportion z-test, p = 0.081",
        ],
        # 6 IROs above the Handbook's 70, although the average (37.8) is within it
        ["iros_above_handbook_caseload", 2022, 6, None, None, None, "", ""],
    ]
    rows = [r for r in rows if r[0] != "cla_caseload_per_iro_fte"]
    rows.append(["cla_caseload_per_iro_fte", 2022, 37.8, 378, 10, None, "AMBER", "no change"])
    well, worried = summary.well_and_worried(_ctx(rows))
    worried_text = " ".join(map(_text, worried))
    assert (
        "Children looked after for 12 months with an annual health assessment: 80.0%"
        in worried_text
    )
    assert "92.8%" not in worried_text + " ".join(map(_text, well))
    assert "45.3, above England's 26.0" in worried_text
    assert "per 10,000 children: 70.0" not in worried_text
    assert (
        "rose to 20.6% from 6.1% in 2020/21 (last year 6.1%: no significant change)" in worried_text
    )
    assert (
        "6 IROs carry more than the IRO Handbook's 70 looked-after children per full-time IRO "
        "(the service's average is 37.8); IROs also carry 21.0 children on a child protection "
        "plan per full-time IRO." in worried_text
    )
    # the RED headline measure comes before the RED measure that is not a headline one
    assert worried_text.index("85.0%") < worried_text.index("80.0%")


def test_the_demo_summary_names_each_measure_rated_a_concern(built_report, soup):
    """The issue's "done when": every RED measure of the year's kpis.csv is named under
    "What we are worried about"."""
    from iro_analysis.kpis.registry import KPI_DEFINITIONS

    rows = _csv(built_report)
    red = [k for k, r in rows.items() if r["rating"] == "RED"]
    worried = soup.select_one(".summary-worried").get_text(" ")
    worried = " ".join(worried.split())
    for k in red:
        phrase = KPI_DEFINITIONS[k].title.removesuffix(" (%)")
        assert phrase in worried, (k, worried[:500])


def test_the_summary_opens_with_the_three_statements_and_the_recommendation():
    narrative = {
        "Recommendation": "The Panel is asked to **note** the report.",
        "What is working well": "Children take part.",
        "What we are worried about": "Disputes are slow <script>x</script>.",
    }
    soup = BeautifulSoup(summary.section_summary(_ctx(ROWS, narrative)), "html.parser")
    h3 = [h.get_text() for h in soup.find_all("h3")]
    assert h3[:3] == [
        "What is working well",
        "What we are worried about",
        "What the Panel is asked to do",
    ]
    assert soup.select_one(".summary-ask strong").get_text() == "note"
    assert "Disputes are slow" in soup.select_one(".summary-worried").get_text()
    assert soup.find("script") is None
    table = soup.find("table", class_="headline")
    assert [th.get_text() for th in table.select("thead th")] == [
        "Measure",
        "2021/22",
        "Change since 2020/21",
        "England",
        "Rating",
        "Rated on",
    ]


def test_a_missing_recommendation_reads_as_a_neutral_line_not_an_instruction():
    soup = BeautifulSoup(summary.section_summary(_ctx(ROWS)), "html.parser")
    ask = soup.select_one(".summary-ask").get_text()
    assert "No recommendation is included in this report." in ask
    assert "narrative" not in ask and "heading" not in ask


def test_change_is_in_words_and_never_against_incomplete_history():
    ctx = _ctx(ROWS)
    assert ratings.change_text(ctx, "cla_reviews_on_time_pct") == (
        "\u25bc down 5.0 percentage points from 90.0% in 2020/21"
    )
    assert ratings.change_text(ctx, "icpc_within_15wd_pct").startswith("\u25b2 up 11.0")
    # reviews first supplied in 2021: 2020/21 has incomplete history, so 2021/22 is not compared
    late = _ctx(ROWS, first={"reviews": 2021})
    assert ratings.change_text(late, "cla_reviews_on_time_pct").startswith("not compared")
    assert ratings.comparable_previous(late, "cla_reviews_on_time_pct") is None
    messages = _text(summary.key_messages(late))
    assert "85.0% of looked-after reviews were held on time." in messages  # no "down from"


def test_the_trend_alt_text_states_the_latest_change_and_the_whole_run():
    from iro_analysis.report.figures import trend_message

    rows = [
        ["cla_at_31_march", y, v]
        for y, v in ((2019, 1111), (2020, 1150), (2021, 1230), (2022, 1197))
    ]
    ctx = _ctx(rows)
    council = pd.DataFrame(
        {
            "year_label": [ReportingYear(y).label for y, _ in [(r[1], 0) for r in rows]],
            "value": [r[2] for r in rows],
        }
    )
    msg = trend_message(ctx, "cla_at_31_march", "Children looked after at 31 March", council)
    assert msg.startswith(
        "Children looked after at 31 March fell from 1,230 in 2020/21 to 1,197 in 2021/22."
    )
    assert "higher than the 1,111 of 2018/19" in msg and "highest 1,230 in 2020/21" in msg
    # the first year supplying reviews is named, never compared
    rows = [
        ["cla_reviews_on_time_pct", y, v] for y, v in ((2020, 40.0), (2021, 90.0), (2022, 88.0))
    ]
    council = pd.DataFrame(
        {"year_label": ["2019/20", "2020/21", "2021/22"], "value": [40.0, 90.0, 88.0]}
    )
    msg = trend_message(_ctx(rows), "cla_reviews_on_time_pct", "Reviews on time", council)
    assert "fell from 90.0% in 2020/21 to 88.0% in 2021/22" in msg
    assert "2019/20 (40.0%) has incomplete history and is not compared" in msg
    assert "from 40.0%" not in msg


# --------------------------------------------------------------------------------------
# The built report
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def soup(built_report) -> BeautifulSoup:
    return BeautifulSoup(built_report.read_text(encoding="utf-8"), "html.parser")


def _csv(built_report: Path) -> dict[str, dict[str, str]]:
    with open(built_report.parent / "kpis.csv", encoding="utf-8", newline="") as f:
        return {r["kpi_id"]: r for r in csv.DictReader(f)}


def test_the_summary_is_the_first_section_and_states_the_three_things(soup):
    # the first section after the committee front sheet
    first = next(
        h for h in soup.find_all("h2") if h.get("id") not in ("toc-title", "front-sheet-title")
    )
    assert first.get_text() == report.catalogue.SUMMARY_TITLE
    h3 = [h.get_text() for h in first.find_all_next("h3", limit=3)]
    assert h3 == [
        "What is working well",
        "What we are worried about",
        "What the Panel is asked to do",
    ]
    ask = soup.select_one(".summary-ask").get_text(" ")
    assert "Corporate Parenting Panel is asked to" in ask  # the demo narrative's recommendation


def test_every_headline_figure_equals_kpis_csv_with_its_rating(soup, built_report):
    rows = _csv(built_report)
    table = soup.find("table", class_="headline")
    for tr in table.select("tbody tr"):
        span = tr.find("span", attrs={"data-kpi": True})
        if span is None:
            continue
        kpi_id = span["data-kpi"]
        row = rows[kpi_id]
        assert span.get_text() == format_value(float(row["value"]), KPI_DEFINITIONS[kpi_id].unit)
        cells = tr.find_all("td")
        rating = cells[3].get_text(" ", strip=True)
        words = {"GREEN": "Good (GREEN)", "AMBER": "Watch (AMBER)", "RED": "Concern (RED)"}
        assert rating.endswith(words.get(row.get("rating") or "", "Not rated")), kpi_id
        if row.get("england"):
            assert cells[2].get_text() == format_value(
                float(row["england"]), KPI_DEFINITIONS[kpi_id].unit
            )


def test_a_key_message_without_data_is_a_sentence_without_not_supplied():
    """Issue #26: no sentence contains "not supplied" (a table cell may: it is a mark)."""
    text = _text(summary.key_messages(_ctx(ROWS)))  # no disputes rows: their data is absent
    assert "not supplied" not in text
    assert (
        "Disputes resolved within 20 working days could not be reported for 2021/22: "
        "its data was not among this year's files." in text
    )


def test_a_basis_is_shown_short_and_the_test_named_once():
    """The headline table and the lists show "last year X: (no) significant change"; the
    test itself is in kpis.csv and in the note under the table (a long basis made the
    headline table taller than a printed page)."""
    from iro_analysis.report.ratings import LAST_YEAR_NOTE, Rating

    r = Rating(
        "AMBER",
        "!",
        "Watch",
        "no significant change from last year (69.7%): two-proportion z-test, p = 0.975",
    )
    assert r.short_basis == "last year 69.7%: no significant change"
    r = Rating(
        "GREEN",
        "",
        "Good",
        "last year 60.0: a significant change (a move of more than 5% of last year's value)",
    )
    assert r.short_basis == "last year 60.0: significant change"
    assert Rating("RED", "", "Concern", "target 75%").short_basis == "target 75%"
    table = _text(summary.headline_table(_ctx(ROWS)))
    assert LAST_YEAR_NOTE in table and table.count("z-test") == 1  # the note, not every row
