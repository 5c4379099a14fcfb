"""Issue #26: every trend chart's y axis says in words what it measures, the council's
target is drawn where one is set and the Handbook's 50 to 70 on the caseload chart."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from iro_analysis.core.settings import load_settings
from iro_analysis.kpis.registry import KPI_DEFINITIONS
from iro_analysis.report import figures
from iro_analysis.report.catalogue import SECTIONS


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
