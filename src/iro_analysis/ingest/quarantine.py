"""Cross-file rules, the quarantine, warnings, facts and row accounting, cross-year dedup."""

from __future__ import annotations

import pandas as pd

from iro_analysis.contract import tables as T
from iro_analysis.ingest.authority import OUTSIDE_YEAR, WINDOW_RULES, blocked_older, window_masks
from iro_analysis.ingest.bookkeeping import LINE
from iro_analysis.ingest.parts import Part, add_failures, key_duplicates
from iro_analysis.ingest.rules import (
    DATETIME_DTYPE,
    ORPHAN_903,
    ORPHAN_IRO,
    failure_rows,
    isin_ids,
)

# --------------------------------------------------------------------------------------
# Cross-file rules, accounting, quarantine and cross-year dedup
# --------------------------------------------------------------------------------------


def _raw_ids(parts: list[Part], table: str, column: str) -> pd.Index:
    vals = [p.raw[column].astype("str").str.strip() for p in parts if p.table == table]
    if not vals:
        return pd.Index([], dtype="str")
    s = pd.concat(vals)
    return pd.Index(s[s.str.len() > 0].unique())


def apply_cross_file_rules(parts: list[Part]) -> None:
    """Orphan children, care or reviews before birth, and within-file key duplicates.

    A child is known to the 903 when its CHILD appears in any year's header file (even on a
    quarantined row); IRO rows may also name a CIN census child.
    """
    header_ids = _raw_ids(parts, "header", "CHILD")
    known_ids = header_ids.union(_raw_ids(parts, "cin_children", "LAchildID"))
    header = dedup_latest([p for p in parts if p.table == "header"], "header")
    dob = header.set_index("CHILD")["DOB"] if len(header) else pd.Series(dtype=DATETIME_DTYPE)
    for p in parts:
        if p.table in ORPHAN_903 or p.table in ORPHAN_IRO:
            col = "CHILD" if p.table in ORPHAN_903 else "child_id"
            ids = header_ids if p.table in ORPHAN_903 else known_ids
            t = p.typed
            orphan = t[col].notna() & ~isin_ids(t[col], ids)
            add_failures(p, failure_rows(orphan, col, "orphan_child", t[col]))
        # care starting, or a review held, before the child's birth in the 903 header
        # (whatever the row's own DOB says, and when it has none)
        when = {"episodes": "DECOM", "reviews": "REVIEW"}.get(p.table)
        if when is not None:
            t = p.typed
            # reindex, not map: map fails on an empty header (every header row quarantined)
            birth = pd.Series(dob.reindex(t["CHILD"].to_numpy()).to_numpy(), index=t.index)
            before = (t[when] < birth).fillna(False)
            add_failures(p, failure_rows(before, when, "impossible_date", p.raw.loc[t.index, when]))
    for p in parts:
        if p.table != "cp_reviews":
            add_failures(p, key_duplicates(p))


def quarantine_of(parts: list[Part]) -> pd.DataFrame:
    """The quarantine table: one row per broken rule of a quarantined row."""
    return _rule_table(parts, lambda p: p.failures)


def warnings_of(parts: list[Part], file_warnings: list[tuple]) -> pd.DataFrame:
    """The warnings table (quarantine columns): codes kept on rows that were kept, then the
    file-level warnings (files not read, unknown and absent columns)."""
    rows = _rule_table(parts, lambda p: p.warnings[~p.warnings["row"].isin(p.failed_rows())])
    files = pd.DataFrame(file_warnings, columns=list(T.QUARANTINE_COLUMNS))
    if not len(files):
        return rows
    both = pd.concat([rows, files.astype(QUARANTINE_DTYPES)], ignore_index=True)
    both = both.astype(QUARANTINE_DTYPES)
    return both.sort_values(["year", "file", "line", "column"], kind="stable").reset_index(
        drop=True
    )


def _rule_table(parts: list[Part], rows_of) -> pd.DataFrame:
    """Rows of the quarantine or warnings table: the failures `rows_of(part)` of each part."""
    frames = []
    for p in parts:
        f = rows_of(p)
        if not len(f):
            continue
        raw_value = f["value"]
        frames.append(
            pd.DataFrame(
                {
                    "year": p.year,
                    "file": p.file,
                    "line": p.raw[LINE].to_numpy()[f["row"].to_numpy()],
                    "table": p.table,
                    "column": f["column"].to_numpy(),
                    "rule": f["rule"].to_numpy(),
                    "value": raw_value.to_numpy(),
                }
            )
        )
    q = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=list(T.QUARANTINE_COLUMNS))
    )
    q = q.astype(QUARANTINE_DTYPES)
    return q.sort_values(["year", "file", "line", "column"], kind="stable").reset_index(drop=True)


QUARANTINE_DTYPES = {
    "year": "int64",
    "file": "str",
    "line": "Int64",
    "table": "str",
    "column": "str",
    "rule": "str",
    "value": "str",
}
ACCOUNTING_DTYPES = {c: ("str" if c == "file" else "int64") for c in T.ACCOUNTING_COLUMNS}
FACT_DTYPES = {c: ("str" if c in ("file", "table") else "int64") for c in T.FACT_COLUMNS}


CHILD_COLUMNS = ("CHILD", "LAchildID", "child_id")


def facts_of(parts: list[Part]) -> pd.DataFrame:
    """Per source, what the plausibility gates compare (`schema.FACT_COLUMNS`): the
    accounting, the distinct children kept, and how many dates parse only month-first."""
    rows = []
    for p in parts:
        failed = len(p.failed_rows())
        kept = p.kept()
        col = next((c for c in CHILD_COLUMNS if c in kept), None)
        children = int(kept[col].nunique()) if col else 0
        rows.append(
            (
                p.year,
                p.file,
                p.table,
                p.rows_read,
                len(p.typed) - len(p.failed_rows().intersection(p.typed.index)),
                failed,
                children,
                int(p.extra.get("dates", 0)),
                int(p.extra.get("month_first_dates", 0)),
                int(p.extra.get("stray_quotes", 0)),
            )
        )
    return pd.DataFrame(rows, columns=list(T.FACT_COLUMNS)).astype(FACT_DTYPES)


class AccountingError(AssertionError):
    """Rows read != kept + duplicates + quarantined for a file (a bug, never bad input)."""


def accounting_of(parts: list[Part]) -> pd.DataFrame:
    """Per source: rows read, kept, exact duplicates removed, quarantined; checked to balance."""
    rows = []
    for p in parts:
        quarantined = len(p.failed_rows())
        kept = len(p.typed) - len(p.failed_rows().intersection(p.typed.index))
        rows.append((p.year, p.file, p.rows_read, kept, p.duplicates, quarantined))
    acc = pd.DataFrame(rows, columns=list(T.ACCOUNTING_COLUMNS)).astype(ACCOUNTING_DTYPES)
    check_accounting(acc)
    return acc


def check_accounting(acc: pd.DataFrame) -> None:
    """Raise AccountingError unless rows_read = rows_kept + duplicates_removed + rows_quarantined."""
    total = acc["rows_kept"] + acc["duplicates_removed"] + acc["rows_quarantined"]
    bad = acc[acc["rows_read"] != total]
    if len(bad):
        raise AccountingError(
            "row accounting does not balance for: "
            + "; ".join(
                f"{r.year} {r.file}: read {r.rows_read} != kept {r.rows_kept} + "
                f"duplicates {r.duplicates_removed} + quarantined {r.rows_quarantined}"
                for r in bad.itertuples()
            )
        )


def coerce_table(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Select the clean table's columns in order with their `schema.clean_dtype` dtypes."""
    out = {}
    for c in T.CLEAN_TABLES[table].columns:
        kind = T.clean_dtype(c)
        s = df[c] if c in df else pd.Series(pd.NA, index=df.index)
        if kind == "datetime":
            s = pd.to_datetime(s).astype(DATETIME_DTYPE)
        elif kind == "str":
            s = s.astype("str")
        else:
            s = s.astype(kind)
        out[c] = s
    return pd.DataFrame(out, index=df.index).reset_index(drop=True)


def dedup_latest(parts: list[Part], table: str) -> pd.DataFrame:
    """Kept rows of every year, latest year winning on the table's key (CP reviews unioned).

    A quarantined row whose key could be read never lets an older folder's version of the
    same record win: that record is left out (docs/kpis.md, "Input and history").
    """
    clean = T.CLEAN_TABLES[table]
    key = list(clean.key)
    blockable = table != "cp_reviews" and T.SOURCE_YEAR not in key
    frames = []
    for p in sorted(parts, key=lambda p: p.year):
        k = p.kept()
        if T.SOURCE_YEAR in clean.columns:
            k = k.assign(**{T.SOURCE_YEAR: p.year})
        # a row outside its folder's collection year is not that year's version of the
        # record: the earlier folder's own row stands (docs/assumptions.md)
        f = p.failures
        outside = pd.Index(f.loc[f["rule"].eq(OUTSIDE_YEAR), "row"].unique())
        failed = p.typed.loc[p.typed.index.intersection(p.failed_rows().difference(outside))]
        q = failed[key] if blockable and set(key) <= set(failed.columns) else failed.iloc[:0, :0]
        frames.append((p.year, k, q))
    if not frames:
        return coerce_table(pd.DataFrame(columns=list(clean.columns)), table)
    kept = blocked_older(frames, key) if blockable else [k for _, k, _ in frames]
    df = pd.concat(kept, ignore_index=True)
    df = df.drop_duplicates(subset=key, keep="last")
    df = coerce_table(df, table)
    return df.sort_values(key, kind="stable").reset_index(drop=True)


def without_left_out_plans(cp_reviews: pd.DataFrame, cp_plans: pd.DataFrame, parts) -> pd.DataFrame:
    """CP reviews (unioned over the years) without those of a plan that was left out
    because a later census quarantined it (`dedup_latest`): the plan's record goes, with
    its review conferences, rather than an older version standing in."""
    key = ["LAchildID", "CPPstartDate"]
    kept = [p.kept()[key] for p in parts if p.table == "cp_plans" and len(p.typed)]
    if not kept or not len(cp_reviews):
        return cp_reviews
    ever = pd.MultiIndex.from_frame(pd.concat(kept, ignore_index=True).drop_duplicates())
    now = pd.MultiIndex.from_frame(cp_plans[key])
    left_out = ever.difference(now)
    if not len(left_out):
        return cp_reviews
    mine = pd.MultiIndex.from_frame(cp_reviews[key])
    return cp_reviews.loc[~mine.isin(left_out)].reset_index(drop=True)


def apply_window_rules(parts: list[Part]) -> None:
    """Rows dated outside their own folder's collection year are quarantined
    (`outside_collection_year`, `ingest.authority.WINDOW_RULES`)."""
    for p in parts:
        if p.table not in WINDOW_RULES or not len(p.typed):
            continue
        for column, mask in window_masks(p.table, p.typed, p.year):
            values = p.raw.loc[p.typed.index, column] if column in p.raw else p.typed[column]
            add_failures(p, failure_rows(mask, column, OUTSIDE_YEAR, values))
