"""Reproducibility and failure drills for the report build."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from iro_analysis import pipeline
from iro_analysis.core.errors import IroAnalysisError
from iro_analysis.core.paths import report_filename

from .conftest import REPORT_YEAR


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _build(root: Path, year: int = REPORT_YEAR, **kw) -> Path:
    return pipeline.build_report(
        year,
        raw_dir=root / "raw",
        reports_dir=root / "reports",
        processed_dir=root / "processed",
        restricted_dir=root / "restricted",
        log=lambda *a: None,
        **kw,
    )


def _workspace(tmp_path: Path, demo_raw: Path) -> Path:
    shutil.copytree(demo_raw, tmp_path / "raw")
    return tmp_path


def test_two_builds_are_byte_identical(build_root):
    names = [
        f"reports/{REPORT_YEAR}/{n}"
        for n in ("iro-annual-report-2021-22.html", "kpis.csv", "manifest.json", "validation.json")
    ]
    names += [
        f"restricted/{REPORT_YEAR}/{n}"
        for n in (
            "kpis.csv",
            "notebooks/01_clean.ipynb",
            "notebooks/02_validate.ipynb",
            "notebooks/03_annual_report.ipynb",
        )
    ]
    first = {n: (build_root / n).read_bytes() for n in names}
    _build(build_root, pdf=True)  # the same year again, from the same inputs, in the same place
    for n in names:
        assert (build_root / n).read_bytes() == first[n], n


def test_missing_optional_file_is_marked_not_supplied(tmp_path, demo_raw):
    root = _workspace(tmp_path, demo_raw)
    (root / "raw" / str(REPORT_YEAR) / "iro" / "pep.csv").unlink()
    narrative = tmp_path / "narrative.md"
    # A placeholder of a KPI whose data was not supplied stops the build, naming the file,
    # line and KPI (issue #26: "not supplied" never stands in a sentence as a figure) ...
    narrative.write_text("## Education and health\n\nPEPs in place: {{ kpi.pep_in_place_pct }}.\n")
    with pytest.raises(IroAnalysisError) as exc:
        _build(root, narrative_path=narrative)
    assert "narrative.md: line 3: placeholder '{{ kpi.pep_in_place_pct }}' has no figure" in str(
        exc.value
    )
    assert not (root / "reports" / str(REPORT_YEAR)).exists()
    # ... and without it the year builds, the measure marked "not supplied" in its table.
    narrative.write_text("## Education and health\n\nPEPs are reviewed each term.\n")
    html = _build(root, narrative_path=narrative).read_text(encoding="utf-8")
    assert "PEP" in html
    kpis = (root / "reports" / str(REPORT_YEAR) / "kpis.csv").read_text()
    assert "pep_in_place_pct" not in kpis and "health_assessment_pct" in kpis
    section = html[
        html.index('id="education-and-health"') : html.index('id="independent-visitors"')
    ]
    assert "not supplied" in section and "PEPs are reviewed each term." in section


def test_corrupted_raw_file_stops_the_build_and_touches_nothing(built_copy):
    root = built_copy  # a good build already in place
    before_reports = _snapshot(root / "reports" / str(REPORT_YEAR))
    before_restricted = _snapshot(root / "restricted" / str(REPORT_YEAR))
    before_processed = _snapshot(root / "processed")
    episodes = root / "raw" / str(REPORT_YEAR) / "ssda903" / "episodes.csv"
    episodes.write_bytes(b"\x00\x01\x02PK\x03\x04 not a csv \xff\xfe" * 50)
    logged: list[str] = []
    with pytest.raises(IroAnalysisError) as exc:
        pipeline.build_report(
            REPORT_YEAR,
            raw_dir=root / "raw",
            reports_dir=root / "reports",
            processed_dir=root / "processed",
            restricted_dir=root / "restricted",
            log=logged.append,
        )
    assert "episodes.csv" in str(exc.value)
    assert _snapshot(root / "reports" / str(REPORT_YEAR)) == before_reports
    assert _snapshot(root / "restricted" / str(REPORT_YEAR)) == before_restricted
    assert _snapshot(root / "processed") == before_processed
    # the failed build is kept for inspection (in the restricted folder: its notebooks are
    # child-level), its location logged; no staging is left, nothing of it in reports/
    failed = root / "restricted" / f".failed-{REPORT_YEAR}"
    assert (failed / "notebooks" / "01_clean.ipynb").is_file()
    assert any(str(failed) in line for line in logged)
    assert sorted(p.name for p in (root / "reports").iterdir()) == [str(REPORT_YEAR)]
    assert not list((root / "restricted").glob(".build-*"))


def test_killed_build_leaves_previous_report_and_data_intact(built_copy):
    from iro_analysis.ingest.clean import load_processed

    root = built_copy  # a good build already in place
    before = _snapshot(root / "reports" / str(REPORT_YEAR))
    cmd = [
        sys.executable,
        "-m",
        "iro_analysis",
        "report",
        "--year",
        str(REPORT_YEAR),
        "--raw-dir",
        str(root / "raw"),
        "--reports-dir",
        str(root / "reports"),
        "--processed-dir",
        str(root / "processed"),
        "--restricted-dir",
        str(root / "restricted"),
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 120
    staging = None
    while time.monotonic() < deadline and proc.poll() is None:
        found = list(
            (root / "restricted").glob(f".build-{REPORT_YEAR}-*/{REPORT_YEAR}/notebooks/*.ipynb")
        )
        if found:
            staging = found[0]
            break
        time.sleep(0.1)
    assert staging is not None, "the build never started writing"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert _snapshot(root / "reports" / str(REPORT_YEAR)) == before
    ds = load_processed(REPORT_YEAR, root / "processed")
    assert len(ds.tables["episodes"]) > 0
    assert list((root / "reports").glob(f".build-{REPORT_YEAR}-{proc.pid}"))
    # the next build succeeds and clears the way: the killed build's staging is removed
    logged: list[str] = []
    pipeline.build_report(
        REPORT_YEAR,
        raw_dir=root / "raw",
        reports_dir=root / "reports",
        processed_dir=root / "processed",
        restricted_dir=root / "restricted",
        log=logged.append,
    )
    assert (root / "reports" / str(REPORT_YEAR) / "kpis.csv").is_file()
    assert not list((root / "reports").glob(".build-*"))
    assert not list((root / "restricted").glob(".build-*"))
    assert any(f".build-{REPORT_YEAR}-{proc.pid}" in line for line in logged)


def test_two_years_built_at_once_do_not_corrupt_each_other(tmp_path, demo_raw):
    root = _workspace(tmp_path, demo_raw)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "iro_analysis",
                "report",
                "--year",
                str(y),
                "--raw-dir",
                str(root / "raw"),
                "--reports-dir",
                str(root / "reports"),
                "--processed-dir",
                str(root / "processed"),
                "--restricted-dir",
                str(root / "restricted"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for y in (2021, 2022)
    ]
    outs = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    for y, slug in ((2021, "2020-21"), (2022, "2021-22")):
        html = (root / "reports" / str(y) / f"iro-annual-report-{slug}.html").read_text(
            encoding="utf-8"
        )
        assert html.rstrip().endswith("</html>")
        assert f"Reporting year {slug.replace('-', '/')}" in html
        kpis = (root / "reports" / str(y) / "kpis.csv").read_text()
        assert kpis.startswith("kpi_id,year,value,numerator,denominator")
        assert f",{y}," in kpis


def test_plain_build_keeps_a_pdf_only_while_it_is_current(tmp_path, built_copy):
    """`make report FORMAT=pdf` then `make report`: the PDF survives only an unchanged report."""
    root = built_copy  # a plain build already in place
    html = root / "reports" / str(REPORT_YEAR) / report_filename(REPORT_YEAR)
    for printed in (root / "reports" / str(REPORT_YEAR)).glob("*.pdf"):
        printed.unlink()  # the session's build printed its PDFs: start from a plain build
    # As if built with FORMAT=pdf (the rule does not depend on Chromium, absent on some hosts).
    pdf = html.with_suffix(".pdf")
    pdf.write_bytes(b"%PDF-1.7 printed from this HTML")
    logged: list[str] = []

    def rebuild(**kw) -> Path:
        return pipeline.build_report(
            REPORT_YEAR,
            raw_dir=root / "raw",
            reports_dir=root / "reports",
            processed_dir=root / "processed",
            restricted_dir=root / "restricted",
            log=logged.append,
            **kw,
        )

    before = html.read_bytes()
    own = root / "restricted" / str(REPORT_YEAR) / "analyst" / "own-list.csv"
    own.parent.mkdir(exist_ok=True)
    own.write_text("an analyst's own file, not made by the build")
    rebuild()
    assert html.read_bytes() == before
    assert own.read_text() == "an analyst's own file, not made by the build"
    assert list((own.parents[1] / "exceptions").glob("*.xlsx"))  # the build's own lists
    assert pdf.read_bytes() == b"%PDF-1.7 printed from this HTML"
    assert any("PDF is still current" in line for line in logged)

    # the report changes (new commentary): the old PDF no longer matches and goes
    narrative = tmp_path / "narrative.md"
    narrative.write_text("## Key messages\n\nA new paragraph for the committee.\n")
    failed = root / "restricted" / f".failed-{REPORT_YEAR}"
    (failed / "notebooks").mkdir(parents=True)  # left by an earlier failed build
    logged.clear()
    rebuild(narrative_path=narrative)
    assert "A new paragraph for the committee." in html.read_text(encoding="utf-8")
    assert not pdf.exists()
    assert any(
        "the PDF was out of date and was removed; rebuild with FORMAT=pdf" in line
        for line in logged
    ), logged
    assert not failed.exists()  # a good build clears the earlier failure
    assert any(str(failed) in line for line in logged)
    assert sorted(p.name for p in (root / "reports").iterdir()) == [str(REPORT_YEAR)]
    assert sorted(p.name for p in (root / "restricted").iterdir()) == [str(REPORT_YEAR)]


@pytest.mark.slow
def test_a_rebuild_keeps_exception_lists_taken_at_another_date(built_copy):
    """`make exceptions AS_AT=2022-01-31` then `make report`: the January lists survive, the
    build replacing only its own lists at 31 March."""
    from iro_analysis.analysts import exceptions, explore
    from iro_analysis.core.settings import load_settings

    root = built_copy
    out = root / "restricted" / str(REPORT_YEAR) / "exceptions"
    march = _snapshot(out)
    assert march and all("-03-31." in name for name in march)
    ds = explore.load_year(REPORT_YEAR, root / "raw", root / "processed")
    as_at = exceptions.check_as_at(REPORT_YEAR, f"{REPORT_YEAR}-01-31")
    ctx = exceptions.as_at_context(ds, REPORT_YEAR, as_at, load_settings())
    exceptions.write_exception_lists(ctx, exceptions.exception_lists(ctx), out)
    january = {k: v for k, v in _snapshot(out).items() if "-01-31." in k}
    assert any(k.endswith(".xlsx") for k in january)
    _build(root)
    after = _snapshot(out)
    assert {k: v for k, v in after.items() if "-01-31." in k} == january
    assert {k for k in after if "-03-31." in k} == set(march)


def test_a_failed_report_notebook_waits_for_the_exception_lists_before_cleaning_up(
    built_copy, monkeypatch
):
    """Issue #31: on a rebuild (clean data reused) the exception lists are made in a thread
    beside the report notebook. When the notebook fails, the build waits for that thread
    before it moves its staging away, so nothing is written into a staging folder once it
    is cleaned up, and the published files stay as they were."""
    from iro_analysis.core.errors import BuildError
    from iro_analysis.pipeline import build_exceptions, orchestrate

    root = built_copy
    before = _snapshot(root / "reports" / str(REPORT_YEAR))
    finished = []

    def slow_lists(year, processed_dir, settings, out):
        time.sleep(1.5)  # still writing when the notebook has failed
        out.mkdir(parents=True, exist_ok=True)
        (out / "late.txt").write_text("written after the notebook failed")
        finished.append(out)
        return 1

    def failing_notebook(step, *args, **kwargs):
        raise BuildError(f"step '{step}' failed: drill")

    monkeypatch.setattr(build_exceptions, "write_build_exceptions", slow_lists)
    monkeypatch.setattr(orchestrate, "run_notebook", failing_notebook)
    with pytest.raises(BuildError, match="drill"):
        _build(root)
    assert finished, "the build returned before the exception lists' thread had finished"
    time.sleep(0.5)
    assert not list((root / "restricted").glob(".build-*"))
    assert not list((root / "reports").glob(".build-*"))
    failed = root / "restricted" / f".failed-{REPORT_YEAR}"
    assert (failed / "exceptions" / "late.txt").is_file()  # kept with the failed build
    assert _snapshot(root / "reports" / str(REPORT_YEAR)) == before
