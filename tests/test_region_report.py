"""The region's benchmarking report (issue #19, region/report.py) from the hand-made
fixture tests/fixtures/region/ (its README works every rank and pooled figure out)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from iro_analysis.region import report as rr
from tests._env import needs_browser

# Great Expectations suites, a whole region or the demo council: not the unit tier.
pytestmark = pytest.mark.slow

FIXTURE = Path(__file__).parent / "fixtures" / "region"
YEAR = 2022
HOSTILE = '<script>alert("x")</script> & Co'


def _kpis() -> pd.DataFrame:
    return pd.read_csv(FIXTURE / "region_kpis.csv", dtype={"la_code": "str", "kpi_id": "str"})


def _councils(**names: str) -> dict[str, str]:
    c = pd.read_csv(FIXTURE / "councils.csv", dtype="str")
    return {**dict(zip(c["la_code"], c["name"], strict=True)), **names}


def _bench(kpis: pd.DataFrame | None = None, threshold: int = 5) -> pd.DataFrame:
    return rr.benchmark(_kpis() if kpis is None else kpis, YEAR, _councils(), threshold)


def _cell(bench: pd.DataFrame, kpi_id: str, la_code: str, col: str) -> object:
    hit = bench[(bench["kpi_id"] == kpi_id) & (bench["la_code"] == la_code)]
    assert len(hit) == 1
    return hit[col].iloc[0]


def test_measures_are_the_headline_rates_in_registry_order():
    # counts (cla_at_31_march) and non-headline KPIs (cla_started) are left out
    assert rr.measures(_kpis(), YEAR) == [
        "cla_per_10000",
        "cla_reviews_on_time_pct",
        "icpc_within_15wd_pct",
        "rcpc_on_time_pct",
        "cla_caseload_per_iro_fte",
    ]


# (kpi, council) -> position worked out by hand (fixture README)
POSITIONS = {
    # higher is better, a tie for 2nd, the 2021 row of 301 ignored
    ("cla_reviews_on_time_pct", "304"): "1st of 4",
    ("cla_reviews_on_time_pct", "301"): "=2nd of 4",
    ("cla_reviews_on_time_pct", "302"): "=2nd of 4",
    ("cla_reviews_on_time_pct", "303"): "4th of 4",
    # 302 is a small cell (3/4) and 304 has no row: the other two ranked among themselves
    ("icpc_within_15wd_pct", "301"): "1st of 2",
    ("icpc_within_15wd_pct", "303"): "2nd of 2",
    ("icpc_within_15wd_pct", "302"): "",
    ("icpc_within_15wd_pct", "304"): "",
    # a tie for 1st; 301 has 0/0 (no cases)
    ("rcpc_on_time_pct", "303"): "=1st of 3",
    ("rcpc_on_time_pct", "304"): "=1st of 3",
    ("rcpc_on_time_pct", "302"): "3rd of 3",
    ("rcpc_on_time_pct", "301"): "",
    # lower is better
    ("cla_caseload_per_iro_fte", "302"): "1st of 4",
    ("cla_caseload_per_iro_fte", "301"): "2nd of 4",
    ("cla_caseload_per_iro_fte", "303"): "3rd of 4",
    ("cla_caseload_per_iro_fte", "304"): "4th of 4",
    # neither is better: highest first, and said so
    ("cla_per_10000", "304"): "1st highest of 4",
    ("cla_per_10000", "303"): "2nd highest of 4",
    ("cla_per_10000", "301"): "3rd highest of 4",
    ("cla_per_10000", "302"): "4th highest of 4",
}


def test_ranks_follow_direction_ties_and_missing_values_by_hand():
    bench = _bench()
    got = {(k, c): p for k, c, p in bench[["kpi_id", "la_code", "position"]].to_numpy()}
    assert got == POSITIONS
    assert _cell(bench, "icpc_within_15wd_pct", "302", "text") == "c"
    assert _cell(bench, "icpc_within_15wd_pct", "304", "text") == "not supplied"
    assert _cell(bench, "rcpc_on_time_pct", "301", "text") == "no cases"
    assert _cell(bench, "cla_reviews_on_time_pct", "301", "text") == "90.0%"
    assert _cell(bench, "cla_caseload_per_iro_fte", "304", "text") == "50.0"
    # each measure's rows run best first, as the dot plot draws them
    order = bench[bench["kpi_id"] == "cla_caseload_per_iro_fte"]["la_code"].tolist()
    assert order == ["302", "301", "303", "304"]


def test_where_each_council_sits_by_hand():
    table = rr.where_each_council_sits(_bench()).set_index("Council")
    assert list(table.index) == [
        "Northshire County Council",
        "Eastvale Borough Council",
        "Southmoor City Council",
        "Westdale Council",
    ]
    assert list(table.columns) == [
        "Children looked after at 31 March per 10,000 children: neither higher nor lower is "
        "better (ranked highest first)",
        "Looked-after reviews held on time (%): higher is better",
        "Initial conferences held within 15 working days of the Section 47 enquiry (%): "
        "higher is better",
        "Review child protection conferences held on time (%): higher is better",
        "Children looked after per full-time IRO at 31 March: lower is better",
    ]
    assert table.loc["Eastvale Borough Council"].tolist() == [
        "4th highest of 4",
        "=2nd of 4",
        "c",
        "3rd of 3",
        "1st of 4",
    ]
    assert table.loc["Westdale Council"].tolist() == [
        "1st highest of 4",
        "1st of 4",
        "not supplied",
        "=1st of 3",
        "4th of 4",
    ]


def test_region_and_england_figures():
    refs = rr.references(_kpis(), YEAR, 5).set_index("kpi_id")
    assert refs.loc["cla_reviews_on_time_pct", "region_text"] == "85.7%"  # 300/350
    assert refs.loc["cla_caseload_per_iro_fte", "region_text"] == "34.7"  # 1320/38
    assert refs.loc["cla_per_10000", "region_text"] == "66.0"
    assert refs.loc["icpc_within_15wd_pct", "region_text"] == "not available"  # no pooled row
    # England's figures come from kpis.national (data/national_figures.csv)
    assert refs.loc["icpc_within_15wd_pct", "england_text"] == "79.2%"
    assert refs.loc["cla_per_10000", "england_text"] == "70.0"
    assert refs.loc["cla_reviews_on_time_pct", "england_text"] == "not available"


def test_council_summary_compares_by_direction():
    bench, refs = _bench(), rr.references(_kpis(), YEAR, 5)
    s = rr.council_summary(bench, refs, "303").set_index("Measure")
    compare = s["Compared with the region and England"]
    assert compare["Children looked after at 31 March per 10,000 children"] == (
        "above the region; the same as England"
    )
    assert compare["Looked-after reviews held on time (%)"] == "worse than the region"
    assert compare[
        "Initial conferences held within 15 working days of the Section 47 enquiry (%)"
    ] == ("worse than England")
    # lower is better: 35.0 against the region's 34.7 is worse
    assert compare["Children looked after per full-time IRO at 31 March"] == (
        "worse than the region"
    )
    assert s.loc["Children looked after per full-time IRO at 31 March", "This council"] == "35.0"
    s302 = rr.council_summary(bench, refs, "302").set_index("Measure")
    icpc = "Initial conferences held within 15 working days of the Section 47 enquiry (%)"
    assert s302.loc[icpc].tolist() == ["c", "", "not available", "79.2%", ""]


def test_suppression_threshold_and_figures_arriving_hidden():
    # with suppression off, 302's 3/4 = 75.0% is shown and ties with 303
    bench = _bench(threshold=0)
    assert _cell(bench, "icpc_within_15wd_pct", "302", "position") == "=2nd of 3"
    assert _cell(bench, "icpc_within_15wd_pct", "303", "position") == "=2nd of 3"
    # a figure published as c, and region.run's frame (blank, suppressed True), are c
    k = _kpis()
    k = k.astype({c: "object" for c in ("value", "numerator", "denominator")})
    k.loc[(k["la_code"] == "301") & (k["kpi_id"] == "cla_per_10000"), ["value"]] = "c"
    k["suppressed"] = (k["la_code"] == "304") & (k["kpi_id"] == "cla_caseload_per_iro_fte")
    k.loc[k["suppressed"], ["value", "numerator", "denominator"]] = pd.NA
    bench = _bench(k)
    assert _cell(bench, "cla_per_10000", "301", "text") == "c"
    assert _cell(bench, "cla_per_10000", "302", "position") == "3rd highest of 3"
    assert _cell(bench, "cla_caseload_per_iro_fte", "304", "text") == "c"
    assert _cell(bench, "cla_caseload_per_iro_fte", "303", "position") == "3rd of 3"


def test_inputs_are_not_modified():
    k = _kpis()
    before = k.copy()
    bench = _bench(k)
    rr.references(k, YEAR, 5)
    rr.where_each_council_sits(bench)
    pd.testing.assert_frame_equal(k, before)


def test_unusable_or_unknown_council_codes_are_errors(tmp_path):
    with pytest.raises(ValueError, match=r"\['\.\./x'\]"):
        rr.build_region_report(_kpis(), YEAR, {**_councils(), "../x": "X"}, tmp_path)
    with pytest.raises(ValueError, match=r"no name \['304'\]"):
        c = _councils()
        del c["304"]
        rr.build_region_report(_kpis(), YEAR, c, tmp_path)
    counts_only = _kpis()[lambda k: k["kpi_id"] == "cla_at_31_march"]
    with pytest.raises(ValueError, match="no headline percentage or rate for 2022"):
        rr.build_region_report(counts_only, YEAR, _councils(), tmp_path)
    with pytest.raises(ValueError, match="no headline percentage or rate for 2023"):
        rr.build_region_report(_kpis(), 2023, _councils(), tmp_path)
    assert not list(tmp_path.iterdir())


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("region") / "a"
    index = rr.build_region_report(_kpis(), YEAR, _councils(**{"304": HOSTILE}), out, threshold=5)
    assert index == out / "index.html"
    return out


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.mark.slow
def test_pages_written(built):
    names = sorted(p.name for p in built.iterdir())
    assert names == [f"council-{c}.html" for c in ("301", "302", "303", "304")] + ["index.html"]
    index = _text(built / "index.html")
    for code in ("301", "302", "303", "304"):
        assert f'href="council-{code}.html"' in index
    # a dot plot per measure on every page, each with its data table
    for page in built.iterdir():
        html = _text(page)
        assert html.count('<img src="data:image/png;base64,') == 5
        assert html.count("<caption>Data behind the chart: ") == 5
        assert 'lang="en-GB"' in html and 'class="skip-link" href="#main"' in html
        assert "<script" not in html and "http://" not in html and "https://" not in html


def test_chart_data_tables_list_councils_best_first_with_region_and_england(built):
    index = _text(built / "index.html")
    start = index.index("<caption>Data behind the chart: Children looked after per full-time IRO")
    block = index[start : index.index("</table>", start)]
    rows = re.findall(r'<th scope="row">([^<]*)</th><td>([^<]*)</td><td>([^<]*)</td>', block)
    assert rows == [
        ("Eastvale Borough Council", "1st of 4", "25.0"),
        ("Northshire County Council", "2nd of 4", "30.0"),
        ("Southmoor City Council", "3rd of 4", "35.0"),
        (
            HOSTILE.replace("&", "&amp;")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            .replace('"', "&#34;"),
            "4th of 4",
            "50.0",
        ),
        ("Region (pooled)", "", "34.7"),
        ("England", "", "not available"),
    ]


def test_small_cells_are_c_and_explained(built):
    page = _text(built / "council-302.html")
    icpc = "Initial conferences held within 15 working days of the Section 47 enquiry (%)"
    assert f'<th scope="row">{icpc}</th><td>c</td>' in page
    assert "numerator or denominator is from 1 to 5 (the threshold" in page
    assert "Eastvale Borough Council, this page&#39;s council, is not plotted (c)." in page


def test_own_page_highlights_the_council(built):
    page = _text(built / "council-303.html")
    assert "<h1>Southmoor City Council: how its IRO service compares, 2021/22</h1>" in page
    assert "Southmoor City Council, highlighted, is 35.0 (3rd of 4)." in page
    assert 'href="index.html"' in page


def test_council_names_are_escaped(built):
    for page in built.iterdir():
        html = _text(page)
        assert "<script" not in html
        assert 'alert("x")' not in html
    page = _text(built / "council-304.html")
    assert "<title>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co: benchmarking" in page


@pytest.mark.slow
def test_rebuild_is_byte_identical(built, tmp_path):
    again = tmp_path / "b"
    again.mkdir()
    (again / "council-999.html").write_text("a council no longer in the region")
    rr.build_region_report(_kpis(), YEAR, _councils(**{"304": HOSTILE}), again, threshold=5)
    assert sorted(p.name for p in again.iterdir()) == sorted(p.name for p in built.iterdir())
    for page in built.iterdir():
        assert (again / page.name).read_bytes() == page.read_bytes(), page.name


@needs_browser
@pytest.mark.parametrize(("page", "sections"), [("index.html", 8), ("council-302.html", 7)])
def test_pages_pass_the_browser_and_accessibility_checks(built, page, sections, tmp_path):
    from iro_analysis.pipeline.browser import check_report

    result = check_report(built / page, tmp_path / "screenshots")
    assert result.problems == []
    assert result.images == 5 and result.broken_images == []
    # the contents: where each council sits or the council's summary, a section per
    # measure, the council pages (index only) and the method
    assert len(result.toc_links) == sections and all(result.toc_links.values())


@pytest.mark.slow
def test_a_large_regions_council_pages_link_to_the_index_plots(tmp_path):
    """Above `council_charts_up_to` councils a council page draws no plots of its own (each
    would redraw every council); it keeps its at-a-glance table and links to each
    measure's plot on the index, which still has them all."""
    out = tmp_path / "large"
    rr.build_region_report(_kpis(), YEAR, _councils(), out, threshold=5, council_charts_up_to=3)
    page = _text(out / "council-303.html")
    assert "<img" not in page
    assert "At a glance" in page and "With 4 councils" in page
    index = _text(out / "index.html")
    measures = rr.measures(_kpis(), YEAR)
    assert index.count("<img") == len(measures)
    for k in measures:
        assert f'href="index.html#{k}"' in page
        assert f'id="{k}"' in index
    small = tmp_path / "small"
    rr.build_region_report(_kpis(), YEAR, _councils(), small, threshold=5, council_charts_up_to=4)
    assert _text(small / "council-303.html").count("<img") == len(measures)
