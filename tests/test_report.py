"""The annual report: sections, charts, figures equal to kpis.csv, outputs, safety."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from iro_analysis import pipeline, report
from iro_analysis.core.errors import BuildError, IroAnalysisError
from iro_analysis.core.paths import annex_filename
from iro_analysis.core.settings import Settings
from iro_analysis.pipeline import orchestrate
from iro_analysis.report.catalogue import sections_in
from iro_analysis.report.format import _slug
from iro_analysis.report.narrative import format_value
from iro_analysis.report.suppression import SUPPRESSED
from tests._context import report_context

from .conftest import REPORT_YEAR


def _kpi_rows(built_report: Path, exact: bool = False) -> dict[str, dict[str, str]]:
    """The published kpis.csv beside the report, or the exact one in restricted/<YEAR>/."""
    folder = built_report.parent
    if exact:
        folder = folder.parent.parent / "restricted" / folder.name
    with open(folder / "kpis.csv", encoding="utf-8", newline="") as f:
        return {r["kpi_id"]: r for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def soup(built_report) -> BeautifulSoup:
    return BeautifulSoup(built_report.read_text(encoding="utf-8"), "html.parser")


@pytest.fixture(scope="module")
def annex_soup(built_report) -> BeautifulSoup:
    """The technical annex the same build wrote beside the report."""
    annex = built_report.with_name(annex_filename(REPORT_YEAR))
    return BeautifulSoup(annex.read_text(encoding="utf-8"), "html.parser")


def _h2(soup: BeautifulSoup) -> list:
    return [h for h in soup.find_all("h2") if h.get("id") != "toc-title"]


def test_report_files_are_written(built_report):
    folder = built_report.parent
    assert built_report.name == "iro-annual-report-2021-22.html"
    for name in (
        "iro-technical-annex-2021-22.html",
        "iro-annual-report-2021-22.pdf",
        "iro-technical-annex-2021-22.pdf",
        "kpis.csv",
        "kpis.xlsx",
        "manifest.json",
        "validation.json",
    ):
        assert (folder / name).is_file(), name
    assert not (folder / "notebooks").exists()  # executed notebooks are never published
    restricted = folder.parent.parent / "restricted" / folder.name
    executed = sorted(p.name for p in (restricted / "notebooks").glob("*.ipynb"))
    assert executed == ["01_clean.ipynb", "02_validate.ipynb", "03_annual_report.ipynb"]
    for name in ("kpis.csv", "kpis.xlsx"):
        assert (restricted / name).is_file(), name
    assert built_report.stat().st_size < 5 * 1024 * 1024
    assert not list(folder.parent.glob(".build-*")), "staging folder left behind"
    assert not list(restricted.parent.glob(".build-*")), "restricted staging left behind"


def test_one_h1_lang_and_every_section_in_order(soup, annex_soup):
    """The report: the front sheet, then the report's sections; the annex: its sections.
    Every section of the catalogue is in exactly one of them."""
    report_h2 = [h.get_text(strip=True) for h in _h2(soup)]
    annex_h2 = [h.get_text(strip=True) for h in _h2(annex_soup)]
    assert report_h2 == [
        "Report to the Corporate Parenting Panel",
        *(s.title for s in sections_in("report")),
    ]
    assert annex_h2 == [s.title for s in sections_in("annex")]
    assert sorted(report_h2[1:] + annex_h2) == sorted(report.SECTION_TITLES)
    for doc in (soup, annex_soup):
        assert doc.html["lang"] == "en-GB"
        assert len(doc.find_all("h1")) == 1
        # headings are ordered: no h3 before the first h2, no h4 and deeper before an h3
        levels = [int(t.name[1]) for t in doc.find_all(re.compile(r"^h[1-6]$"))]
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))


def test_contents_links_every_section(soup, annex_soup):
    """Every section heading is in the contents; the front sheet (the cover) is not."""
    for doc in (soup, annex_soup):
        toc = [a["href"] for a in doc.select("nav.toc a")]
        ids = [h["id"] for h in _h2(doc) if h["id"] != "front-sheet-title"]
        assert toc == [f"#{i}" for i in ids]


def test_every_chart_has_alt_text_caption_and_data_table(soup):
    figures = soup.select("figure.chart")
    assert len(figures) >= 10
    for fig in figures:
        img = fig.find("img")
        assert img["src"].startswith("data:image/png;base64,")
        assert len(img["alt"]) > 25 and img["alt"].endswith(".")
        assert fig.find("figcaption").get_text(strip=True)
        assert fig.find("table") is not None


def test_every_section_is_filled(soup, annex_soup):
    for h2 in _h2(soup) + _h2(annex_soup):
        content = []
        for sib in h2.find_all_next():
            if sib.name == "h2":
                break
            content.append(sib)
        assert any(t.name in ("table", "ul", "figure", "p") for t in content), h2.get_text()
        assert not any("not supplied" in t.get_text() for t in content if t.name == "td"), (
            h2.get_text()
        )


def test_each_kpi_shown_equals_kpis_csv(soup, annex_soup, built_report):
    from iro_analysis.kpis.registry import KPI_DEFINITIONS

    published, rows = _kpi_rows(built_report), _kpi_rows(built_report, exact=True)
    assert list(published) == list(rows)  # the same rows, in the same order
    spans = soup.select("span[data-kpi]") + annex_soup.select("span[data-kpi]")
    # every KPI of the year is shown (the annex lists them all), the headline ones in the report
    assert {s["data-kpi"] for s in spans} == set(rows)
    assert {s["data-kpi"] for s in annex_soup.select("span[data-kpi]")} == set(rows)
    for span in spans:
        kpi_id = span["data-kpi"]
        row = rows[kpi_id]
        d = KPI_DEFINITIONS[kpi_id]
        if row["value"] == "":
            expected = "no cases"
        elif d.pattern and 1 <= float(row["value"]) <= 5:
            expected = SUPPRESSED  # a breakdown count under disclosure control
        elif d.pattern and span.get_text() == SUPPRESSED:
            expected = SUPPRESSED  # so that a small one cannot be worked out (secondary)
        else:
            expected = format_value(float(row["value"]), d.unit)
        assert span.get_text() == expected, kpi_id
        # the published kpis.csv hides exactly what the report hides, and nothing else
        if expected == SUPPRESSED:
            assert [published[kpi_id][c] for c in ("value", "numerator", "denominator")] == [
                SUPPRESSED
            ] * 3, kpi_id
        else:
            assert published[kpi_id] == row, kpi_id
    assert any(r["value"] == SUPPRESSED for r in published.values())  # the demo has some
    shown = {
        s["data-kpi"] for s in spans if s.find_parent("table") and s.find_parent("table").caption
    }
    for section in report.SECTIONS:
        assert set(section.kpis) <= shown, section.key


def test_key_messages_use_the_same_figures(soup, built_report):
    rows = _kpi_rows(built_report)
    messages = soup.select("ul.key-messages li")
    assert len(messages) >= 8
    text = " ".join(m.get_text() for m in messages)
    assert (
        f"{int(rows['cla_at_31_march']['value']):,} children were looked after at 31 March" in text
    )


def test_no_network_loads_and_no_scripts(built_report):
    for path in (built_report, built_report.with_name(annex_filename(REPORT_YEAR))):
        html = path.read_text(encoding="utf-8")
        assert "<script" not in html
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
        assert "require.js" not in html and "mathjax" not in html.lower()


def test_manifest_hashes_inputs_and_records_versions(build_root, built_report):
    manifest = json.loads((built_report.parent / "manifest.json").read_text())
    assert manifest["report_year"] == REPORT_YEAR
    assert manifest["parameters"]["suppression_threshold"] == 5
    assert manifest["packages"]["pandas"].startswith("3.")
    assert manifest["generated_on"] == "2023-11-14"  # SOURCE_DATE_EPOCH set in conftest
    # the manifest names the two documents the build published, each beside it
    assert manifest["outputs"]["report"] == built_report.name
    assert manifest["outputs"]["technical_annex"] == "iro-technical-annex-2021-22.html"
    for name in manifest["outputs"].values():
        assert (built_report.parent / name).is_file(), name
    episodes = build_root / "raw" / "2022" / "ssda903" / "episodes.csv"
    digest = hashlib.sha256(episodes.read_bytes()).hexdigest()
    assert any(
        i["sha256"] == digest and i["input"] == "episodes" and i["year"] == 2022
        for i in manifest["inputs"]
    )


def _identifiers(raw: Path) -> set[str]:
    """Every child identifier, UPN, date of birth and postcode in the raw data."""
    found: set[str] = set()
    for year_dir in raw.iterdir():
        header = pd.read_csv(year_dir / "ssda903" / "header.csv", dtype=str, encoding="latin-1")
        episodes = pd.read_csv(year_dir / "ssda903" / "episodes.csv", dtype=str, encoding="latin-1")
        for col in ("CHILD", "UPN"):
            found.update(v.strip() for v in header[col].dropna())
        for v in header["DOB"].dropna():
            v = v.strip()
            found.add(v)
            m = re.fullmatch(r"(\d\d)/(\d\d)/(\d{4})", v)
            if m:
                found.add(f"{m.group(3)}-{m.group(2)}-{m.group(1)}")
        for col in ("HOME_POST", "PL_POST"):
            found.update(v.strip() for v in episodes[col].dropna())
        xml = (year_dir / "cin_census.xml").read_text(encoding="utf-8", errors="replace")
        found.update(re.findall(r"<LAchildID>\s*([^<]+?)\s*</LAchildID>", xml))
        found.update(re.findall(r"<UPN>\s*([^<]+?)\s*</UPN>", xml))
    return {f for f in found if len(f) >= 4}


def test_no_child_identifier_in_any_output(build_root):
    ids = _identifiers(build_root / "raw")
    assert len(ids) > 100
    pattern = re.compile(
        r"(?<![\w/-])("
        + "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))
        + r")(?![\w/-])"
    )
    hits = []
    for path in (build_root / "reports").rglob("*"):
        if not path.is_file() or path.suffix == ".png":
            continue
        if path.suffix == ".pdf":
            text = subprocess.run(
                ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
            ).stdout
        elif path.suffix == ".xlsx":
            sheets = pd.read_excel(path, sheet_name=None, dtype=str)
            text = "\n".join(df.to_csv(index=False) for df in sheets.values())
        else:
            text = path.read_text(encoding="utf-8", errors="replace")
        text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=\\n]+", "", text)
        text = re.sub(r'"image/png": "[^"]*"', "", text)
        hits += [(path.name, m.group(1)) for m in pattern.finditer(text)]
    assert hits == []


def _ctx_with_breakdown(df: pd.DataFrame | None, threshold: int = 5) -> report.ReportContext:
    return report_context(
        settings=Settings(suppression_threshold=threshold),
        breakdowns={} if df is None else {"drp_by_theme": df},
        definitions={},
    )


THEMES = pd.DataFrame(
    {
        "theme": ["PLACEMENT", "HEALTH", "CARE_PLAN", "OTHER"],
        "label": ["Placement", "Health", "Care plan", "Other"],
        "count": [40, 3, 9, 0],
        "percent": [76.9, 5.8, 17.3, 0.0],
    }
)


def test_breakdown_suppresses_small_counts_in_table_chart_and_alt_text():
    html = report.breakdown_block(_ctx_with_breakdown(THEMES), "drp_by_theme")
    soup = BeautifulSoup(html, "html.parser")
    cells = [[c.get_text() for c in tr.find_all(["th", "td"])] for tr in soup.select("tbody tr")]
    # 3 is small; 9, the next smallest, is hidden too (52 disputes - 40 - 9 would give 3)
    assert cells == [
        ["Placement", "40", "76.9%"],
        ["Health", SUPPRESSED, SUPPRESSED],
        ["Care plan", SUPPRESSED, SUPPRESSED],
        ["Other", "0", "0.0%"],
    ]
    alt = soup.find("img")["alt"]
    assert "Placement (40)" in alt and "suppressed" in alt and "Health (3)" not in alt
    plain = report.breakdown_block(
        _ctx_with_breakdown(THEMES, threshold=0), "drp_by_theme", chart=False
    )
    assert ">3<" in plain and ">5.8%<" in plain
    assert ">3<" not in report.breakdown_block(
        _ctx_with_breakdown(THEMES), "drp_by_theme", chart=False
    )


def test_percentage_with_small_denominator_is_suppressed():
    view = report.BREAKDOWNS["participation_by_age_band"]
    df = pd.DataFrame(
        {
            "age_band": ["1 to 4", "10 to 15"],
            "reviews": [9, 40],
            "participated": [6, 30],
            "eligible": [7, 35],
            "participated_percent": [85.7, 85.7],
        }
    )
    shown = report.display_breakdown(df, view, threshold=5)
    # 6 participated of 7 eligible: neither count is small, nothing is hidden
    assert shown["Participation"].tolist() == ["85.7%", "85.7%"]
    # none of 3 eligible participated: the count 0 shows, the 0.0% built on 3 is hidden
    df.loc[0, ["participated", "eligible", "participated_percent"]] = [0, 3, 0.0]
    shown = report.display_breakdown(df, view, threshold=5)
    assert shown.loc[0, ["Participated", "Coded PN1 to PN7", "Participation"]].tolist() == [
        "0",
        SUPPRESSED,
        SUPPRESSED,
    ]


def test_breakdown_not_supplied_is_marked():
    assert "not supplied" in report.breakdown_block(_ctx_with_breakdown(None), "drp_by_theme")


@pytest.mark.slow
def test_misspelt_papermill_parameter_stops_the_notebook(tmp_path):
    with pytest.raises(BuildError, match=r"step 'report' failed in cell .*yaer"):
        orchestrate.run_notebook(
            "report", pipeline.REPORT_NOTEBOOK, tmp_path / "out.ipynb", {"yaer": 2021}
        )


def test_missing_year_is_a_clear_error(tmp_path, demo_raw):
    with pytest.raises(
        IroAnalysisError,
        match=r"no raw data for 2031: expected the folder .*2031; years available: 2020, 2021, 2022",
    ):
        pipeline.build_report(
            2031, raw_dir=demo_raw, reports_dir=tmp_path / "r", processed_dir=tmp_path / "p"
        )


def test_contents_come_from_the_catalogue(soup, annex_soup):
    """Each document's contents list is its sections in the catalogue, in order, each
    linking to its heading (built from the catalogue, not parsed back out of the HTML)."""
    for doc, document in ((soup, "report"), (annex_soup, "annex")):
        toc = [(a["href"], a.get_text()) for a in doc.select("nav.toc a")]
        assert toc == [(f"#{_slug(s.title)}", s.title) for s in sections_in(document)]
        for href, _ in toc:
            assert doc.find("h2", id=href[1:]) is not None, href


def test_every_kpi_runs_on_every_demo_year(build_root):
    from iro_analysis.ingest.clean import load_processed
    from iro_analysis.kpis.engine import compute_kpis
    from iro_analysis.kpis.registry import KPI_DEFINITIONS, population_rate_kpis

    ds = load_processed(REPORT_YEAR, build_root / "processed")
    themes = {k for k in KPI_DEFINITIONS if k.startswith("drp_theme_")}
    # KPIs that need more than the year's data: a narrative (progress against last year's
    # priorities; the demo has 2022's only) or the child population setting for the year
    needs = {"priorities_met", *population_rate_kpis()}
    for year in ds.years:
        ids = set(compute_kpis(ds, year)["kpi_id"])
        # every KPI of the spec, except dispute themes that did not occur that year
        assert set(KPI_DEFINITIONS) - themes - needs <= ids, year
        assert ids - set(KPI_DEFINITIONS) == set(), year
