"""The as-at date of the exception lists and the helpers the lists share.

A list is computed from a KPI context whose `end` is the as-at date (`as_at_context`), so
every timescale is the KPI code's own; `check_as_at` states which dates a year accepts.
"""

from __future__ import annotations

import pandas as pd

from iro_analysis.core.errors import InputError
from iro_analysis.core.settings import Settings
from iro_analysis.core.years import ReportingYear
from iro_analysis.ingest.dataset import Dataset
from iro_analysis.kpis import timescales as ts
from iro_analysis.kpis.context import KpiContext

# --------------------------------------------------------------------------------------
# The as-at date
# --------------------------------------------------------------------------------------


def check_as_at(year: int, as_at: object = None) -> pd.Timestamp:
    """The as-at date of `year`'s lists: 31 March `year` by default, else `as_at` (a date or
    "YYYY-MM-DD"), which must fall in the reporting year (1 April year-1 to 31 March year):
    the lists are filed under that year's restricted folder and read its data. Raises
    InputError otherwise."""
    ry = ReportingYear(int(year))
    if as_at is None or (isinstance(as_at, str) and not as_at.strip()):
        return ry.end.as_unit("s")
    try:
        when = pd.Timestamp(as_at.strip() if isinstance(as_at, str) else as_at)
    except (TypeError, ValueError):
        when = pd.NaT
    if when is pd.NaT or pd.isna(when):
        raise InputError(f"--as-at must be a date as YYYY-MM-DD, got {as_at!r}")
    if when != when.normalize():
        raise InputError(f"--as-at must be a date without a time, got {as_at!r}")
    if not ry.start <= when <= ry.end:
        raise InputError(
            f"--as-at {when.date()} is outside the reporting year {ry.label} "
            f"({ry.start.date()} to {ry.end.date()}); choose a date in it or another --year"
        )
    return when.as_unit("s")


class AsAtContext(KpiContext):
    """A `KpiContext` whose `end` is the as-at date and whose `start` is the day after the
    same date 12 months earlier, so "in the year" means the 12 months up to the date.

    At 31 March (the default) it is exactly the reporting year's context, so the lists and
    the KPIs agree. Every derived table the context caches (children looked after at `end`,
    reviews overdue at `end`, CP plans open at `end`, ...) is then taken at the as-at date.
    `as_at` is that date.
    """

    def __init__(
        self, ds: Dataset, year: int, as_at: object = None, settings: Settings | None = None
    ) -> None:
        super().__init__(ds, year, settings)
        self.as_at: pd.Timestamp = check_as_at(self.year, as_at)
        self.end = self.as_at
        self.start = (self.as_at - pd.DateOffset(months=12) + pd.Timedelta(days=1)).as_unit("s")


def as_at_context(
    ds: Dataset, year: int, as_at: object = None, settings: Settings | None = None
) -> AsAtContext:
    """The KPI context of `year` taken at `as_at` (default 31 March `year`)."""
    return AsAtContext(ds, year, as_at, settings)


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def year_end_series(ctx: KpiContext, index: pd.Index) -> pd.Series:
    return pd.Series(ctx.end, index=index, dtype="datetime64[s]")


def as_int64(s: pd.Series) -> pd.Series:
    """Whole numbers as nullable Int64 (NA where missing)."""
    return pd.to_numeric(s).round().astype("Int64")


def days_between(later: pd.Series, earlier: pd.Series) -> pd.Series:
    """Calendar days from `earlier` to `later` (Int64, NA where either is missing)."""
    return as_int64((ts.as_dates(later) - ts.as_dates(earlier)).dt.days)


def iro_allocation(ctx: KpiContext) -> pd.DataFrame:
    """`child_id, iro_id`: the IRO who chaired each child's latest meeting (any type) held on
    or before the as-at date, the rule the caseload figures use (ties broken by
    meeting_id). Children with no such meeting have no row."""
    m = ctx.table("meetings")
    held = m.loc[m["held_date"].notna() & m["held_date"].le(ctx.end) & m["iro_id"].notna()]
    latest = (
        held.sort_values(["child_id", "held_date", "meeting_id"], kind="mergesort")
        .groupby("child_id", sort=False)
        .tail(1)[["child_id", "iro_id"]]
    )
    return latest.reset_index(drop=True)


def with_iro(ctx: KpiContext, frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` (with child_id) with `iro_id` from `iro_allocation`, filling only blanks."""
    alloc = iro_allocation(ctx).rename(columns={"iro_id": "_iro"})
    out = frame.merge(alloc, on="child_id", how="left")
    if "iro_id" in out.columns:
        out["iro_id"] = out["iro_id"].fillna(out["_iro"])
        return out.drop(columns="_iro")
    return out.rename(columns={"_iro": "iro_id"})


def sort_rows(frame: pd.DataFrame, by: list[str], ascending: list[bool]) -> pd.DataFrame:
    return frame.sort_values(
        by, ascending=ascending, kind="mergesort", na_position="last"
    ).reset_index(drop=True)
