"""The year being reported on and the derived tables its KPIs share (computed once, lazily)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from iro_analysis.contract.codes import AGE_BANDS
from iro_analysis.contract.tables import CLEAN_TABLES, SOURCE_YEAR, clean_dtype
from iro_analysis.core import paths
from iro_analysis.core.settings import Settings
from iro_analysis.core.years import ReportingYear
from iro_analysis.ingest.authority import year_view
from iro_analysis.ingest.dataset import Dataset
from iro_analysis.kpis import timescales as ts

UNKNOWN = "Not known"

# Derived tables that do not depend on the reporting year: a sibling context (another year
# of the same dataset, `KpiContext.sibling`) reuses them. The tables of episodes, plans,
# disputes and the workforce do: each year sees them through its own file
# (`ingest.authority.year_view`), and so do the tables derived from them.
_YEAR_FREE = (
    "header",
    "review_ordinals_from",
    "cp_ordinals_from",
)


def empty_table(name: str) -> pd.DataFrame:
    """An empty clean table with its schema columns and dtypes (the contract's CLEAN_TABLES,
    which declares the optional IRO extracts too)."""
    kinds = {c: clean_dtype(c) for c in CLEAN_TABLES[name].columns}
    cols = {}
    for c, kind in kinds.items():
        dtype = {"datetime": "datetime64[s]", "str": "str"}.get(kind, kind)
        cols[c] = pd.Series(dtype=dtype)
    return pd.DataFrame(cols)


def age_in_years(dob: pd.Series, when: pd.Timestamp | pd.Series) -> pd.Series:
    """Age in completed years at `when` (Int64, NA where DOB is missing)."""
    dob = ts.as_dates(dob)
    w = when if isinstance(when, pd.Series) else pd.Series(pd.Timestamp(when), index=dob.index)
    w = ts.as_dates(w)
    before = (w.dt.month < dob.dt.month) | ((w.dt.month == dob.dt.month) & (w.dt.day < dob.dt.day))
    age = w.dt.year - dob.dt.year - before.astype("int64")
    return age.astype("Int64").where(dob.notna())


def age_band(age: pd.Series) -> pd.Series:
    """DfE age band label (schema.AGE_BANDS) of ages in completed years; "Not known" if NA."""
    labels = pd.Series(UNKNOWN, index=age.index, dtype="str")
    for label, lo, hi in AGE_BANDS:
        labels = labels.mask(age.ge(lo).fillna(False) & age.le(hi).fillna(False), label)
    return labels


class KpiContext:
    """One reporting year of one dataset, with the shared derived tables as cached properties.

    Every table read from the dataset is all years' deduplicated rows (history), with dates
    as `datetime64[s]`; the KPI functions filter to the year.
    """

    def __init__(
        self,
        ds: Dataset,
        year: int,
        settings: Settings | None = None,
        narrative_path: Path | str | None = None,
    ) -> None:
        self.ds = ds
        self.year = int(year)
        self.settings = settings or Settings()
        ry = ReportingYear(self.year)
        self.start: pd.Timestamp = ry.start.as_unit("s")
        self.end: pd.Timestamp = ry.end.as_unit("s")
        # The year's narrative (priorities_met reads its progress section).
        self.narrative_path: Path = (
            Path(narrative_path)
            if narrative_path is not None
            else paths.NARRATIVE_DIR / f"{self.year}.md"
        )

    def sibling(self, year: int, narrative_path: Path | str | None = None) -> KpiContext:
        """A context for another year of the same dataset and settings, sharing the derived
        tables that do not depend on the year (so the previous year's headline KPIs, which
        ratings compare with, cost little)."""
        other = KpiContext(self.ds, year, self.settings, narrative_path)
        for name in _YEAR_FREE:
            if name in self.__dict__:
                other.__dict__[name] = self.__dict__[name]
        return other

    # -- raw access ---------------------------------------------------------------------

    def table(self, name: str) -> pd.DataFrame:
        """A clean table (all years read) as the year sees it (`authority.year_view`: a
        record the year's own file does not hold ended before the year), with its date
        columns as datetime64[s]; never mutated."""
        return self._tables[name]

    @cached_property
    def _tables(self) -> dict[str, pd.DataFrame]:
        return _LazyTables(self.ds, self.year)

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """`compute()` once per context (derived tables several KPIs of an area share)."""
        cache = self.__dict__.setdefault("_memo", {})
        if key not in cache:
            cache[key] = compute()
        return cache[key]

    def in_year(self, dates: pd.Series) -> pd.Series:
        """Dates within 1 April YEAR-1 to 31 March YEAR inclusive (False for NaT)."""
        return dates.ge(self.start) & dates.le(self.end)

    def has(self, *inputs: str) -> bool:
        """Whether every input was supplied in the year's own folder ("narrative": the
        year's narrative file exists)."""
        return all(self._has(i) for i in inputs)

    def _has(self, name: str) -> bool:
        if name == "narrative":
            return self.narrative_path.is_file()
        return self.ds.has_input(name, self.year)

    # -- children looked after -----------------------------------------------------------

    @cached_property
    def cla_episodes(self) -> pd.DataFrame:
        """Episodes of every year, short breaks (V3/V4) dropped, numbered by period of care."""
        return ts.assign_periods(self.table("episodes"))

    @cached_property
    def periods(self) -> pd.DataFrame:
        return ts.periods_of_care(self.table("episodes"))

    @cached_property
    def cla_at_end(self) -> pd.DataFrame:
        """One row per child looked after at 31 March: their open episode (latest DECOM)."""
        ep = self.cla_episodes
        mask = ep["DECOM"].le(self.end) & (ep["DEC"].isna() | ep["DEC"].gt(self.end))
        open_ = ep.loc[mask].sort_values(["CHILD", "DECOM"], kind="mergesort")
        return open_.groupby("CHILD", sort=False).tail(1).reset_index(drop=True)

    @cached_property
    def cla_during_year_children(self) -> np.ndarray:
        """Children with an episode with DECOM <= end and (DEC blank or DEC >= start)."""
        ep = self.cla_episodes
        mask = ep["DECOM"].le(self.end) & (ep["DEC"].isna() | ep["DEC"].ge(self.start))
        return ep.loc[mask, "CHILD"].unique()

    @cached_property
    def header(self) -> pd.DataFrame:
        """903 header, one row per child."""
        return self.table("header").drop_duplicates("CHILD", keep="last")

    # -- reviews -------------------------------------------------------------------------

    @cached_property
    def review_ordinals_from(self) -> pd.Timestamp:
        """1 April of the year before the earliest year supplying reviews.csv."""
        years = self.ds.years_with("reviews") or [self.year]
        return ReportingYear(min(years)).start

    @cached_property
    def timed_reviews(self) -> pd.DataFrame:
        """Every review with period, due date and on-time flag; short-break-only dropped."""
        tr = ts.review_timeliness(
            self.table("reviews"), self.table("episodes"), self.review_ordinals_from
        )
        return tr.loc[~tr["short_break_only"]].reset_index(drop=True)

    @cached_property
    def reviews_in_year(self) -> pd.DataFrame:
        tr = self.timed_reviews
        return tr.loc[self.in_year(tr["REVIEW"])].reset_index(drop=True)

    @cached_property
    def overdue(self) -> pd.DataFrame:
        """Per child looked after at 31 March: next review due and whether overdue."""
        return ts.reviews_overdue_at(self.table("episodes"), self.timed_reviews, self.end)

    # -- child protection ----------------------------------------------------------------

    @cached_property
    def cp_plans(self) -> pd.DataFrame:
        return self.table("cp_plans")

    @cached_property
    def cp_open_at_end(self) -> pd.DataFrame:
        p = self.cp_plans
        mask = p["CPPstartDate"].le(self.end) & (
            p["CPPendDate"].isna() | p["CPPendDate"].gt(self.end)
        )
        return p.loc[mask]

    @cached_property
    def cp_ordinals_from(self) -> pd.Timestamp:
        """1 April of the year before the earliest year supplying the CIN census."""
        years = self.ds.years_with("cin_census") or [self.year]
        return ReportingYear(min(years)).start

    # -- disputes ------------------------------------------------------------------------

    @cached_property
    def disputes(self) -> pd.DataFrame:
        return ts.dispute_timeliness(self.table("disputes"))

    @cached_property
    def disputes_in_year(self) -> pd.DataFrame:
        d = self.disputes
        return d.loc[self.in_year(d["raised_date"])]

    # -- meetings ------------------------------------------------------------------------

    @cached_property
    def meetings_held(self) -> pd.DataFrame:
        """Meetings held in the year (blank held_date = not held; blank times_rearranged = 0)."""
        m = self.table("meetings")
        m = m.loc[self.in_year(m["held_date"])].copy()
        m["times_rearranged"] = m["times_rearranged"].fillna(0).astype("int64")
        m["rearranged"] = m["times_rearranged"].ge(1)
        m["visit"] = m["pre_meeting_visit"].astype("boolean").fillna(False).astype(bool)
        m["advocate"] = m["advocate_involved"].astype("boolean").fillna(False).astype(bool)
        return m

    # -- workforce -----------------------------------------------------------------------

    @cached_property
    def iros_in_post(self) -> pd.DataFrame:
        """IROs in post at 31 March: start_date <= end and (end_date blank or >= end)."""
        w = self.table("workforce")
        mask = w["start_date"].le(self.end) & (w["end_date"].isna() | w["end_date"].ge(self.end))
        return w.loc[mask]

    @cached_property
    def fte_at_end(self) -> float:
        """Sum of fte in post at 31 March, rounded to 6 dp to drop float noise."""
        return round(float(self.iros_in_post["fte"].sum()), 6)


class _LazyTables(dict):
    """Clean tables converted on first use (dates to datetime64[s]); missing ones empty."""

    def __init__(self, ds: Dataset, year: int) -> None:
        super().__init__()
        self._ds = ds
        self._year = int(year)

    def __missing__(self, name: str) -> pd.DataFrame:
        df = self._ds.tables.get(name)
        df = empty_table(name) if df is None else df.copy()
        for c in df.columns:
            if clean_dtype(c) == "datetime":
                df[c] = ts.as_dates(df[c])
        if SOURCE_YEAR in df.columns and len(df):
            df[SOURCE_YEAR] = df[SOURCE_YEAR].astype("int64")
        df = year_view(df, name, self._year, self._ds.supplied)
        self[name] = df
        return df
