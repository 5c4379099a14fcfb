"""The region run (region/run.py): every council's figures as its own `kpis` run gives
them, pooled rows as sums, disclosure control, no merging across councils, clear errors."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from iro_analysis import cli
from iro_analysis.core import paths
from iro_analysis.core.errors import InputError, IroAnalysisError
from iro_analysis.kpis.registry import KPI_DEFINITIONS, ratio_per
from iro_analysis.region.councils import generate_region
from iro_analysis.region.run import (
    HOME_COUNCIL_KPIS,
    REGION_COLUMNS,
    RegionRun,
    pool,
    published_frame,
    region_csv,
    region_table,
    run_region,
)

# Great Expectations suites, a whole region or the demo council: not the unit tier.
pytestmark = pytest.mark.slow

YEAR = 2022
COPY = "202"  # Camden: a copy of the first council, so every child id collides


def _settings(tmp: Path) -> Path:
    """The project's settings file with its folders in `tmp`."""
    data = yaml.safe_load(paths.SETTINGS_FILE.read_text(encoding="utf-8"))
    data["paths"] |= {k: str(tmp / k) for k in ("processed", "reports", "restricted")}
    s = tmp / "settings.yaml"
    s.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return s


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    """Two generated councils and a copy of the first under another code, run once."""
    tmp = tmp_path_factory.mktemp("region")
    raw = tmp / "raw"
    codes = generate_region(raw, 2, seed=11, years=[YEAR - 1, YEAR], sizes=[40, 70])
    assert COPY not in codes
    shutil.copytree(raw / codes[0], raw / COPY)
    settings = _settings(tmp)
    argv = ["region", "--year", str(YEAR), "--raw-dir", str(raw), "--workers", "2"]
    assert cli.main([*argv, "--settings", str(settings)]) == 0
    out = tmp / "reports" / "region" / str(YEAR)  # the settings' reports folder
    exact = pd.read_csv(
        tmp / "restricted" / "region" / str(YEAR) / "region_kpis.csv", dtype={"la_code": str}
    )
    published = pd.read_csv(out / "region_kpis.csv", dtype={"la_code": str, "value": str})
    table = exact.assign(suppressed=published["value"].eq("c"))
    return {
        "tmp": tmp,
        "raw": raw,
        "codes": codes,
        "settings": settings,
        "out": out,
        "table": table,
    }


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.slow
def test_each_council_equals_its_own_kpis_run(region, capsys):
    published = _rows((region["out"] / "region_kpis.csv").read_text(encoding="utf-8"))
    exact_file = region["tmp"] / "restricted" / "region" / str(YEAR) / "region_kpis.csv"
    exact = _rows(exact_file.read_text(encoding="utf-8"))
    assert published[0] == exact[0] == list(REGION_COLUMNS)
    for code in region["codes"]:
        out = region["tmp"] / f"kpis-{code}.csv"
        rc = cli.main(
            ["kpis", "--year", str(YEAR), "--raw-dir", str(region["raw"] / code), "--out", str(out)]
            + ["--settings", str(region["settings"])]
        )
        assert rc == 0
        own = {r[0]: r[:5] for r in _rows(out.read_text(encoding="utf-8"))[1:]}
        mine = {r[1]: r[1:] for r in exact if r[0] == code}
        assert set(mine) == set(own) - HOME_COUNCIL_KPIS
        assert mine == {k: v for k, v in own.items() if k in mine}
        shown = [r for r in published if r[0] == code]
        assert len(shown) == len(mine)
        for r in shown:  # published: the same, or c where the council's report shows c
            assert r[3:] == ["c", "c", "c"] or r[1:] == own[r[1]]
        # the council's exact kpis.csv, written to its own restricted folder
        council_exact = region["tmp"] / "restricted" / code / str(YEAR) / "kpis.csv"
        assert council_exact.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")


@pytest.mark.slow
def test_pooled_rows_are_sums_of_the_councils_rows(region):
    exact_file = region["tmp"] / "restricted" / "region" / str(YEAR) / "region_kpis.csv"
    df = pd.read_csv(exact_file, dtype={"la_code": str})
    councils, pooled = df[df["la_code"] != "region"], df[df["la_code"] == "region"]
    n = councils["la_code"].nunique()
    assert n == 3
    checked = {"count": 0, "ratio": 0}
    for kpi_id, rows in councils.groupby("kpi_id"):
        unit = KPI_DEFINITIONS[kpi_id].unit
        hit = pooled[pooled["kpi_id"] == kpi_id]
        complete = len(rows) == n
        if unit == "count":
            assert len(hit) == int(complete), kpi_id
            if complete:
                assert hit["value"].iloc[0] == rows["value"].sum(), kpi_id
                checked["count"] += 1
            continue
        has_ratio = complete and rows[["numerator", "denominator"]].notna().all().all()
        assert len(hit) == int(has_ratio), kpi_id  # medians, FTEs: no pooled row
        if has_ratio:
            num, den = rows["numerator"].sum(), rows["denominator"].sum()
            assert hit["numerator"].iloc[0] == pytest.approx(num)
            assert hit["denominator"].iloc[0] == pytest.approx(den)
            by_hand = num / den * ratio_per(kpi_id)
            assert abs(hit["value"].iloc[0] - by_hand) <= 0.05 + 1e-9, kpi_id
            checked["ratio"] += 1
    assert checked["count"] >= 10 and checked["ratio"] >= 10
    assert "iro_fte_at_31_march" in set(councils["kpi_id"])  # an FTE figure: cannot pool
    assert "iro_fte_at_31_march" not in set(pooled["kpi_id"])


def test_colliding_child_ids_are_never_merged(region):
    """The copy shares every child id with the council it copies: each is still counted on
    its own, and pooled counts add them up."""
    first = region["codes"][0]
    t = region["table"]
    a = t[t["la_code"] == first].drop(columns="la_code").reset_index(drop=True)
    b = t[t["la_code"] == COPY].drop(columns="la_code").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    cla = t[t["kpi_id"] == "cla_at_31_march"].set_index("la_code")["value"]
    assert cla["region"] == cla[first] * 2 + cla[region["codes"][1]]
    for code in [*region["codes"], COPY]:
        assert (region["tmp"] / "processed" / code / str(YEAR)).is_dir()


def test_published_file_hides_what_the_council_report_hides(region):
    t = region["table"]
    hidden = t[t["suppressed"]]
    assert len(hidden), "the small demo councils have small per-code cells"
    # one rule with the region's pages: a council row is c when its own report hides it
    # (a per-code count) or its numerator or child denominator is 1 to the threshold
    from iro_analysis.core.settings import settings_or_defaults
    from iro_analysis.report.suppression import small_figures

    threshold = settings_or_defaults(region["settings"]).suppression_threshold
    councils = t[t["la_code"] != "region"]
    small = small_figures(councils, threshold)
    per_code = councils["kpi_id"].map(lambda k: KPI_DEFINITIONS[k].per_code)
    assert small.any(), "the small demo councils have small rates too"
    assert (councils["suppressed"] == (small | (per_code & councils["suppressed"]))).all()
    # a pooled row is hidden whenever a council's row of the KPI is
    for kpi_id in hidden.loc[hidden["la_code"] != "region", "kpi_id"].unique():
        pooled = t[(t["la_code"] == "region") & (t["kpi_id"] == kpi_id)]
        assert pooled.empty or pooled["suppressed"].all()
    text = (region["out"] / "region_kpis.csv").read_text(encoding="utf-8")
    assert text.count(",c,c,c\n") == len(hidden)
    # the region command also wrote the benchmarking report from the published table
    pages = {p.name for p in region["out"].glob("*.html")}
    assert "index.html" in pages
    assert all(any(code in page for page in pages) for code in [*region["codes"], COPY])


def test_pool_by_hand():
    """Two councils: counts add; a percentage is Σ numerators / Σ denominators; a median
    and a KPI one council lacks have no pooled row; suppression carries over."""
    rows = [
        ("201", "cla_at_31_march", 10, None, None, False),
        ("202", "cla_at_31_march", 32, None, None, False),
        ("201", "cla_reviews_on_time_pct", 50.0, 1, 2, False),
        ("202", "cla_reviews_on_time_pct", 100.0, 2, 2, False),
        ("201", "iro_fte_at_31_march", 2.5, None, None, False),
        ("202", "iro_fte_at_31_march", 3.0, None, None, False),
        ("201", "cp_category_sab", 3, None, None, True),
        ("202", "cp_category_sab", 9, None, None, False),
        ("201", "drp_theme_OTHER", 7, None, None, False),
    ]
    df = pd.DataFrame(rows, columns=[c for c in REGION_COLUMNS if c != "year"] + ["suppressed"])
    df.insert(2, "year", YEAR)
    for c in ("value", "numerator", "denominator"):
        df[c] = df[c].astype("Float64")
    before = df.copy()
    assert set(KPI_DEFINITIONS) >= HOME_COUNCIL_KPIS  # a renamed KPI would slip in
    p = pool(df).set_index("kpi_id")
    pd.testing.assert_frame_equal(df, before)  # the input is not changed
    assert list(p.index) == ["cla_at_31_march", "cla_reviews_on_time_pct", "cp_category_sab"]
    assert p.loc["cla_at_31_march", "value"] == 42
    assert p.loc["cla_reviews_on_time_pct", "value"] == 75.0  # 3 / 4, not (50 + 100) / 2
    assert (
        p.loc["cla_reviews_on_time_pct", "numerator"],
        p.loc["cla_reviews_on_time_pct", "denominator"],
    ) == (3, 4)
    assert p.loc["cp_category_sab", "suppressed"] and not p.loc["cla_at_31_march", "suppressed"]
    assert set(p["la_code"]) == {"region"}
    table = region_table(df.iloc[::-1])  # councils by code, KPIs in the registry's order
    assert list(table["la_code"]) == ["201"] * 5 + ["202"] * 4 + ["region"] * 3
    assert list(table["kpi_id"][:5]) == [
        "cla_at_31_march",
        "cla_reviews_on_time_pct",
        "cp_category_sab",
        "drp_theme_OTHER",
        "iro_fte_at_31_march",
    ]
    shown = published_frame(table)
    assert shown.loc[shown["suppressed"], ["value", "numerator", "denominator"]].isna().all().all()
    assert shown.loc[~shown["suppressed"], "value"].notna().all()
    assert table.loc[table["suppressed"], "value"].notna().all()  # not changed
    text = region_csv(table)
    assert text.splitlines()[0] == ",".join(REGION_COLUMNS)
    assert "201,cp_category_sab,2022,c,c,c\n" in text
    assert "202,cp_category_sab,2022,9,,\n" in text
    assert "region,cp_category_sab,2022,c,c,c\n" in text
    assert "region,cla_reviews_on_time_pct,2022,75.0,3,4\n" in text


def _year_folders(root: Path, *names: str) -> Path:
    for name in names:
        (root / name).mkdir(parents=True)
    return root


def test_region_run_checks_its_folders_at_the_door(tmp_path):
    raw = _year_folders(tmp_path / "a", "202/2022", "873/2022", "2022", ".git", "_cache")
    (raw / "README.md").write_text("notes", encoding="utf-8")
    run = RegionRun.create(raw, 2022)
    assert run.councils == {"202": "Camden", "873": "Cambridgeshire"}
    assert run.folders["873"] == raw / "873"
    with pytest.raises(InputError, match=r"873 \(years: 2021\)"):
        RegionRun.create(_year_folders(tmp_path / "b", "202/2022", "873/2021"), 2022)
    with pytest.raises(InputError, match="999 is not a DfE three-digit LA code"):
        RegionRun.create(_year_folders(tmp_path / "c", "202/2022", "999/2022"), 2022)
    with pytest.raises(InputError, match=r"camden is neither a council folder"):
        RegionRun.create(_year_folders(tmp_path / "d", "202/2022", "camden/2022"), 2022)
    # the single-council layout is no region: say so, and how to make one
    with pytest.raises(InputError, match="no council folders .*demo-data --councils"):
        RegionRun.create(_year_folders(tmp_path / "e", "2021", "2022"), 2022)


def test_the_single_council_layout_ignores_council_folders(tmp_path):
    from iro_analysis.core.hashing import raw_file_hashes

    raw = _year_folders(tmp_path, "2021", "2022", "202/2022")
    (raw / "2022" / "a.csv").write_text("x\n", encoding="utf-8")
    (raw / "202" / "2022" / "b.csv").write_text("y\n", encoding="utf-8")
    assert paths.available_years(raw) == [2021, 2022]
    assert [p for p, _ in raw_file_hashes(raw)] == ["2022/a.csv"]


@pytest.mark.slow
def test_a_failing_council_stops_the_run_naming_council_and_file(region, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(region["raw"] / region["codes"][1], raw / "873")
    header = raw / "873" / str(YEAR) / "ssda903" / "header.csv"
    header.write_text("NOT,THE,HEADER\n1,2,3\n", encoding="utf-8")
    with pytest.raises(IroAnalysisError, match=r"council 873 Cambridgeshire .*header\.csv"):
        run_region(
            raw,
            YEAR,
            tmp_path / "out",
            tmp_path / "processed",
            tmp_path / "restricted",
            workers=1,
            log=lambda *a: None,
            settings_path=region["settings"],
        )
    assert not (tmp_path / "out" / "region_kpis.csv").exists()


def test_the_pooled_queries_must_agree_with_the_engine_before_anything_is_published(region):
    """run_region recomputes the SQL KPIs with DuckDB from the pooled store and stops on
    any difference: one council's figure changed by a tenth is named."""
    from iro_analysis.core.errors import IroAnalysisError
    from iro_analysis.region.pooled import pooled_kpis
    from iro_analysis.region.run import check_against_sql, store_dir

    sql = pooled_kpis(store_dir(region["tmp"] / "processed"), YEAR)
    assert set(sql["la_code"]) == {*region["codes"], COPY, "region"}
    exact = region["table"]
    check_against_sql(exact, sql)  # the run itself passed this check
    first = region["codes"][0]
    wrong = exact.copy()
    at = (wrong["la_code"] == first) & (wrong["kpi_id"] == "cla_reviews_on_time_pct")
    assert at.sum() == 1
    wrong.loc[at, "value"] = wrong.loc[at, "value"] + 0.1
    with pytest.raises(IroAnalysisError, match=f"{first} cla_reviews_on_time_pct: DuckDB"):
        check_against_sql(wrong, sql)
    with pytest.raises(IroAnalysisError, match="only in DuckDB"):
        check_against_sql(exact[exact["kpi_id"] != "cla_started"], sql)
