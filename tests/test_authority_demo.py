"""The year's own return is the authority (issue #25) on the demo council: with fault-free
data the headline counts are what each year's own 903 and census say, for every year;
with faults (1% of rows) the difference is only the quarantined rows; and the revised
reading changes no other KPI on complete, clean history."""

from __future__ import annotations

import pandas as pd
import pytest

from iro_analysis.core.years import ReportingYear
from iro_analysis.ingest import authority
from iro_analysis.ingest.clean import build_dataset
from iro_analysis.kpis.engine import compute_kpis
from iro_analysis.kpis.reconcile import reconciliation

YEARS = [2020, 2021, 2022]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clean_raw(tmp_path_factory):
    """Three years of the small demo council with no faults."""
    from iro_analysis.demo import generate

    raw = tmp_path_factory.mktemp("clean-demo") / "raw"
    generate(raw, YEARS, seed=11, size="small", fault_rate=0.0, progress=False)
    return raw


def _own_903(raw, year: int) -> tuple[int, int]:
    """Children looked after at 31 March and during the year, from the year's episodes.csv
    alone, read here with pandas (not the package's reader)."""
    ep = pd.read_csv(raw / str(year) / "ssda903" / "episodes.csv", dtype=str)
    decom = pd.to_datetime(ep["DECOM"], format="%d/%m/%Y")
    dec = pd.to_datetime(ep["DEC"], format="%d/%m/%Y")
    ry = ReportingYear(year)
    care = ~ep["LS"].isin(["V3", "V4"])
    at_end = care & (decom <= ry.end) & (dec.isna() | (dec > ry.end))
    during = care & (decom <= ry.end) & (dec.isna() | (dec >= ry.start))
    return ep.loc[at_end, "CHILD"].nunique(), ep.loc[during, "CHILD"].nunique()


def _own_census(raw, year: int) -> int:
    """Children on a plan at 31 March, from the year's census alone (ElementTree)."""
    import xml.etree.ElementTree as ET

    end = ReportingYear(year).end
    root = ET.parse(raw / str(year) / "cin_census.xml").getroot()
    local = lambda e: e.tag.rsplit("}", 1)[-1]  # noqa: E731
    kids = set()
    for child in root.iter():
        if local(child) != "Child":
            continue
        cid = next((e.text for e in child.iter() if local(e) == "LAchildID"), None)
        for plan in (e for e in child.iter() if local(e) == "ChildProtectionPlans"):
            f = {local(e): (e.text or "").strip() for e in plan}
            start = pd.Timestamp(f["CPPstartDate"])
            stop = pd.Timestamp(f["CPPendDate"]) if f.get("CPPendDate") else None
            if start <= end and (stop is None or stop > end):
                kids.add(cid)
    return len(kids)


@pytest.mark.parametrize("year", YEARS)
def test_fault_free_headlines_equal_the_years_own_returns(clean_raw, year):
    ds = build_dataset(clean_raw, year=year)
    k = compute_kpis(ds, year).set_index("kpi_id")["value"]
    at_end, during = _own_903(clean_raw, year)
    assert k["cla_at_31_march"] == at_end
    assert k["cla_during_year"] == during
    assert k["cp_plans_at_31_march"] == _own_census(clean_raw, year)
    r = reconciliation(ds, year, compute_kpis(ds, year))
    assert len(r) == 5 and r["difference"].eq(0).all()


def test_with_faults_only_quarantined_rows_separate_the_figures(demo_raw):
    """Issue row 3: the default demo (1% faulty rows) counted 1,200 looked after while the
    2022 return itself had 1,187 open. Now the figure is never above the return's own count,
    and the difference is within the file's quarantined rows."""
    for year in YEARS:
        ds = build_dataset(demo_raw, year=year)
        r = reconciliation(ds, year, compute_kpis(ds, year)).set_index("kpi_id")
        assert r["ok"].all(), r
        assert r.loc["cla_at_31_march", "report"] <= r.loc["cla_at_31_march", "return_count"]


def test_the_revised_reading_moves_no_kpi_on_complete_clean_history(clean_raw, monkeypatch):
    """On complete, clean history the year's own file holds every record open in the year,
    so ending the records it does not hold changes nothing: every KPI of every year equals
    the figure computed without the year view."""
    with_view = {y: compute_kpis(build_dataset(clean_raw, year=y), y) for y in YEARS}
    import iro_analysis.kpis.context as context

    monkeypatch.setattr(context, "year_view", lambda df, *a, **k: df)
    for y in YEARS:
        pd.testing.assert_frame_equal(
            compute_kpis(build_dataset(clean_raw, year=y), y), with_view[y]
        )
    assert authority.year_view is not context.year_view
