"""Checks in pandas of what GX cannot express (dtypes, cross-table references, ages from a
join, the row accounting), reported in the same result format as the GX suites.
"""

from __future__ import annotations

import pandas as pd

from iro_analysis.contract import tables as T
from iro_analysis.ingest.clean import (
    isin_ids,
)
from iro_analysis.ingest.dataset import Dataset
from iro_analysis.validate.checks import (
    CHECK_COLUMNS,
    CRITICAL,
    MAX_AGE_AT_ENTRY,
    WARNING,
    sample_strings,
)

# --------------------------------------------------------------------------------------
# Checks in pandas (what GX cannot express), in the same result format
# --------------------------------------------------------------------------------------


def _row(table, column, expectation, severity, bad: pd.Series, values=None) -> tuple:
    """A check's result row; `values` gives the sample (None where the failing values would
    identify children: then the result is a count only)."""
    bad = bad.fillna(False).astype(bool)
    return (
        table,
        column,
        expectation,
        severity,
        not bool(bad.any()),
        int(bad.sum()),
        [] if values is None else sample_strings(values[bad].unique()),
    )


def _dtype_ok(s: pd.Series, kind: str) -> bool:
    if kind == "datetime":
        return pd.api.types.is_datetime64_dtype(s.dtype)
    if kind == "str":
        return isinstance(s.dtype, pd.StringDtype) or s.dtype == object
    return str(s.dtype) == kind


def pandas_checks(ds: Dataset) -> pd.DataFrame:
    """Dtypes, cross-table references, ages at entry and row accounting."""
    rows = []
    t = ds.tables
    for table, clean in T.CLEAN_TABLES.items():
        df = t[table]
        for c in clean.columns:
            if c in df:
                kind = T.clean_dtype(c)
                ok = _dtype_ok(df[c], kind)
                rows.append(
                    (
                        table,
                        c,
                        f"dtype_is_{kind}",
                        CRITICAL,
                        ok,
                        0 if ok else len(df),
                        [] if ok else [str(df[c].dtype)],
                    )
                )
    header_ids = t["header"]["CHILD"]
    known = pd.concat([header_ids, t["cin_children"]["LAchildID"]])
    for table, col, ids, sev in (
        ("episodes", "CHILD", header_ids, WARNING),
        ("reviews", "CHILD", header_ids, WARNING),
        ("oc2", "CHILD", header_ids, WARNING),
        ("meetings", "child_id", known, WARNING),
        ("disputes", "child_id", known, WARNING),
        ("pep", "child_id", known, WARNING),
        ("footprints", "child_id", known, WARNING),
        ("independent_visitors", "child_id", header_ids, WARNING),
    ):
        s = t[table][col]
        missing = ~isin_ids(s, ids)
        rows.append(
            _row(
                table,
                col,
                "child_exists_in_header_or_cin"
                if table in ("meetings", "disputes", "pep", "footprints")
                else "child_exists_in_header",
                sev,
                missing,
            )
        )
    # a feedback response about a meeting names a meeting of the log (blank: none named)
    fb = t["feedback"]["meeting_id"]
    rows.append(
        _row(
            "feedback",
            "meeting_id",
            "meeting_exists_in_meetings",
            WARNING,
            fb.notna() & ~isin_ids(fb, t["meetings"]["meeting_id"]),
        )
    )
    plans = t["cp_plans"].set_index(["LAchildID", "CPPstartDate"]).index
    rv = t["cp_reviews"]
    link = (
        pd.MultiIndex.from_frame(rv[["LAchildID", "CPPstartDate"]])
        if len(rv)
        else pd.MultiIndex.from_arrays([[], []])
    )
    missing = pd.Series(~link.isin(plans), index=rv.index)
    rows.append(
        _row(
            "cp_reviews",
            "LAchildID, CPPstartDate",
            "plan_exists_in_cp_plans",
            CRITICAL,
            missing,
        )
    )
    # birth <= care start, and age at entry 0-17 (header DOB joined on CHILD)
    ep = t["episodes"]
    dob = (
        ep["CHILD"].map(t["header"].set_index("CHILD")["DOB"])
        if len(t["header"])
        else pd.Series(pd.NaT, index=ep.index)
    )
    dob = pd.to_datetime(dob)
    rows.append(
        _row(
            "episodes",
            "DECOM >= header DOB",
            "care_start_not_before_birth",
            CRITICAL,
            ep["DECOM"] < dob,
        )
    )
    age = _completed_years(dob, ep["DECOM"])
    rows.append(
        _row(
            "episodes",
            "age at DECOM",
            f"age_at_entry_between_0_and_{MAX_AGE_AT_ENTRY}",
            WARNING,
            (age < 0) | (age > MAX_AGE_AT_ENTRY),
            age,  # the ages, never the children
        )
    )
    rows.append(_dob_agreement(t))
    acc = ds.accounting
    total = acc["rows_kept"] + acc["duplicates_removed"] + acc["rows_quarantined"]
    rows.append(
        _row(
            "accounting",
            "rows_read",
            "rows_read_equals_kept_plus_duplicates_plus_quarantined",
            CRITICAL,
            acc["rows_read"] != total,
            acc["file"],
        )
    )
    return pd.DataFrame(rows, columns=list(CHECK_COLUMNS))


def _dob_agreement(t: dict[str, pd.DataFrame]) -> tuple:
    """Children whose date of birth in the 903 reviews, OC2 or CIN census differs from the
    903 header's (a warning: a count, never which children)."""
    dob = t["header"].set_index("CHILD")["DOB"]
    others = [
        t["reviews"][["CHILD", "DOB"]],
        t["oc2"][["CHILD", "DOB"]],
        t["cin_children"][["LAchildID", "PersonBirthDate"]].set_axis(["CHILD", "DOB"], axis=1),
    ]
    o = pd.concat(others, ignore_index=True).dropna()
    header_dob = pd.Series(dob.reindex(o["CHILD"].to_numpy()).to_numpy(), index=o.index)
    differ = o.loc[header_dob.notna() & (o["DOB"] != header_dob), "CHILD"].nunique()
    return (
        "header",
        "DOB",
        "date_of_birth_agrees_across_files",
        WARNING,
        differ == 0,
        int(differ),
        [],
    )


def _completed_years(born: pd.Series, on: pd.Series) -> pd.Series:
    """Age in completed years on a date (vectorised; NaN where either date is missing)."""
    years = on.dt.year - born.dt.year
    before_birthday = (on.dt.month < born.dt.month) | (
        (on.dt.month == born.dt.month) & (on.dt.day < born.dt.day)
    )
    return years - before_birthday.astype("Int64")


INPUTS_TABLE = "inputs"  # the results' table name of the core-returns check


def core_inputs_check(ds: Dataset, year: int, not_supplied=()) -> pd.DataFrame:
    """One critical result per core return (`schema.CORE_INPUTS`: the 903 header, episodes
    and reviews, the CIN census): supplied in `year`'s own folder, or named in the settings'
    `not_supplied` (printed in the annex). A core return missing quietly would read as
    "not supplied" in the report (issue #25). The sample says where it belongs."""
    from iro_analysis.contract.tables import CORE_INPUTS

    s = ds.supplied
    rows = []
    for name in CORE_INPUTS:
        hit = s[(s["year"].astype(int) == int(year)) & (s["input"] == name)]
        present = bool(len(hit)) and bool(hit["present"].iloc[0])
        ok = present or name in set(not_supplied)
        where = str(hit["path"].iloc[0]) if len(hit) else f"{year}/"
        sample = (
            []
            if ok
            else [
                f"no {name} for {year} (expected at {where}): add the year's file, or list "
                f"{name!r} under not_supplied in the settings if the council does not supply it"
            ]
        )
        rows.append((INPUTS_TABLE, name, "core_return_supplied", CRITICAL, ok, int(not ok), sample))
    return pd.DataFrame(rows, columns=list(CHECK_COLUMNS))
