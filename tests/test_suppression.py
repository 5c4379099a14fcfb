"""Disclosure control: counts of 1 to the threshold and percentages built on them show as "c"."""

from __future__ import annotations

import pandas as pd

from iro_analysis.suppression import (
    SUPPRESSED,
    format_count,
    format_percent,
    is_small,
    suppress_table,
)


def test_is_small_bounds():
    s = pd.Series([0, 1, 5, 6, None])
    assert is_small(s, 5).tolist() == [False, True, True, False, False]


def test_suppress_table_counts_and_derived_percentages():
    df = pd.DataFrame(
        {"group": ["A", "B", "C", "D"], "count": [0, 3, 6, 1200], "percent": [0.0, 0.2, 0.5, 99.3]}
    )
    before = df.copy()
    out = suppress_table(df, ["count"], {"percent": "count"}, threshold=5)
    assert out["count"].tolist() == ["0", SUPPRESSED, "6", "1,200"]
    assert out["percent"].tolist() == ["0.0%", SUPPRESSED, "0.5%", "99.3%"]
    assert out["group"].tolist() == ["A", "B", "C", "D"]
    pd.testing.assert_frame_equal(df, before)  # input not mutated


def test_small_denominator_suppresses_percentage():
    df = pd.DataFrame({"g": ["X"], "n": [2], "d": [4], "pct": [50.0]})
    out = suppress_table(df, ["d"], {"pct": "n"}, threshold=5, denominator_columns={"pct": "d"})
    assert out["pct"].tolist() == [SUPPRESSED]


def test_threshold_zero_turns_suppression_off():
    df = pd.DataFrame({"g": ["X"], "count": [1], "percent": [100.0]})
    out = suppress_table(df, ["count"], {"percent": "count"}, threshold=0)
    assert out["count"].tolist() == ["1"] and out["percent"].tolist() == ["100.0%"]


def test_formatting():
    assert format_count(12345) == "12,345"
    assert format_count(None) == ""
    assert format_percent(85.2) == "85.2%"
    assert format_percent(7) == "7.0%"
    assert format_percent(float("nan")) == ""
