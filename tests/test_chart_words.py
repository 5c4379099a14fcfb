"""Issue #26: every trend chart's y axis says in words what it measures, the council's
target is drawn where one is set and the Handbook's 50 to 70 on the caseload chart; and
where two returns count the same events differently, the annex says why and which count
the report uses."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from iro_analysis.core.settings import load_settings
from iro_analysis.kpis.registry import KPI_DEFINITIONS
from iro_analysis.report import figures
from iro_analysis.report.annex import reconciliation_note
from iro_analysis.report.catalogue import SECTIONS

from .conftest import REPORT_YEAR


def _ctx(targets: dict | None = None):
    """The little of a ReportContext the chart's words read: titles, units, targets."""
    settings = SimpleNamespace(target=lambda k: (targets or {}).get(k))
    return SimpleNamespace(
        title=lambda k: KPI_DEFINITIONS[k].title,
        unit=lambda k: KPI_DEFINITIONS[k].unit,
        settings=settings,
    )


TRENDS = [k for s in SECTIONS for k in s.trends]


@pytest.mark.parametrize("kpi_id", TRENDS)
def test_every_trend_charts_axis_title_is_words(kpi_id):
    title = figures.axis_title(_ctx(), kpi_id)
    assert title not in {"Ratio", "Value", "Number", "Percent", "Count"}
    assert len(title.split()) >= 3 and "(%)" not in title


def test_the_caseload_chart_says_what_it_measures_and_draws_the_handbooks_band():
    ctx = _ctx()
    assert figures.axis_title(ctx, "cla_caseload_per_iro_fte") == (
        "Looked-after children per full-time IRO"
    )
    (band,) = figures.chart_references(ctx, "cla_caseload_per_iro_fte")
    assert (band.low, band.high) == (50.0, 70.0) and "Handbook" in band.label


def test_the_disputes_chart_draws_the_councils_target_only_when_one_is_set():
    settings = load_settings()  # config/settings.yaml: the demo council's targets
    kpi = "drp_resolved_within_20wd_pct"
    assert settings.target(kpi) == 75
    (line,) = figures.chart_references(_ctx(dict(settings.targets)), kpi)
    assert (line.low, line.high, line.label) == (75.0, None, "Target: 75.0%")
    assert figures.chart_references(_ctx(), kpi) == ()


def test_two_counts_of_one_thing_that_differ_carry_a_note():
    row = {
        "first_source": "SSDA903",
        "first": 3085,
        "second_source": "IRO meetings log",
        "second": 3083,
        "difference": 2,
    }
    note = reconciliation_note(row, off=False)
    assert note.startswith("2 more in the SSDA903 (each return records events on its own)")
    assert note.endswith("the report's figures use the SSDA903's 3,085")
    fewer = reconciliation_note({**row, "first": 3081, "difference": -2}, off=False)
    assert fewer.startswith("2 more in the IRO meetings log")
    assert reconciliation_note({**row, "difference": 400}, off=True).startswith(
        "Differs by more than 10%: 400 more"
    )
    assert reconciliation_note({**row, "second": 3085, "difference": 0}, off=False) == ""


@pytest.mark.slow
def test_the_built_annex_notes_every_difference_between_two_returns(built_report):
    """The demo's looked-after reviews: 3,085 in the 903 (the report's figure) and 3,083 in
    the IRO meetings log, the reconciliation's note saying why and which is used."""
    from bs4 import BeautifulSoup

    from iro_analysis.core.paths import annex_filename

    annex = built_report.with_name(annex_filename(REPORT_YEAR)).read_text(encoding="utf-8")
    soup = BeautifulSoup(annex, "html.parser")
    caption = soup.find("caption", string=lambda s: s and "counted in two returns" in s)
    rows = caption.find_parent("table").select("tbody tr")
    assert rows
    for tr in rows:
        cells = [c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])]
        difference, note = cells[5], cells[6]
        if difference != "0":
            assert "each return records events on its own" in note, cells
            assert f"use the {cells[1]}'s {cells[2]}" in note, cells
