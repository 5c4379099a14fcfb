"""DfE's consistency rules for episodes (issue #29) on the hand-made fixture
tests/fixtures/consistency/ (its README works every figure out): overlapping episodes and
a date of birth or sex disagreeing between the 903 and the census are warnings, counted,
never naming a child; overlapping episodes are one period of care, so a review inside the
overlap belongs to it and no child is ceased while an episode of theirs is still open."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from iro_analysis.contract.quality import WARNING_RULES
from iro_analysis.ingest.clean import build_dataset
from iro_analysis.kpis.cla import ceased_episodes
from iro_analysis.kpis.context import KpiContext
from iro_analysis.kpis.engine import compute_kpis
from iro_analysis.kpis.reconcile import reconciliation
from iro_analysis.report.annex import warnings_table

RAW = Path(__file__).parent / "fixtures" / "consistency" / "raw"
YEAR = 2022
CHILDREN = ("B1", "B2", "B3", "B4", "B5")
D = pd.Timestamp


@pytest.fixture(scope="module")
def ds():
    return build_dataset(RAW, year=YEAR)


@pytest.fixture(scope="module")
def kpis(ds) -> pd.Series:
    return compute_kpis(ds, YEAR).set_index("kpi_id")


def _warnings(ds, rule: str) -> list[list]:
    w = ds.warnings
    return w.loc[w["rule"].eq(rule), ["file", "line", "column"]].values.tolist()


def _value(kpis, kpi_id: str) -> tuple:
    r = kpis.loc[kpi_id]
    return tuple(None if pd.isna(v) else float(v) for v in r[["value", "numerator", "denominator"]])


def test_overlapping_episodes_are_warnings_and_nothing_is_dropped(ds):
    # B1's second open episode (line 3), B2's episode inside its open one (line 5) and
    # B5's episode nested in its first (line 10).
    assert _warnings(ds, "overlapping_episodes") == [
        ["ssda903/episodes.csv", 3, "DECOM"],
        ["ssda903/episodes.csv", 5, "DECOM"],
        ["ssda903/episodes.csv", 10, "DECOM"],
    ]
    assert "overlapping_episodes" in WARNING_RULES
    assert ds.quarantine.empty
    assert len(ds["episodes"]) == 10  # a warning drops nothing


def test_dob_and_sex_disagreeing_with_the_census_are_counted_once_each(ds):
    # B3 (header line 4) only: B2 agrees, B4's census sex is 0 (not known).
    assert _warnings(ds, "dob_differs_903_census") == [["ssda903/header.csv", 4, "DOB"]]
    assert _warnings(ds, "sex_differs_903_census") == [["ssda903/header.csv", 4, "SEX"]]
    # Each source keeps its own value.
    header = ds["header"].set_index("CHILD")
    census = ds["cin_children"].set_index("LAchildID")
    assert header.loc["B3", "DOB"] == D("2015-03-03")
    assert census.loc["B3", "PersonBirthDate"] == D("2015-03-04")
    assert (header.loc["B3", "SEX"], census.loc["B3", "Sex"]) == ("1", "2")


def test_the_warnings_never_name_a_child(ds):
    text = " ".join(ds.warnings.astype(str).to_numpy().ravel())
    assert not any(re.search(rf"\b{c}\b", text) for c in CHILDREN)
    assert "2015" not in text  # nor a date of birth


def test_the_annex_counts_the_warnings_without_ids(ds):
    html = str(warnings_table(ds, YEAR, "2021/22"))
    rows = [
        [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r)]
        for r in re.findall(r"<tr>(.*?)</tr>", html)
    ]
    assert [(r[0], r[1], r[3]) for r in rows[1:]] == [
        ("ssda903/episodes.csv", "DECOM", "3"),
        ("ssda903/header.csv", "DOB", "1"),
        ("ssda903/header.csv", "SEX", "1"),
    ]
    assert not any(re.search(rf"\b{c}\b", html) for c in CHILDREN)


CLA = {
    "cla_at_31_march": 3,  # B1, B2, B3
    "cla_during_year": 5,
    # B2, B3, B4: B1's RNE S episode of 1 Oct 2021 continues the period open since March
    "cla_started": 3,
    # B4 and B5: B2's episode ending 1 Sep 2021 ends no period (its care went on)
    "cla_ceased": 2,
}


@pytest.mark.parametrize(("kpi_id", "expected"), CLA.items())
def test_children_looked_after_with_overlapping_episodes(kpis, kpi_id, expected):
    assert _value(kpis, kpi_id) == (expected, None, None)


def test_no_child_is_both_ceased_and_looked_after_at_31_march_through_an_overlap(ds):
    ctx = KpiContext(ds, YEAR)
    ceased = set(ceased_episodes(ctx)["CHILD"])
    assert ceased == {"B4", "B5"}
    assert ceased.isdisjoint(ctx.cla_at_end["CHILD"])


def test_a_child_has_one_period_at_a_time(ds):
    p = KpiContext(ds, YEAR).periods.set_index("CHILD")
    assert list(p.index) == ["B1", "B2", "B3", "B4", "B5"]
    assert p.loc["B1", "start"] == D("2021-03-01") and pd.isna(p.loc["B1", "end"])
    assert p.loc["B2", "start"] == D("2021-05-10") and pd.isna(p.loc["B2", "end"])
    assert p.loc["B4", "end"] == D("2022-01-20")
    assert (p.loc["B5", "start"], p.loc["B5", "end"]) == (D("2021-01-01"), D("2021-11-30"))


def test_reviews_inside_the_overlap_belong_to_the_one_period(ds):
    tr = KpiContext(ds, YEAR).timed_reviews.set_index(["CHILD", "REVIEW"])
    # B2: 4 Jun 2021 inside both episodes, 1 Dec 2021 after the inner one ended.
    b2 = tr.loc["B2"]
    assert b2["in_period"].all() and b2["period"].tolist() == [1, 1, 1]
    assert b2["ordinal"].tolist() == [1, 2, 3]
    # Review 1 due on the 20th working day after 10 May 2021 (31 May a bank holiday): 8 June;
    # review 2 within 3 months of 4 June; review 3 within 6 months of 1 September.
    assert b2["due_date"].tolist() == [D("2021-06-08"), D("2021-09-04"), D("2022-03-01")]
    assert b2["on_time"].all()
    # B1: 15 Nov 2021, after the second open episode started, is the period's second review.
    r = tr.loc[("B1", D("2021-11-15"))]
    assert (r["seq"], r["due_date"], r["on_time"]) == (2, D("2022-02-20"), True)


REVIEWS = {
    "cla_reviews_held": (7, None, None),
    "cla_reviews_on_time_pct": (100.0, 6, 6),
    "cla_reviews_not_assessable": (1, None, None),  # B1's first supplied review
    "cla_reviews_overdue_at_31_march": (1, None, None),  # B3: no review, 42 working days
    "cla_children_reviews_on_time_pct": (33.3, 1, 3),  # B2 of B1, B2, B3
}


@pytest.mark.parametrize(("kpi_id", "expected"), REVIEWS.items())
def test_review_figures_with_overlapping_episodes(kpis, kpi_id, expected):
    assert _value(kpis, kpi_id) == tuple(None if v is None else float(v) for v in expected)


def test_the_years_own_return_counts_periods_the_same_way(ds, kpis):
    r = reconciliation(ds, YEAR, kpis.reset_index())
    assert r["ok"].all()
    got = r.set_index("kpi_id")["return_count"].to_dict()
    assert {k: got[k] for k in CLA} == CLA
