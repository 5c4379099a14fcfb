"""Safe to publish: reports/<YEAR>/ is built from an allow-list, its KPI files keep the
report's disclosure control, and no child identifier reaches any published file.

The fast tests check `publish_folder`'s allow-list and the masked KPI files on a hand-made
context; the slow test builds one small demo report from raw data seeded with warnings
(conflicting dates of birth, a bad code, an unknown column, a file not read) and scans
everything under reports/ for every identifier and date of birth in the raw data.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from iro_analysis import pipeline, report
from iro_analysis.core.errors import BuildError
from iro_analysis.core.paths import annex_filename, report_filename
from iro_analysis.pipeline import publish
from iro_analysis.report.suppression import SUPPRESSED
from tests._context import report_context

from .conftest import REPORT_YEAR

# --------------------------------------------------------------------------------------
# The allow-list (fast: no notebooks run)
# --------------------------------------------------------------------------------------

EVERY_PUBLISHED = [
    "iro-annual-report-2021-22.html",
    "iro-annual-report-2021-22.pdf",
    "iro-technical-annex-2021-22.html",
    "iro-technical-annex-2021-22.pdf",
    "kpis.csv",
    "kpis.xlsx",
    "manifest.json",
    "validation.json",
    "data-quality.html",
    "screenshots/first-page.png",
]


def _stage(folder: Path, names: list[str]) -> Path:
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(name)
    return folder


def test_everything_on_the_allow_list_is_published(tmp_path):
    staging = _stage(tmp_path / "staging", EVERY_PUBLISHED)
    assert pipeline.unpublishable(staging, pipeline.PUBLISHED) == []
    publish.publish_folder(staging, tmp_path / "2022", pipeline.PUBLISHED)
    assert (tmp_path / "2022" / "kpis.csv").read_text() == "kpis.csv"


@pytest.mark.parametrize(
    "extra",
    [
        "notebooks/03_annual_report.ipynb",  # executed notebooks are restricted
        "validation-full.json",
        "data-docs/index.html",
        "kpis-exact.csv",
        "iro-annual-report-2021-22.html.bak",
        "screenshots/sub/first-page.png",  # "*" does not cross folders
        "report.html",
        "iro-technical-annex-2021-22.html.bak",
    ],
)
def test_publish_refuses_anything_not_on_the_allow_list_naming_it(tmp_path, extra):
    final = _stage(tmp_path / "2022", ["kpis.csv"])  # the report published before
    staging = _stage(tmp_path / "staging", [*EVERY_PUBLISHED, extra])
    with pytest.raises(BuildError, match=re.escape(extra.split("/")[0])) as exc:
        publish.publish_folder(staging, final, pipeline.PUBLISHED)
    assert "not on the list of what may be published" in str(exc.value)
    assert sorted(p.name for p in final.iterdir()) == ["kpis.csv"]  # nothing changed
    assert staging.is_dir()


def test_publish_refuses_links_and_empty_folders(tmp_path):
    staging = _stage(tmp_path / "staging", ["kpis.csv"])
    (tmp_path / "secret.csv").write_text("CHILD\n1234567\n")
    (staging / "manifest.json").symlink_to(tmp_path / "secret.csv")  # a link: never
    (staging / "notebooks").mkdir()
    assert pipeline.unpublishable(staging, pipeline.PUBLISHED) == ["manifest.json", "notebooks/"]
    with pytest.raises(BuildError, match="manifest.json, notebooks/ are not"):
        publish.publish_folder(staging, tmp_path / "2022", pipeline.PUBLISHED)
    assert not (tmp_path / "2022").exists()


def test_a_restricted_folder_is_published_without_the_list(tmp_path):
    staging = _stage(tmp_path / "staging", ["notebooks/01_clean.ipynb", "kpis.csv"])
    publish.publish_folder(staging, tmp_path / "restricted-2022", None)
    assert (tmp_path / "restricted-2022" / "notebooks" / "01_clean.ipynb").is_file()


def test_a_restricted_folder_keeps_what_the_build_does_not_make(tmp_path):
    final = _stage(
        tmp_path / "2022",
        ["exceptions/overdue-reviews.csv", "my-notes.txt", "notebooks/01_clean.ipynb", "kpis.csv"],
    )
    staging = _stage(tmp_path / "staging", ["notebooks/03_annual_report.ipynb", "kpis.csv"])
    (staging / "kpis.csv").write_text("new")
    assert publish.carry_over(final, staging) == ["exceptions", "my-notes.txt"]
    publish.publish_folder(staging, final, None)
    files = sorted(p.relative_to(final).as_posix() for p in final.rglob("*") if p.is_file())
    assert files == [
        "exceptions/overdue-reviews.csv",
        "kpis.csv",
        "my-notes.txt",
        "notebooks/03_annual_report.ipynb",  # the build's own outputs are replaced
    ]
    assert (final / "kpis.csv").read_text() == "new"
    assert (final / "exceptions" / "overdue-reviews.csv").read_text() == (
        "exceptions/overdue-reviews.csv"
    )


def test_the_build_replaces_only_its_own_exception_lists(tmp_path):
    from iro_analysis.pipeline.build_exceptions import build_owns_list

    january = ["exceptions/exceptions-2022-01-31.xlsx", "exceptions/no-pep-2022-01-31.csv"]
    march = ["exceptions/exceptions-2022-03-31.xlsx", "exceptions/no-pep-2022-03-31.csv"]
    final = _stage(tmp_path / "2022", [*january, *march])
    staging = _stage(tmp_path / "staging", [march[0], "kpis.csv"])  # no PEP list this time
    (staging / march[0]).write_text("new")
    kept = publish.carry_over(final, staging, {"exceptions": build_owns_list(2022)})
    assert kept == january
    publish.publish_folder(staging, final, None)
    files = sorted(p.relative_to(final).as_posix() for p in final.rglob("*") if p.is_file())
    assert files == sorted([*january, march[0], "kpis.csv"])  # the stale March CSV went
    assert (final / march[0]).read_text() == "new"
    assert (final / january[1]).read_text() == january[1]


# --------------------------------------------------------------------------------------
# Published KPI files hide what the report hides (fast)
# --------------------------------------------------------------------------------------


def _kpi_ctx(tmp_path: Path) -> report.ReportContext:
    from iro_analysis.core.settings import PathSettings, Settings

    cats = ["neg", "phy", "sab", "emo", "mul"]
    counts = [128.0, 22.0, 8.0, 95.0, 1.0]
    rows = [(f"cp_category_{c}", 2022, v, None, None) for c, v in zip(cats, counts, strict=True)]
    rows += [(f"cp_category_{c}", 2021, 2.0, None, None) for c in cats]
    rows += [
        ("cla_at_31_march", 2022, 300.0, None, None),
        ("cla_at_31_march", 2021, 280.0, None, None),
    ]
    history = pd.DataFrame(rows, columns=["kpi_id", "year", "value", "numerator", "denominator"])
    settings = Settings(suppression_threshold=5, paths=PathSettings(restricted=tmp_path / "r"))
    return report_context(history, settings=settings)


def test_published_kpis_csv_shows_c_where_the_appendix_does(tmp_path):
    from iro_analysis.kpis.engine import format_kpis

    ctx = _kpi_ctx(tmp_path)
    exact = format_kpis(ctx.kpis).splitlines()
    published = report.published_kpis_csv(ctx).splitlines()
    header = "kpi_id,year,value,numerator,denominator,england,rating,rating_basis"
    assert published[0] == exact[0] == header
    assert published == [
        exact[0],
        "cp_category_neg,2022,128,,,,,",
        "cp_category_phy,2022,22,,,,,",
        "cp_category_sab,2022,c,c,c,,,",  # secondary: it would give MUL = 1 back
        "cp_category_emo,2022,95,,,,,",
        "cp_category_mul,2022,c,c,c,,,",
        "cla_at_31_march,2022,300,,,,,",
    ]
    for line in exact[1:]:  # the same rows, in the same order; only hidden cells change
        kpi_id = line.split(",")[0]
        assert any(p.split(",")[0] == kpi_id for p in published)
    assert report.published_kpis_csv(ctx) == report.published_kpis_csv(ctx)


def test_published_kpis_xlsx_masks_the_year_and_leaves_per_code_history_out(tmp_path):
    ctx = _kpi_ctx(tmp_path)
    report.write_kpis_xlsx(ctx, tmp_path / "published.xlsx")
    report.write_kpis_xlsx(ctx, tmp_path / "exact.xlsx", exact=True)
    pub = pd.read_excel(tmp_path / "published.xlsx", sheet_name=None, dtype=str)
    exact = pd.read_excel(tmp_path / "exact.xlsx", sheet_name=None, dtype=str)
    year = pub["KPIs 2021-22"].set_index("kpi_id")
    assert year.loc["cp_category_mul", "value"] == SUPPRESSED
    assert (
        year.loc["cp_category_sab", ["value", "numerator", "denominator"]].tolist()
        == [SUPPRESSED] * 3
    )
    assert year.loc["cp_category_neg", "value"] == "128"
    assert pub["All years"]["kpi_id"].tolist() == ["cla_at_31_march", "cla_at_31_march"]
    # the exact workbook (restricted) keeps every figure of every year
    assert exact["KPIs 2021-22"].set_index("kpi_id").loc["cp_category_mul", "value"] == "1"
    assert len(exact["All years"]) == 12


def test_write_outputs_puts_the_exact_kpis_in_the_restricted_folder(tmp_path, monkeypatch):
    from iro_analysis.core import manifest

    ctx = _kpi_ctx(tmp_path)
    monkeypatch.setattr(manifest, "build_manifest", lambda *a, **k: {"ok": True})
    monkeypatch.setattr(manifest, "write_manifest", lambda m, p: Path(p).write_text("{}"))
    ctx.dataset = type("D", (), {"supplied": {}})()
    out = report.write_outputs(ctx, tmp_path / "public")
    assert sorted(p.name for p in (tmp_path / "public").iterdir()) == [
        "kpis.csv",
        "kpis.xlsx",
        "manifest.json",
    ]
    restricted = tmp_path / "r" / "2022"  # settings.paths.restricted / <YEAR>
    assert out["restricted kpis.csv"] == restricted / "kpis.csv"
    assert "cp_category_mul,2022,1,," in (restricted / "kpis.csv").read_text()
    assert "cp_category_mul,2022,c,c,c" in (tmp_path / "public" / "kpis.csv").read_text()
    assert (restricted / "kpis.xlsx").is_file()


# --------------------------------------------------------------------------------------
# Identifier scan by value over a report built from seeded raw data (slow)
# --------------------------------------------------------------------------------------

ID_COLUMNS = ("CHILD", "LAchildID", "child_id", "UPN", "HOME_POST", "PL_POST")
DOB_COLUMNS = ("DOB", "MC_DOB", "PersonBirthDate")
MIN_LENGTH = 5
_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%Y/%m/%d", "%d.%m.%Y")
_ALNUM_BEFORE, _ALNUM_AFTER = r"(?<![0-9A-Za-z])", r"(?![0-9A-Za-z])"


def _date_texts(d: dt.date) -> set[str]:
    """Every way the report could print a date: 03/11/2016, 2016-11-03, 3 November 2016,
    03 November 2016."""
    return {f"{d:%d/%m/%Y}", f"{d:%Y-%m-%d}", f"{d.day} {d:%B %Y}", f"{d:%d %B %Y}"}


def _parse_date(text: str) -> dt.date | None:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _period_dates(years) -> set[str]:
    """The dates the report prints for its own sake: the first and last day of every
    reporting year (1 April, 31 March). A child born on one of them cannot be told apart
    from the period, so these are left out of the dates of birth looked for."""
    out: set[str] = set()
    for y in years:
        out |= _date_texts(dt.date(y - 1, 4, 1)) | _date_texts(dt.date(y, 3, 31))
    return out


def raw_identifiers(raw: Path) -> tuple[set[str], set[str]]:
    """(identifiers, dates of birth as text) from every CSV and XML file of the raw data.

    Identifiers: every CHILD, LAchildID, child_id, UPN, HOME_POST and PL_POST value of at
    least MIN_LENGTH characters (the demo's ids are 7 digits, UPNs 13 characters, postcodes
    6 to 8; shorter values such as "C1" would match ordinary words). Dates of birth: every
    DOB, MC_DOB and PersonBirthDate as written and in each format of `_date_texts`, less the
    reporting-period dates (`_period_dates`).
    """
    ids: set[str] = set()
    dobs: set[str] = set()

    def take(column: str, values) -> None:
        for v in values:
            v = str(v).strip()
            if not v:
                continue
            if column in ID_COLUMNS and len(v) >= MIN_LENGTH:
                ids.add(v)
            elif column in DOB_COLUMNS:
                d = _parse_date(v)
                dobs.update(_date_texts(d) if d else {v})

    for path in sorted(raw.rglob("*")):
        suffix = path.suffix.lower()
        if suffix == ".csv":
            df = pd.read_csv(path, dtype=str, encoding="latin-1", keep_default_na=False)
            for col in df.columns:
                take(col.strip(), df[col])
        elif suffix == ".xml":
            text = path.read_text(encoding="utf-8", errors="replace")
            for tag, value in re.findall(r"<(\w+)>\s*([^<]*?)\s*</\1>", text):
                take(tag, [value])
    years = [int(p.name) for p in raw.iterdir() if p.name.isdigit()]
    return ids, dobs - _period_dates(years)


def _texts(path: Path) -> list[str]:
    """What a reader of `path` sees, as text: PDF text, every xlsx cell (dates in every
    format), or the file's text without embedded images."""
    if path.suffix == ".pdf":
        return [
            subprocess.run(
                ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
            ).stdout
        ]
    if path.suffix == ".xlsx":
        out = []
        for ws in openpyxl.load_workbook(path, read_only=True).worksheets:
            for row in ws.iter_rows(values_only=True):
                for v in row:
                    if isinstance(v, (dt.datetime, dt.date)):
                        out += sorted(_date_texts(v if isinstance(v, dt.date) else v.date()))
                    elif v is not None:
                        out.append(str(v))
        return ["\n".join(out)]
    text = path.read_text(encoding="utf-8", errors="replace")
    text = re.sub(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=\\n]+", "", text)
    return [re.sub(r'"image/png": "[^"]*"', "", text)]


def find_identifiers(folder: Path, ids: set[str], dobs: set[str]) -> list[tuple[str, str]]:
    """(file, value) for every identifier or date of birth found as a whole token in any
    file under `folder` (screenshots excepted: pictures of the published HTML)."""
    id_re = re.compile(
        _ALNUM_BEFORE
        + "("
        + "|".join(map(re.escape, sorted(ids, key=len, reverse=True)))
        + ")"
        + _ALNUM_AFTER
    )
    # a date is a token unless a digit touches it ("21 May 2010" is not "1 May 2010")
    dob_re = re.compile(
        r"(?<![\d/.-])("
        + "|".join(map(re.escape, sorted(dobs, key=len, reverse=True)))
        + r")(?!\d)"
    )
    hits = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix == ".png":
            continue
        for text in _texts(path):
            for rx in (id_re, dob_re):
                hits += [(str(path.relative_to(folder)), m.group(1)) for m in rx.finditer(text)]
    return hits


def _seed(raw: Path) -> dict[str, str]:
    """Warnings a real return brings, seeded into the demo copy for the report year."""
    year = raw / str(REPORT_YEAR)
    header = pd.read_csv(year / "ssda903" / "header.csv", dtype=str, keep_default_na=False)
    some_child = header["CHILD"].iloc[0]
    # conflicting dates of birth: reviews give five children another date than the header
    path = year / "ssda903" / "reviews.csv"
    reviews = pd.read_csv(path, dtype=str, keep_default_na=False)
    children = reviews["CHILD"].drop_duplicates().iloc[:5]
    new = ["14/02/2009", "29/02/2012", "05/11/2010", "17/07/2007", "23/09/2013"]
    for child, dob in zip(children, new, strict=True):
        reviews.loc[reviews["CHILD"] == child, "DOB"] = dob
    reviews.to_csv(path, index=False)
    # a code that is not a REASON_PLACE_CHANGE code
    path = year / "ssda903" / "episodes.csv"
    episodes = pd.read_csv(path, dtype=str, keep_default_na=False)
    episodes.loc[episodes.index[3], "REASON_PLACE_CHANGE"] = "ZZZZ"
    episodes.to_csv(path, index=False)
    # a column the table does not have, holding a child-level note
    path = year / "iro" / "pep.csv"
    pep = pd.read_csv(path, dtype=str, keep_default_na=False)
    pep["SOCIAL_WORKER_NOTE"] = "see file"
    pep.to_csv(path, index=False)
    # a file no table reads, named the way an analyst might save it
    unread = year / "iro" / f"notes on child {some_child}.csv"
    unread.write_text(f"child_id,note\n{some_child},moved placement\n")
    return {"child": some_child, "unread": unread.name}


@pytest.fixture(scope="module")
def seeded_build(tmp_path_factory, demo_raw) -> Path:
    """One small demo report (with its PDF) built from raw data seeded with warnings."""
    root = tmp_path_factory.mktemp("seeded")
    shutil.copytree(demo_raw, root / "raw")
    seeded = _seed(root / "raw")
    logged: list[str] = []
    pipeline.build_report(
        REPORT_YEAR,
        raw_dir=root / "raw",
        reports_dir=root / "reports",
        processed_dir=root / "processed",
        restricted_dir=root / "restricted",
        pdf=True,
        log=logged.append,
    )
    (root / "seeded.txt").write_text("\n".join([*seeded.values(), *logged]))
    return root


@pytest.mark.slow
def test_the_seeded_warnings_were_raised(seeded_build):
    from iro_analysis.ingest.clean import load_warnings

    w = load_warnings(REPORT_YEAR, seeded_build / "processed")
    rules = set(w["rule"])
    assert {"file_not_read", "unknown_column"} <= rules, rules
    assert "REASON_PLACE_CHANGE" in set(w["column"].dropna()), w
    v = (seeded_build / "reports" / str(REPORT_YEAR) / "validation.json").read_text()
    assert "date_of_birth_agrees_across_files" in v
    # the technical annex says a file was not read (counted by folder and reason, not named)
    html = seeded_build / "reports" / str(REPORT_YEAR) / annex_filename(REPORT_YEAR)
    dq = html.read_text(encoding="utf-8").split('id="data-quality"')[1]
    assert "its columns match no IRO extract table" in dq and "SOCIAL_WORKER_NOTE" in dq
    assert "notes on child" not in dq


@pytest.mark.slow
def test_no_identifier_or_date_of_birth_in_any_published_file(seeded_build):
    ids, dobs = raw_identifiers(seeded_build / "raw")
    assert len(ids) > 1000 and len(dobs) > 1000
    assert {"14/02/2009", "2009-02-14", "14 February 2009"} <= dobs  # the seeded ones
    scanned = [p for p in (seeded_build / "reports").rglob("*") if p.is_file()]
    assert {p.suffix for p in scanned} >= {".html", ".pdf", ".csv", ".json", ".xlsx"}
    assert find_identifiers(seeded_build / "reports", ids, dobs) == []


@pytest.mark.slow
def test_the_scan_finds_a_planted_identifier(seeded_build, tmp_path):
    """The scan above would fail: a copy of the published folder with a child id in the
    HTML, a date of birth in kpis.csv and another, as a date cell, in kpis.xlsx."""
    ids, dobs = raw_identifiers(seeded_build / "raw")
    copy = tmp_path / str(REPORT_YEAR)
    shutil.copytree(seeded_build / "reports" / str(REPORT_YEAR), copy)
    child = sorted(i for i in ids if i.isdigit())[0]
    html = copy / report_filename(REPORT_YEAR)
    html.write_text(html.read_text(encoding="utf-8") + f"<p>Child {child}.</p>", encoding="utf-8")
    with open(copy / "kpis.csv", "a", encoding="utf-8") as f:
        f.write("note,2022,born 14 February 2009,,\n")
    wb = openpyxl.load_workbook(copy / "kpis.xlsx")
    wb.worksheets[0]["J2"] = dt.datetime(2012, 2, 29)
    wb.save(copy / "kpis.xlsx")
    hits = find_identifiers(copy, ids, dobs)
    assert (html.name, child) in hits
    assert ("kpis.csv", "14 February 2009") in hits
    assert {v for f, v in hits if f == "kpis.xlsx"} >= {"29/02/2012"}


@pytest.mark.slow
def test_only_the_allow_list_is_published_and_the_rest_is_restricted(seeded_build):
    published = seeded_build / "reports" / str(REPORT_YEAR)
    assert pipeline.unpublishable(published, pipeline.PUBLISHED) == []
    assert {p.name for p in published.iterdir()} >= {
        report_filename(REPORT_YEAR),
        "kpis.csv",
        "kpis.xlsx",
        "manifest.json",
        "validation.json",
    }
    restricted = seeded_build / "restricted" / str(REPORT_YEAR)
    assert sorted(p.name for p in (restricted / "notebooks").iterdir()) == [
        "01_clean.ipynb",
        "02_validate.ipynb",
        "03_annual_report.ipynb",
    ]
    # the exact KPIs: the same rows; a per-code count published as c is a number here
    exact = pd.read_csv(restricted / "kpis.csv", dtype=str, keep_default_na=False)
    public = pd.read_csv(published / "kpis.csv", dtype=str, keep_default_na=False)
    assert exact["kpi_id"].tolist() == public["kpi_id"].tolist()
    hidden = public["value"] == SUPPRESSED
    assert hidden.any() and not (exact["value"] == SUPPRESSED).any()
    assert (exact.loc[~hidden] == public.loc[~hidden]).all().all()
    assert (restricted / "kpis.xlsx").is_file()
    # nothing of the build is left anywhere else
    assert sorted(p.name for p in (seeded_build / "reports").iterdir()) == [str(REPORT_YEAR)]
    assert sorted(p.name for p in (seeded_build / "restricted").iterdir()) == [str(REPORT_YEAR)]
