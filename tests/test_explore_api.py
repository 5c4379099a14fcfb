"""The analysts' explore API (iro_analysis.analysts.explore, issue #30) on the hand-made
exception-lists scenario (tests/fixtures/exceptions/scenario.py: the KPI scenario plus
C12-C15, reporting year 2023): one name for the child, ordered bands, drills that say
which categories exist, `__all__`, and in-year KPIs worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from iro_analysis.analysts import exceptions, explore, in_year
from iro_analysis.contract.codes import AGE_BANDS
from iro_analysis.core.settings import settings_or_defaults
from iro_analysis.kpis.engine import compute_breakdowns, compute_kpis
from tests.fixtures.exceptions import scenario

YEAR = 2023
AGE_ORDER = [*(label for label, _, _ in AGE_BANDS), "Not known"]


@pytest.fixture(scope="module")
def ds():
    return scenario.dataset()


@pytest.fixture(scope="module")
def ctx(ds):
    return explore.context(ds, YEAR)


@pytest.fixture(scope="module")
def tables(ds):
    return explore.breakdowns(ds, YEAR)


# --------------------------------------------------------------------------------------
# One name for the child
# --------------------------------------------------------------------------------------


def test_every_table_names_the_child_child_id(ctx, tables):
    assert explore.CHILD_ID == "child_id"
    for fn in (
        explore.children_looked_after,
        explore.reviews_with_due_dates,
        explore.conferences,
        explore.disputes,
    ):
        frame = fn(ctx)
        assert "child_id" in frame.columns, fn.__name__
        assert "CHILD" not in frame.columns, fn.__name__
    for name, table in tables.items():
        assert "CHILD" not in table.columns, name
    cla = explore.children_looked_after(ctx)
    assert cla["child_id"].tolist() == sorted(cla["child_id"])
    assert "C1" in set(explore.drill(ctx, "cla_by_sex", "Male")["child_id"])


# --------------------------------------------------------------------------------------
# Ordered bands
# --------------------------------------------------------------------------------------


def test_age_bands_are_ordered_categoricals(ctx):
    for frame in (explore.children_looked_after(ctx), explore.reviews_with_due_dates(ctx)):
        band = frame["age_band"]
        assert isinstance(band.dtype, pd.CategoricalDtype) and band.dtype.ordered
        assert list(band.cat.categories) == AGE_ORDER
        # "5 to 9" sorts before "10 to 15" (as text it would not).
        assert pd.Series(["10 to 15", "5 to 9"], dtype=band.dtype).sort_values().tolist() == [
            "5 to 9",
            "10 to 15",
        ]
    cla = explore.children_looked_after(ctx)
    # At 31 March 2023: C4 (born Nov 2022) under 1, C11 (born 31 Mar 2019) 4, C2 8, ...
    assert cla.set_index("child_id")["age_band"].astype(str).to_dict() == {
        "C1": "10 to 15",
        "C10": "10 to 15",
        "C11": "1 to 4",
        "C12": "16 and over",
        "C13": "16 and over",
        "C15": "1 to 4",
        "C2": "5 to 9",
        "C4": "Under 1",
        "C5": "16 and over",
    }


def test_breakdown_bands_are_ordered_and_the_counts_unchanged(ds, tables):
    raw = compute_breakdowns(ds, YEAR)
    for name, column, order in (
        ("cla_by_age_band", "age_band", AGE_ORDER),
        ("participation_by_age_band", "age_band", AGE_ORDER),
        ("caseload_bands", "band", ["Under 50", "50 to 70", "Over 70", "Not known"]),
    ):
        band = tables[name][column]
        assert band.dtype.ordered and list(band.cat.categories) == order, name
        # Same rows and counts as the report's table; only the dtype differs.
        pd.testing.assert_frame_equal(
            tables[name].astype({column: str}), raw[name].astype({column: str}), check_dtype=False
        )
        assert raw[name][column].dtype != band.dtype  # the report's own table is untouched


# --------------------------------------------------------------------------------------
# Drills
# --------------------------------------------------------------------------------------


def test_an_unknown_category_lists_the_valid_ones(ctx):
    with pytest.raises(ValueError, match=r"no category 'Boy'.*'Male', 'Female', 'Not known'"):
        explore.drill(ctx, "cla_by_sex", "Boy")
    with pytest.raises(ValueError, match=r"'Under 1', '1 to 4', '5 to 9', '10 to 15'"):
        explore.drill(ctx, "cla_by_age_band", "5-9")
    assert explore.drill_categories(ctx, "cla_by_sex") == ["Male", "Female", "Not known"]


def test_a_category_in_another_case_is_accepted(ctx):
    # Looked after at 31 March 2023: C1, C5, C11, C12 male; C2, C4, C10, C13, C15 female.
    male = explore.drill(ctx, "cla_by_sex", "male")
    assert sorted(male["child_id"]) == ["C1", "C11", "C12", "C5"]
    pd.testing.assert_frame_equal(male, explore.drill(ctx, "cla_by_sex", " MALE "))
    assert len(explore.drill(ctx, "cla_by_sex", "Female")) == 5
    assert len(explore.drill(ctx, "cla_by_age_band", "16 AND OVER")) == 3


def test_a_valid_category_without_children_is_empty(ctx):
    assert explore.drill(ctx, "cla_by_sex", "Not known").empty


def test_an_unknown_breakdown_lists_the_drillable_ones(ctx):
    with pytest.raises(ValueError, match=r"cannot drill into 'cla_by_gender'.*cla_by_sex"):
        explore.drill(ctx, "cla_by_gender", "Male")


# --------------------------------------------------------------------------------------
# __all__
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("module", [explore, exceptions, in_year])
def test_all_lists_the_public_api(module):
    for name in module.__all__:
        assert hasattr(module, name), name
    assert len(set(module.__all__)) == len(module.__all__)


def test_explore_all_holds_every_public_function():
    public = {
        n
        for n, v in vars(explore).items()
        if callable(v)
        and not n.startswith("_")
        and getattr(v, "__module__", "").startswith("iro_analysis.analysts")
    }
    assert public - {"as_at_context", "in_year_kpis"} <= set(explore.__all__)
    assert "kpis" in explore.__all__ and "drill" in explore.__all__


# --------------------------------------------------------------------------------------
# In-year KPIs
# --------------------------------------------------------------------------------------


def test_in_year_kpis_at_31_january_by_hand(ds):
    got = explore.kpis(ds, YEAR, as_at="2023-01-31")
    assert list(got.index) == list(in_year.IN_YEAR_KPIS)
    assert (got["as_at"] == pd.Timestamp("2023-01-31")).all()
    values = {
        k: (r.value, None if pd.isna(r.numerator) else int(r.numerator))
        for k, r in zip(got.index, got.itertuples(), strict=True)
    }
    denominators = {k: None if pd.isna(v) else int(v) for k, v in got["denominator"].items()}
    # Looked after at Tue 31 Jan 2023 (short breaks excluded): C1, C2 (back 3 Oct), C4,
    # C5, C6 (leaves 31 Mar), C12, C13, C14 (leaves 1 Feb), C15 = 9. Not yet: C10, C11.
    assert values["cla_at_31_march"] == (9, None)
    # Overdue at the date: C14's review 2 on 27 Jul 2022, review 3 due 27 Jan 2023, not
    # held. (C13 due 25 Feb; C12 reviewed 20 Jan; C2's second review 27 Jan.)
    assert values["cla_reviews_overdue_at_31_march"] == (1, None)
    # Reviews held 1 Feb 2022 to 31 Jan 2023: 20 (C3's short-break review dropped), C6's
    # of 1 Jul 2022 before its period not assessable: 19. Late: C2 25 Mar 2022 (due
    # 28 Dec 2021), C5 16 Nov 2022 (due 10 Nov), C6 28 Nov 2022 (due 26 Nov): 16 / 19.
    assert values["cla_reviews_on_time_pct"] == (84.2, 16)
    assert denominators["cla_reviews_on_time_pct"] == 19
    # ICPCs: K1 21 Jun 2022, the 15th working day after the S47 of 27 May (Jubilee 2-3
    # June): on time; K3 30 Nov after the S47 of 1 Nov (due 22 Nov): late. 1 / 2.
    assert values["icpc_within_15wd_pct"] == (50.0, 1)
    assert denominators["icpc_within_15wd_pct"] == 2
    # RCPCs: K6 8 Apr 2022 (due 11 Apr) on time, K1 20 Sep (due 21 Sep) on time, K6
    # 10 Oct (due 8 Oct) late, K2 25 Oct (due 1 Nov) on time; K1's of 21 Mar 2023 is
    # after the date. 3 / 4.
    assert values["rcpc_on_time_pct"] == (75.0, 3)
    assert denominators["rcpc_on_time_pct"] == 4
    # Open at the date over 20 working days: D6 (raised 1 Dec 2022). D3, D7, D8 are
    # raised later; D5 was resolved 20 Apr 2022.
    assert values["drp_open_overdue_at_31_march"] == (1, None)
    # PEP cohort (5 to 15 at the date): C1 (12), C2 (7), C6 (11). Latest PEP no more than
    # 183 days before 31 Jan 2023 (1 Aug 2022): C1 28 Sep, C2 29 Sep; C6 none. 2 / 3.
    assert values["pep_up_to_date_pct"] == (66.7, 2)
    assert denominators["pep_up_to_date_pct"] == 3
    assert got.loc["cla_at_31_march", "title"] == "Children looked after at 31 January 2023"


def test_in_year_kpis_at_31_march_are_the_published_ones(ds):
    got = explore.kpis(ds, YEAR, as_at="2023-03-31")
    published = (
        compute_kpis(ds, YEAR, settings_or_defaults())
        .set_index("kpi_id")
        .loc[list(in_year.IN_YEAR_KPIS)]
    )
    for column in ("value", "numerator", "denominator"):
        pd.testing.assert_series_equal(
            got[column].astype("Float64"), published[column].astype("Float64"), check_names=False
        )
    # Without as_at: every KPI, as before.
    assert len(explore.kpis(ds, YEAR)) == len(compute_kpis(ds, YEAR, settings_or_defaults()))


@pytest.mark.parametrize("bad", ["2023-04-01", "2022-03-31", "not a date", "2023-01-31 12:00"])
def test_an_as_at_outside_the_year_names_the_date_and_the_year(ds, bad):
    with pytest.raises(ValueError, match=r"as_at") as e:
        explore.kpis(ds, YEAR, as_at=bad)
    if bad[:4].isdigit() and " " not in bad:
        assert bad in str(e.value) and "2022/23" in str(e.value)


def test_the_inputs_are_not_changed(ds, ctx):
    before = {k: v.copy() for k, v in ds.tables.items()}
    explore.kpis(ds, YEAR, as_at="2023-01-31")
    explore.breakdowns(ds, YEAR)
    explore.children_looked_after(ctx)
    for k, v in before.items():
        pd.testing.assert_frame_equal(ds.tables[k], v)
