"""Disclosure control: counts of 1 to the threshold and percentages built on them show as "c"."""

from __future__ import annotations

import pandas as pd

from iro_analysis.suppression import (
    SUPPRESSED,
    format_count,
    format_percent,
    is_small,
)


def test_is_small_bounds():
    s = pd.Series([0, 1, 5, 6, None])
    assert is_small(s, 5).tolist() == [False, True, True, False, False]


def test_display_breakdown_hides_small_counts_and_what_is_built_on_them():
    from iro_analysis.report import BREAKDOWNS, display_breakdown

    df = pd.DataFrame(
        {
            "theme": ["A", "B", "C", "D"],
            "label": ["A", "B", "C", "D"],
            "count": [0, 3, 6, 1200],
            "percent": [0.0, 0.2, 0.5, 99.3],
        }
    )
    before = df.copy()
    out = display_breakdown(df, BREAKDOWNS["drp_by_theme"], threshold=5)
    assert out["Number"].tolist() == ["0", SUPPRESSED, "6", "1,200"]
    assert out["Percent"].tolist() == ["0.0%", SUPPRESSED, "0.5%", "99.3%"]
    pd.testing.assert_frame_equal(df, before)  # input not mutated
    off = display_breakdown(df, BREAKDOWNS["drp_by_theme"], threshold=0)
    assert off["Number"].tolist() == ["0", "3", "6", "1,200"]


def test_ratio_hidden_with_its_count_but_fte_never():
    from iro_analysis.report import BREAKDOWNS, display_breakdown

    df = pd.DataFrame(
        {
            "iro": ["IRO A", "IRO B"],
            "children_at_31_march": [4, 60],
            "children_in_year": [9, 100],
            "fte_at_31_march": [0.5, 1.0],
            "children_per_fte": [8.0, 60.0],
        }
    )
    out = display_breakdown(df, BREAKDOWNS["caseload_by_iro"], threshold=5)
    assert out.iloc[0].tolist() == ["IRO A", SUPPRESSED, "9", "0.5", SUPPRESSED]
    assert out.iloc[1].tolist() == ["IRO B", "60", "100", "1.0", "60.0"]


def test_formatting():
    assert format_count(12345) == "12,345"
    assert format_count(None) == ""
    assert format_percent(85.2) == "85.2%"
    assert format_percent(7) == "7.0%"
    assert format_percent(float("nan")) == ""
