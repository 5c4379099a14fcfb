"""Clean the raw returns into typed, deduplicated tables; quarantine what breaks the contract.

Rules (the data contract, docs/data-dictionary.md, and the conventions and readings of
`docs/kpis.md`):
- The year folders up to the reporting year are read; values are stripped, codes upper-cased, dates parsed from
  DD/MM/YYYY or YYYY-MM-DD, Y/N and 0/1 flags made booleans, numbers typed.
- A row (CSV line or XML element) that breaks a row-level rule goes to the quarantine table
  with its file, line, column, rule and raw value; the rest of the file still counts.
- Exact duplicate rows within a file are removed and counted. For every raw file
  rows read = rows kept + duplicates removed + rows quarantined; this is checked here.
- A row dated outside its own folder's collection year is quarantined; across years the
  latest year's row wins on each table's key (`schema.CLEAN_TABLES`), a quarantined row
  never letting an older version win; CP review dates are unioned; OC2 is kept per year.
  The reporting year's own file is the authority for the year (`ingest.authority`).
"""

from __future__ import annotations

import os
import sys
from functools import partial
from pathlib import Path

import pandas as pd

from iro_analysis.contract import quality as Q
from iro_analysis.contract import tables as T
from iro_analysis.core import paths
from iro_analysis.core.errors import InputError, excerpt, one_line
from iro_analysis.core.hashing import sha256_file
from iro_analysis.ingest import cache, discover
from iro_analysis.ingest.authority import history_warnings, return_counts
from iro_analysis.ingest.code_map import NO_CODE_MAP, CodeMap, unmapped_lines
from iro_analysis.ingest.consistency import add_consistency_warnings
from iro_analysis.ingest.dataset import Dataset
from iro_analysis.ingest.parts import (
    RAW_KEPT,
    SUPPLIED_PATHS,
    Part,
    add_failures,
    check_census_year,
    csv_file_parts,
    fill_xml_lines,
    key_duplicates,
    make_part,
    read_cin_parts,
    read_csv_parts,
    supplied_inputs,
    xml903_file_parts,
)
from iro_analysis.ingest.processed import (
    EXTRA_TABLES,
    clean_key,
    load_processed,
    load_warnings,
    recorded_key,
    write_processed,
)
from iro_analysis.ingest.quarantine import (
    ACCOUNTING_DTYPES,
    CHILD_COLUMNS,
    FACT_DTYPES,
    QUARANTINE_DTYPES,
    AccountingError,
    accounting_of,
    apply_cross_file_rules,
    apply_window_rules,
    check_accounting,
    coerce_table,
    dedup_latest,
    facts_of,
    quarantine_of,
    warnings_of,
    without_left_out_plans,
)
from iro_analysis.ingest.rules import (
    CIN_ELEMENTS,
    CODE_LISTS,
    CONTRACT_TABLES,
    COUNT_COLUMNS,
    DATE_ORDER,
    DATETIME_DTYPE,
    EARLIEST_DATE,
    FAILURE_COLUMNS,
    FALSE_TEXT,
    IRO_CODE_LISTS,
    NO_UPPER_BOUND,
    ORPHAN_903,
    ORPHAN_IRO,
    TABLE_SPECS,
    TRUE_TEXT,
    UPPER_TEXT_COLUMNS,
    TableSpec,
    empty_failures,
    isin_ids,
    month_first_only,
    normalise_text,
    parse_dates,
    type_frame,
    year_code_maps,
)
from iro_analysis.ingest.ssd import details_not_matched, ssd_meeting_parts, with_meeting_details

# The public names of the cleaner, as before it was split into modules (a stable API).
__all__ = [
    "ACCOUNTING_DTYPES",
    "AccountingError",
    "CHILD_COLUMNS",
    "CIN_ELEMENTS",
    "CODE_LISTS",
    "CONTRACT_TABLES",
    "COUNT_COLUMNS",
    "DATETIME_DTYPE",
    "DATE_ORDER",
    "EARLIEST_DATE",
    "EXTRA_TABLES",
    "FACT_DTYPES",
    "FAILURE_COLUMNS",
    "FALSE_TEXT",
    "IRO_CODE_LISTS",
    "NO_UPPER_BOUND",
    "ORPHAN_903",
    "ORPHAN_IRO",
    "PARALLEL_BYTES",
    "Part",
    "QUARANTINE_DTYPES",
    "RAW_KEPT",
    "SUPPLIED_PATHS",
    "TABLE_SPECS",
    "TRUE_TEXT",
    "TableSpec",
    "UPPER_TEXT_COLUMNS",
    "accounting_of",
    "add_failures",
    "apply_cross_file_rules",
    "apply_window_rules",
    "build_dataset",
    "check_accounting",
    "check_census_year",
    "cli_main",
    "coerce_table",
    "dedup_latest",
    "empty_failures",
    "facts_of",
    "fill_xml_lines",
    "isin_ids",
    "key_duplicates",
    "load_clean",
    "load_processed",
    "load_warnings",
    "make_part",
    "month_first_only",
    "normalise_text",
    "parse_dates",
    "quarantine_of",
    "quarantine_summary",
    "read_cin_parts",
    "read_csv_parts",
    "read_year",
    "run_clean",
    "run_clean_years",
    "supplied_inputs",
    "type_frame",
    "warning_lines",
    "warnings_of",
    "write_processed",
    "year_code_maps",
]

# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def _progress(items, progress: bool, desc: str, total: int | None = None):
    if not progress:
        return items
    from tqdm.auto import tqdm

    return tqdm(items, desc=desc, file=sys.stderr, total=total)


def read_year(
    raw_dir: Path, year: int, cache_dir: Path | None = None, code_map: CodeMap | None = None
) -> tuple[pd.DataFrame, list[Part], list[tuple]]:
    """One year folder: its supplied-inputs rows, its Parts (CSVs or 903 XML, then the
    census) and its file-level warnings (files not read, unknown or absent columns).

    With `cache_dir`, each file's Parts come from the parse cache when its bytes, the
    contract and its table's `code_map` (`ingest.code_map`) are unchanged (`ingest.cache`);
    the result is the same either way.
    """
    code_map = NO_CODE_MAP if code_map is None else code_map  # a map of nothing keeps its roles
    found = discover.discover_year(paths.raw_year_dir(year, raw_dir), year)
    files: list[tuple[Path, str, cache.Reader, str]] = [
        (path, name, partial(csv_file_parts, name=name, code_map=code_map), code_map.digest(name))
        for name, path in found.csvs.items()
    ]
    if found.ssda903_xml is not None:
        files.append((found.ssda903_xml, "ssda903_xml", xml903_file_parts, ""))
    if found.cin_census is not None:
        files.append((found.cin_census, "cin_census", cache.census_reader(cache_dir), ""))
    hashes = {path: sha256_file(path) for path, *_ in files} if cache_dir else {}
    parts: list[Part] = []
    warns: list[tuple] = []
    for path, kind, reader, variant in files:
        got, w = cache.cached_parts(
            cache_dir, reader, kind, path, found.relpath(path), year, hashes.get(path), variant
        )
        parts += got
        warns += w
    # not cached: one Part reads three files
    got, w = ssd_meeting_parts(found, year, code_map.chair_roles)
    parts += got
    warns += w
    warns += [(year, rel, 1, "", None, "file_not_read", why) for rel, why in found.unread]
    xml = found.relpath(found.ssda903_xml) + "#" if found.ssda903_xml else None
    xml_tables = frozenset(p.table for p in parts if xml and p.file.startswith(xml) and p.rows_read)
    return supplied_inputs(found, year, xml_tables, hashes), parts, warns


# Above this many bytes of raw data, year folders are read in parallel processes.
PARALLEL_BYTES = 200 * 1024 * 1024


def _read_years(raw_dir: Path, years: list[int], cache_dir: Path | None = None, code_map=None):
    """Yield `read_year` for each year, oldest first; large data uses one process per core.

    Year folders are independent until the cross-file rules, so they can be read apart.
    """
    size = sum(
        f.stat().st_size for y in years for f in paths.raw_files(paths.raw_year_dir(y, raw_dir))
    )
    workers = min(len(years), os.cpu_count() or 1)
    if size < PARALLEL_BYTES or workers < 2:
        for year in years:
            yield read_year(raw_dir, year, cache_dir, code_map)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: pyarrow's thread pools are not safe to fork
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        n = len(years)
        yield from pool.map(read_year, [raw_dir] * n, years, [cache_dir] * n, [code_map] * n)


def build_dataset(
    raw_dir: Path | None = None,
    progress: bool = False,
    cache_dir: Path | None = None,
    year: int | None = None,
    code_map: CodeMap | None = None,
) -> Dataset:
    """Read the year folders of `raw_dir` (default data/raw) into a clean Dataset: those up
    to `year` only (a later year's files never change a year's figures), or every folder
    when `year` is None. `code_map` (the settings', `ingest.code_map.code_map_of`) maps the
    IRO extracts' own values to codes as each file is read.

    `cache_dir` (None: no cache) keeps each raw file's parsed Parts between builds
    (`ingest.cache`); the cross-file, collection-window and cross-year rules always run.
    With `year`, its history is checked too (`authority.history_warnings`).
    """
    raw_dir = Path(raw_dir) if raw_dir is not None else paths.RAW_DIR
    available = paths.available_years(raw_dir)
    years = [y for y in available if year is None or y <= int(year)]
    if not years:
        raise InputError(
            f"no year folders (named like 2022) up to {year} in {raw_dir}; put each year's "
            f"files in {raw_dir}/<YEAR>/ or run `make data` for the demo council"
            if year is not None and available
            else f"no year folders (named like 2022) in {raw_dir}; put each year's files in "
            f"{raw_dir}/<YEAR>/ or run `make data` for the demo council"
        )
    parts: list[Part] = []
    supplied = []
    file_warnings: list[tuple] = []
    for year_supplied, year_parts, year_warnings in _progress(
        _read_years(raw_dir, years, cache_dir, code_map),
        progress,
        "reading years",
        total=len(years),
    ):
        supplied.append(year_supplied)
        parts.extend(year_parts)
        file_warnings.extend(year_warnings)
    apply_cross_file_rules(parts)
    details_not_matched(parts)
    apply_window_rules(parts)
    add_consistency_warnings(parts)
    fill_xml_lines(parts)
    accounting = accounting_of(parts)
    tables = {t: dedup_latest([p for p in parts if p.table == t], t) for t in T.CLEAN_TABLES}
    tables["cp_reviews"] = without_left_out_plans(tables["cp_reviews"], tables["cp_plans"], parts)
    tables["meetings"] = with_meeting_details(tables["meetings"], tables["meeting_details"])
    supplied_all = pd.concat(supplied, ignore_index=True)
    if year is not None:
        file_warnings.extend(history_warnings(tables, supplied_all, years, int(year)))
    return Dataset(
        tables=tables,
        supplied=supplied_all,
        quarantine=quarantine_of(parts),
        accounting=accounting,
        warnings=warnings_of(parts, file_warnings),
        facts=facts_of(parts),
        return_counts=return_counts(parts),
    )


def run_clean(
    year: int,
    raw_dir: Path | None = None,
    processed_dir: Path | None = None,
    progress: bool = False,
    use_cache: bool = True,
    code_map: CodeMap | None = None,
) -> Dataset:
    """Clean the year folders up to `year` and write the Dataset to `processed_dir/<year>/` as parquet.

    Each raw file's parse is cached in `processed_dir/_cache/` (`ingest.cache`), so a
    rebuild re-reads only the files that changed; `use_cache=False` reads every file.
    `code_map`: the settings' (`ingest.code_map.code_map_of`), none by default.
    """
    raw_dir = Path(raw_dir) if raw_dir is not None else paths.RAW_DIR
    year_dir = paths.raw_year_dir(year, raw_dir)
    if not year_dir.is_dir():
        raise InputError(f"no raw data for {year}: expected the folder {year_dir}")
    processed = Path(processed_dir) if processed_dir else paths.PROCESSED_DIR
    cache_dir = cache.cache_dir_of(processed) if use_cache else None
    if cache_dir is not None:
        cache.remove_stale_tmp(cache_dir)
    key = clean_key(year, raw_dir, code_map)
    ds = build_dataset(
        raw_dir, progress=progress, cache_dir=cache_dir, year=year, code_map=code_map
    )
    write_processed(ds, paths.processed_year_dir(year, processed), key=key)
    return ds


def load_clean(
    year: int,
    raw_dir: Path | None = None,
    processed_dir: Path | None = None,
    code_map: CodeMap | None = None,
) -> Dataset:
    """The clean Dataset of `year`: the one loader of a year's clean data, with one
    freshness rule. `processed_dir/<year>/` is read only when it was written from the raw
    files as they are now (every file of the folders up to the year, by sha256), with the
    same cleaner code and contract and the same code map (`processed.clean_key`);
    otherwise the year is cleaned again and written there. A stale clean folder is never
    read. `code_map`: the settings' (`ingest.code_map.code_map_of`), none by default."""
    raw_dir = Path(raw_dir) if raw_dir is not None else paths.RAW_DIR
    year = int(year)
    if recorded_key(year, processed_dir) == clean_key(year, raw_dir, code_map):
        try:
            return load_processed(year, processed_dir)
        except (InputError, OSError, ValueError):
            pass  # an incomplete folder: clean again
    return run_clean(year, raw_dir, processed_dir, code_map=code_map)


def run_clean_years(years, raw_dir=None, processed_dir=None, progress=False, code_map=None):
    """`run_clean` for each year (`make reports`): each year's clean data reads only the
    folders up to it, so a year's figures are the same whether it is built alone or with
    later years. Each raw file is parsed once (the parse cache); the rules run per year."""
    years = sorted(int(y) for y in years)
    return {y: run_clean(y, raw_dir, processed_dir, progress, code_map=code_map) for y in years}


def quarantine_summary(ds: Dataset) -> pd.DataFrame:
    """Quarantined rows by year, file, rule and column (for analysts)."""
    q = ds.quarantine
    if not len(q):
        return pd.DataFrame(columns=["year", "file", "rule", "column", "records"])
    return (
        q.assign(column=q["column"].fillna("(whole line)"))
        .groupby(["year", "file", "rule", "column"], dropna=False)
        .size()
        .rename("records")
        .reset_index()
    )


def cli_main(args) -> int:
    """`iro-analysis clean --year YEAR`: clean and write parquet, print the accounting, the
    warnings and the values neither a code nor in the settings' code map."""
    from iro_analysis.core.settings import load_settings
    from iro_analysis.ingest.code_map import code_map_of

    code_map = code_map_of(load_settings(getattr(args, "settings", None)))
    tty = sys.stderr.isatty()
    ds = run_clean(args.year, args.raw_dir, args.processed_dir, tty, code_map=code_map)
    acc = ds.accounting
    out = paths.processed_year_dir(args.year, args.processed_dir)
    print(
        f"Cleaned years {', '.join(map(str, ds.years))}: {int(acc['rows_read'].sum())} rows read, "
        f"{int(acc['rows_kept'].sum())} kept, {int(acc['duplicates_removed'].sum())} exact "
        f"duplicates removed, {int(acc['rows_quarantined'].sum())} quarantined. Written to {out}"
    )
    for line in warning_lines(ds.warnings) + unmapped_lines(ds.quarantine, code_map):
        print(line)
    return 0


def warning_lines(w: pd.DataFrame) -> list[str]:
    """One line per file present but not read, then the warnings counted by rule."""
    lines = [
        f"Present but not read: {r.year}/{one_line(r.file)} ({r.value})"
        for r in w[w["rule"] == "file_not_read"].itertuples()
    ]
    rest = w[w["rule"] != "file_not_read"]
    for (rule, column), n in rest.groupby(["rule", "column"], sort=True).size().items():
        # a column's name comes from the file (an unknown column): shown short
        shown = excerpt(column, quote=False)
        lines.append(f"Warning: {n} x {rule} in {shown} ({Q.WARNING_RULES[rule]})")
    return lines
