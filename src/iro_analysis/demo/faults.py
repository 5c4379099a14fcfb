"""Deliberate data-quality faults, and the manifest that lists them.

At most one fault per row, and each in a way whose cleaning outcome is unambiguous
(`Q.FAULT_KINDS` says what the cleaner must do with each kind):
- exact_duplicate: a copy of the row on the next line (removed and counted);
- whitespace, lower_case_code, iso_date: harmless variants the cleaner normalises (kept);
- unparseable_date (30 February), impossible_date (an end before its start, a review
  before birth), unknown_code (a code outside the list, not a case or space variant),
  missing_required (a blank required code), orphan_child (a copy of a valid row for a
  child id that appears in no header or census): each breaks exactly that quarantine rule.
The 903 header gets only kept kinds and duplicates: quarantining a header row would
orphan that child's other rows, which would make the outcome ambiguous.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from iro_analysis.contract import codes as C
from iro_analysis.contract import quality as Q

# table -> fault kind -> columns it may hit (None: the whole row).
FAULT_SPEC: dict[str, dict[str, tuple[str, ...] | None]] = {
    "header": {
        "exact_duplicate": None,
        "whitespace": ("ETHNIC",),
        "lower_case_code": ("ETHNIC",),
        "iso_date": ("DOB",),
    },
    "episodes": {
        "exact_duplicate": None,
        "whitespace": ("LS", "PLACE"),
        "lower_case_code": ("LS", "PLACE", "RNE"),
        "iso_date": ("DECOM",),
        "unparseable_date": ("DECOM",),
        "impossible_date": ("DEC",),
        "unknown_code": ("LS",),
        "missing_required": ("LS", "RNE"),
        "orphan_child": ("CHILD",),
    },
    "reviews": {
        "exact_duplicate": None,
        "whitespace": ("REVIEW_CODE",),
        "lower_case_code": ("REVIEW_CODE",),
        "iso_date": ("REVIEW",),
        "unparseable_date": ("REVIEW",),
        "impossible_date": ("REVIEW",),
        "unknown_code": ("REVIEW_CODE",),
        "missing_required": ("REVIEW_CODE",),
        "orphan_child": ("CHILD",),
    },
    "oc2": {"exact_duplicate": None, "iso_date": ("DOB",)},
    "meetings": {
        "exact_duplicate": None,
        "whitespace": ("meeting_type",),
        "lower_case_code": ("meeting_type",),
        "iso_date": ("held_date",),
        "unparseable_date": ("held_date",),
        "unknown_code": ("meeting_type",),
        "missing_required": ("meeting_type",),
        "orphan_child": ("child_id",),
    },
    "disputes": {
        "exact_duplicate": None,
        "whitespace": ("theme",),
        "lower_case_code": ("theme", "cohort"),
        "iso_date": ("raised_date",),
        "unparseable_date": ("raised_date",),
        "impossible_date": ("resolved_date",),
        "unknown_code": ("theme",),
        "missing_required": ("theme",),
        "orphan_child": ("child_id",),
    },
    "workforce": {"lower_case_code": ("agency",), "iso_date": ("start_date",)},
    "pep": {
        "exact_duplicate": None,
        "iso_date": ("pep_date",),
        "unparseable_date": ("pep_date",),
        "missing_required": ("pep_date",),
        "orphan_child": ("child_id",),
    },
    # feedback gets none: its quotes may span lines, and faults are numbered by row
    "footprints": {
        "exact_duplicate": None,
        "whitespace": ("footprint_type",),
        "lower_case_code": ("footprint_type",),
        "iso_date": ("footprint_date",),
        "unparseable_date": ("footprint_date",),
        "unknown_code": ("footprint_type",),
        "missing_required": ("footprint_type",),
        "orphan_child": ("child_id",),
    },
    "independent_visitors": {"iso_date": ("match_start_date",)},
}
UNKNOWN_CODES = {
    "LS": "X9",
    "REVIEW_CODE": "PN9",
    "meeting_type": "CIN_REVIEW",
    "theme": "FUNDING",
    "footprint_type": "PHONE_CALL",
}
# Columns holding the new row's own key, renumbered on an orphan copy.
ORPHAN_KEYS = {
    "meetings": ("meeting_id", "M9"),
    "disputes": ("dispute_id", "D9"),
    "footprints": ("footprint_id", "F9"),
}
assert all(k in Q.FAULT_KINDS for spec in FAULT_SPEC.values() for k in spec)
for _col, _code in UNKNOWN_CODES.items():
    assert _code not in (
        *C.LS_CODES,
        *C.REVIEW_CODES,
        *C.MEETING_TYPES,
        *C.DISPUTE_THEMES,
        *C.FOOTPRINT_TYPES,
    )


@dataclass
class OrphanIds:
    """Child ids for orphan rows, from a range no real child uses (unique over all years)."""

    next_id: int
    next_key: int = 1
    used: list[str] = field(default_factory=list)

    def take(self) -> str:
        cid = str(self.next_id)
        self.next_id += 1
        self.used.append(cid)
        return cid

    def key(self) -> int:
        self.next_key += 1
        return self.next_key


def _iso(dmy: str) -> str:
    d, m, y = dmy.split("/")
    return f"{y}-{m}-{d}"


def _dmy_minus(dmy: str, n_days: int) -> str:
    return (pd.Timestamp(_iso(dmy)) - pd.Timedelta(days=n_days)).strftime("%d/%m/%Y")


def inject(
    rng: np.random.Generator,
    table: str,
    df: pd.DataFrame,
    rate: float,
    orphans: OrphanIds,
    relpath: str,
    exclude: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, list[dict]]:
    """Return `df` (all strings, blanks "") with faults injected, and manifest entries.
    Fault kinds in `exclude` are not used.

    Each entry: file, line (1-based physical line, header = 1), column, kind, value (the raw
    text written), child_id."""
    spec = {k: v for k, v in FAULT_SPEC.get(table, {}).items() if k not in exclude}
    n_rows = len(df)
    if rate <= 0 or not spec or n_rows == 0:
        return df, []
    n = int(rng.binomial(n_rows, min(rate, 0.5)))
    kinds = list(spec)
    counts = (
        rng.multinomial(n, np.full(len(kinds), 1 / len(kinds))) if n else np.zeros(len(kinds), int)
    )
    out = df.copy()
    used = np.zeros(n_rows, dtype=bool)
    child_col = (
        "CHILD" if "CHILD" in df.columns else ("child_id" if "child_id" in df.columns else None)
    )
    rows_seen = Counter(out.itertuples(index=False, name=None))  # every value is a str
    extra: list[tuple[int, dict]] = []  # (after original row, new row)
    entries: list[tuple[int, bool, dict]] = []  # (original row, is the inserted row, entry)
    for kind, count in zip(kinds, counts, strict=True):
        if count == 0:
            continue
        cols = spec[kind]
        eligible = ~used
        if kind == "impossible_date" and cols:
            eligible &= out[cols[0]].values != ""
        pool = np.flatnonzero(eligible)
        if len(pool) == 0:
            continue
        rows = np.sort(rng.choice(pool, size=min(count, len(pool)), replace=False))
        used[rows] = True
        for r in rows:
            col = None if cols is None else cols[int(rng.integers(len(cols)))]
            row = out.iloc[r]
            entry = {"column": col, "kind": kind, "child_id": row[child_col] if child_col else None}
            if kind == "exact_duplicate":
                extra.append((r, row.to_dict()))
                entry["value"] = None
                entries.append((r, True, entry))
                continue
            if kind == "orphan_child":
                new = row.to_dict()
                new[col] = orphans.take()
                if table in ORPHAN_KEYS:
                    kcol, prefix = ORPHAN_KEYS[table]
                    new[kcol] = f"{prefix}{orphans.key():06d}"
                extra.append((r, new))
                entry.update(value=new[col], child_id=new[col])
                entries.append((r, True, entry))
                continue
            v = str(row[col])
            if kind == "whitespace":
                new_v = (" " + v) if rng.random() < 0.5 else (v + "  ")
            elif kind == "lower_case_code":
                new_v = v.lower()
            elif kind == "iso_date":
                new_v = _iso(v)
            elif kind == "unparseable_date":
                new_v = f"30/02/{v[-4:]}"
            elif kind == "impossible_date":
                base = (
                    row["DOB"]
                    if table == "reviews"
                    else row[{"DEC": "DECOM", "resolved_date": "raised_date"}[col]]
                )
                new_v = _dmy_minus(base, int(rng.integers(1, 60)))
            elif kind == "unknown_code":
                new_v = UNKNOWN_CODES[col]
            elif kind == "missing_required":
                new_v = ""
            else:  # pragma: no cover - FAULT_SPEC only names the kinds above
                raise ValueError(kind)
            # never a row identical to another one: the cleaner would take it for an
            # exact duplicate instead of this fault
            ci = out.columns.get_loc(col)
            old_row = tuple(out.iloc[r])
            new_row = old_row[:ci] + (new_v,) + old_row[ci + 1 :]
            if rows_seen[new_row]:
                continue
            rows_seen[old_row] -= 1
            rows_seen[new_row] += 1
            out.iloc[r, ci] = new_v
            entry["value"] = new_v
            entries.append((r, False, entry))
    if not entries:
        return out, []
    # Physical order: original row i has key 2i, a row inserted after it 2i+1.
    keys = np.arange(n_rows) * 2
    if extra:
        ins = pd.DataFrame([e[1] for e in extra], columns=out.columns)
        out = pd.concat([out, ins], ignore_index=True)
        keys = np.concatenate([keys, np.array([e[0] for e in extra]) * 2 + 1])
    order = np.argsort(keys, kind="stable")
    out = out.iloc[order].reset_index(drop=True)
    line_of_key = {k: i + 2 for i, k in enumerate(keys[order])}
    manifest = []
    for r, inserted, entry in entries:
        manifest.append({"file": relpath, "line": line_of_key[2 * r + int(inserted)], **entry})
    manifest.sort(key=lambda e: e["line"])
    return out, manifest
