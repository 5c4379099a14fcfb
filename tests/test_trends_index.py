"""The multi-year trends report and the index of every report (`make reports`)."""

from __future__ import annotations

from bs4 import BeautifulSoup

from iro_analysis import pipeline, report
from iro_analysis.core.paths import annex_filename, report_filename
from iro_analysis.core.settings import Settings
from iro_analysis.report import trends


def test_index_links_every_built_year_its_annex_and_the_trends(tmp_path):
    for year in (2021, 2022):
        folder = tmp_path / str(year)
        folder.mkdir()
        (folder / report_filename(year)).write_text("<html></html>")
    # 2021's technical annex was not built (an older build): it is not linked
    (tmp_path / "2022" / annex_filename(2022)).write_text("<html></html>")
    (tmp_path / "2023").mkdir()  # a year with no report yet is not linked
    (tmp_path / "trends").mkdir()
    (tmp_path / "trends" / trends.TRENDS_FILENAME).write_text("<html></html>")
    soup = BeautifulSoup(
        pipeline.write_index(tmp_path, Settings(council_name="Shire")).read_text(), "html.parser"
    )
    hrefs = [a["href"] for a in soup.find_all("a")]
    assert hrefs == [
        "2022/iro-annual-report-2021-22.html",
        "2022/iro-technical-annex-2021-22.html",
        "2022/kpis.csv",
        "2021/iro-annual-report-2020-21.html",
        "2021/kpis.csv",
        "trends/iro-trends.html",
    ]
    assert soup.html["lang"] == "en-GB" and soup.h1.get_text().startswith("Shire")


def test_trends_report_covers_every_year_and_family(build_root):
    path = pipeline.build_trends(
        raw_dir=build_root / "raw",
        reports_dir=build_root / "reports",
        processed_dir=build_root / "processed",
        restricted_dir=build_root / "restricted",
        log=lambda *a: None,
    )
    assert not (build_root / "reports" / "trends" / "notebooks").exists()
    assert (build_root / "restricted" / "trends" / "notebooks" / pipeline.TRENDS_NOTEBOOK).is_file()
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    assert len(soup.find_all("h1")) == 1
    h2 = [h.get_text(strip=True) for h in soup.find_all("h2") if h.get("id") != "toc-title"]
    assert h2 == [s.title for s in report.SECTIONS if s.kpis]
    first_table = soup.find("table")
    headers = [th.get_text() for th in first_table.find("thead").find_all("th")]
    assert headers == ["Measure", "2019/20", "2020/21", "2021/22", "England"]
    assert len(soup.select("figure.chart img[alt]")) >= 10
    assert "<script" not in path.read_text(encoding="utf-8")
