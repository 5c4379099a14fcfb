"""The suites evaluated in pandas (`validate.pandas_suites`) give what Great Expectations
gives: by hand on a small table that fails every kind of expectation, and row for row,
sample for sample, against GX itself on tables built to break every expectation of every
suite, on the gates and on every year of the demo council."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from iro_analysis.contract import tables as T
from iro_analysis.core.settings import settings_or_defaults
from iro_analysis.validate.checks import Check, suite_checks
from iro_analysis.validate.gates import FACTS_TABLE, GateLimits, file_facts
from iro_analysis.validate.pandas_suites import run_pandas_suites

SMALL = pd.DataFrame(
    {
        "code": pd.array(["A", "B", None, "A", "Z", "Q"], dtype="str"),
        "n": pd.array([1, 2, None, -1, 5, 6], dtype="Int64"),
        "start": pd.to_datetime(
            ["2021-04-01", "2021-05-01", None, "2021-06-01", "2021-04-01", "2021-07-01"]
        ),
        "end": pd.to_datetime(
            ["2021-04-01", "2021-04-30", "2021-01-01", None, "2021-05-01", "2021-08-01"]
        ),
        "fte": [0.5, 1.5, np.nan, 0.0, 1.0, 1.0],
    }
)
SMALL_CHECKS = [
    Check("ExpectTableColumnsToMatchSet", {"column_set": ["code", "n", "x"], "exact_match": True}),
    Check("ExpectColumnValuesToNotBeNull", {"column": "code"}),
    Check("ExpectColumnValuesToBeInSet", {"column": "code", "value_set": ["A", "B"]}),
    Check("ExpectColumnValuesToBeUnique", {"column": "code"}),
    Check("ExpectCompoundColumnsToBeUnique", {"column_list": ["code", "start"]}),
    Check(
        "ExpectColumnPairValuesAToBeGreaterThanB",
        {
            "column_A": "end",
            "column_B": "start",
            "or_equal": True,
            "ignore_row_if": "either_value_is_missing",
        },
    ),
    Check(
        "ExpectColumnValuesToBeBetween",
        {"column": "fte", "min_value": 0, "max_value": 1, "strict_min": True},
    ),
    Check("ExpectColumnValuesToBeBetween", {"column": "n", "min_value": 0}),
    Check("ExpectColumnValuesToBeInSet", {"column": "gone", "value_set": ["A"]}),
]


def test_each_kind_of_expectation_by_hand():
    r = run_pandas_suites({"t": SMALL}, {"t": SMALL_CHECKS}).set_index("expectation", drop=False)
    got = list(zip(r["success"], r["unexpected_count"], r["sample"], strict=True))
    assert got == [
        # columns: "end", "fte", "start" not in the set; "x" missing; sorted
        (False, 4, ["end", "fte", "start", "x"]),
        (False, 1, ["nan"]),  # one missing code (GX lists it as NaN)
        (False, 2, ["Z", "Q"]),  # missing values are not looked at
        (False, 2, ["A", "A"]),  # both rows of a repeated value fail, missing ignored
        # (A, 2021-04-01) once only: no repeat; the all-missing row is not looked at
        (True, 0, []),
        (False, 1, ["2021-04-30 / 2021-05-01"]),  # end before start; rows missing one: skipped
        (False, 2, ["1.5", "0.0"]),  # above the maximum, and not above a strict minimum
        (False, 1, ["-1"]),
        (False, 0, []),  # a column the table lacks: failed, nothing counted
    ]


def test_a_repeated_compound_key_fails_each_of_its_rows_and_lists_them_as_gx_does():
    df = pd.DataFrame(
        {
            "a": pd.array(["x", "x", None, None, "z"], dtype="str"),
            "b": pd.array([1, 1, None, None, 3], dtype="Int64"),
        }
    )
    check = Check("ExpectCompoundColumnsToBeUnique", {"column_list": ["a", "b"]})
    r = run_pandas_suites({"t": df}, {"t": [check]}).iloc[0]
    assert (r["success"], r["unexpected_count"]) == (False, 2)  # the two all-missing rows pass
    assert r["sample"] == ["{'a': 'x', 'b': 1}", "{'a': 'x', 'b': 1}"]


def test_a_failed_gate_names_every_failing_file_in_order():
    facts = pd.DataFrame(
        {
            "file": ["a.csv", "b.csv", "c.csv"],
            "rows_read": [0.0, np.nan, 0.0],
            "stray_quotes": [0.0, 2.0, 0.0],
        }
    )
    checks = [
        Check("ExpectColumnValuesToBeBetween", {"column": "rows_read", "min_value": 1}),
        Check("ExpectColumnValuesToBeBetween", {"column": "stray_quotes", "max_value": 0}),
    ]
    r = run_pandas_suites({FACTS_TABLE: facts}, {FACTS_TABLE: checks})
    assert r["sample"].tolist() == [["a.csv", "c.csv"], ["b.csv"]]
    assert r["unexpected_count"].tolist() == [2, 1]


def test_a_raw_source_s_failures_are_listed_with_their_lines():
    rows = pd.DataFrame(
        {
            "line": pd.array([2, 3, 4, 5], dtype="Int64"),
            "DECOM": pd.array(["01/04/2021", "31/04/2021", None, "2021-13-01"], dtype="str"),
            "malformed": pd.array([None, "too many fields", None, None], dtype="str"),
        }
    )
    checks = [
        Check("ExpectColumnValuesToBeNull", {"column": "malformed"}, "warning"),
        Check(
            "ExpectColumnValuesToMatchRegex",
            {"column": "DECOM", "regex": r"^(?:[0-9]{2}/(?:0[1-9]|1[0-2])/[0-9]{4})$"},
            "warning",
        ),
    ]
    r = run_pandas_suites({}, {}, {"raw.x": ("x.csv", checks, rows)})
    assert r["table"].tolist() == ["x.csv", "x.csv"]
    assert r["sample"].tolist() == [
        ["too many fields (line 3)"],
        # 31/04 matches this simple pattern; the blank is not looked at
        ["2021-13-01 (line 5)"],
    ]


def test_an_expectation_it_cannot_evaluate_is_refused_by_name():
    check = Check("ExpectColumnValueLengthsToEqual", {"column": "code", "value": 1})
    with pytest.raises(ValueError, match="ExpectColumnValueLengthsToEqual has no pandas"):
        run_pandas_suites({"t": SMALL}, {"t": [check]})


def test_validating_without_a_project_never_imports_great_expectations(tmp_path):
    """A region's worker or `iro-analysis kpis` validates in pandas: no GX import (seconds)."""
    import subprocess
    import sys

    raw = Path(__file__).parent / "fixtures" / "clean" / "raw"
    code = (
        "import sys\n"
        "from iro_analysis.ingest.clean import build_dataset\n"
        "from iro_analysis.core.settings import settings_or_defaults\n"
        "from iro_analysis.validate.suites import validate_dataset\n"
        f"ds = build_dataset({str(raw)!r})\n"
        "r = validate_dataset(ds, 2022, settings_or_defaults(None))\n"
        "assert len(r.results) > 100, len(r.results)\n"
        "print('great_expectations' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert out.stdout.strip().splitlines()[-1] == "False"


def _same(
    tables: dict[str, pd.DataFrame], limits: GateLimits | None = None, suites=None, raw=None
) -> None:
    from iro_analysis.validate.gx_run import run_gx_suites

    suites = suites or {t: suite_checks(t, limits) for t in tables}
    gx = run_gx_suites(tables, limits, raw=raw, suites=suites)
    pd_ = run_pandas_suites(tables, suites, raw)
    n = sum(len(s) for s in suites.values()) + sum(len(c) for _, c, _ in (raw or {}).values())
    assert len(gx) == len(pd_) == n
    differ = (gx.astype({"sample": str}) != pd_.astype({"sample": str})).any(axis=1)
    assert not differ.any(), pd.concat([gx[differ], pd_[differ]], keys=["gx", "pandas"])


@pytest.mark.slow
def test_equal_to_gx_on_tables_that_break_every_expectation_of_every_suite():
    from tests.test_validation_checks_fail import broken, fixture_dataset

    d = fixture_dataset()
    _same({t: broken(d.tables[t], t) for t in T.CLEAN_TABLES})


@pytest.mark.slow
def test_equal_to_gx_on_the_small_table_by_hand():
    _same({"t": SMALL}, suites={"t": SMALL_CHECKS})


@pytest.mark.slow
def test_equal_to_gx_on_failing_gates(tmp_path):
    facts = pd.DataFrame(
        {
            "year": 2022,
            "file": ["a.csv", "b.csv", "c.csv", "d.csv"],
            "table": "header",
            "rows_read": [0.0, np.nan, 5.0, 9.0],
            "stray_quotes": [0.0, 2.0, 0.0, 1.0],
            "quarantined_share": [0.9, 0.0, np.nan, 0.1],
            "month_first_share": [0.0, 0.6, 0.0, 0.0],
            "row_change": [-0.9, 0.1, np.nan, 2.0],
            "children_change": [0.0, 0.0, 0.6, -0.6],
        }
    )
    _same({FACTS_TABLE: facts}, GateLimits())


@pytest.mark.slow
def test_equal_to_gx_on_every_year_of_the_demo(demo_raw):
    from iro_analysis.core import paths
    from iro_analysis.ingest.clean import build_dataset
    from iro_analysis.validate.suites import raw_sources

    limits = settings_or_defaults(None).gates
    failed = 0
    for year in paths.available_years(demo_raw):
        ds = build_dataset(demo_raw, year=year)
        raw = raw_sources(ds, year, demo_raw)  # the raw files as read, faults and all
        _same({**ds.tables, FACTS_TABLE: file_facts(ds, year, limits)}, limits, raw=raw)
        failed += int((~run_pandas_suites({}, {}, raw)["success"]).sum())
    assert failed > 0  # the demo's faults fail raw expectations, so samples were compared
