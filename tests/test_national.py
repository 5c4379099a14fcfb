"""England's published national figures (issue #15): the shape of
`data/national_figures.csv`, its agreement with `docs/national-figures.md`, and values
checked by hand against the DfE sources named in each row."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest

from iro_analysis.kpis import national
from iro_analysis.kpis.registry import KPI_DEFINITIONS

DOC = Path(__file__).resolve().parents[1] / "docs" / "national-figures.md"
FIRST_YEAR = 2018
LATEST_YEAR = 2025  # the latest reporting year DfE has published for both publications
# Panel KPIs (spec kpis-panel.md) registered by the KPI modules; until they are, their rows
# are checked against the spec's ids only.
PANEL_KPIS = {"cla_per_10000", "cp_per_10000"}


@pytest.fixture(scope="module")
def nf() -> pd.DataFrame:
    return national.national_figures()


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def _gaps(doc: str) -> dict[str, set[int]]:
    """The 'Gaps' section: `- `measure` — missing: 2018, 2019. ...` per measure."""
    section = doc.split("## Gaps", 1)[1]
    return {
        m: {int(y) for y in re.findall(r"\d{4}", years)}
        for m, years in re.findall(r"^- `(\w+)` — missing: ([0-9, ]+)\.", section, re.M)
    }


def _round1(x: Decimal) -> float:
    return float(x.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


# ---------------------------------------------------------------------------------------
# Shape
# ---------------------------------------------------------------------------------------


def test_columns_units_and_years(nf):
    assert tuple(nf.columns) == national.COLUMNS
    assert set(nf["unit"]) <= set(national.UNITS)
    assert nf["year"].between(FIRST_YEAR, LATEST_YEAR).all()
    assert nf.notna().all().all()
    assert nf["published"].astype(str).str.fullmatch(r"20\d\d-(0[1-9]|1[0-2])").all()


def test_no_duplicate_measure_year_and_sorted(nf):
    assert not nf.duplicated(["measure", "year"]).any()
    assert list(nf.index) == list(nf.sort_values(["measure", "year"]).index)


def test_units_match_the_measure(nf):
    for m, g in nf.groupby("measure"):
        assert g["unit"].nunique() == 1, m
        unit = g["unit"].iloc[0]
        if m in national.CONTEXT_ONLY:
            assert unit == "count", m
        elif m.endswith("_per_10000"):
            assert unit == "rate_per_10000", m
        else:
            assert m.endswith("_pct") and unit == "percent", m


def test_values_are_plausible_and_as_published(nf):
    pct = nf[nf["unit"] == "percent"]["value"]
    assert pct.between(0, 100).all()
    rate = nf[nf["unit"] == "rate_per_10000"]["value"]
    assert rate.between(1, 1000).all()
    counts = nf[nf["unit"] == "count"]["value"]
    assert (counts % 10 == 0).all()  # DfE rounds national counts to the nearest 10
    assert (nf["value"].round(1) == nf["value"]).all()  # at most 1 dp, as published


def test_each_row_names_an_edition_that_covers_its_year(nf):
    for r in nf.itertuples():
        m = re.search(r"reporting year (\d{4})", r.source)
        assert m, r.source
        edition = int(m.group(1))
        assert edition >= r.year, (r.measure, r.year)
        # an edition is published in the autumn after its reporting year ends
        assert str(r.published).startswith(str(edition)), (r.measure, r.year, r.published)
        assert r.table.strip(), (r.measure, r.year)


def test_every_measure_is_a_kpi_id(nf):
    for m in sorted(set(nf["measure"])):
        assert m in KPI_DEFINITIONS or m in PANEL_KPIS, m


@pytest.mark.parametrize("measure", sorted(PANEL_KPIS))
def test_panel_kpis_once_registered_are_rates(measure):
    d = KPI_DEFINITIONS.get(measure)
    if d is None:
        pytest.skip(f"{measure} is not registered yet (kpis-panel.md)")
    assert d.unit != "count"  # a rate per 10,000, compared with England's


def test_percent_measures_are_percent_kpis(nf):
    for m in set(nf.loc[nf["unit"] == "percent", "measure"]):
        assert KPI_DEFINITIONS[m].unit == "percent", m


def test_context_only_counts_are_the_only_counts(nf):
    assert set(nf.loc[nf["unit"] == "count", "measure"]) == set(national.CONTEXT_ONLY)
    assert all(national.is_context_only(m) for m in national.CONTEXT_ONLY)
    assert not set(national.england_measures()) & national.CONTEXT_ONLY
    assert {"cla_per_10000", "cp_per_10000", "health_assessment_pct"} <= set(
        national.england_measures()
    )


def test_at_least_eight_rate_measures(nf):
    assert len(national.england_measures()) >= 8


def test_every_rate_measure_covers_2018_to_latest_or_documents_the_gap(nf, doc):
    gaps = _gaps(doc)
    full = set(range(FIRST_YEAR, LATEST_YEAR + 1))
    for m in national.england_measures():
        have = set(nf.loc[nf["measure"] == m, "year"])
        missing = full - have
        assert missing == gaps.get(m, set()), (m, sorted(missing), sorted(gaps.get(m, ())))
    assert set(gaps) <= set(national.england_measures())


def test_docs_describe_every_measure_and_mark_counts_context_only(nf, doc):
    for m in set(nf["measure"]):
        assert f"`{m}`" in doc, m
    glance = doc.split("## Measures at a glance", 1)[1].split("\n## ", 1)[0]
    for m in national.CONTEXT_ONLY:
        assert re.search(rf"^\| `{m}` \| context only \|", glance, re.M), m
    for m in national.england_measures():
        assert re.search(rf"^\| `{m}` \| comparator", glance, re.M), m


def test_no_kpi_is_compared_with_a_count():
    """Issue #15: counts get no England figure (a national count compares nothing)."""
    named = {d.england for d in KPI_DEFINITIONS.values() if d.england}
    assert not named & national.CONTEXT_ONLY


def test_every_england_key_in_the_registry_is_a_measure(nf):
    named = {d.england for d in KPI_DEFINITIONS.values() if d.england}
    assert named <= set(nf["measure"])


# ---------------------------------------------------------------------------------------
# Values checked by hand against the sources in each row
# ---------------------------------------------------------------------------------------

HAND_CHECKED = [
    # CLA 2025 release page, 'CLA on 31 March': rate per 10,000 2021..2025 = 69 70 70 69 67
    ("cla_per_10000", 2025, 67),
    ("cla_per_10000", 2023, 70),
    # CLA data file national rows 'Children starting/ceasing to be looked after each year'
    ("cla_started_per_10000", 2019, 27),  # 2023 edition: 31,780 children
    ("cla_started_per_10000", 2022, 26),  # 2025 edition: 31,100 children
    ("cla_ceased_per_10000", 2020, 25),  # 2024 edition: 29,710 children
    ("cla_ceased_per_10000", 2025, 28),  # 2025 edition: 34,450 children
    # CIN 2020 A2 national row 'CPP at 31 March': 51510, rate 42.8
    ("cp_per_10000", 2020, 42.8),
    # CIN 2025 D3 national rows (2022 revised from 23.3 in the 2024 edition)
    ("cp_repeat_plans_pct", 2018, 20.2),
    ("cp_repeat_plans_pct", 2022, 22.7),
    ("cp_repeat_plans_pct", 2025, 24.5),
    # D7 national rows: 2020 edition 2400/66970; 2025 edition 2710/62300
    ("cp_plans_ended_2y_plus_pct", 2020, 3.6),
    ("cp_plans_ended_2y_plus_pct", 2025, 4.4),
    # CLA OC2 national rows (whole-number percentages)
    ("health_assessment_pct", 2021, 91),
    ("dental_check_pct", 2021, 40),
    ("immunisations_pct", 2023, 82),
    ("immunisations_pct", 2019, 87),
    # C4 2023 bands (6850 + 51480) / 74350
    ("icpc_within_15wd_pct", 2023, 78.5),
    # placement-stability file, national rows: 2022 (2025 edition) 8,210 of 82,090 with 3+
    # placements; 20,830 of 29,510 long-term stable; 2019 (2023 edition) 8,310 / 78,140
    ("cla_placements_3plus_pct", 2022, 10),
    ("cla_placements_3plus_pct", 2019, 11),
    ("cla_long_term_stability_pct", 2022, 71),
    ("cla_long_term_stability_pct", 2020, 68),
    # context counts
    ("cla_at_31_march", 2022, 82090),
    ("cp_plans_at_31_march", 2025, 49420),
]


@pytest.mark.parametrize(("measure", "year", "value"), HAND_CHECKED)
def test_hand_checked_values(measure, year, value):
    assert national.national_value(measure, year) == value


def test_missing_figures_are_none_not_zero():
    assert national.national_value("cp_per_10000", 2019) is None
    assert national.national_value("health_assessment_pct", 2018) is None
    assert national.national_value("cla_per_10000", 2017) is None
    assert national.national_value("cla_started_per_10000", 2018) is None
    assert national.national_value("no_such_measure", 2022) is None


def test_derived_icpc_percentages_recompute_from_the_bands_in_table(nf):
    rows = nf[nf["measure"] == "icpc_within_15wd_pct"]
    assert len(rows) == LATEST_YEAR - FIRST_YEAR + 1
    for r in rows.itertuples():
        m = re.search(r"\((\d+) \+ (\d+)\) / \((\d+) \+ (\d+) \+ (\d+) \+ (\d+)\) x 100", r.table)
        assert m and "derived" in r.table, r.year
        a, b, a2, b2, c, d = (int(x) for x in m.groups())
        assert (a, b) == (a2, b2), r.year
        assert r.value == _round1(Decimal(a + b) * 100 / Decimal(a + b + c + d)), r.year


def test_latest_edition_wins_within_a_publication(nf):
    """Within a CIN measure read from one file every year has the same (latest) edition; a
    CLA year never comes from an older edition than a later year of the same measure."""
    for m, g in nf.groupby("measure"):
        eds = g.sort_values("year")["source"].str.extract(r"reporting year (\d{4})")[0]
        eds = eds.astype(int).tolist()
        assert eds == sorted(eds), m
