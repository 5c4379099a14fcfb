"""Periods of care from a child's 903 episodes: the one rule, vectorised, that the
cleaner's overlap warning, the return's own counts (`authority.return_counts`) and the KPI
engine (`kpis.timescales`) share; the region's SQL (`region/sql/01_periods.sql`) writes
the same rule as window functions.

Rule (shared/spec/kpis.md, "Periods of care and reviews", with the reading of issue #29
for overlapping episodes; docs/assumptions.md): a child's episodes, sorted by DECOM, form
one period of care until an episode has RNE = S or does not start on the previous
episode's DEC; then a new period starts. A child cannot be in two periods at once, so an
episode that starts before the latest DEC of the child's earlier episodes, or while one of
them is still open, continues that period whatever its RNE (DfE's 903 validator rejects
such an episode: lac_validator rules 501 and 142). "The previous episode's DEC" is the
latest DEC of the earlier episodes, which is the previous episode's own DEC whenever no
episodes overlap. A period ends at the latest DEC of its episodes and is open while any
of them is.
"""

from __future__ import annotations

import pandas as pd

from iro_analysis.contract.codes import RNE_NEW_PERIOD

# An open episode (DEC blank) never ends: it is later than every date a return can hold.
OPEN_END = pd.Timestamp("9999-12-31").as_unit("s")


def sort_episodes(episodes: pd.DataFrame) -> pd.DataFrame:
    """Episodes sorted by CHILD then DECOM (stable), with a fresh index."""
    return episodes.sort_values(["CHILD", "DECOM"], kind="mergesort").reset_index(drop=True)


def earlier_end(episodes: pd.DataFrame) -> pd.Series:
    """For each episode of a frame sorted by CHILD then DECOM (`sort_episodes`), the latest
    DEC of the child's earlier episodes, an open one counting as `OPEN_END`; NaT for a
    child's first episode."""
    child = episodes["CHILD"]
    end = pd.to_datetime(episodes["DEC"]).astype("datetime64[s]").fillna(OPEN_END)
    latest = end.groupby(child, sort=False, dropna=False).cummax()
    return latest.groupby(child, sort=False, dropna=False).shift(1)


def overlapping(episodes: pd.DataFrame) -> pd.Series:
    """Episodes (sorted, `sort_episodes`) that start before the latest DEC of the child's
    earlier episodes or while one of them is open: DfE's 903 validator rules 501 ("a new
    episode has started before the end date of the previous episode") and 142 ("a new
    episode has started, but the previous episode has not ended")."""
    decom = pd.to_datetime(episodes["DECOM"]).astype("datetime64[s]")
    return decom.lt(earlier_end(episodes)).fillna(False).astype(bool)


def period_numbers(episodes: pd.DataFrame) -> pd.Series:
    """Each episode's period of care, 1, 2, ... per child (episodes sorted, `sort_episodes`):
    a new period starts at a child's first episode and at an episode that does not overlap
    the earlier ones and either has RNE = S or does not start on their latest DEC."""
    prev_end = earlier_end(episodes)
    decom = pd.to_datetime(episodes["DECOM"]).astype("datetime64[s]")
    first = prev_end.isna()
    overlaps = decom.lt(prev_end).fillna(False)
    restarts = episodes["RNE"].eq(RNE_NEW_PERIOD).fillna(False) | decom.ne(prev_end)
    new = first | (restarts.astype(bool) & ~overlaps.astype(bool))
    return new.astype("int64").groupby(episodes["CHILD"], sort=False, dropna=False).cumsum()


def period_ends(episodes: pd.DataFrame, period: pd.Series) -> pd.Series:
    """Each episode's period end: the latest DEC of the period's episodes, NaT while any
    of them is open (`period` from `period_numbers`, aligned with `episodes`)."""
    dec = pd.to_datetime(episodes["DEC"]).astype("datetime64[s]")
    keys = [episodes["CHILD"], period]
    latest = dec.fillna(OPEN_END).groupby(keys, sort=False, dropna=False).transform("max")
    return latest.where(latest.ne(OPEN_END)).astype("datetime64[s]")


def ends_period(episodes: pd.DataFrame, period: pd.Series) -> pd.Series:
    """Episodes whose DEC is their period's end (the period is closed and no episode of it
    ends later), and no episode of the child starts on that DEC: where the child's care
    stopped, if the REC says so (`cla_ceased`)."""
    dec = pd.to_datetime(episodes["DEC"]).astype("datetime64[s]")
    last = dec.notna() & dec.eq(period_ends(episodes, period))
    decom = pd.to_datetime(episodes["DECOM"]).astype("datetime64[s]")
    starts = pd.MultiIndex.from_arrays([episodes["CHILD"].to_numpy(), decom.to_numpy()])
    ends = pd.MultiIndex.from_arrays([episodes["CHILD"].to_numpy(), dec.to_numpy()])
    continued = pd.Series(ends.isin(starts), index=episodes.index)
    return (last & ~continued).fillna(False).astype(bool)


def starts_period(episodes: pd.DataFrame, period: pd.Series) -> pd.Series:
    """Episodes that start a period of care with RNE = S: the first episode of their
    period (an episode overlapping an earlier one continues that period, whatever its
    RNE) whose RNE is S (`cla_started`)."""
    first = (
        episodes["CHILD"]
        .groupby([episodes["CHILD"], period], sort=False, dropna=False)
        .cumcount()
        .eq(0)
    )
    return episodes["RNE"].eq(RNE_NEW_PERIOD).fillna(False).astype(bool) & first
