"""One year's build and every year's: clean -> validate -> report -> publish."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass
from pathlib import Path

from iro_analysis.core import paths
from iro_analysis.core.errors import BuildError, IroAnalysisError, os_error_message
from iro_analysis.core.paths import document_filenames, report_filename
from iro_analysis.core.run import Run
from iro_analysis.core.settings import load_settings
from iro_analysis.core.years import ReportingYear
from iro_analysis.pipeline import reuse
from iro_analysis.pipeline.build_exceptions import (
    build_owns_list,
    start_exceptions,
    write_build_exceptions,
)
from iro_analysis.pipeline.door import open_run, run_for_year
from iro_analysis.pipeline.export import export_documents
from iro_analysis.pipeline.index import build_trends, write_index
from iro_analysis.pipeline.notebooks import (
    CLEAN_NOTEBOOK,
    REPORT_NOTEBOOK,
    VALIDATE_NOTEBOOK,
    require_kernel,
    run_notebook,
    warnings_in,
)
from iro_analysis.pipeline.publish import (
    PUBLISHED,
    carry_over,
    clean_stale_staging,
    keep_pdf_if_current,
    publish_folder,
)


def _build_failed(
    exc: BaseException, step: str, staging_root: Path, restricted_root: Path, year: int, log
) -> None:
    """Keep the failed build's files in `restricted/.failed-<YEAR>/` (the latest failure
    only): the restricted staging, with what was staged for publication in its `published/`
    folder. Nothing of a failed build stays in reports/: a file `publish_folder` refused may be
    child-level.

    An operating-system error (a full disk or quota, a read-only or unwritable folder)
    becomes a BuildError naming the step, the file and what to do: the CLI prints one line.
    """
    staging, r_staging = staging_root / str(year), restricted_root / str(year)
    failed = restricted_root.parent / f".failed-{year}"
    try:
        shutil.rmtree(failed, ignore_errors=True)
        if staging.exists() or r_staging.exists():
            if r_staging.exists():
                r_staging.rename(failed)
            else:
                failed.mkdir(parents=True)
            if staging.exists():
                shutil.move(staging, failed / "published")
            log(f"[{year}] the failed build's files are in {failed} (only the latest is kept)")
    except OSError as cleanup:
        log(f"[{year}] could not keep the failed build in {failed}: {cleanup.strerror or cleanup}")
    finally:
        shutil.rmtree(staging_root, ignore_errors=True)
        shutil.rmtree(restricted_root, ignore_errors=True)
    if isinstance(exc, OSError) and not isinstance(exc, InterruptedError):
        raise BuildError(
            f"step '{step}' failed: {os_error_message(exc)} (the published report was not changed)"
        ) from exc


# Year reports built at once by `iro-analysis reports` (one kernel each).
REPORT_WORKERS = max(1, min(2, os.cpu_count() or 1))


@dataclass(frozen=True)
class Prepared:
    """What `prepare_history` made once for every year: `<staging_root>/<YEAR>/` holds each
    year's validation.json and data-quality.html, `<restricted_root>/<YEAR>/` its full
    results and Data Docs, `<restricted_root>/notebooks/` the executed clean and validate
    notebooks."""

    staging_root: Path
    restricted_root: Path


def build_report(
    year: int,
    raw_dir: Path | None = None,
    reports_dir: Path | None = None,
    processed_dir: Path | None = None,
    settings_path: Path | None = None,
    pdf: bool = False,
    narrative_path: Path | None = None,
    log=print,
    restricted_dir: Path | None = None,
) -> Path:
    """Build `reports/<YEAR>/` (clean -> validate -> report notebooks, HTML, KPIs, manifest)
    and `restricted/<YEAR>/` (the executed notebooks, exact KPIs, full validation results).

    The year, folders, settings and narrative are checked once (`door.open_run`); see
    `build_run` for the rest. Folders not given come from the settings file.
    """
    run = open_run(
        year,
        settings_path=settings_path,
        raw_dir=raw_dir,
        processed_dir=processed_dir,
        reports_dir=reports_dir,
        restricted_dir=restricted_dir,
        narrative_path=narrative_path,
    )
    return build_run(run, pdf=pdf, log=log)


def _copy_prepared(prepared: Prepared, run: Run) -> None:
    """Put what `prepare_history` made for the Run's year into its staging folders."""
    year = str(run.year)
    shutil.copytree(prepared.staging_root / year, run.staging_dir, dirs_exist_ok=True)
    r_year = prepared.restricted_root / year
    if r_year.is_dir():
        shutil.copytree(r_year, run.restricted_staging_dir, dirs_exist_ok=True)
    for notebook in (CLEAN_NOTEBOOK, VALIDATE_NOTEBOOK):
        shutil.copy2(
            prepared.restricted_root / "notebooks" / notebook,
            run.restricted_staging_dir / "notebooks" / notebook,
        )


def build_run(run: Run, pdf: bool = False, log=print, prepared: Prepared | None = None) -> Path:
    """Build the Run's year: its notebooks each read the Run (one parameter, `run_path`).

    Everything is built in staging folders first (`reports/.build-<YEAR>-<pid>/<YEAR>/`
    and `restricted/.build-<YEAR>-<pid>/<YEAR>/`); a failure raises BuildError naming the
    step and leaves any earlier report untouched. Only files on the allow-list `PUBLISHED`
    are published to reports/<YEAR>/ (anything else stops the build, naming it); the
    restricted folder is published after it, keeping what the build does not make there
    (exception lists, an analyst's files). Staging folders of builds that are no longer
    running are removed first; a failed build's files are kept in
    `restricted/.failed-<YEAR>` (the latest failure only, removed by the next good build).
    Without `pdf`, a PDF already published is kept only if the report's HTML is unchanged.
    With `prepared` (`make reports`), the clean data and validation results made once for
    every year are used and only the report notebook runs.
    """
    year, settings = run.year, run.settings()
    run.reports_dir.mkdir(parents=True, exist_ok=True)
    run.restricted_dir.mkdir(parents=True, exist_ok=True)
    clean_stale_staging(run.reports_dir, log=lambda m: log(f"[{year}] {m}"))
    clean_stale_staging(run.restricted_dir, log=lambda m: log(f"[{year}] {m}"))
    # reports/.build-<YEAR>-<pid>/<YEAR>/ mirrors reports/<YEAR>/, so steps that write to
    # `<reports_dir>/<YEAR>/` (validation) can be pointed at the staging root. The
    # restricted staging lies in the restricted folder, so nothing child-level is ever
    # under reports/ and its publication is a rename on the same file system.
    staging_root, restricted_root = run.staging_root, run.restricted_staging_root
    staging, r_staging = run.staging_dir, run.restricted_staging_dir
    shutil.rmtree(staging_root, ignore_errors=True)
    shutil.rmtree(restricted_root, ignore_errors=True)
    timings: dict[str, float] = {}
    final = paths.report_year_dir(year, run.reports_dir)
    r_final = paths.restricted_year_dir(year, run.restricted_dir)
    step = "staging"
    try:
        staging.mkdir(parents=True)
        (r_staging / "notebooks").mkdir(parents=True)
        run_path = run.write()
        steps = [("report", REPORT_NOTEBOOK)]
        if prepared is not None:
            _copy_prepared(prepared, run)
        elif reuse.reusable(run):
            reuse.stage_reused(run)
            log(
                f"[{year}] clean and validate: reused from the last build (raw files, "
                "settings and code unchanged)"
            )
        else:
            steps[:0] = [("clean", CLEAN_NOTEBOOK), ("validate", VALIDATE_NOTEBOOK)]
        # the clean data there already: the exception lists beside the report notebook
        early = start_exceptions(run, settings) if len(steps) == 1 else None
        try:
            for step, notebook in steps:
                t0 = time.perf_counter()
                log(f"[{year}] {step}: running notebooks/{notebook}")
                nb_out = r_staging / "notebooks" / notebook
                run_notebook(step, notebook, nb_out, {"run_path": run_path})
                timings[step] = time.perf_counter() - t0
                if step == "clean":
                    _log_clean_warnings(run, log)
        except BaseException:
            if early is not None:  # nothing writes into the staging once it is cleaned up
                futures_wait([early])
            raise
        executed = r_staging / "notebooks" / REPORT_NOTEBOOK
        for message in warnings_in(executed, "NarrativeWarning"):
            log(f"[{year}] check the narrative: {message}")
        for message in warnings_in(executed, "FrontSheetWarning"):
            log(f"[{year}] front sheet: {message}")
        for message in warnings_in(executed, "UnwrittenSectionWarning"):
            log(f"[{year}] narrative: {message}")
        step = "exceptions"
        t0 = time.perf_counter()
        n = (
            early.result()
            if early is not None
            else write_build_exceptions(year, run.processed_dir, settings, r_staging / "exceptions")
        )
        log(f"[{year}] exceptions: {n} managers' lists at 31 March (restricted)")
        timings["exceptions"] = time.perf_counter() - t0
        step = "html"
        t0 = time.perf_counter()
        draft = not run.narrative_path.is_file()  # no narrative: both documents are DRAFT
        documents = export_documents(executed, staging, year, settings, draft)  # report, annex
        timings["html"] = time.perf_counter() - t0
        step = "pdf"
        if pdf:
            from iro_analysis.pipeline.pdf import html_to_pdf

            t0 = time.perf_counter()
            for html_path in documents:
                html_to_pdf(
                    html_path,
                    html_path.with_suffix(".pdf"),
                    label=f"{settings.council_name}, {ReportingYear(year).label}",
                )
            timings["pdf"] = time.perf_counter() - t0
        else:
            keep_pdf_if_current(final, staging, year, log)
        step = "publish"
        reuse.record(run, r_staging)  # what the clean data and validation came from
        publish_folder(staging, final, PUBLISHED)
        kept = carry_over(r_final, r_staging, {"exceptions": build_owns_list(year)})
        if kept:
            log(f"[{year}] kept in {r_final}: {', '.join(kept)} (not made by the build)")
        publish_folder(r_staging, r_final, None)
    except BaseException as exc:
        _build_failed(exc, step, staging_root, restricted_root, year, log)
        raise
    shutil.rmtree(staging_root, ignore_errors=True)
    shutil.rmtree(restricted_root, ignore_errors=True)
    for failed in (run.restricted_dir / f".failed-{year}", run.reports_dir / f".failed-{year}"):
        if failed.exists():  # (reports/.failed-<YEAR>: left by an older version)
            shutil.rmtree(failed, ignore_errors=True)
            log(f"[{year}] removed {failed}, kept from an earlier failed build")
    log(
        f"[{year}] done in {sum(timings.values()):.1f} s "
        f"({', '.join(f'{k} {v:.1f} s' for k, v in timings.items())})"
    )
    return final / report_filename(year)


def _log_clean_warnings(run: Run, log) -> None:
    from iro_analysis.ingest.clean import warning_lines
    from iro_analysis.ingest.code_map import code_map_of, unmapped_lines
    from iro_analysis.ingest.processed import load_quarantine, load_warnings

    code_map = code_map_of(run.settings())
    lines = warning_lines(load_warnings(run.year, run.processed_dir))
    if code_map:  # the values neither a code nor mapped, one line per file and column
        lines += unmapped_lines(load_quarantine(run.year, run.processed_dir), code_map)
    for line in lines:
        log(f"[{run.year}] {line}")


def prepare_history(run: Run, log=print) -> Prepared:
    """Clean every year of `run.validate_years` into its own `processed/<YEAR>/` (a year's
    clean data reads only the folders up to it; each raw file is parsed once) and validate
    each from one notebook (a worker process per core, Great Expectations imported once in
    each), into the Run's staging folders.
    A failure raises BuildError naming the step; its files are kept in
    `restricted/.failed-history/`."""
    for folder in (run.reports_dir, run.restricted_dir):
        folder.mkdir(parents=True, exist_ok=True)
        clean_stale_staging(folder, log=lambda m: log(f"[all years] {m}"))
    prepared = Prepared(run.staging_root, run.restricted_staging_root)
    for folder in (prepared.staging_root, prepared.restricted_root):
        shutil.rmtree(folder, ignore_errors=True)
    step = "staging"
    try:
        (prepared.restricted_root / "notebooks").mkdir(parents=True)
        prepared.staging_root.mkdir(parents=True)
        run_path = run.write()
        for step, notebook in (("clean", CLEAN_NOTEBOOK), ("validate", VALIDATE_NOTEBOOK)):
            log(f"[all years] {step}: running notebooks/{notebook}")
            output = prepared.restricted_root / "notebooks" / notebook
            run_notebook(step, notebook, output, {"run_path": run_path})
            if step == "clean":
                _log_clean_warnings(run, log)
    except BaseException:
        failed = run.restricted_dir / ".failed-history"
        shutil.rmtree(failed, ignore_errors=True)
        if prepared.restricted_root.exists():
            prepared.restricted_root.rename(failed)
            log(f"[all years] step '{step}' failed; its files are in {failed}")
        shutil.rmtree(prepared.staging_root, ignore_errors=True)
        raise
    shutil.rmtree(run.restricted_dir / ".failed-history", ignore_errors=True)
    return prepared


def cli_main(args) -> int:
    """`iro-analysis report --year 2022 [--pdf]`."""
    require_kernel()  # at the door: no staging folders for a build that cannot run
    path = build_report(
        args.year,
        raw_dir=args.raw_dir,
        reports_dir=args.reports_dir,
        processed_dir=args.processed_dir,
        settings_path=args.settings,
        pdf=args.pdf,
        restricted_dir=getattr(args, "restricted_dir", None),
    )
    report, annex = (path.with_name(n) for n in document_filenames(args.year))
    print(f"Report written to {report}\nTechnical annex written to {annex}")
    if args.pdf:
        print(f"PDFs written to {report.with_suffix('.pdf')} and {annex.with_suffix('.pdf')}")
    return 0


# --------------------------------------------------------------------------------------
# Multi-year trends report and the index of every report.
# --------------------------------------------------------------------------------------


def cli_reports(args) -> int:
    """`iro-analysis reports`: every year's report, the trends report and the index.

    The history is cleaned once and every year validated from one notebook
    (`prepare_history`); then each year's report notebook runs on that (`build_run`).
    """
    require_kernel()
    settings_path = getattr(args, "settings", None)
    settings = load_settings(settings_path)
    raw_dir = Path(args.raw_dir or settings.paths.raw)
    reports_dir = Path(args.reports_dir or settings.paths.reports)
    restricted_dir = Path(getattr(args, "restricted_dir", None) or settings.paths.restricted)
    processed_dir = Path(getattr(args, "processed_dir", None) or settings.paths.processed)
    years = paths.available_years(raw_dir)
    if not years:
        raise IroAnalysisError(
            f"no year folders in {raw_dir}: run `make data` for the demo council"
        )
    if not args.no_years:
        history = open_run(
            years[-1],
            settings_path=settings_path,
            raw_dir=raw_dir,
            processed_dir=processed_dir,
            reports_dir=reports_dir,
            restricted_dir=restricted_dir,
            tag=f"history-{os.getpid()}",
            validate_years=tuple(years),
        )
        runs = [dataclasses.replace(run_for_year(history, y), prepared=True) for y in years]
        try:
            prepared = prepare_history(history, log=print)
            # Two years at a time, each in its own process: papermill changes the process's
            # working directory, so builds in threads of one process would race.
            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=REPORT_WORKERS, mp_context=ctx) as pool:
                for future in [
                    pool.submit(build_run, r, log=print, prepared=prepared) for r in runs
                ]:
                    future.result()
        finally:
            shutil.rmtree(history.staging_root, ignore_errors=True)
            shutil.rmtree(history.restricted_staging_root, ignore_errors=True)
    build_trends(
        raw_dir=raw_dir,
        reports_dir=reports_dir,
        processed_dir=processed_dir,
        settings_path=settings_path,
        restricted_dir=restricted_dir,
    )
    index = write_index(reports_dir, settings)
    print(f"Reports index written to {index}")
    return 0


def cli_check(args) -> int:
    """`iro-analysis check --year 2022`: browser checks on the built report (screenshots
    beside it) and on its technical annex."""
    from iro_analysis.pipeline.browser import check_report

    settings = load_settings(args.settings)
    folder = paths.report_year_dir(args.year, Path(args.reports_dir or settings.paths.reports))
    problems: list[str] = []
    for name, shots in zip(
        document_filenames(args.year), (folder / "screenshots", None), strict=True
    ):
        if not (folder / name).is_file():
            raise IroAnalysisError(
                f"no {folder / name}: build it with `make report YEAR={args.year}`"
            )
        result = check_report(folder / name, screenshots_dir=shots)
        print(f"{name}: {result.images} images, {len(result.toc_links)} contents links checked")
        problems += [f"{name}: {p}" for p in result.problems]
    print(f"screenshots in {folder / 'screenshots'}", *(f"- {p}" for p in problems), sep="\n")
    return 1 if problems else 0
