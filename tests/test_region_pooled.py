"""The pooled store (hive-partitioned parquet by council and year) and its DuckDB KPIs
(iro_analysis.region.pooled): every SQL KPI equals the pandas engine's, council by council.

Councils: the hand-built KPI scenario (tests/fixtures/kpis/scenario.py: the Jubilee and
State Funeral bank holidays, a review due on 29 February 2024, care ending on 31 March,
plans ending on 31 March, a period restarting the 20-working-day rule, short breaks, ICPCs
not required) under two codes, one of them without the disputes extract in 2023, and a
small generated region of three demo councils.
"""

from __future__ import annotations

import dataclasses
import math

import duckdb
import numpy as np
import pandas as pd
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest

from iro_analysis.contract.tables import CLEAN_TABLES, SOURCE_YEAR
from iro_analysis.core.settings import Settings
from iro_analysis.ingest.quarantine import coerce_table
from iro_analysis.kpis.calendar import working_days_between
from iro_analysis.kpis.definitions import rate
from iro_analysis.kpis.engine import compute_kpis
from iro_analysis.kpis.registry import KPI_DEFINITIONS, ratio_per
from iro_analysis.region import pooled
from iro_analysis.region.pooled import (
    KPI_OUT_COLUMNS,
    POOLED,
    SQL_KPIS,
    calendar_frame,
    pooled_kpis,
    write_council,
)
from tests.fixtures.kpis import scenario

SCENARIO_YEARS = (2022, 2023, 2024)


def _without(ds, year: int, inputs: tuple[str, ...]):
    """The dataset as if `inputs` had not been supplied in `year`'s folder."""
    sup = ds.supplied.copy()
    sup.loc[sup["year"].eq(year) & sup["input"].isin(inputs), "present"] = False
    return dataclasses.replace(ds, supplied=sup)


@pytest.fixture(scope="module")
def scenario_store(tmp_path_factory):
    """Two councils from the scenario: 101 as it is, 102 without 2023's disputes extract."""
    ds = scenario.dataset()
    councils = {"101": ds, "102": _without(ds, 2023, ("disputes",))}
    root = tmp_path_factory.mktemp("store")
    for code, d in councils.items():
        write_council(d, code, root)
    return root, councils


def _pandas_rows(ds, year: int, settings: Settings | None = None) -> pd.DataFrame:
    k = compute_kpis(ds, year, settings)
    return k.loc[k["kpi_id"].isin(SQL_KPIS), ["kpi_id", "value", "numerator", "denominator"]]


def _as_tuples(frame: pd.DataFrame) -> dict[str, tuple]:
    out = {}
    cols = ["kpi_id", "value", "numerator", "denominator"]
    for kpi_id, *values in frame[cols].itertuples(index=False, name=None):
        out[kpi_id] = tuple(None if pd.isna(v) else float(v) for v in values)
    return out


def _assert_equal_to_pandas(root, councils: dict, year: int, settings=None) -> pd.DataFrame:
    sql = pooled_kpis(root, year, settings)
    for code, ds in councils.items():
        expected = _as_tuples(_pandas_rows(ds, year, settings))
        got = _as_tuples(sql.loc[sql["la_code"].eq(code)])
        assert got == expected, f"council {code}, {year}"
    return sql


@pytest.mark.slow
@pytest.mark.parametrize("year", SCENARIO_YEARS)
def test_sql_equals_pandas_on_the_scenario(scenario_store, year):
    root, councils = scenario_store
    sql = _assert_equal_to_pandas(root, councils, year)
    assert list(sql.columns) == list(KPI_OUT_COLUMNS)
    assert sql["year"].eq(year).all()


@pytest.mark.slow
def test_sql_equals_pandas_with_pn4_not_participation(scenario_store):
    root, councils = scenario_store
    settings = Settings(pn4_counts_as_participation=False)
    sql = _assert_equal_to_pandas(root, councils, 2023, settings)
    default = pooled_kpis(root, 2023)
    pick = sql["kpi_id"].eq("cla_participation_pct") & sql["la_code"].eq("101")
    # The scenario has a PN4 review in 2023, so the setting changes the numerator.
    assert sql.loc[pick, "numerator"].item() < default.loc[pick, "numerator"].item()


def test_scenario_2023_hand_checked_values(scenario_store):
    """A few of tests/test_kpis.py's hand-worked 2023 figures, straight from the SQL."""
    root, _ = scenario_store
    sql = pooled_kpis(root, 2023)
    one = sql.loc[sql["la_code"].eq("101")].set_index("kpi_id")
    assert one.loc["cla_at_31_march", "value"] == 6  # C1, C2, C4, C5, C10, C11
    assert one.loc["cla_ceased", "value"] == 2
    assert one.loc["icpc_held", "value"] == 3


def test_missing_input_drops_the_kpi_for_that_council_only_and_pools_the_rest(scenario_store):
    root, councils = scenario_store
    sql = pooled_kpis(root, 2023)
    drp = sql.loc[sql["kpi_id"].eq("drp_raised")].set_index("la_code")
    assert set(drp.index) == {"101", POOLED}
    assert drp.loc[POOLED, "value"] == drp.loc["101", "value"]
    cla = sql.loc[sql["kpi_id"].eq("cla_at_31_march")].set_index("la_code")
    assert cla.loc[POOLED, "value"] == 2 * cla.loc["101", "value"]
    # Rows: councils by code, then the pooled rows, KPIs in the registry's order.
    codes = sql["la_code"].tolist()
    assert codes == sorted(codes, key=lambda c: (c == POOLED, c))
    order = [k for k in KPI_DEFINITIONS if k in SQL_KPIS]
    assert sql.loc[sql["la_code"].eq("101"), "kpi_id"].tolist() == order


# --------------------------------------------------------------------------------------
# A small generated region
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_region(tmp_path_factory):
    """Three tiny demo councils (2021-2022), cleaned by the real cleaner, in one store."""
    from iro_analysis.demo import generate
    from iro_analysis.ingest.clean import build_dataset

    base = tmp_path_factory.mktemp("region")
    councils = {}
    for i, (code, size) in enumerate((("201", 30), ("202", 60), ("203", 45))):
        generate(base / "raw" / code, [2021, 2022], seed=100 + i, scale=size, fault_rate=0.02)
        councils[code] = build_dataset(base / "raw" / code)
    root = base / "store"
    for code, ds in councils.items():
        write_council(ds, code, root)
    return root, councils


@pytest.mark.slow
@pytest.mark.parametrize("year", [2021, 2022])
def test_sql_equals_pandas_on_a_generated_region(small_region, year):
    root, councils = small_region
    sql = _assert_equal_to_pandas(root, councils, year)
    assert set(sql["la_code"]) == {*councils, POOLED}


@pytest.mark.slow
def test_pooled_rows_sum_the_councils(small_region):
    root, councils = small_region
    sql = pooled_kpis(root, 2022)
    per = {code: _as_tuples(_pandas_rows(ds, 2022)) for code, ds in councils.items()}
    pooled_rows = _as_tuples(sql.loc[sql["la_code"].eq(POOLED)])
    assert set(pooled_rows) == set(SQL_KPIS)
    for kid in SQL_KPIS:
        rows = [per[c][kid] for c in councils]
        if KPI_DEFINITIONS[kid].unit == "count":
            assert pooled_rows[kid] == (sum(r[0] for r in rows), None, None), kid
        else:
            num, den = sum(r[1] for r in rows), sum(r[2] for r in rows)
            value = rate(num, den, per=ratio_per(kid))
            assert pooled_rows[kid] == (value, num, den), kid
    assert pooled_rows["cla_at_31_march"][0] > 0


# --------------------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------------------


def test_partition_layout_and_years(scenario_store):
    root, councils = scenario_store
    ds = councils["101"]
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    for f in files:
        table, council, year, name = f.split("/")
        assert table in (*CLEAN_TABLES, pooled.SUPPLIED)
        assert council in ("la_code=101", "la_code=102")
        assert year.startswith("year=") and name == pooled.PART_FILE
    for table, df in ds.tables.items():
        if not len(df):
            assert not (root / table / "la_code=101").exists()
            continue
        years = sorted(p.name for p in (root / table / "la_code=101").iterdir())
        if SOURCE_YEAR in df.columns:
            assert years == [f"year={y}" for y in sorted(df[SOURCE_YEAR].unique())], table
        got = pq.read_table(root / table / "la_code=101").num_rows
        assert got == len(df), table
    # cp_reviews has no source year: the reporting year of the review date.
    cpr = duckdb.sql(
        f"SELECT year, MIN(CPPreviewDate) AS lo, MAX(CPPreviewDate) AS hi FROM read_parquet("
        f"'{root.as_posix()}/cp_reviews/*/*/*.parquet', hive_partitioning = true) GROUP BY year"
    ).df()
    for r in cpr.itertuples():
        assert pd.Timestamp(f"{r.year - 1}-04-01") <= pd.Timestamp(r.lo)
        assert pd.Timestamp(r.hi) <= pd.Timestamp(f"{r.year}-03-31")


def test_every_table_reads_back_with_la_code_and_the_same_rows(scenario_store):
    root, councils = scenario_store
    for table, df in councils["101"].tables.items():
        if not len(df):
            continue
        data = pads.dataset(root / table, format="parquet", partitioning="hive").to_table()
        back = data.to_pandas()
        assert set(back["la_code"].astype(str)) == {"101", "102"}, table
        one = back.loc[back["la_code"].astype(str).eq("101")]
        key = list(CLEAN_TABLES[table].key)
        got = coerce_table(one, table).sort_values(key).reset_index(drop=True)
        want = coerce_table(df, table).sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(got, want, obj=table)
        # The files themselves hold no la_code or year column: they are the folders.
        f = next((root / table / "la_code=101").rglob("*.parquet"))
        assert not {"la_code", "year"} & set(pq.read_schema(f).names)


def test_output_is_deterministic_and_a_rewrite_replaces_the_council(tmp_path):
    ds = scenario.dataset()
    for name in ("a", "b"):
        write_council(ds, "101", tmp_path / name)
    a = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in (tmp_path / "a").rglob("*.*")}
    b = {p.relative_to(tmp_path / "b"): p.read_bytes() for p in (tmp_path / "b").rglob("*.*")}
    assert a == b and len(a) > 20
    # A council written again with less history keeps no stale year.
    write_council(scenario.dataset((2023,)), "101", tmp_path / "a")
    years = {p.name for p in (tmp_path / "a" / "episodes" / "la_code=101").iterdir()}
    assert years == {"year=2023"}
    assert not list((tmp_path / "a").rglob("*.tmp-*"))


@pytest.mark.parametrize("code", ["../x", "", "a b", "region/1"])
def test_bad_la_code_is_refused(tmp_path, code):
    with pytest.raises(ValueError, match="la_code"):
        write_council(scenario.dataset(), code, tmp_path)


def test_calendar_table_gives_the_pandas_working_days():
    cal = calendar_frame(2019, 2025).set_index("day")["cum"]
    rng = np.random.default_rng(3)
    days = pd.date_range("2019-01-01", "2025-12-31", freq="D")
    a = pd.Series(days[rng.integers(0, len(days), 2000)])
    b = pd.Series(days[rng.integers(0, len(days), 2000)])
    # The awkward days: the Jubilee, the State Funeral, leap days, 31 March, weekends.
    edge = pd.to_datetime(["2022-06-02", "2022-06-03", "2022-09-19", "2024-02-29", "2020-02-29"])
    a = pd.concat([a, pd.Series(edge), pd.Series(pd.to_datetime(["2023-03-31"] * 5))])
    b = pd.concat([b, pd.Series(pd.to_datetime(["2022-05-27"] * 5)), pd.Series(edge)])
    got = cal.loc[b.to_numpy()].to_numpy() - cal.loc[a.to_numpy()].to_numpy()
    want = working_days_between(a.reset_index(drop=True), b.reset_index(drop=True))
    assert np.array_equal(got, want.to_numpy().astype(int))
    wd = calendar_frame(2019, 2025).set_index("day")["workday"]
    assert not wd.loc["2022-06-02"] and not wd.loc["2022-09-19"] and not wd.loc["2022-06-04"]
    assert wd.loc["2024-02-29"] and wd.loc["2022-06-01"] and wd.loc["2023-03-31"]


def test_empty_store_tables_are_empty_views(tmp_path):
    """A store whose councils supplied no CIN census and no disputes: those tables have no
    files, the queries still run and give no CP or dispute rows."""
    ds = scenario.dataset()
    tables = dict(ds.tables)
    for t in ("s47", "cin_details", "cp_plans", "cp_reviews", "cin_children", "disputes"):
        tables[t] = tables[t].iloc[0:0]
    ds = _without(dataclasses.replace(ds, tables=tables), 2023, ("cin_census", "disputes"))
    write_council(ds, "101", tmp_path)
    assert not (tmp_path / "disputes").exists()
    sql = pooled_kpis(tmp_path, 2023)
    assert not sql["kpi_id"].str.startswith(("cp_", "icpc", "rcpc", "drp")).any()
    expected = _as_tuples(_pandas_rows(ds, 2023))
    assert _as_tuples(sql.loc[sql["la_code"].eq("101")]) == expected
    assert math.isclose(len(sql), 2 * len(expected))


def test_sql_applies_the_years_own_return_as_the_engine_does(tmp_path):
    """Issue #25 in the region's SQL: the hand-made history (tests/fixtures/authority), whose
    2022 file does not hold A3 (open since 2020) nor, with 2021's folder removed, A2. The
    pooled queries end those records before the year as the engine does: 2 children
    looked after at 31 March 2022, whatever the gaps."""
    import shutil
    from pathlib import Path

    from iro_analysis.ingest.clean import build_dataset

    raw = tmp_path / "raw"
    shutil.copytree(Path(__file__).parent / "fixtures" / "authority" / "raw", raw)
    shutil.rmtree(raw / "2023")
    councils = {"101": build_dataset(raw, year=2022)}
    shutil.rmtree(raw / "2021" / "ssda903")
    councils["102"] = build_dataset(raw, year=2022)
    root = tmp_path / "store"
    for code, d in councils.items():
        write_council(d, code, root)
    sql = _assert_equal_to_pandas(root, councils, 2022)
    at_end = sql[sql["kpi_id"].eq("cla_at_31_march")].set_index("la_code")["value"]
    assert at_end.to_dict() == {"101": 2.0, "102": 2.0, "region": 4.0}


def test_sql_builds_periods_from_overlapping_episodes_as_the_engine_does(tmp_path):
    """Issue #29 in the region's SQL: the hand-made overlaps of tests/fixtures/consistency
    (two open episodes at once, a ceased episode inside an open one, a nested episode) are
    one period of care each: 2 ceased, 3 started, every review in its period."""
    from pathlib import Path

    from iro_analysis.ingest.clean import build_dataset

    raw = Path(__file__).parent / "fixtures" / "consistency" / "raw"
    councils = {"101": build_dataset(raw, year=2022)}
    root = tmp_path / "store"
    write_council(councils["101"], "101", root)
    sql = _assert_equal_to_pandas(root, councils, 2022)
    one = sql.loc[sql["la_code"].eq("101")].set_index("kpi_id")["value"]
    assert one[["cla_started", "cla_ceased", "cla_reviews_not_assessable"]].tolist() == [3, 2, 1]
    assert one["cla_reviews_overdue_at_31_march"] == 1
