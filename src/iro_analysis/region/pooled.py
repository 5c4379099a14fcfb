"""A region's clean tables pooled as hive-partitioned parquet, and its KPIs in DuckDB SQL.

Layout (docs/region.md): `root/<table>/la_code=<code>/year=<YYYY>/part-0.parquet` for every
clean table (`schema.CLEAN_TABLES`) and `supplied` (which inputs each year folder
supplied). `year` is the return year a row came from (its `source_year`: the clean tables
keep each row from the latest return that held it); `cp_reviews`, which has no
source year, goes in the reporting year of its CPPreviewDate. `la_code` and `year` live in
the folder names only (hive partitioning), so every reader (DuckDB, pyarrow, Spark) gives
every row of every table an `la_code` column: the tables are keyed by (la_code, child id).

`pooled_kpis` runs the SQL of `region/sql/` (window functions for periods of care and
review order, a calendar table of England & Wales working days) over the whole store and
returns each council's and the pooled ("region") headline KPIs. Each KPI is the pandas
engine's (`iro_analysis.kpis.compute_kpis`) definition, implemented again in SQL; the
tests check both agree council by council.
"""

from __future__ import annotations

import re
import shutil
import time
import uuid
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from iro_analysis.contract import tables as T
from iro_analysis.core.settings import Settings
from iro_analysis.core.years import ReportingYear
from iro_analysis.ingest.authority import AUTHORITY, AUTHORITY_INPUT
from iro_analysis.ingest.dataset import Dataset
from iro_analysis.kpis.calendar import england_holidays
from iro_analysis.kpis.registry import KPI_DEFINITIONS, ratio_per
from iro_analysis.region.councils import REGION

SUPPLIED = "supplied"
PART_FILE = "part-0.parquet"
POOLED = REGION  # la_code of the pooled rows, as region_kpis.csv
KPI_OUT_COLUMNS = ("la_code", "kpi_id", "year", "value", "numerator", "denominator")
# Tables without a source year: the date whose reporting year is the partition.
YEAR_FROM_DATE = {"cp_reviews": "CPPreviewDate"}
SUPPLIED_COLUMNS = {"input": pa.string(), "present": pa.bool_(), "sha256": pa.string()}
# The tables the SQL reads (and the columns it needs when a table has no file at all).
SQL_TABLES = ("episodes", "reviews", "s47", "cin_details", "cp_plans", "cp_reviews", "disputes")
SQL_FILES = ("01_periods.sql", "02_reviews.sql", "03_counts.sql", "04_kpis.sql")
# The KPIs computed in SQL, in the registry's order (each must equal the pandas engine's).
SQL_KPIS = (
    "cla_at_31_march",
    "cla_during_year",
    "cla_started",
    "cla_ceased",
    "cla_reviews_held",
    "cla_reviews_on_time_pct",
    "cla_reviews_not_assessable",
    "cla_children_reviews_on_time_pct",
    "cla_reviews_overdue_at_31_march",
    "cla_participation_pct",
    "cla_review_attendance_pct",
    "cp_plans_at_31_march",
    "cp_plans_started",
    "cp_plans_ended",
    "icpc_held",
    "icpc_within_15wd_pct",
    "rcpc_held",
    "rcpc_on_time_pct",
    "drp_raised",
    "drp_raised_per_100_cla",
    "drp_resolved_within_20wd_pct",
    "drp_escalated_pct",
)
_CODE = re.compile(r"^[A-Za-z0-9_-]+$")
_ARROW = {
    "datetime": pa.date32(),
    "str": pa.string(),
    "boolean": pa.bool_(),
    "Int64": pa.int64(),
    "int64": pa.int64(),
    "float64": pa.float64(),
}


# --------------------------------------------------------------------------------------
# Writing the store
# --------------------------------------------------------------------------------------


def arrow_schema(table: str) -> pa.Schema:
    """The parquet schema of a clean table: dates as DATE, codes as strings, flags as
    booleans (from `schema.clean_dtype`, so every council's files have the same types)."""
    if table == SUPPLIED:
        return pa.schema(list(SUPPLIED_COLUMNS.items()))
    return pa.schema([(c, _ARROW[T.clean_dtype(c)]) for c in T.CLEAN_TABLES[table].columns])


def partition_years(df: pd.DataFrame, table: str) -> pd.Series:
    """The `year` partition of each row: its source_year (the return it came from); for
    cp_reviews the reporting year (1 April to 31 March) of its CPPreviewDate."""
    if table == SUPPLIED:
        return df["year"].astype("int64")
    if table in YEAR_FROM_DATE:
        d = pd.to_datetime(df[YEAR_FROM_DATE[table]])
        return (d.dt.year + (d.dt.month >= 4).astype("int64")).astype("Int64")
    return df[T.SOURCE_YEAR].astype("Int64")


def _arrow_table(df: pd.DataFrame, table: str) -> pa.Table:
    """The rows as an arrow table of `arrow_schema(table)`, column by column (no row loop)."""
    schema = arrow_schema(table)
    cols = []
    for f in schema:
        s = df[f.name] if f.name in df else pd.Series(pd.NA, index=df.index, dtype="object")
        if pa.types.is_date32(f.type):
            s = pd.to_datetime(s).astype("datetime64[s]")
        elif pa.types.is_string(f.type):
            s = s.astype("str")
        elif pa.types.is_boolean(f.type):
            s = s.astype("boolean")
        elif pa.types.is_integer(f.type):
            s = s.astype("Int64")
        cols.append(pa.array(s, from_pandas=True).cast(f.type))
    return pa.Table.from_arrays(cols, schema=schema)


def _council_frames(ds: Dataset) -> dict[str, pd.DataFrame]:
    frames = {t: ds.tables[t] for t in T.CLEAN_TABLES if t in ds.tables}
    frames[SUPPLIED] = ds.supplied
    return frames


def write_council(ds: Dataset, la_code: str, root: Path) -> None:
    """Write one council's clean tables (and `supplied`) to the pooled store under `root`.

    Each table goes to `root/<table>/la_code=<la_code>/year=<YYYY>/part-0.parquet`, rows in
    the Dataset's order, one file per year, replacing whatever the council had there
    (written to a temporary folder, then renamed); a row with no year (blank source year
    or date) is an error. Same Dataset, same bytes."""
    if not _CODE.match(str(la_code)):
        raise ValueError(f"la_code must be letters, digits, '-' or '_', got {la_code!r}")
    root = Path(root)
    for table, df in _council_frames(ds).items():
        years = partition_years(df, table)
        if years.isna().any():
            raise ValueError(f"{table}: rows without a year to partition by ({la_code})")
        target = root / table / f"la_code={la_code}"
        tmp = root / table / f".la_code={la_code}.tmp-{uuid.uuid4().hex}"
        tmp.mkdir(parents=True)
        try:
            for year in sorted(int(y) for y in years.dropna().unique()):
                part = tmp / f"year={year}"
                part.mkdir()
                rows = df.loc[years.eq(year).to_numpy()]
                pq.write_table(_arrow_table(rows, table), part / PART_FILE)
            if target.exists():
                shutil.rmtree(target)
            if any(tmp.iterdir()):
                tmp.rename(target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if not any((root / table).iterdir()):
            (root / table).rmdir()  # no council has rows of this table


# --------------------------------------------------------------------------------------
# Querying it
# --------------------------------------------------------------------------------------


def calendar_frame(first: int, last: int) -> pd.DataFrame:
    """Every day of the calendar years `first` to `last`: `day`, `workday` (Monday to Friday
    and not an England & Wales bank holiday, kpis.calendar) and `cum`, the working days
    from the first day up to and including `day`, so wd(a, b) = cum(b) - cum(a)."""
    days = np.arange(np.datetime64(f"{first:04d}-01-01"), np.datetime64(f"{last + 1:04d}-01-01"))
    holidays = england_holidays(range(first, last + 1))
    work = np.is_busday(days, weekmask="1111100", holidays=holidays)
    return pd.DataFrame(
        {"day": days.astype("datetime64[s]"), "workday": work, "cum": np.cumsum(work)}
    )


def _read(root: Path, table: str) -> str:
    glob = (root / table / "*" / "*" / "*.parquet").as_posix().replace("'", "''")
    return (
        f"SELECT * FROM read_parquet('{glob}', hive_partitioning = true, union_by_name = true,"
        " hive_types = {'la_code': VARCHAR, 'year': INTEGER})"
    )


def _empty(table: str) -> str:
    cols = ["CAST(NULL AS VARCHAR) AS la_code", "CAST(NULL AS INTEGER) AS year"]
    for f in arrow_schema(table):
        kind = "DATE" if pa.types.is_date32(f.type) else None
        kind = kind or ("BOOLEAN" if pa.types.is_boolean(f.type) else None)
        kind = kind or ("BIGINT" if pa.types.is_integer(f.type) else None)
        kind = kind or ("DOUBLE" if pa.types.is_floating(f.type) else "VARCHAR")
        cols.append(f'CAST(NULL AS {kind}) AS "{f.name}"')
    return f"SELECT {', '.join(cols)} WHERE FALSE"


def _year_view_sql(table: str, end: str, input_name: str) -> str:
    """`ingest.authority.year_view` in SQL: when a council's own folder of the year supplied
    the table, a record whose latest version comes from an earlier folder (partition `year`
    before the year's) ended before the year began: an end that is blank or on or after
    1 April becomes 31 March of the year before."""
    return f"""
        CREATE TEMPORARY TABLE _year_view AS
        SELECT t.* REPLACE (
            CASE WHEN t.year < p.year
                  AND t.la_code IN (SELECT s.la_code FROM supplied AS s
                                    WHERE s.input = '{input_name}' AND s.present
                                      AND s.year = p.year)
                  AND (t."{end}" IS NULL OR t."{end}" >= p.year_start)
                 THEN CAST(p.year_start - INTERVAL 1 DAY AS DATE)
                 ELSE t."{end}" END AS "{end}")
        FROM {table} AS t CROSS JOIN params AS p;
        DROP TABLE {table};
        ALTER TABLE _year_view RENAME TO {table};
    """


def connect(
    root: Path,
    year: int,
    settings: Settings | None = None,
    log: Callable[[str], object] | None = None,
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the store's tables read in, `params` (the year's dates and
    settings), `calendar`, `kpi_inputs`, `kpi_units` and the tables of `region/sql/`.
    `log` (optional) gets each step's time."""
    root = Path(root)
    settings = settings or Settings()
    clock = _Clock(log)
    con = duckdb.connect()
    con.execute("CREATE MACRO add_months(d, n) AS CAST(d + to_months(n) AS DATE)")
    for table in (*SQL_TABLES, SUPPLIED):
        has_files = any((root / table).glob("*/*/*.parquet"))
        source = _read(root, table) if has_files else _empty(table)
        # Read once: each table is used by several queries.
        con.execute(f"CREATE TEMPORARY TABLE {table} AS {source}")
    clock.lap("read the store's tables")
    ry = ReportingYear(int(year))
    con.execute(
        "CREATE TABLE params AS SELECT CAST(? AS INTEGER) AS year, CAST(? AS DATE) AS year_start,"
        " CAST(? AS DATE) AS year_end, CAST(? AS BOOLEAN) AS pn4_participates,"
        " CAST(? AS VARCHAR) AS pooled_code",
        [
            int(year),
            ry.start.date(),
            ry.end.date(),
            bool(settings.pn4_counts_as_participation),
            POOLED,
        ],
    )
    for table, (_, end) in AUTHORITY.items():
        if table in SQL_TABLES:
            con.execute(_year_view_sql(table, end, AUTHORITY_INPUT[table]))
    first, last = _date_span(con, int(year))
    cal = calendar_frame(first, last)
    con.register("_calendar", cal)
    con.execute(
        "CREATE TABLE calendar AS SELECT CAST(day AS DATE) AS day, workday, cum FROM _calendar"
    )
    con.unregister("_calendar")
    inputs = pd.DataFrame(
        [(k, i) for k in SQL_KPIS for i in KPI_DEFINITIONS[k].inputs], columns=["kpi_id", "input"]
    )
    units = pd.DataFrame(
        {
            "kpi_id": list(SQL_KPIS),
            "unit": [KPI_DEFINITIONS[k].unit for k in SQL_KPIS],
            "per": [ratio_per(k) for k in SQL_KPIS],
            "position": list(range(len(SQL_KPIS))),
        }
    )
    for name, frame in (("kpi_inputs", inputs), ("kpi_units", units)):
        con.register(f"_{name}", frame)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM _{name}")
        con.unregister(f"_{name}")
    clock.lap("params, calendar and KPI tables")
    sql = files("iro_analysis.region") / "sql"
    for name in SQL_FILES[:-1]:
        con.execute((sql / name).read_text(encoding="utf-8"))
        clock.lap(name)
    return con


class _Clock:
    """Times the steps of a query run for `log` (nothing when `log` is None)."""

    def __init__(self, log: Callable[[str], object] | None) -> None:
        self.log = log
        self.t = time.perf_counter()

    def lap(self, what: str) -> None:
        now = time.perf_counter()
        if self.log is not None:
            self.log(f"{what}: {now - self.t:.2f} s")
        self.t = now


def _date_span(con: duckdb.DuckDBPyConnection, year: int) -> tuple[int, int]:
    """Calendar years the working-day arithmetic can meet, with a year's margin each side."""
    dates = {
        "episodes": ("DECOM",),
        "reviews": ("REVIEW",),
        "s47": ("S47ActualStartDate", "DateOfInitialCPC"),
        "cin_details": ("DateOfInitialCPC",),
        "disputes": ("raised_date", "resolved_date"),
    }
    parts = [
        f"SELECT MIN({c}) AS lo, MAX({c}) AS hi FROM {t}" for t, cs in dates.items() for c in cs
    ]
    sql = f"SELECT MIN(lo), MAX(hi) FROM ({' UNION ALL '.join(parts)})"
    ((lo, hi),) = con.execute(sql).fetchall()
    first = min(lo.year if lo else year, year - 1) - 1
    last = max(hi.year if hi else year, year) + 1
    return first, last


def pooled_kpis(
    root: Path,
    year: int,
    settings: Settings | None = None,
    log: Callable[[str], object] | None = None,
) -> pd.DataFrame:
    """The SQL KPIs (`SQL_KPIS`) of `year` for every council in the store under `root` and
    pooled over them (la_code "region": numerators and denominators summed over the councils
    that produce the KPI, counts summed). Columns la_code, kpi_id, year, value, numerator,
    denominator, as kpis.csv (counts carry no numerator/denominator; percentages and ratios
    rounded half up to 1 dp, blank when the denominator is 0). A council's KPI is produced
    only when every input it needs was supplied in `year`'s own folder, as the pandas engine
    does; councils first (by la_code), then the pooled rows, KPIs in registry order.
    `log` (optional) gets each step's time."""
    con = connect(root, year, settings, log)
    try:
        clock = _Clock(log)
        sql = (files("iro_analysis.region") / "sql" / SQL_FILES[-1]).read_text(encoding="utf-8")
        out = con.execute(sql).df()
        clock.lap(SQL_FILES[-1])
    finally:
        con.close()
    out = out[list(KPI_OUT_COLUMNS)]
    out["la_code"] = out["la_code"].astype("str")
    out["kpi_id"] = out["kpi_id"].astype("str")
    out["year"] = out["year"].astype("int64")
    for c in ("value", "numerator", "denominator"):
        out[c] = pd.to_numeric(out[c]).astype("Float64")
    return out.reset_index(drop=True)
