"""`iro-analysis region --year YEAR`: every council's KPIs, side by side and pooled.

Each council of a region's raw folder (`<raw>/<la_code>/<YEAR>/`, region/councils.py) runs
on its own, in its own process, exactly as `iro-analysis kpis` runs a single council:
clean (`build_dataset`, parse cache in `<processed>/<la_code>/_cache`), the critical
validation checks, `compute_kpis`. Its clean tables go to `<processed>/<la_code>/<YEAR>/`
and its exact kpis.csv to `<restricted>/<la_code>/<YEAR>/`, so child ids never meet
another council's. The run writes `region_kpis.csv`: `la_code, kpi_id, year, value,
numerator, denominator`, every council's rows (codes ascending, KPIs in the registry's
order) and then the pooled rows (`la_code` = "region", `pool`).

Left out of the region: KPIs that take a figure from one council's settings or narrative
rather than from its returns (`HOME_COUNCIL_KPIS`: the rates per 10,000 children use the
settings' child population, priorities_met the narrative).

Disclosure control, as in the council report (`report/outputs.published_kpis_csv`): a
council's KPI that its own report shows as c (`report.annex.hidden_kpis`: per-code counts
hidden by their breakdown's suppression), or whose numerator or denominator is from 1 to the
threshold (`report.suppression.small_figures`, the rule the region's pages apply too), has
value, numerator and denominator c; a pooled
row is c when any council's row of that KPI is, since the pooled sum less the shown cells
would give the hidden one back. The exact file goes to `<restricted>/region/<YEAR>/`.
"""

from __future__ import annotations

import csv
import io
import multiprocessing
import shutil
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from iro_analysis.core import paths
from iro_analysis.core.cells import csv_safe_column
from iro_analysis.core.errors import InputError, IroAnalysisError
from iro_analysis.kpis.registry import population_rate_kpis
from iro_analysis.region.councils import REGION, council_folders, la_names

REGION_COLUMNS = ("la_code", "kpi_id", "year", "value", "numerator", "denominator")
REGION_FILE = "region_kpis.csv"

HOME_COUNCIL_KPIS = frozenset({*population_rate_kpis(), "priorities_met"})
"""KPIs computed from one council's settings (child_population) or narrative, not from
its returns: they would be wrong for every other council, so the region leaves them out."""


@dataclass(frozen=True)
class RegionRun:
    """The councils of one region run and its year, checked at the door.

    `councils` maps la_code -> council name (DfE's list), `folders` la_code -> raw folder.
    """

    raw_dir: Path
    year: int
    councils: dict[str, str]
    folders: dict[str, Path]

    @classmethod
    def create(cls, raw_dir: Path, year: int) -> RegionRun:
        """Check the region's raw folder: at least one council folder, each named by a
        code on DfE's list (`council_folders`), each with a folder for `year`. Raises
        InputError naming the folder at fault."""
        from iro_analysis.core.years import check_year

        year = check_year(year)
        folders = council_folders(Path(raw_dir))
        if not folders:
            raise InputError(
                f"no council folders (named by DfE three-digit LA codes, e.g. {raw_dir}/202/"
                f"{year}/) in {raw_dir}; generate a demo region with `iro-analysis demo-data "
                "--councils 3 --out DIR` and pass --raw-dir DIR"
            )
        missing = [p for p in folders.values() if not paths.raw_year_dir(year, p).is_dir()]
        if missing:
            have = {p.name: paths.available_years(p) for p in missing}
            raise InputError(
                f"no raw folder for {year} in "
                + "; ".join(
                    f"{p} (years: {', '.join(map(str, have[p.name])) or 'none'})" for p in missing
                )
            )
        names = la_names()
        return cls(Path(raw_dir), year, {c: names[c] for c in folders}, folders)

    def label(self, la_code: str) -> str:
        """'202 Camden (raw/202)': how messages name a council."""
        return f"{la_code} {self.councils[la_code]} ({self.folders[la_code]})"


def council_kpis(
    la_code: str,
    raw_dir: Path,
    year: int,
    processed_dir: Path,
    restricted_dir: Path,
    settings_path: Path | None = None,
    store_dir: Path | None = None,
) -> pd.DataFrame:
    """One council's region rows (`REGION_COLUMNS` and `suppressed`), computed as
    `iro-analysis kpis` does: clean, critical checks, KPIs. Writes its clean tables to
    `processed_dir/<YEAR>/` and its exact kpis.csv to `restricted_dir/<YEAR>/` (both
    the council's own folders) and, with `store_dir`, to the pooled store
    (`region.pooled.write_council`). Runs in a worker process."""
    from iro_analysis.core.settings import settings_or_defaults
    from iro_analysis.ingest.cache import cache_dir_of
    from iro_analysis.ingest.clean import build_dataset
    from iro_analysis.ingest.code_map import code_map_of
    from iro_analysis.ingest.processed import write_processed
    from iro_analysis.kpis.engine import compute_kpis, write_kpis
    from iro_analysis.report.suppression import small_figures
    from iro_analysis.validate.suites import validate_dataset

    settings = settings_or_defaults(settings_path)
    ds = build_dataset(
        raw_dir, cache_dir=cache_dir_of(processed_dir), year=year, code_map=code_map_of(settings)
    )
    validate_dataset(ds, year, settings).raise_for_critical()
    kpis = compute_kpis(ds, year, settings)
    if kpis.empty:
        raise InputError(f"the data in {paths.raw_year_dir(year, raw_dir)} supports no KPI")
    write_processed(ds, paths.processed_year_dir(year, processed_dir))
    if store_dir is not None:
        from iro_analysis.region.pooled import write_council

        write_council(ds, la_code, store_dir)
    write_kpis(kpis, paths.restricted_year_dir(year, restricted_dir) / "kpis.csv")
    hidden = _hidden(ds, year, settings, kpis)
    rows = kpis.loc[~kpis["kpi_id"].isin(HOME_COUNCIL_KPIS), list(REGION_COLUMNS[1:])]
    small = small_figures(rows, settings.suppression_threshold)
    rows = rows.assign(suppressed=rows["kpi_id"].isin(hidden) | small)
    return rows.assign(la_code=la_code)[[*REGION_COLUMNS, "suppressed"]].reset_index(drop=True)


def _hidden(ds, year: int, settings, kpis: pd.DataFrame) -> set[str]:
    """The KPIs the council's own report would show as c (one rule: report.annex)."""
    from iro_analysis.core.years import ReportingYear
    from iro_analysis.kpis.engine import compute_breakdowns
    from iro_analysis.kpis.registry import KPI_DEFINITIONS
    from iro_analysis.report.annex import hidden_kpis
    from iro_analysis.report.context import ReportContext

    ctx = ReportContext(
        year=ReportingYear(year),
        settings=settings,
        dataset=ds,
        history=kpis,
        breakdowns=compute_breakdowns(ds, year, settings),
        missing={},
        validation=None,
        narrative={},
        parameters={},
        definitions=dict(KPI_DEFINITIONS),
    )
    return hidden_kpis(ctx)


def pool(councils: pd.DataFrame) -> pd.DataFrame:
    """The pooled rows (`la_code` = "region") of the councils' rows (`REGION_COLUMNS`,
    `suppressed`), one per KPI that every council has and that can pool:

    - a count pools as the sum of the councils' values;
    - a percentage or ratio with a numerator and denominator for every council pools as
      Σ numerators / Σ denominators (× 100 for a percentage, per N for a rate per N;
      rounded half up to 1 dp as every KPI, blank when Σ denominators is 0: `rate`);
    - anything else (medians, averages and FTE figures without numerator and
      denominator) cannot pool and has no pooled row.

    The pooled row is suppressed when any council's row of the KPI is. Pure."""
    from iro_analysis.kpis.definitions import kpi_frame, rate
    from iro_analysis.kpis.registry import KPI_DEFINITIONS, ratio_per

    n = councils["la_code"].nunique()
    g = councils.groupby("kpi_id", sort=False)
    agg = pd.DataFrame(
        {
            "year": g["year"].first(),
            "councils": g["la_code"].nunique(),
            "with_ratio": (councils["numerator"].notna() & councils["denominator"].notna())
            .groupby(councils["kpi_id"], sort=False)
            .sum(),
            "value": g["value"].sum(min_count=1),
            "numerator": g["numerator"].sum(min_count=1),
            "denominator": g["denominator"].sum(min_count=1),
            "suppressed": g["suppressed"].any(),
        }
    )
    unit = agg.index.map(lambda k: KPI_DEFINITIONS[k].unit)
    count = (unit == "count") & agg["councils"].eq(n)
    ratio = (unit != "count") & agg["with_ratio"].eq(n)
    rows = []
    for kpi_id, r in agg.loc[count | ratio].iterrows():  # one row per KPI, not per child
        is_count = KPI_DEFINITIONS[kpi_id].unit == "count"
        num, den = (pd.NA, pd.NA) if is_count else (r["numerator"], r["denominator"])
        value = r["value"] if is_count else rate(num, den, per=ratio_per(kpi_id))
        rows.append(
            {"kpi_id": kpi_id, "year": r["year"], "value": pd.NA if value is None else value}
            | {"numerator": num, "denominator": den}
        )
    out = kpi_frame(rows)
    out.insert(0, "la_code", REGION)
    out["suppressed"] = agg.loc[out["kpi_id"], "suppressed"].to_numpy(dtype=bool)
    return out


def region_table(councils: pd.DataFrame) -> pd.DataFrame:
    """Every council's rows (codes ascending, KPIs in the registry's order), then the
    pooled rows: `REGION_COLUMNS` and `suppressed`. Pure."""
    from iro_analysis.kpis.registry import KPI_DEFINITIONS

    order = {k: i for i, k in enumerate(KPI_DEFINITIONS)}
    out = pd.concat([councils, pool(councils)], ignore_index=True)
    pooled = out["la_code"].eq(REGION)  # last, whatever the codes
    out = out.assign(_p=pooled, _k=out["kpi_id"].map(order))
    out = out.sort_values(["_p", "la_code", "_k"], kind="stable").drop(columns=["_p", "_k"])
    return out.reset_index(drop=True).astype({"suppressed": bool})


def region_csv(table: pd.DataFrame, published: bool = True) -> str:
    """region_kpis.csv text, numbers formatted exactly as kpis.csv formats them
    (`format_kpis`); with `published`, a suppressed row's value, numerator and
    denominator are c. Deterministic bytes; a text cell a spreadsheet could read as a
    formula is prefixed with `'` (`core.cells`)."""
    from iro_analysis.kpis.engine import format_kpis
    from iro_analysis.report.suppression import SUPPRESSED

    lines = format_kpis(table, format="csv").splitlines()[1:]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(REGION_COLUMNS)
    codes = csv_safe_column(table["la_code"])
    for code, hide, cells in zip(codes, table["suppressed"], csv.reader(lines), strict=True):
        cells = cells[:5]
        if published and hide:
            cells[2:5] = [SUPPRESSED] * 3
        w.writerow([code, *cells])
    return buf.getvalue()


def published_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The table as published: a suppressed row's value, numerator and denominator are
    blank (NA), `suppressed` says which. Pure."""
    out = table.copy()
    out.loc[out["suppressed"], ["value", "numerator", "denominator"]] = pd.NA
    return out


def _run_councils(
    run: RegionRun,
    processed_dir: Path,
    restricted_dir: Path,
    workers: int,
    log: Callable[..., object],
    settings_path: Path | None,
) -> list[pd.DataFrame]:
    """Each council's rows, councils in parallel (processes, spawn context); the first
    failure stops the run with the council named."""
    jobs = {
        code: (
            code,
            folder,
            run.year,
            Path(processed_dir) / code,
            Path(restricted_dir) / code,
            settings_path,
            store_dir(processed_dir),
        )
        for code, folder in run.folders.items()
    }
    done: dict[str, pd.DataFrame] = {}
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=max(1, min(workers, len(jobs))), mp_context=ctx) as ex:
        futures = {ex.submit(council_kpis, *args): code for code, args in jobs.items()}
        for fut in as_completed(futures):
            code = futures[fut]
            try:
                done[code] = fut.result()
            except IroAnalysisError as exc:
                ex.shutdown(wait=True, cancel_futures=True)
                raise type(exc)(f"council {run.label(code)}: {exc}") from None
            except Exception as exc:  # a bug, not the data: keep the traceback
                ex.shutdown(wait=True, cancel_futures=True)
                exc.add_note(f"while running council {run.label(code)}")
                raise
            log(f"{run.label(code)}: {len(done[code])} KPIs ({len(done)}/{len(jobs)})")
    return [done[c] for c in sorted(done)]


def store_dir(processed_dir: Path) -> Path:
    """The pooled store of a region run: `<processed>/pooled/` (beside the councils'
    own `<processed>/<la_code>/` folders; rebuilt by every run)."""
    return Path(processed_dir) / "pooled"


def check_against_sql(table: pd.DataFrame, sql: pd.DataFrame) -> None:
    """Stop the run if a KPI the pooled DuckDB queries compute (`region.pooled`) differs
    from the pandas engine's figure for the same council, or for the region where both
    pool it: the same definition computed two ways must agree before anything is
    published. Raises IroAnalysisError naming the council and the KPI."""
    cols = ["value", "numerator", "denominator"]
    both = sql.merge(table, on=["la_code", "kpi_id"], how="inner", suffixes=("_sql", ""))
    bad = pd.Series(False, index=both.index)
    for c in cols:
        a = pd.to_numeric(both[f"{c}_sql"], errors="coerce").astype("float64")
        b = pd.to_numeric(both[c], errors="coerce").astype("float64")
        bad |= ~(((a - b).abs() < 1e-9) | (a.isna() & b.isna()))
    missing = sql.loc[sql["la_code"] != REGION, ["la_code", "kpi_id"]].merge(
        table[["la_code", "kpi_id"]], how="left", indicator=True
    )
    gaps = missing[missing["_merge"] == "left_only"]
    if bad.any() or len(gaps):
        rows = both.loc[bad, ["la_code", "kpi_id", *(f"{c}_sql" for c in cols), *cols]]
        raise IroAnalysisError(
            "the pooled queries and the KPI engine disagree, so nothing was published: "
            + "; ".join(
                f"{r.la_code} {r.kpi_id}: DuckDB {r.value_sql}/{r.numerator_sql}/"
                f"{r.denominator_sql}, engine {r.value}/{r.numerator}/{r.denominator}"
                for r in rows.head(10).itertuples()
            )
            + "".join(
                f"; {r.la_code} {r.kpi_id}: only in DuckDB" for r in gaps.head(10).itertuples()
            )
        )


def run_region(
    raw_dir: Path,
    year: int,
    out_dir: Path,
    processed_dir: Path,
    restricted_dir: Path,
    workers: int = 2,
    log: Callable[..., object] = print,
    settings_path: Path | None = None,
) -> pd.DataFrame:
    """Run every council of the region's raw folder for `year` (`RegionRun`, `workers`
    processes) and write the published `out_dir/region_kpis.csv` and the exact
    `restricted_dir/region/<YEAR>/region_kpis.csv`. Returns the published table
    (`published_frame`: suppressed cells blank, `suppressed` True)."""
    from iro_analysis.core.settings import settings_or_defaults
    from iro_analysis.ingest.code_map import check_code_map
    from iro_analysis.region.pooled import pooled_kpis

    run = RegionRun.create(raw_dir, year)
    check_code_map(settings_or_defaults(settings_path))  # once, before any council runs
    log(f"region {run.year}: {len(run.councils)} councils, {workers} worker(s)")
    shutil.rmtree(store_dir(processed_dir), ignore_errors=True)  # no council of an old run
    table = region_table(
        pd.concat(
            _run_councils(run, processed_dir, restricted_dir, workers, log, settings_path),
            ignore_index=True,
        )
    )
    sql = pooled_kpis(store_dir(processed_dir), run.year, settings_or_defaults(settings_path))
    check_against_sql(table, sql)
    log(f"region {run.year}: {sql['kpi_id'].nunique()} KPIs recomputed with DuckDB agree")
    exact_dir = paths.restricted_year_dir(run.year, Path(restricted_dir) / REGION)
    for folder, published in ((Path(out_dir), True), (exact_dir, False)):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / REGION_FILE).write_bytes(region_csv(table, published).encode("utf-8"))
    log(f"wrote {Path(out_dir) / REGION_FILE} and the exact figures to {exact_dir}")
    return published_frame(table)


def region_report_dir(year: int, reports_dir: Path) -> Path:
    """Where the region's published outputs of `year` go: `<reports>/region/<YEAR>/`."""
    return paths.report_year_dir(year, Path(reports_dir) / REGION)


def cli_main(args) -> int:
    """`iro-analysis region --year YEAR [--raw-dir DIR] [--workers N]`: region_kpis.csv
    and the benchmarking report in `<reports>/region/<YEAR>/`."""
    from iro_analysis.region.report import build_region_report

    out = region_report_dir(args.year, args.reports_dir)
    councils = RegionRun.create(args.raw_dir, args.year).councils
    table = run_region(
        args.raw_dir,
        args.year,
        out,
        args.processed_dir,
        args.restricted_dir,
        workers=args.workers,
        log=lambda msg: print(msg, file=sys.stderr),
        settings_path=getattr(args, "settings", None),
    )
    index = build_region_report(table, args.year, councils, out)
    print(f"Region {args.year}: {out / REGION_FILE} and {index}")
    return 0
