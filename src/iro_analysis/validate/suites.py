"""Validate the clean data with Great Expectations: one suite per clean table, in code.

Each suite checks columns, non-null keys and required values, code sets, key uniqueness,
date order and plausible ranges. What GX cannot express (dtypes, cross-table references,
ages from a join, the row accounting) is checked in pandas and reported in the same format.
A failed *critical* check stops the pipeline (`ValidationReport.raise_for_critical`);
*warnings* go to the report's data-quality section. Great Expectations is imported inside
the functions that use it (it takes seconds to import).

This module runs a year's validation and writes its results; the checks live in `checks`
(the suites), `gx_run` (running them with GX), `pandas_checks` and `validation_report`
(`ValidationReport`), and are imported from there.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from iro_analysis.contract.tables import check_not_supplied
from iro_analysis.core import paths
from iro_analysis.ingest.clean import (
    quarantine_summary,
)
from iro_analysis.ingest.dataset import Dataset
from iro_analysis.ingest.raw_tables import read_raw_sources, with_verdicts
from iro_analysis.validate.checks import suite_checks
from iro_analysis.validate.gates import FACTS_TABLE, check_accepted_anomalies, file_facts
from iro_analysis.validate.gx_run import (
    run_gx_suites,
)
from iro_analysis.validate.pandas_checks import (
    core_inputs_check,
    pandas_checks,
)
from iro_analysis.validate.raw_checks import raw_suite_checks, source_key
from iro_analysis.validate.validation_report import (
    ValidationReport,
)


def accept_anomalies(results: pd.DataFrame, year: int, accepted) -> pd.DataFrame:
    """Let through the gate failures an analyst accepted for `year` (settings
    `accepted_anomalies`): a gate failing only on accepted files keeps `success` False but
    gets the reasons in `accepted`; files not accepted still fail. Nothing else is let
    through."""
    out = results.copy()
    out["accepted"] = ""
    mine = [a for a in accepted if a.year == year]
    for i in out.index[(out["table"] == FACTS_TABLE) & ~out["success"]]:
        check = out.at[i, "column"]
        reasons = {a.file: a.reason for a in mine if a.check == check}
        files = list(out.at[i, "sample"])
        left = [f for f in files if f not in reasons]
        if not left:
            out.at[i, "accepted"] = "; ".join(f"{f}: {reasons[f]}" for f in files)
        else:
            out.at[i, "sample"] = left
            out.at[i, "unexpected_count"] = len(left)
    return out


def validate_dataset(
    ds: Dataset,
    year: int,
    settings=None,
    project_root: Path | None = None,
    raw_dir: Path | None = None,
    cache_dir: Path | None = None,
) -> ValidationReport:
    """Run every suite, the plausibility gates on `year`'s files and the pandas checks.

    `settings` (default: the settings file) gives the gates' limits and the anomalies an
    analyst accepted. With `project_root` (a restricted folder) the suites run through GX
    Checkpoints in a file project there, which keeps the results and builds Data Docs.
    With `raw_dir`, the year's raw files are validated too, as read (`raw_sources`; the
    census's tables from the parse cache in `cache_dir` when the cleaner stored them).
    """
    roots = None if project_root is None else {year: project_root}
    return validate_years(ds, [year], settings, roots, raw_dir, cache_dir=cache_dir)[year]


def raw_sources(ds: Dataset, year: int, raw_dir: Path, cache_dir: Path | None = None) -> dict:
    """The raw suites' input for `year`'s own folder: source key -> (label, checks, rows as
    read with the cleaner's verdicts of the cross-file rules) (`ingest.raw_tables`; the
    census's tables from the parse cache in `cache_dir` when there)."""
    sources = with_verdicts(read_raw_sources(year, raw_dir, cache_dir), ds.quarantine, year)
    return {
        source_key(s.label): (s.label, raw_suite_checks(s.table, year), s.frame) for s in sources
    }


def run_name_of(year: int) -> str:
    """The name of a build's GX run: the year and the time it ran (UTC)."""
    return f"{year}-build-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"


def _split_raw(results: pd.DataFrame, raw: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    labels = {label for label, _, _ in raw.values()}
    is_raw = results["table"].isin(labels)
    return results[~is_raw].reset_index(drop=True), results[is_raw].reset_index(drop=True)


def validate_years(
    ds: Dataset | Mapping[int, Dataset],
    years,
    settings=None,
    project_roots: dict[int, Path] | None = None,
    raw_dir: Path | None = None,
    workers: int | None = None,
    cache_dir: Path | None = None,
) -> dict[int, ValidationReport]:
    """`validate_dataset` for several years of one clean history, each year's report the
    same as `validate_dataset(ds, year, ...)` gives, with the year-independent work done
    once: the table suites and the pandas checks look only at the clean tables, which every
    year shares, so they run once, with the latest year's gates, in the latest year's GX
    project; each earlier year runs only its own gates (its `file_facts`) in its project.
    `project_roots` maps a year to its GX project folder (None: an ephemeral context).
    `ds` may instead map each year to its own Dataset (`make reports`: a year's clean data
    reads only the folders up to it), and then each year is validated on its own; through
    GX, in `workers` processes at once (default: one per core, at most one per year; GX
    imported once in each).

    With `raw_dir`, each year's own raw files are validated as read, before cleaning
    (`raw_checks`), in the same GX context and run as its tables: their results, warnings
    all, are the report's `raw` (restricted, never published; they do not stop a build).
    `cache_dir` is the parse cache, where the cleaner keeps each census's tables as read.
    Each year's GX run is named `run_name_of(year)` and kept beside the earlier ones.

    A year with no project to record in (a region's council, `iro-analysis kpis` and
    `validate`, an analyst's call) has the same suites evaluated in pandas
    (`pandas_suites`, held equal to GX by its tests): nothing is recorded, so GX is
    neither imported nor set up."""
    if settings is None:
        from iro_analysis.core.settings import load_settings

        settings = load_settings()
    check_not_supplied(settings)  # the settings this stage reads name what it knows
    check_accepted_anomalies(settings)
    years = sorted({int(y) for y in years})
    if not years:
        return {}
    if isinstance(ds, Mapping):
        # each year validated on its own clean data (the folders up to the year)
        jobs = {y: (ds[y], [y], settings, project_roots, raw_dir, 1, cache_dir) for y in years}
        workers = min(len(years), workers or os.cpu_count() or 1)
        if workers < 2 or not project_roots:  # pandas alone (no GX to set up) is quick
            return {y: validate_years(*job)[y] for y, job in jobs.items()}
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            done = {y: pool.submit(validate_years, *job) for y, job in jobs.items()}
            return {y: f.result()[y] for y, f in done.items()}
    limits = settings.gates
    roots = project_roots or {}
    latest = years[-1]
    raw = {y: raw_sources(ds, y, raw_dir, cache_dir) if raw_dir is not None else {} for y in years}
    first, raw_results = {}, {}
    first, raw_results[latest] = _split_raw(
        _run_suites(
            {**ds.tables, FACTS_TABLE: file_facts(ds, latest, limits)},
            limits,
            roots.get(latest),
            raw[latest],
            run_name_of(latest),
        ),
        raw[latest],
    )
    shared = first[first["table"] != FACTS_TABLE]
    gates = {latest: first[first["table"] == FACTS_TABLE]}
    for y in years[:-1]:
        gates[y], raw_results[y] = _split_raw(
            _run_suites(
                {FACTS_TABLE: file_facts(ds, y, limits)},
                limits,
                roots.get(y),
                raw[y],
                run_name_of(y),
            ),
            raw[y],
        )
    checks = pandas_checks(ds)
    quarantine = quarantine_summary(ds)
    out = {}
    for y in years:
        core = core_inputs_check(ds, y, settings.not_supplied)
        results = pd.concat([shared, gates[y], checks, core], ignore_index=True)
        results["success"] = results["success"].astype(bool)
        results["unexpected_count"] = results["unexpected_count"].astype("int64")
        results = accept_anomalies(results, y, settings.accepted_anomalies)
        out[y] = ValidationReport(
            year=y,
            results=results,
            accounting=ds.accounting.copy(),
            quarantine=quarantine.copy(),
            raw=raw_results[y],
        )
    return out


def _run_suites(tables, limits, project_root, raw, run_name) -> pd.DataFrame:
    """The suites' results: through GX Checkpoints when they are recorded (a project);
    else evaluated in pandas, as GX would (`pandas_suites`)."""
    if project_root is None:
        from iro_analysis.validate.pandas_suites import run_pandas_suites

        return run_pandas_suites(tables, {t: suite_checks(t, limits) for t in tables}, raw)
    return run_gx_suites(tables, limits, project_root, raw, run_name)


def write_restricted(report: ValidationReport, restricted_dir: Path) -> Path:
    """`validation-full.json` for analysts: every result with its samples (restricted)."""
    path = Path(restricted_dir) / "validation-full.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    full = {
        **report.to_dict(),
        "results": json.loads(report.results.to_json(orient="records")),
        "raw_results": json.loads(report.raw.to_json(orient="records")),
    }
    path.write_text(json.dumps(full, indent=2), encoding="utf-8")
    return path


def write_report(report: ValidationReport, reports_dir: Path | None = None) -> tuple[Path, Path]:
    """Write `reports/<YEAR>/validation.json` and `reports/<YEAR>/data-quality.html`."""
    out = paths.report_year_dir(report.year, reports_dir)
    return report.to_json(out / "validation.json"), report.to_html(out / "data-quality.html")


def load_or_clean(
    year: int, raw_dir: Path | None = None, processed_dir: Path | None = None, code_map=None
) -> Dataset:
    """The clean Dataset of `year` (`ingest.clean.load_clean`: the processed folder when it
    is current, else cleaned again), with the settings' `code_map` (`ingest.code_map`)."""
    from iro_analysis.ingest.clean import load_clean

    return load_clean(year, raw_dir, processed_dir, code_map)


def cli_main(args) -> int:
    """`iro-analysis validate --year YEAR`: validate processed data (cleaning first if none)."""
    from iro_analysis.core.settings import load_settings
    from iro_analysis.ingest.cache import cache_dir_of
    from iro_analysis.ingest.code_map import code_map_of

    settings = load_settings(getattr(args, "settings", None))
    ds = load_or_clean(args.year, args.raw_dir, args.processed_dir, code_map_of(settings))
    raw_dir = args.raw_dir if args.raw_dir is not None else paths.RAW_DIR
    processed = args.processed_dir if args.processed_dir is not None else paths.PROCESSED_DIR
    report = validate_dataset(
        ds, args.year, settings, raw_dir=raw_dir, cache_dir=cache_dir_of(processed)
    )
    json_path, html_path = write_report(report, getattr(args, "reports_dir", None))
    print(
        f"{len(report.results)} checks: {len(report.critical_failures)} critical failure(s), "
        f"{len(report.warnings)} warning(s); raw files: {int((~report.raw['success']).sum())} "
        f"failed expectation(s) (warnings). Written {json_path} and {html_path}",
        file=sys.stdout,
    )
    report.raise_for_critical()
    return 0
