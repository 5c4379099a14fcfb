"""A year's raw files as the cleaner reads them, for validating before cleaning.

The Great Expectations suites of the raw files (`validate.raw_checks`) look at what each
file of a year folder holds before any rule is applied: one table per source (a CSV, one
table of a 903 XML return, one element kind of the CIN census), labelled as in the
quarantine and the accounting (`ssda903/episodes.csv`, `cin_census.xml#Child`, ...).

Each table is the text the readers produce (`read.read_raw_csv`, `ssda903_xml.read_903_xml`,
`cin_census.read_cin_census`) for every column of the table, stripped, blank as missing and
codes upper-cased (`rules.normalise_text`: how the cleaner compares values, so that a
lower-case or padded code, which the cleaner keeps, is not reported), with the physical
`line` and the reader's `malformed` mark. Every row read is there: exact duplicates and
malformed lines too.

The files are read again rather than kept from the clean step: a Part keeps only the raw
text its cross-file rules need (`parts.RAW_KEPT`), the parse cache and the processed folder
stay as they are, and reading one year's files takes about a second on the demo, once per
build and only when the validation is not reused (`pipeline.reuse`).

What a rule needs other files or the collection window for (a child no header names, a
review of a quarantined plan, a date outside the folder's year or before birth, a date
after its pair) cannot be seen in one table: for those rules (`CROSS_FILE_RULES`) the
cleaner's verdict is added as a column named after the rule, holding the raw value of the
quarantined row (missing otherwise), joined on the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from iro_analysis.contract import raw_files as R
from iro_analysis.core import paths
from iro_analysis.core.hashing import sha256_file
from iro_analysis.ingest import cache, discover
from iro_analysis.ingest.bookkeeping import LINE, MALFORMED
from iro_analysis.ingest.cin_census import census_tables, elements_lines, read_cin_census
from iro_analysis.ingest.read import read_raw_csv
from iro_analysis.ingest.rules import CIN_ELEMENTS, TABLE_SPECS, normalise_text
from iro_analysis.ingest.ssd import ssd_raw_meetings

RAW_LINE = "line"  # the physical line of the row (the header of a CSV is line 1)
RAW_MALFORMED = "malformed"  # why the reader could not read the line as a record, else missing
# Quarantine rules whose verdict needs other rows, files or years: added as columns.
CROSS_FILE_RULES = (
    "orphan_child",
    "parent_quarantined",
    "outside_collection_year",
    "impossible_date",
    "duplicate_key",
)


@dataclass(frozen=True)
class RawSource:
    """One raw source of a year: its label (as in the quarantine), clean table and rows."""

    label: str
    table: str
    frame: pd.DataFrame


def _frame(table: str, raw: pd.DataFrame) -> pd.DataFrame:
    raw = raw.reset_index(drop=True)
    for c in TABLE_SPECS[table].columns:
        if c not in raw:
            raw[c] = pd.Series(None, index=raw.index, dtype="str")
    text = normalise_text(raw, table)
    line = raw[LINE] if LINE in raw else pd.Series(pd.NA, index=raw.index)
    text.insert(0, RAW_LINE, pd.array(line, dtype="Int64"))
    malformed = raw[MALFORMED] if MALFORMED in raw else pd.Series("", index=raw.index)
    malformed = malformed.astype("str").fillna("")
    text[RAW_MALFORMED] = malformed.where(malformed != "")
    return text


def _cin_sources(path: Path, rel: str, year: int, cache_dir: Path | None = None) -> list[RawSource]:
    """The census's element kinds as tables, each with its child's LAchildID (and a plan
    review with its plan's CPPstartDate), as `parts.cin_file_parts` builds them: from the
    parse cache when the cleaner stored them (`cache.CENSUS_SOURCE`), else parsed (and
    stored, with `cache_dir`)."""
    entry = None
    frames = None
    if cache_dir is not None:
        entry = cache.entry_dir(cache_dir, sha256_file(path), cache.CENSUS_SOURCE, year)
        frames = cache.read_frames(entry)
    if frames is None:
        frames = census_tables(read_cin_census(path))
        if entry is not None:
            cache.write_frames(entry, frames)
    every = elements_lines(path, [CIN_ELEMENTS[t] for t in frames])
    out = []
    for table, f in frames.items():
        element = CIN_ELEMENTS[table]
        f = _frame(table, f)
        lines = every[element]
        if len(lines) == len(f):
            f[RAW_LINE] = pd.array(np.asarray(lines), dtype="Int64")
        out.append(RawSource(f"{rel}#{element}", table, f))
    return out


def read_raw_sources(
    year: int, raw_dir: Path | None = None, cache_dir: Path | None = None
) -> list[RawSource]:
    """Every source of `year`'s own folder as it was read (see the module docstring); the
    census's tables from the parse cache in `cache_dir` when the cleaner stored them."""
    from iro_analysis.ingest.ssda903_xml import read_903_xml

    found = discover.discover_year(paths.raw_year_dir(year, raw_dir), year)
    out: list[RawSource] = []
    for name, path in found.csvs.items():
        table = read_raw_csv(path, R.RAW_CSVS[name], discover.required_columns(name, year))
        out.append(RawSource(found.relpath(path), name, _frame(name, table.frame)))
    if found.ssda903_xml is not None:
        rel = found.relpath(found.ssda903_xml)
        for name, t in read_903_xml(found.ssda903_xml).items():
            out.append(RawSource(f"{rel}#{name}", name, _frame(name, t.frame)))
    if found.cin_census is not None:
        out += _cin_sources(found.cin_census, found.relpath(found.cin_census), year, cache_dir)
    out += [
        RawSource(rel, "meetings", _frame("meetings", raw)) for rel, raw in ssd_raw_meetings(found)
    ]
    return out


def with_verdicts(sources: list[RawSource], quarantine: pd.DataFrame, year: int) -> list[RawSource]:
    """Each source with one column per `CROSS_FILE_RULES` rule: the raw value where the
    cleaner quarantined the row (file and line) under that rule, missing elsewhere."""
    q = quarantine[
        (quarantine["year"].astype(int) == int(year))
        & quarantine["rule"].isin(CROSS_FILE_RULES)
        & quarantine["line"].notna()
    ]
    out = []
    for s in sources:
        f = s.frame.copy()
        mine = q[q["file"] == s.label]
        for rule in CROSS_FILE_RULES:
            hit = mine[mine["rule"] == rule].drop_duplicates("line")
            by_line = pd.Series(
                hit["value"].astype("str").fillna("").to_numpy(),
                index=hit["line"].astype("int64").to_numpy(),
            )
            value = pd.Series(
                by_line.reindex(f[RAW_LINE].astype("float64").to_numpy()).to_numpy(),
                index=f.index,
                dtype="str",
            )
            f[rule] = value
        out.append(RawSource(s.label, s.table, f))
    return out
