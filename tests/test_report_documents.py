"""Two documents from one build (#16): the councillors' report, with no developer
vocabulary, and the technical annex beside it, each linked to the other."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from iro_analysis.core import manifest
from iro_analysis.core.paths import annex_filename, report_filename
from iro_analysis.core.settings import Settings
from iro_analysis.pipeline.export import export_html
from iro_analysis.pipeline.publish import PUBLISHED, _on_list
from iro_analysis.report.catalogue import SECTIONS, sections_in

from .conftest import FIXTURES, REPORT_YEAR

# Words a councillor should not meet in the report: the build's machinery, file formats
# and paths, software, and identifiers in snake_case (KPI ids, rule names such as
# orphan_child, settings keys). Each is a regular expression, matched case-insensitively
# against the text a reader sees or hears (body text, alt text, titles, labels).
DEVELOPER_VOCABULARY = {
    "pipeline": r"\bpipelines?\b",
    "quarantine": r"\bquarantin\w*",
    "expectation": r"\bexpectations?\b",
    "validation": r"\bvalidat\w*|\bvalidation suite\b",
    "data contract": r"\bdata contract\b",
    "parquet": r"\bparquet\b",
    "notebook": r"\bnotebooks?\b",
    "schema": r"\bschemas?\b",
    "manifest": r"\bmanifest\b",
    "hash": r"\bsha-?256\b|\bhash(?:es)?\b",
    "software": r"\biro-analysis\b|\bpython\b|\bpandas\b|\bjupyter\b|\bpapermill\b"
    r"|\bnbconvert\b|\bduckdb\b|\bgreat[ -]expectations\b|\bdata docs\b",
    "folder": r"(?<![\w/])(?:src|data|reports|restricted|config|notebooks|tests|docs)/",
    "file": r"[\w<>/-]+\.(?:py|ipynb|md|ya?ml|csv|xlsx|json|parquet|xml|j2)\b",
    "identifier": r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b",
}


def seen_text(html: str) -> str:
    """What a reader sees or a screen reader says: body text outside the contents list,
    alt text, titles and ARIA labels (markup, ids, classes and links are not read)."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["style", "script", "nav"]):
        tag.decompose()
    said = [el[a] for a in ("alt", "title", "aria-label") for el in soup.find_all(attrs={a: True})]
    return " ".join([soup.body.get_text(" "), *said])


def developer_words(html: str) -> list[tuple[str, str]]:
    """(vocabulary entry, what it matched in context) for every developer word the page shows."""
    text = " ".join(seen_text(html).split())
    return [
        (name, text[max(0, m.start() - 40) : m.end() + 40])
        for name, pattern in DEVELOPER_VOCABULARY.items()
        for m in re.finditer(pattern, text, flags=re.IGNORECASE)
    ]


def test_the_scan_finds_the_words_of_the_report_before_the_split():
    """Each sentence of the pre-#16 report (a hand-checked fixture) trips the entries its
    `data-expect` names: the scan would have failed on the old report."""
    page = (FIXTURES / "report_text" / "before_16.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(page, "html.parser")
    tagged = soup.find_all(attrs={"data-expect": True})
    assert len(tagged) == 9
    for el in tagged:
        expected = {e.strip() for e in el["data-expect"].split(",")}
        html = f"<html><body>{el}</body></html>"
        found = {name for name, _ in developer_words(html)}
        assert expected <= found, (str(el)[:80], found)
    assert {n for n, _ in developer_words(page)} == set(DEVELOPER_VOCABULARY) - {"schema"}


@pytest.mark.parametrize(
    "plain",
    [
        "Reviews were held on time in 91.2% of cases (2021/22).",
        "Figures of 1 to 5 are shown as c. The Panel is asked to note the report.",
        "Children looked after at 31 March: 1,204 (SSDA903 return).",
        "The technical annex sets out how the data was checked.",
    ],
)
def test_plain_english_passes_the_scan(plain):
    assert developer_words(f"<html><body><p>{plain}</p></body></html>") == []


@pytest.fixture(scope="module")
def annex(built_report) -> Path:
    return built_report.with_name(annex_filename(REPORT_YEAR))


def test_the_councillors_report_has_no_developer_vocabulary(built_report):
    assert developer_words(built_report.read_text(encoding="utf-8")) == []


def test_the_technical_detail_moved_to_the_annex(annex):
    """The annex holds what the report used to: data quality, validation, the rules by
    name, definitions by KPI id, provenance (so the scan above has something to catch)."""
    html = annex.read_text(encoding="utf-8")
    found = {name for name, _ in developer_words(html)}
    assert {"quarantine", "identifier", "software", "manifest"} <= found, found
    soup = BeautifulSoup(html, "html.parser")
    captions = {c.get_text(strip=True) for c in soup.find_all("caption")}
    assert "KPI values and definitions" in captions
    assert any(c.startswith("Row accounting for the 2021/22 files") for c in captions)


def test_each_document_links_the_other_beside_it(built_report, annex):
    """A relative link to a file in the same folder, both ways; both files are published."""
    soup = BeautifulSoup(built_report.read_text(encoding="utf-8"), "html.parser")
    about = soup.find("h2", id="about-the-data").find_parent("div")
    assert [a["href"] for a in about.find_all("a")] == [annex.name]
    assert annex.is_file() and _on_list(annex.name, PUBLISHED)
    back = BeautifulSoup(annex.read_text(encoding="utf-8"), "html.parser")
    assert back.select_one("p.annex-intro a")["href"] == built_report.name
    assert back.title.get_text().startswith(
        "Independent Reviewing Officer Service Annual Report: technical annex"
    )


def test_about_the_data_is_plain_and_says_what_members_need(built_report):
    soup = BeautifulSoup(built_report.read_text(encoding="utf-8"), "html.parser")
    h2 = soup.find("h2", id="about-the-data")
    text = " ".join(p.get_text(" ") for p in h2.find_all_next("p"))
    text = " ".join(text.split())
    assert "numbers from 1 to 5" in text and "are shown as c" in text
    assert "\u2020 (incomplete history)" in text
    assert "SSDA903 return" in text and "Children in Need census" in text
    assert "technical annex for 2021/22" in text


def test_one_run_of_the_report_notebook_makes_both(build_root):
    """Both documents come from the one executed notebook in restricted/<YEAR>/notebooks."""
    executed = build_root / "restricted" / str(REPORT_YEAR) / "notebooks" / "03_annual_report.ipynb"
    nb = nbformat.read(str(executed), as_version=4)
    tags = [t for c in nb.cells for t in c.metadata.get("tags", []) if t in ("report", "annex")]
    assert tags == ["report", "annex"]
    m = manifest.published_outputs(REPORT_YEAR)
    assert (m["report"], m["technical_annex"]) == (report_filename(2022), annex_filename(2022))


def test_catalogue_puts_every_section_in_one_document():
    assert sections_in("report") + sections_in("annex") == tuple(
        sorted(SECTIONS, key=lambda s: s.document != "report")
    )
    assert [s.key for s in sections_in("annex")] == ["data_quality", "appendix"]
    assert sections_in("report")[-1].key == "about_data"
    with pytest.raises(ValueError, match="unknown document 'appendix'"):
        sections_in("appendix")


def _cell(tag: str, text: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(f"show({tag!r})", metadata={"tags": [tag]})
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": f"<p>{text}</p>"})]
    return cell


def test_export_drops_the_other_documents_cells(tmp_path):
    """`export_html(document=...)` keeps the cells of its document and untagged ones that
    show something; the contents list and title are the document's."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("x = 1"),  # no output: not even an empty cell is kept
        _cell("report", "FOR MEMBERS"),
        _cell("annex", "FOR ANALYSTS"),
    ]
    path = tmp_path / "executed.ipynb"
    nbformat.write(nb, str(path))
    settings = Settings(council_name="Shire")
    made = {}
    for document in ("report", "annex"):
        out = export_html(path, tmp_path / f"{document}.html", 2022, settings, document=document)
        made[document] = BeautifulSoup(out.read_text(encoding="utf-8"), "html.parser")
    assert "FOR MEMBERS" in made["report"].main.get_text()
    assert "FOR ANALYSTS" not in made["report"].main.get_text()
    assert "FOR ANALYSTS" in made["annex"].main.get_text()
    assert "FOR MEMBERS" not in made["annex"].main.get_text()
    assert made["report"].main.find(class_="jp-Cell").get_text(strip=True) == "FOR MEMBERS"
    assert [a.get_text() for a in made["annex"].select("nav.toc a")] == [
        s.title for s in sections_in("annex")
    ]
    assert made["annex"].h1.get_text().endswith(": technical annex")
    with pytest.raises(ValueError, match="unknown document"):
        export_html(path, tmp_path / "x.html", 2022, settings, document="summary")


def test_the_annex_sets_the_years_figures_beside_its_own_return(annex, build_root):
    """Issue #25: the reconciliation of the year's figures with what its own 903 and census
    say alone, and the history read, in the technical annex; counts only, never ids."""
    from iro_analysis.ingest.clean import load_processed
    from iro_analysis.kpis.reconcile import reconciliation

    soup = BeautifulSoup(annex.read_text(encoding="utf-8"), "html.parser")
    caption = "The 2021/22 figures beside the year's own return"
    table = next(
        t for t in soup.find_all("table") if t.caption.get_text(" ", strip=True) == caption
    )
    rows = [
        [c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])]
        for tr in table.find_all("tr")
    ]
    assert rows[0] == [
        "Measure",
        "The year's own return",
        "File",
        "This report",
        "Difference",
        "Why",
    ]
    ds = load_processed(REPORT_YEAR, build_root / "processed")
    kpis = pd.read_csv(build_root / "restricted" / str(REPORT_YEAR) / "kpis.csv")
    expected = reconciliation(ds, REPORT_YEAR, kpis)
    assert len(rows) - 1 == len(expected) == 5
    for row, r in zip(rows[1:], expected.itertuples(), strict=True):
        assert row[1] == f"{r.return_count:,}" and row[3] == f"{r.report:,}" and row[2] == r.file
        assert row[5] == (
            "agrees"
            if r.difference == 0
            else f"rows of the file quarantined ({r.rows_quarantined:,}) and left out of the report"
        )
    assert expected["ok"].all()
    # the gaps in the history read: the demo's faults leave records open (a quarantined
    # row of a later year); each is a count in the annex, as the clean data says
    text = soup.get_text(" ", strip=True)
    assert "Gaps in the history" in text
    w = ds.warnings[(ds.warnings["year"] == REPORT_YEAR)]
    gaps = w[w["rule"].isin(["history_gap", "missing_year_folder", "input_gap"])]
    caption = "Gaps in the history read for 2021/22"
    tables = [t for t in soup.find_all("table") if t.caption.get_text(" ", strip=True) == caption]
    if len(gaps):
        body = tables[0].find("tbody").find_all("tr")
        assert [tr.find(["th", "td"]).get_text(" ", strip=True) for tr in body] == list(
            gaps["value"]
        )
        assert all(
            v.split(" ")[0].isdigit() for v in gaps.loc[gaps["rule"] == "history_gap", "value"]
        )
    else:
        assert not tables
        assert "No year folder, input or record is missing from the history read" in text
