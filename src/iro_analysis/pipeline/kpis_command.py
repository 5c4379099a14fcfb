"""`iro-analysis kpis --year YEAR`: the year's KPIs without notebooks or a report.

It cleans every year folder (each raw file parsed once, then read from the parse cache),
runs the critical validation checks for YEAR and computes the KPIs, unless the last
successful build of YEAR cleaned and validated exactly these raw files with these
settings and this code (`pipeline/reuse.py`): then it reads that build's clean data and
checks nothing again, because the build already did.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from iro_analysis.core import paths
from iro_analysis.core.errors import InputError
from iro_analysis.core.hashing import raw_file_hashes
from iro_analysis.core.settings import settings_or_defaults
from iro_analysis.pipeline import reuse


def _settings_sha256(settings_path: Path | str | None) -> str | None:
    from iro_analysis.core.hashing import sha256_file

    path = Path(settings_path) if settings_path else paths.SETTINGS_FILE
    return sha256_file(path.resolve()) if path.is_file() else None


def cli_main(args: argparse.Namespace) -> int:
    """`iro-analysis kpis --year YEAR [--raw-dir DIR] [--out FILE] [--format csv|json]`.

    Raises InputError (the CLI prints it and exits 1) when YEAR has no raw folder or its
    data supports no KPI.
    """
    from iro_analysis.kpis.engine import compute_kpis, format_kpis, missing_inputs, write_kpis

    settings_path = getattr(args, "settings", None)
    settings = settings_or_defaults(settings_path)
    raw_dir = Path(args.raw_dir) if args.raw_dir else settings.paths.raw
    year = int(args.year)
    if not paths.raw_year_dir(year, raw_dir).is_dir():
        years = paths.available_years(raw_dir)
        have = ", ".join(map(str, years)) if years else "none (run `make data` for the demo)"
        raise InputError(
            f"no raw folder for {year} at {paths.raw_year_dir(year, raw_dir)}; years available: {have}"
        )
    settings_sha = _settings_sha256(settings_path)
    processed, restricted = settings.paths.processed, settings.paths.restricted
    key = (
        reuse.key_of(year, raw_file_hashes(raw_dir, up_to=year), settings_sha)
        if settings_sha
        else None
    )
    from iro_analysis.ingest.clean import load_clean
    from iro_analysis.ingest.code_map import code_map_of

    # the one loader of a year's clean data (current by its raw files, else cleaned again);
    # the checks are skipped only after a build of exactly these inputs and settings
    ds = load_clean(year, raw_dir, processed, code_map_of(settings))
    if not (key and reuse.recorded(year, processed, restricted, key)):
        from iro_analysis.validate.suites import validate_dataset

        validate_dataset(ds, year, settings).raise_for_critical()
    df = compute_kpis(ds, year, settings)
    from iro_analysis.kpis.reconcile import check_reconciliation, reconciliation

    check_reconciliation(reconciliation(ds, year, df), year)
    if df.empty:
        gaps = "; ".join(f"{k}: {', '.join(v)}" for k, v in missing_inputs(ds, year).items())
        raise InputError(
            f"the data in {paths.raw_year_dir(year, raw_dir)} supports no KPI for {year} "
            f"(inputs missing: {gaps})"
        )
    fmt = getattr(args, "format", "csv") or "csv"
    if args.out:
        path = write_kpis(df, args.out, fmt)
        print(f"wrote {len(df)} KPIs for {year} to {path}", file=sys.stderr)
    else:
        sys.stdout.write(format_kpis(df, fmt))
    return 0
