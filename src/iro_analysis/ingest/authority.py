"""The year's own return is the authority (docs/kpis.md, "Input and history", revised
2026-12-07), as DfE count from the return.

- A row of a folder's file dated outside that folder's collection year (1 April to
  31 March) is quarantined as `outside_collection_year`, as DfE's validators reject it: an
  episode starting after the year or ending before it, a review outside the year, a CIN
  episode closed before it, a dispute raised or a meeting dated after it. So a file from
  another year put in a year's folder fails the quarantine gate and stops the build.
- Across folders the latest folder's row wins on the table's key; a quarantined row whose
  key could be read never lets an older folder's version of the same record win
  (`blocked_older`).
- For a reporting year, a record whose latest version comes from an earlier folder than
  the year's own file of that table is taken to have ended before the year began
  (`year_view`); one still open at the end of its own folder's year is a history gap
  (`history_gaps`), counted in children, never named.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from iro_analysis.contract import tables as T
from iro_analysis.core.years import ReportingYear
from iro_analysis.ingest.dataset import RETURN_COUNT_COLUMNS
from iro_analysis.ingest.periods import ends_period, period_numbers, sort_episodes, starts_period

OUTSIDE_YEAR = "outside_collection_year"

# table -> ((date column, side), ...): "after" a date later than the folder's 31 March,
# "before" earlier than its 1 April, "outside" either.
WINDOW_RULES: dict[str, tuple[tuple[str, str], ...]] = {
    "episodes": (("DECOM", "after"), ("DEC", "before")),
    "reviews": (("REVIEW", "outside"),),
    "cin_details": (("CINclosureDate", "before"),),
    "disputes": (("raised_date", "after"),),
    "meetings": (("held_date", "after"), ("first_scheduled_date", "after")),
}

# Tables whose reporting year's own file says who was looked after, on a plan, in dispute
# or in post during the year and at its end: table -> (start column, end column). Meetings
# need no entry: a meeting of the year can only come from the year's file (WINDOW_RULES).
AUTHORITY: dict[str, tuple[str, str]] = {
    "episodes": ("DECOM", "DEC"),
    "cp_plans": ("CPPstartDate", "CPPendDate"),
    "disputes": ("raised_date", "resolved_date"),
    "workforce": ("start_date", "end_date"),
}

# The clean table's supplied input (schema.SUPPLIED_INPUTS) that is its year's file.
AUTHORITY_INPUT = {
    "episodes": "episodes",
    "cp_plans": "cin_census",
    "disputes": "disputes",
    "workforce": "workforce",
}

# The column naming the child (or post) a record belongs to, for counting history gaps.
_WHO = {"episodes": "CHILD", "cp_plans": "LAchildID", "disputes": "child_id", "workforce": "iro_id"}


def window_masks(table: str, typed: pd.DataFrame, year: int) -> list[tuple[str, pd.Series]]:
    """(column, mask) for each window rule of `table` broken by rows of `year`'s folder."""
    ry = ReportingYear(int(year))
    start, end = ry.start.as_unit("s"), ry.end.as_unit("s")
    out = []
    for column, side in WINDOW_RULES.get(table, ()):
        if column not in typed:
            continue
        d = pd.to_datetime(typed[column], errors="coerce").astype("datetime64[s]")
        late, early = d.gt(end).fillna(False), d.lt(start).fillna(False)
        mask = late if side == "after" else early if side == "before" else late | early
        out.append((column, mask.astype(bool)))
    return out


def blocked_older(frames: list[tuple[int, pd.DataFrame, pd.DataFrame]], key: list[str]):
    """For (folder year, kept rows, keys of quarantined rows) of one table, oldest first:
    each kept frame without the rows whose key a later folder quarantined (the record is
    left out rather than an older version standing in)."""
    blocks = [q[key].dropna().assign(_blocked_by=y) for y, _, q in frames if len(q) and len(q[key])]
    if not blocks:
        return [k for _, k, _ in frames]
    blocked = pd.concat(blocks, ignore_index=True).groupby(key, sort=False)["_blocked_by"].max()
    out = []
    for y, k, _ in frames:
        if not len(k):
            out.append(k)
            continue
        by = pd.MultiIndex.from_frame(k[key]) if len(key) > 1 else pd.Index(k[key[0]])
        latest_block = blocked.reindex(by).to_numpy()
        drop = pd.notna(latest_block) & (np.nan_to_num(latest_block.astype(float)) > y)
        out.append(k.loc[~drop])
    return out


def _supplied(supplied: pd.DataFrame, input_name: str, year: int) -> bool:
    hit = supplied[(supplied["year"].astype(int) == int(year)) & (supplied["input"] == input_name)]
    return bool(len(hit)) and bool(hit["present"].astype(bool).iloc[0])


def _ended_elsewhere(df: pd.DataFrame, table: str, year: int) -> pd.Series:
    """Records whose latest version is from a folder before `year` that still reach into
    the year (end blank or on or after its 1 April)."""
    _, end_col = AUTHORITY[table]
    start = ReportingYear(int(year)).start
    src = pd.to_numeric(df[T.SOURCE_YEAR], errors="coerce")
    end = pd.to_datetime(df[end_col], errors="coerce")
    return (src.lt(int(year)) & (end.isna() | end.ge(start))).fillna(False).astype(bool)


def year_view(df: pd.DataFrame, table: str, year: int, supplied: pd.DataFrame) -> pd.DataFrame:
    """`table` as `year` sees it: when the year's own folder supplied the table, a record
    whose latest version comes from an earlier folder (the year's file does not hold it) is
    taken to have ended before the year began: an end date that is blank or falls in or
    after the year becomes 31 March of the year before. Other tables, and years whose
    folder did not supply the table (its KPIs are not produced), are returned unchanged.
    Never mutates `df`."""
    if (
        table not in AUTHORITY
        or T.SOURCE_YEAR not in df
        or not len(df)
        or not _supplied(supplied, AUTHORITY_INPUT[table], year)
    ):
        return df
    ended = _ended_elsewhere(df, table, year)
    if not ended.any():
        return df
    _, end_col = AUTHORITY[table]
    out = df.copy()
    day_before = (ReportingYear(int(year)).start - pd.Timedelta(days=1)).as_unit("s")
    out[end_col] = out[end_col].mask(ended, day_before)
    return out


def history_gaps(tables: dict[str, pd.DataFrame], supplied: pd.DataFrame, year: int):
    """Per authority table, the children (posts, for the workforce) with a record that an
    earlier folder left open at the end of its own year, that no folder up to `year`
    closes and that `year`'s own file does not hold: a history gap. Rows (table, folder
    year, children), never ids; the record never adds a child to `year`'s figures."""
    rows = []
    for table, (_, end_col) in AUTHORITY.items():
        df = tables.get(table)
        if df is None or not len(df) or T.SOURCE_YEAR not in df:
            continue
        if not _supplied(supplied, AUTHORITY_INPUT[table], year):
            continue
        src = pd.to_numeric(df[T.SOURCE_YEAR], errors="coerce")
        folder_end = pd.to_datetime(src.astype("Int64").astype("str") + "-03-31", errors="coerce")
        end = pd.to_datetime(df[end_col], errors="coerce")
        gap = src.lt(int(year)) & (end.isna() | end.gt(folder_end))
        gap = gap.fillna(False).astype(bool)
        if not gap.any():
            continue
        who = df.loc[gap, [_WHO[table]]].assign(folder=src[gap].astype(int))
        for folder, n in who.groupby("folder")[_WHO[table]].nunique().items():
            rows.append((table, int(folder), int(n)))
    return pd.DataFrame(rows, columns=["table", "folder_year", "children"])


def history_warnings(
    tables: dict[str, pd.DataFrame], supplied: pd.DataFrame, years: list[int], year: int
) -> list[tuple]:
    """Warnings (quarantine-table tuples) on `year`'s history: a year folder missing between
    the earliest folder and `year` (`missing_year_folder`), an input supplied one year and
    absent the next (`input_gap`) and the history gaps (`history_gap`, in children)."""
    out: list[tuple] = []
    read = sorted(int(y) for y in years if int(y) <= int(year))
    if not read:
        return out
    for y in range(read[0] + 1, int(year)):
        if y not in read:
            out.append(
                (
                    int(year),
                    f"{y}/",
                    0,
                    "",
                    None,
                    "missing_year_folder",
                    f"no {y} folder between {read[0]} and {year}",
                )
            )
    s = supplied.assign(year=supplied["year"].astype(int), present=supplied["present"].astype(bool))
    have = {(int(r.year), r.input) for r in s.itertuples() if r.present}
    for name in sorted({i for _, i in have}):
        for y in read:
            nxt = y + 1
            if nxt in read and (y, name) in have and (nxt, name) not in have:
                out.append(
                    (
                        int(year),
                        f"{nxt}/",
                        0,
                        name,
                        None,
                        "input_gap",
                        f"{name} supplied in {y} but not in {nxt}",
                    )
                )
    what = {"episodes": "an episode", "cp_plans": "a plan", "disputes": "a dispute"}
    for r in history_gaps(tables, supplied, year).itertuples():
        who = ("IRO post", "IRO posts") if r.table == "workforce" else ("child", "children")
        out.append(
            (
                int(year),
                f"{r.folder_year}/",
                0,
                r.table,
                None,
                "history_gap",
                f"{r.children} {who[r.children != 1]} with {what.get(r.table, 'a record')} "
                f"open at 31 March {r.folder_year} in {r.folder_year}'s "
                f"{AUTHORITY_INPUT[r.table]}, absent from {year}'s",
            )
        )
    return out


# --------------------------------------------------------------------------------------
# The return's own counts, for the reconciliation (docs/kpis.md: "a check that can fail")
# --------------------------------------------------------------------------------------

RETURN_COUNT_DTYPES = {
    "year": "int64",
    "file": "str",
    "measure": "str",
    "count": "int64",
    "rows_quarantined": "int64",
}
SHORT_BREAKS = ("V3", "V4")


def _episode_counts(t: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> dict[str, int]:
    """DfE's counts from one year's episodes alone (every typed row, quarantined or not),
    periods of care as the engine builds them (`ingest.periods`: overlapping episodes are
    one period)."""
    t = t.loc[~t["LS"].isin(SHORT_BREAKS).fillna(False)]
    t = t.assign(
        DECOM=pd.to_datetime(t["DECOM"], errors="coerce").astype("datetime64[s]"),
        DEC=pd.to_datetime(t["DEC"], errors="coerce").astype("datetime64[s]"),
    )
    t = sort_episodes(t)
    decom, dec, child = t["DECOM"], t["DEC"], t["CHILD"]
    period = period_numbers(t)
    at_end = decom.le(end) & (dec.isna() | dec.gt(end))
    during = decom.le(end) & (dec.isna() | dec.ge(start))
    started = starts_period(t, period) & decom.between(start, end)
    ceased = dec.between(start, end) & t["REC"].ne("X1").fillna(True) & ends_period(t, period)
    return {
        "cla_at_31_march": int(child[at_end.fillna(False)].nunique()),
        "cla_during_year": int(child[during.fillna(False)].nunique()),
        "cla_started": int(child[started.fillna(False)].nunique()),
        "cla_ceased": int(child[ceased.fillna(False)].nunique()),
    }


def _plan_counts(t: pd.DataFrame, end: pd.Timestamp) -> dict[str, int]:
    start = pd.to_datetime(t["CPPstartDate"], errors="coerce")
    stop = pd.to_datetime(t["CPPendDate"], errors="coerce")
    open_ = (start.le(end) & (stop.isna() | stop.gt(end))).fillna(False)
    return {"cp_plans_at_31_march": int(t.loc[open_, "LAchildID"].nunique())}


def return_counts(parts) -> pd.DataFrame:
    """For each year's episodes and CP plans, the counts DfE take from that return alone
    (`RETURN_COUNT_COLUMNS`): children looked after at 31 March, during the year, started
    and ceased, and children on a plan at 31 March, from every row read (quarantined rows
    whose dates could be read included), with the file's quarantined rows, which are what
    may explain a difference from the report's figures."""
    rows = []
    for p in parts:
        if p.table not in ("episodes", "cp_plans"):
            continue
        ry = ReportingYear(int(p.year))
        start, end = ry.start.as_unit("s"), ry.end.as_unit("s")
        t = p.typed
        counts = _episode_counts(t, start, end) if p.table == "episodes" else _plan_counts(t, end)
        n_bad = len(p.failed_rows())
        file = p.file.split("#")[0] if p.table == "cp_plans" else p.file
        rows += [(int(p.year), file, m, n, n_bad) for m, n in counts.items()]
    out = pd.DataFrame(rows, columns=list(RETURN_COUNT_COLUMNS))
    return out.astype(RETURN_COUNT_DTYPES)
