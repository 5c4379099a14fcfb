"""IRO-chaired meetings from the Standard Safeguarding Dataset (`contract.ssd`).

A year folder's `ssd/` holds the SSD tables as CSV exports, one file per table named as the
table. The three meeting tables (looked-after reviews, initial and review child protection
conferences) become rows of the project's `meetings` table, each labelled with its own
file and line, so they are cleaned, quarantined and counted like `iro/meetings.csv`:

- meeting_id is the meeting's type and SSD row id (`contract.ssd.meeting_key`);
- the child is the row's person id; a looked-after review names the period of care
  (clar_cla_id), whose child ssd_cla_episodes gives;
- held_date is the meeting's date (the date part of a database datetime), blank when the
  review is flagged cancelled (clar_cla_review_cancelled = Y): not held;
- iro_id, the chair, is the professional whose involvement with the child in a chair role
  (ssd_involvements.invo_professional_role_id in `chair_roles`) covers the meeting's date;
  of two, the one that started later. No such involvement: the chair is not known (blank).
- what the SSD does not record (rearrangements, pre-meeting visits, advocacy) comes from
  iro/meeting_details.csv, joined after cleaning (`with_meeting_details`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from iro_analysis.contract import raw_files as R
from iro_analysis.contract import ssd as S
from iro_analysis.contract import tables as T
from iro_analysis.core.errors import InputError, excerpt
from iro_analysis.ingest.bookkeeping import LINE
from iro_analysis.ingest.code_map import match_key
from iro_analysis.ingest.discover import YearFiles
from iro_analysis.ingest.parts import Part, add_failures, make_part
from iro_analysis.ingest.read import RawTable, read_raw_csv
from iro_analysis.ingest.rules import TRUE_TEXT, failure_rows, parse_dates

# A database datetime as exported ("2021-05-04 00:00:00.000", "2021-05-04T10:30:00"): the
# date part is the meeting's date.
_DATETIME = r"^\s*(\d{4}-\d{2}-\d{2})[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*$"


def date_text(s: pd.Series) -> pd.Series:
    """SSD date text as the cleaner reads dates: a datetime's date part, else as written."""
    s = s.fillna("").astype("str")
    return s.str.replace(_DATETIME, r"\1", regex=True)


def _strip(s: pd.Series) -> pd.Series:
    return s.fillna("").astype("str").str.strip()


def _lookups(found: YearFiles) -> dict[str, RawTable]:
    """The two lookup tables as read, once per folder (their rows find each meeting's child
    and chair; their extra columns are warned)."""
    return {t.name: read_raw_csv(found.ssd[t.name], t, t.required) for t in S.LOOKUP_TABLES}


def check_ssd_files(found: YearFiles) -> None:
    """The SSD meetings need all three meeting tables and both lookups (one missing would
    drop a kind of meeting, or every child or chair, without a word); they and
    iro/meetings.csv are two sources of one table; iro/meeting_details.csv is read only
    with them. Each case is an InputError naming the folder and the files."""
    meeting_files = [m.table.name for m in S.MEETING_TABLES if m.table.name in found.ssd]
    details = found.csvs.get("meeting_details")
    if not meeting_files:
        if details is not None:
            raise InputError(
                f"{details}: meeting details are read with the SSD's meetings "
                f"({S.SSD_DIR}/ssd_cla_reviews.csv ...); with iro/meetings.csv its columns "
                "belong in that file"
            )
        return
    if "meetings" in found.csvs:
        raise InputError(
            f"two sources of the meetings table in {found.year_dir}: "
            f"{found.relpath(found.csvs['meetings'])} and the SSD's "
            f"{', '.join(f'{S.SSD_DIR}/{f}.csv' for f in meeting_files)}; keep one"
        )
    needed = [*(m.table.name for m in S.MEETING_TABLES), *(t.name for t in S.LOOKUP_TABLES)]
    missing = [n for n in needed if n not in found.ssd]
    if missing:
        raise InputError(
            f"{found.year_dir / S.SSD_DIR}: the SSD's meetings need "
            f"{', '.join(f'{n}.csv' for n in missing)} too (a table with no rows is a file "
            "with its header line): without them a kind of meeting, the children of "
            "looked-after reviews or the chairs would be missing"
        )


def _periods(frame: pd.DataFrame) -> pd.Series:
    """clae_cla_id -> the child (clae_person_id) of ssd_cla_episodes as read; a period given
    to two children maps to None (its reviews are quarantined)."""
    pairs = pd.DataFrame(
        {"cla": _strip(frame["clae_cla_id"]), "person": _strip(frame["clae_person_id"])}
    )
    pairs = pairs.loc[pairs["cla"].ne("") & pairs["person"].ne("")].drop_duplicates()
    people = pairs.groupby("cla")["person"]
    return people.first().where(people.nunique().eq(1), None)


def _chair_involvements(table: RawTable, chair_roles: tuple[str, ...]) -> pd.DataFrame:
    """The involvements in a chair role of ssd_involvements as read: person, professional,
    start, end. A chair-role row whose ids are blank or dates unreadable would lose a chair
    silently: InputError naming the file, line and column."""
    frame = table.frame
    roles = {match_key(r) for r in chair_roles}
    role = frame["invo_professional_role_id"].fillna("").astype("str").map(match_key)
    chair = frame.loc[role.isin(roles)]
    out = pd.DataFrame(
        {
            "person": _strip(chair["invo_person_id"]),
            "iro_id": _strip(chair["invo_professional_id"]),
            "start": parse_dates(date_text(chair["invo_involvement_start_date"])),
            "end": parse_dates(date_text(chair["invo_involvement_end_date"])),
        },
        index=chair.index,
    )
    end_text = _strip(chair["invo_involvement_end_date"])
    for col, bad in (
        ("invo_person_id", out["person"].eq("")),
        ("invo_professional_id", out["iro_id"].eq("")),
        ("invo_involvement_start_date", out["start"].isna()),
        ("invo_involvement_end_date", out["end"].isna() & end_text.ne("")),
    ):
        if bad.any():
            i = bad.to_numpy().argmax()
            raise InputError(
                f"{table.path}, line {int(chair[LINE].iloc[i])}, {col}: "
                f"{excerpt(chair[col].iloc[i]) if col in chair else ''} is blank or not a "
                "date, on an involvement in a chair role (the chair of the child's meetings "
                "would be lost)"
            )
    return out


def _chairs(person: pd.Series, held: pd.Series, chairs: pd.DataFrame, index: pd.Index) -> pd.Series:
    """For each meeting (person, date held), the chair: the chair-role involvement of the
    person covering the date, the one that started later (then the higher professional id)
    of two; blank when none does or the meeting was not held."""
    m = pd.DataFrame({"person": person, "held": held, "row": np.arange(len(index))})
    m = m.loc[m["held"].notna()]
    j = m.merge(chairs, on="person", how="inner")
    j = j.loc[j["start"].le(j["held"]) & (j["end"].isna() | j["end"].ge(j["held"]))]
    j = j.sort_values(["row", "start", "iro_id"], ascending=[True, False, False], kind="mergesort")
    first = j.drop_duplicates("row")
    out = np.full(len(index), "", dtype=object)
    out[first["row"].to_numpy()] = first["iro_id"].to_numpy()
    return pd.Series(out, index=index, dtype="str")


def _meeting_frames(found: YearFiles, chair_roles: tuple[str, ...], lookups: dict[str, RawTable]):
    """For each SSD meeting table of the folder: its spec, label, the table as read, its
    rows as raw `meetings` text (with the reader's line and marks), the rows whose period
    of care names no child, and the periods named (the rules of the module docstring).
    `lookups`: `_lookups(found)`."""
    periods = _periods(lookups[S.CLA_EPISODES.name].frame)
    chairs = _chair_involvements(lookups[S.INVOLVEMENTS.name], chair_roles)
    for m in S.MEETING_TABLES:
        path = found.ssd[m.table.name]
        table = read_raw_csv(path, m.table, m.table.required)
        f = table.frame
        ids = _strip(f[m.id_column])
        cla = _strip(f[m.cla_id_column]) if m.cla_id_column else pd.Series("", index=f.index)
        if m.cla_id_column:
            person = pd.Series(
                periods.reindex(cla.to_numpy()).to_numpy(), index=f.index, dtype="str"
            ).fillna("")
        else:
            person = _strip(f[m.person_column])
        unknown = cla.ne("") & person.eq("")
        when = date_text(f[m.date_column])
        if m.cancelled_column:
            cancelled = _strip(f[m.cancelled_column]).str.upper().isin(TRUE_TEXT)
            when = when.where(~cancelled, "")
        raw = pd.DataFrame(
            {c: pd.Series("", index=f.index, dtype="str") for c in R.MEETINGS.columns}
        )
        raw["meeting_id"] = ids.where(ids.eq(""), m.meeting_type + ":" + ids)
        raw["child_id"] = person
        raw["meeting_type"] = m.meeting_type
        raw["iro_id"] = _chairs(person, parse_dates(when.str.strip()), chairs, f.index)
        raw["held_date"] = when
        for c in (LINE, *[c for c in f.columns if c.startswith("_")]):
            raw[c] = f[c]
        yield m, found.relpath(path), table, raw, unknown, cla


def ssd_raw_meetings(
    found: YearFiles, chair_roles: tuple[str, ...] = S.DEFAULT_CHAIR_ROLES
) -> list[tuple[str, pd.DataFrame]]:
    """Each SSD meeting file's rows as the raw `meetings` text the cleaner reads (label,
    frame), for validating before cleaning (`ingest.raw_tables`); none without ssd/."""
    check_ssd_files(found)
    if not any(m.table.name in found.ssd for m in S.MEETING_TABLES):
        return []
    frames = _meeting_frames(found, chair_roles, _lookups(found))
    return [(rel, raw) for _, rel, _, raw, _, _ in frames]


def ssd_meeting_parts(
    found: YearFiles, year: int, chair_roles: tuple[str, ...] = S.DEFAULT_CHAIR_ROLES
) -> tuple[list[Part], list[tuple]]:
    """The SSD's meetings of one year folder as `meetings` Parts, one per SSD file (labelled
    `ssd/<table>.csv`), and the file warnings (columns a file has that the SSD model does
    not). Quarantine names the SSD file, its line and the SSD column."""
    check_ssd_files(found)
    if not any(m.table.name in found.ssd for m in S.MEETING_TABLES):
        return [], []
    parts: list[Part] = []
    warns: list[tuple] = []
    lookups = _lookups(found)
    for m, rel, table, raw, unknown, cla in _meeting_frames(found, chair_roles, lookups):
        part = make_part(year, "meetings", rel, raw)
        # failures name the SSD's columns, the ones the analyst can find in the file
        names = {
            "meeting_id": m.id_column,
            "child_id": m.cla_id_column or m.person_column,
            "held_date": m.date_column,
        }
        part.failures["column"] = part.failures["column"].replace(names)
        if m.cla_id_column:  # a period of no known child: that, not a blank child
            f_ = part.failures
            blank = f_["rule"].eq("missing_required") & f_["column"].eq(m.cla_id_column)
            part.failures = f_.loc[~(blank & f_["row"].isin(raw.index[unknown.to_numpy()]))]
            add_failures(part, failure_rows(unknown, m.cla_id_column, "ssd_unknown_period", cla))
        part.extra["encoding"] = table.encoding
        parts.append(part)
        warns += [(year, rel, 1, "meetings", c, "unknown_column", "") for c in table.unknown]
    for t in lookups.values():
        rel = found.relpath(t.path)
        warns += [(year, rel, 1, "meetings", c, "unknown_column", "") for c in t.unknown]
    return parts, warns


def details_not_matched(parts: list[Part]) -> None:
    """Quarantine each meeting_details row whose meeting (type and id) is in none of its
    year's SSD meeting files (rule no_such_meeting), or whose meeting row was quarantined
    (parent_quarantined): a detail of nothing is never dropped silently, nor joined to
    another year's meeting."""
    read: dict[int, set[str]] = {}
    kept: dict[int, set[str]] = {}
    for p in parts:
        if p.table == "meetings" and p.file.startswith(f"{S.SSD_DIR}/"):
            read.setdefault(p.year, set()).update(p.typed["meeting_id"].dropna())
            kept.setdefault(p.year, set()).update(p.kept()["meeting_id"].dropna())
    for p in parts:
        if p.table != "meeting_details":
            continue
        t = p.typed
        key = t["meeting_type"].astype("str") + ":" + t["meeting_id"].astype("str")
        named = t["meeting_type"].notna() & t["meeting_id"].notna()
        is_read = key.isin(read.get(p.year, set()))
        lost = named & is_read & ~key.isin(kept.get(p.year, set()))
        add_failures(
            p, failure_rows(named & ~is_read, "meeting_id", "no_such_meeting", t["meeting_id"])
        )
        add_failures(p, failure_rows(lost, "meeting_id", "parent_quarantined", t["meeting_id"]))


def with_meeting_details(meetings: pd.DataFrame, details: pd.DataFrame) -> pd.DataFrame:
    """The clean meetings with the details of the SSD's meetings filled in from the clean
    meeting_details (matched on type and SSD id); other meetings are unchanged. A new
    frame: neither input is changed."""
    if details.empty:
        return meetings
    d = details.assign(
        meeting_id=details["meeting_type"].astype("str") + ":" + details["meeting_id"].astype("str")
    ).set_index("meeting_id")
    out = meetings.copy()
    hit = out["meeting_id"].isin(d.index)
    ids = out.loc[hit, "meeting_id"].to_numpy()
    for c in R.DETAIL_COLUMNS:
        out.loc[hit, c] = d.loc[ids, c].to_numpy()
    return out[list(T.CLEAN_TABLES["meetings"].columns)]


__all__ = [
    "check_ssd_files",
    "date_text",
    "details_not_matched",
    "ssd_meeting_parts",
    "ssd_raw_meetings",
    "with_meeting_details",
]
