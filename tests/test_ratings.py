"""Ratings of every KPI with a direction (kpis/ratings.py; kpis-panel.md "Ratings", issues #15, #26).

Basis order: the council's target, else England's figure for the year, else last year.
England figures used (data/national_figures.csv): icpc_within_15wd_pct 2024 79.7,
health_assessment_pct 2025 90, cp_repeat_plans_pct 2022 22.7, cla_per_10000 2025 67.
"""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from iro_analysis.core.settings import Settings
from iro_analysis.core.settings_sections import FrozenMap
from iro_analysis.kpis.definitions import KPI_CSV_COLUMNS
from iro_analysis.kpis.engine import compute_kpis
from iro_analysis.kpis.ratings import (
    AMBER,
    GREEN,
    NO_BASIS,
    NO_VALUE,
    RED,
    add_ratings,
    rate_value,
    two_proportion_p,
)
from tests.fixtures.kpis import scenario


def history(*rows: tuple) -> pd.DataFrame:
    """kpis.csv rows (kpi_id, year, value[, numerator, denominator]); blank counts when not
    given."""
    return pd.DataFrame(
        [tuple(r) + (pd.NA, pd.NA) if len(r) == 3 else tuple(r) for r in rows],
        columns=["kpi_id", "year", "value", "numerator", "denominator"],
    ).astype({"value": "Float64", "numerator": "Float64", "denominator": "Float64"})


def rated(frame: pd.DataFrame, settings=None) -> dict:
    out = add_ratings(frame, settings)
    return {
        (r.kpi_id, r.year): (None if pd.isna(r.rating) else r.rating, r.rating_basis)
        for r in out.itertuples(index=False)
    }


# --------------------------------------------------------------------------------------
# Target
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (95.0, GREEN),  # above the target
        (90.0, GREEN),  # exactly the target: met
        (88.0, AMBER),  # 2 percentage points short: within
        (87.9, RED),  # 2.1 short
    ],
)
def test_target_higher_is_better_percent(value, expected):
    assert rate_value(value, unit="percent", direction=True, target=90, england=79.7) == (
        expected,
        "target 90%",  # the target comes before England
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (55.0, GREEN),
        (60.0, GREEN),
        (63.0, AMBER),  # 5% of 60 = 3 over
        (63.1, RED),
    ],
)
def test_target_lower_is_better_ratio(value, expected):
    assert rate_value(value, unit="ratio", direction=False, target=60) == (expected, "target 60")


# --------------------------------------------------------------------------------------
# England
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (81.8, GREEN),  # 2.1 points better than England
        (81.7, AMBER),  # 2.0 better: within (exact decimals: 81.7 - 79.7 is 2.0000000000000036)
        (79.7, AMBER),
        (77.7, AMBER),  # 2.0 worse: within
        (77.6, RED),
    ],
)
def test_england_percent(value, expected):
    assert rate_value(value, unit="percent", direction=True, england=79.7) == (
        expected,
        "England 79.7%",
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [(60.0, GREEN), (66.4, GREEN), (66.5, AMBER), (70.0, AMBER), (73.5, AMBER), (73.6, RED)],
)
def test_england_other_units_within_5_percent(value, expected):
    # Lower is better, England 70: within 5% = 3.5 either side.
    assert rate_value(value, unit="ratio", direction=False, england=70) == (expected, "England 70")


# --------------------------------------------------------------------------------------
# Last year
# --------------------------------------------------------------------------------------


def test_the_z_test_agrees_with_scipy_and_by_hand():
    """95/100 against 85/100: pooled 0.9, se = sqrt(0.9 x 0.1 x (1/100 + 1/100)) = 0.04243,
    z = 0.10 / 0.04243 = 2.357, two-sided p = 0.0184 (by hand); scipy's normal agrees."""
    from scipy.stats import norm

    assert two_proportion_p(95, 100, 85, 100) == pytest.approx(0.0184, abs=5e-5)
    for x1, n1, x2, n2 in ((110, 236, 113, 236), (7, 92, 8, 100), (1, 3, 0, 5)):
        pooled = (x1 + x2) / (n1 + n2)
        z = (x1 / n1 - x2 / n2) / (pooled * (1 - pooled) * (1 / n1 + 1 / n2)) ** 0.5
        assert two_proportion_p(x1, n1, x2, n2) == pytest.approx(2 * norm.sf(abs(z)))
    assert two_proportion_p(5, 5, 7, 7) == 1.0  # 100% both years: nothing to test
    assert two_proportion_p(1, 0, 1, 2) is None


# Pairs the issue found rated on noise (n = 236 both years where not given), and real moves.
@pytest.mark.parametrize(
    ("now", "then", "direction", "expected", "basis"),
    [
        # 46.6% (110/236) vs 47.7% (113/236): RED before, noise
        (
            (110, 236),
            (113, 237),
            True,
            AMBER,
            "no significant change from last year (47.7%): two-proportion z-test, p = 0.816",
        ),
        # 77.7% vs 77.0%: GREEN before
        (
            (171, 220),
            (171, 222),
            True,
            AMBER,
            "no significant change from last year (77.0%): two-proportion z-test, p = 0.860",
        ),
        # 7.6% vs 8.0% (lower is better): RED before
        (
            (7, 92),
            (8, 100),
            False,
            AMBER,
            "no significant change from last year (8.0%): two-proportion z-test, p = 0.920",
        ),
        # unchanged 92.8%: never GREEN or RED
        (
            (219, 236),
            (219, 236),
            True,
            AMBER,
            "no significant change from last year (92.8%): two-proportion z-test, p = 1.000",
        ),
        # real moves
        (
            (95, 100),
            (85, 100),
            True,
            GREEN,
            "last year 85.0%: a significant change (two-proportion z-test, p = 0.018)",
        ),
        (
            (95, 100),
            (85, 100),
            False,
            RED,
            "last year 85.0%: a significant change (two-proportion z-test, p = 0.018)",
        ),
        (
            (990, 1000),
            (850, 1000),
            True,
            GREEN,
            "last year 85.0%: a significant change (two-proportion z-test, p < 0.001)",
        ),
    ],
)
def test_last_year_counts_only_a_significant_change(now, then, direction, expected, basis):
    value, last = round(now[0] / now[1] * 100, 1), round(then[0] / then[1] * 100, 1)
    got = rate_value(
        value, unit="percent", direction=direction, last_year=last, counts=(*now, *then)
    )
    assert got == (expected, basis)


@pytest.mark.parametrize(
    ("now", "then", "direction", "expected", "basis"),
    [
        (
            58.0,
            60.0,
            False,
            AMBER,
            "no significant change from last year (60.0): no move of more than 5% of it",
        ),
        (
            63.0,
            60.0,
            False,
            AMBER,
            "no significant change from last year (60.0): no move of more than 5% of it",
        ),
        (
            56.9,
            60.0,
            False,
            GREEN,
            "last year 60.0: a significant change (a move of more than 5% of last year's value)",
        ),
        (
            63.1,
            60.0,
            False,
            RED,
            "last year 60.0: a significant change (a move of more than 5% of last year's value)",
        ),
        (
            12,
            10,
            False,
            RED,
            "last year 10: a significant change (a move of more than 5% of last year's value)",
        ),
    ],
)
def test_a_rate_or_count_counts_only_a_move_of_more_than_5_percent(
    now, then, direction, expected, basis
):
    unit = "count" if isinstance(now, int) else "ratio"
    assert rate_value(now, unit=unit, direction=direction, last_year=then) == (expected, basis)


def test_a_percentage_without_counts_is_not_tested():
    assert rate_value(86.1, unit="percent", direction=True, last_year=85.0) == (
        AMBER,
        "no significant change from last year (85.0%): no counts to test",
    )


def test_no_basis_and_no_value():
    assert rate_value(50.0, unit="percent", direction=True) == (None, NO_BASIS)
    assert rate_value(50.0, unit="count", direction=None, england=1, last_year=2) == (
        None,
        NO_BASIS,
    )
    assert rate_value(pd.NA, unit="percent", direction=True, england=70) == (None, NO_VALUE)


# --------------------------------------------------------------------------------------
# add_ratings over a history frame
# --------------------------------------------------------------------------------------


def test_add_ratings_over_history():
    h = history(
        ("cla_reviews_on_time_pct", 2023, 85.0, 85, 100),
        ("cla_reviews_on_time_pct", 2024, 95.0, 95, 100),  # significantly better: GREEN
        ("icpc_within_15wd_pct", 2023, 70.0),
        ("icpc_within_15wd_pct", 2024, 81.8),  # England 79.7 beats last year
        ("health_assessment_pct", 2025, 88.0),  # not headline: England only
        ("cp_repeat_plans_pct", 2022, 22.7),
        ("cla_per_10000", 2025, 60.0),  # headline, neutral: England shown, not rated
        ("drp_raised", 2024, 12),  # headline count: neutral
        ("cla_caseload_per_iro_fte", 2024, 56.0),  # lower is better, last year 60: -6.7%
        ("cla_caseload_per_iro_fte", 2023, 60.0),
        ("rcpc_on_time_pct", 2024, pd.NA),  # 0/0
    )
    before = h.copy()
    out = add_ratings(h, None)
    pd.testing.assert_frame_equal(h, before)  # input untouched
    assert list(out.columns) == list(KPI_CSV_COLUMNS)
    got = rated(h)
    assert got[("cla_reviews_on_time_pct", 2023)] == (None, NO_BASIS)  # first year
    assert got[("cla_reviews_on_time_pct", 2024)] == (
        GREEN,
        "last year 85.0%: a significant change (two-proportion z-test, p = 0.018)",
    )
    assert got[("icpc_within_15wd_pct", 2024)] == (GREEN, "England 79.7%")
    assert got[("cla_per_10000", 2025)] == (None, NO_BASIS)
    assert got[("drp_raised", 2024)] == (None, NO_BASIS)
    assert got[("cla_caseload_per_iro_fte", 2024)] == (
        GREEN,
        "last year 60.0: a significant change (a move of more than 5% of last year's value)",
    )
    assert got[("rcpc_on_time_pct", 2024)] == (None, NO_VALUE)
    # Not headline, but with a direction: rated too (kpis-panel.md), here against England.
    assert got[("health_assessment_pct", 2025)] == (AMBER, "England 90%")
    eng = dict(zip(zip(out["kpi_id"], out["year"], strict=True), out["england"], strict=True))
    assert eng[("health_assessment_pct", 2025)] == 90
    assert eng[("cp_repeat_plans_pct", 2022)] == 22.7
    assert eng[("cla_per_10000", 2025)] == 67
    assert eng[("icpc_within_15wd_pct", 2023)] == 78.5
    assert pd.isna(eng[("cla_reviews_on_time_pct", 2024)])  # no England figure
    assert pd.isna(eng[("drp_raised", 2024)])


def test_targets_from_settings():
    h = history(
        ("cla_reviews_on_time_pct", 2024, 86.1, 861, 1000),
        ("cla_reviews_on_time_pct", 2023, 95.0, 950, 1000),
    )
    settings = Settings(targets=FrozenMap({"cla_reviews_on_time_pct": 88}))
    assert rated(h, settings)[("cla_reviews_on_time_pct", 2024)] == (AMBER, "target 88%")
    ns = SimpleNamespace(targets={"cla_reviews_on_time_pct": 90.5})
    assert rated(h, ns)[("cla_reviews_on_time_pct", 2024)] == (RED, "target 90.5%")
    # No targets (settings without the attribute): last year.
    assert rated(h, object())[("cla_reviews_on_time_pct", 2024)] == (
        RED,
        "last year 95.0%: a significant change (two-proportion z-test, p < 0.001)",
    )


def test_add_ratings_replaces_existing_columns():
    h = add_ratings(history(("icpc_within_15wd_pct", 2024, 81.8)))
    again = add_ratings(h)
    pd.testing.assert_frame_equal(h, again)


def test_empty_history():
    out = add_ratings(history())
    assert list(out.columns) == list(KPI_CSV_COLUMNS) and out.empty


# --------------------------------------------------------------------------------------
# compute_kpis rates against the previous year's headline values
# --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_compute_kpis_rates_against_last_year_and_england():
    ds = scenario.dataset()
    df = compute_kpis(ds, 2023).set_index("kpi_id")
    assert list(df.reset_index().columns) == list(KPI_CSV_COLUMNS)
    assert set(df["year"]) == {2023}  # 2022's headline rows are not returned

    def got(kid):
        r = df.loc[kid]
        return (None if pd.isna(r["rating"]) else r["rating"], r["rating_basis"])

    # tests/test_kpis.py: 2022 3/4 = 75.0 -> 2023 7/9 = 77.8: pooled 10/13, se 0.2532,
    # z 0.110, p 0.913 (by hand): no real change. Participation 100.0 -> 8/9 = 88.9: p 0.439.
    # ICPCs 50.0 against England 78.5 (2023); disputes resolved in 20 wd 0/n -> 1/4: p 0.576.
    nothing = "no significant change from last year"
    assert got("cla_reviews_on_time_pct") == (
        AMBER,
        f"{nothing} (75.0%): two-proportion z-test, p = 0.913",
    )
    assert got("cla_participation_pct") == (
        AMBER,
        f"{nothing} (100.0%): two-proportion z-test, p = 0.439",
    )
    assert got("icpc_within_15wd_pct") == (RED, "England 78.5%")
    assert df.loc["icpc_within_15wd_pct", "england"] == 78.5
    assert got("drp_resolved_within_20wd_pct") == (
        AMBER,
        f"{nothing} (0.0%): two-proportion z-test, p = 0.576",
    )
    # Caseload: 3 / 2.4 = 1.3 in 2022, 6 / 2.1 = 2.9 in 2023 (lower is better): +123%.
    assert got("cla_caseload_per_iro_fte") == (
        RED,
        "last year 1.3: a significant change (a move of more than 5% of last year's value)",
    )
    # 2022 had no resolved dispute (blank value): no basis for the 2023 0.0.
    assert got("drp_outcome_plan_changed_pct") == (None, NO_BASIS)
    # No direction (a neutral count): blank.
    assert pd.isna(df.loc["cla_during_year", "rating_basis"])
    # A target comes first.
    s = Settings(targets=FrozenMap({"cla_reviews_on_time_pct": 79}))
    df = compute_kpis(ds, 2023, s).set_index("kpi_id")
    assert df.loc["cla_reviews_on_time_pct", "rating"] == AMBER
    assert df.loc["cla_reviews_on_time_pct", "rating_basis"] == "target 79%"


def test_first_year_has_no_last_year():
    df = compute_kpis(scenario.dataset(), 2022).set_index("kpi_id")
    assert df.loc["cla_reviews_on_time_pct", "rating_basis"] == NO_BASIS
    assert pd.isna(df.loc["cla_reviews_on_time_pct", "rating"])
