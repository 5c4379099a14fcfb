"""Every validation check can fail: each expectation of every suite, and each pandas
check, is shown failing on data built to break it (a check that cannot fail on pipeline
data proves nothing)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from iro_analysis.contract import raw_files as R
from iro_analysis.contract import tables as T
from iro_analysis.ingest.clean import build_dataset
from iro_analysis.validate.checks import suite_checks
from iro_analysis.validate.gx_run import run_gx_suites
from iro_analysis.validate.pandas_checks import pandas_checks

# Great Expectations suites, a whole region or the demo council: not the unit tier.
pytestmark = pytest.mark.slow

RAW = Path(__file__).parent / "fixtures" / "clean" / "raw"
BAD_TEXT = "NOT_A_CODE"


OPTIONAL_RAW = Path(__file__).parent / "fixtures" / "optional_extracts" / "raw"
SSD_RAW = Path(__file__).parent / "fixtures" / "ssd" / "raw"


@pytest.fixture(scope="module")
def ds():
    return fixture_dataset()


def fixture_dataset():
    """The clean fixture, with the optional extracts' tables, the disputes and the SSD's
    meeting details of their own fixtures (the clean fixture supplies none, or none with a valid outcome, and a check
    needs rows to fail on)."""
    d = build_dataset(RAW)
    opt = build_dataset(OPTIONAL_RAW)
    d.tables.update({t: opt.tables[t] for t in (*R.OPTIONAL_IRO_EXTRACTS, "disputes")})
    # meeting details come with the SSD's meetings (tests/fixtures/ssd)
    d.tables["meeting_details"] = build_dataset(SSD_RAW).tables["meeting_details"]
    return d


def broken(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """`df` plus one row per check of the table's suite that breaks that check, and a
    column the table does not have."""
    base = df.iloc[[0]].copy()
    rows = []
    for check in suite_checks(table):
        k = check.kwargs
        r = base.copy()
        if check.expectation == "ExpectColumnValuesToNotBeNull":
            r[k["column"]] = pd.NA
        elif check.expectation == "ExpectColumnValuesToBeInSet":
            c = k["column"]
            r[c] = 999 if pd.api.types.is_integer_dtype(df[c].dtype) else BAD_TEXT
        elif check.expectation in (
            "ExpectColumnValuesToBeUnique",
            "ExpectCompoundColumnsToBeUnique",
        ):
            pass  # a copy of the first row repeats its key
        elif check.expectation == "ExpectColumnPairValuesAToBeGreaterThanB":
            a, b = k["column_A"], k["column_B"]
            r[b] = pd.Timestamp(2021, 6, 1)
            r[a] = pd.Timestamp(2021, 5, 1)
        elif check.expectation == "ExpectColumnValuesToBeBetween":
            c = k["column"]
            r[c] = k["max_value"] + 1 if "max_value" in k else k["min_value"] - 1
        elif check.expectation == "ExpectTableColumnsToMatchSet":
            continue  # the extra column below breaks it
        else:
            raise AssertionError(f"no way to break {check.expectation} yet: add one")
        rows.append(r)
    out = pd.concat([df, *rows], ignore_index=True).infer_objects()
    out["not_a_column"] = "x"
    return out


@pytest.mark.slow
def test_every_expectation_of_every_suite_can_fail(ds):
    tables = {t: broken(ds.tables[t], t) for t in T.CLEAN_TABLES}
    results = run_gx_suites(tables)
    passed = results[results["success"]]
    assert passed.empty, passed[["table", "column", "expectation"]].to_string()
    assert len(results) == sum(len(suite_checks(t)) for t in T.CLEAN_TABLES)


def test_every_pandas_check_can_fail(ds):
    t = {k: v.copy() for k, v in ds.tables.items()}
    for name, df in t.items():  # every dtype check: a column of the wrong dtype
        df = df.astype({c: "category" if T.clean_dtype(c) == "str" else "object" for c in df})
        for c in df:
            if T.clean_dtype(c) == "datetime":  # tz-aware: still dates, not datetime64
                df[c] = pd.to_datetime(df[c]).dt.tz_localize("UTC")
        t[name] = df
    typed = pandas_checks(replace(ds, tables=t))
    dtype_checks = typed[typed["expectation"].str.startswith("dtype_is_")]
    assert len(dtype_checks) and not dtype_checks["success"].any()

    t = {k: v.copy() for k, v in ds.tables.items()}
    for name, col in (("episodes", "CHILD"), ("reviews", "CHILD"), ("oc2", "CHILD")):
        t[name].loc[0, col] = "UNKNOWN_CHILD"
    for name in ("meetings", "disputes", "pep", "footprints", "independent_visitors"):
        t[name].loc[0, "child_id"] = "UNKNOWN_CHILD"
    t["feedback"].loc[0, "meeting_id"] = "UNKNOWN_MEETING"
    t["cp_reviews"].loc[0, "CPPstartDate"] = pd.Timestamp(1999, 1, 1)
    ep = t["episodes"]
    child = t["header"].loc[0, "CHILD"]
    ep.loc[1, "CHILD"] = child
    ep.loc[1, "DECOM"] = t["header"].loc[0, "DOB"] - pd.Timedelta(days=1)  # before birth
    ep.loc[2, "CHILD"] = child
    ep.loc[2, "DECOM"] = t["header"].loc[0, "DOB"] + pd.DateOffset(years=19)  # entry at 19
    rv = t["reviews"]
    rv.loc[1, "CHILD"] = child
    rv.loc[1, "DOB"] = t["header"].loc[0, "DOB"] - pd.Timedelta(days=400)
    acc = ds.accounting.copy()
    acc.loc[0, "rows_read"] += 1
    out = pandas_checks(replace(ds, tables=t, accounting=acc))
    rest = out[~out["expectation"].str.startswith("dtype_is_")]
    failing = rest[rest["success"]]
    assert failing.empty, failing[["table", "column", "expectation"]].to_string()
