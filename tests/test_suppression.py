"""Disclosure control: counts of 1 to the threshold show as "c", and so does every cell,
percentage or ratio that would let a reader work one out (secondary suppression)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from iro_analysis.report.suppression import (
    SUPPRESSED,
    disclosure_mask,
    format_count,
    format_percent,
    is_small,
)
from tests._context import report_context


def test_is_small_bounds():
    s = pd.Series([0, 1, 5, 6, None])
    assert is_small(s, 5).tolist() == [False, True, True, False, False]


# --------------------------------------------------------------------------------------
# disclosure_mask on hand-built tables
# --------------------------------------------------------------------------------------


def shown(counts: list, threshold: int = 5) -> list:
    """A one-column table (its total published) as printed: hidden cells as "c"."""
    df = pd.DataFrame({"count": counts})
    mask = disclosure_mask(df, threshold)["count"].tolist()
    return [SUPPRESSED if h else v for v, h in zip(counts, mask, strict=True)]


def test_one_c_beside_its_headline_hides_the_next_smallest_cell():
    # ethnicity: 370 + 10 + c = 381 children looked after would give c = 1
    assert shown([370, 10, 0, 0, 1]) == [370, "c", 0, 0, "c"]


def test_ties_go_to_the_first_in_table_order():
    assert shown([40, 9, 9, 3, 0]) == [40, "c", 9, "c", 0]
    assert shown([40, 9, 3, 9, 0]) == [40, "c", "c", 9, 0]


def test_zeros_are_shown_and_never_chosen_to_hide():
    assert shown([0, 300, 0, 2, 0, 40]) == [0, 300, 0, "c", 0, "c"]
    assert shown([0, 0, 0]) == [0, 0, 0]


def test_a_lone_c_among_zeros_hides_the_whole_column():
    # 3 children in one group and none elsewhere: only hiding the zeros too protects it
    assert shown([0, 0, 3, 0]) == ["c", "c", "c", "c"]


def test_hidden_cells_that_must_all_be_one_are_protected():
    # c + c = 2 with zeros shown: both are 1
    assert shown([1, 1, 0, 0]) == ["c", "c", "c", "c"]
    # six ones add up to more than the threshold but still all must be 1
    assert shown([1, 1, 1, 1, 1, 1, 50]) == ["c"] * 7


def test_hidden_cells_adding_up_to_a_small_number_hide_one_more():
    # c + c = 5: a small number in its own right
    assert shown([55, 20, 3, 2]) == [55, "c", "c", "c"]
    assert shown([40, 2, 2, 0]) == ["c", "c", "c", 0]
    # c + c = 8: neither can be told
    assert shown([14, 15, 6, 4, 4]) == [14, 15, 6, "c", "c"]


def test_nothing_small_nothing_hidden_and_threshold_zero_turns_it_off():
    assert shown([200, 40, 30, 6, 0]) == [200, 40, 30, 6, 0]
    assert shown([370, 10, 0, 0, 1], threshold=0) == [370, 10, 0, 0, 1]
    assert shown([7, 8, 6], threshold=7) == ["c", 8, "c"]  # 7 and 6 hidden, sum 13


def test_every_count_small_hides_everything():
    assert shown([2, 3, 1, 4]) == ["c"] * 4


def test_missing_cells_are_not_counts():
    df = pd.DataFrame({"count": [3.0, np.nan, 40.0]})
    assert disclosure_mask(df, 5)["count"].tolist() == [True, False, True]


def test_trend_table_protects_each_year_column():
    # years as columns: each year's column adds up to that year's headline
    df = pd.DataFrame(
        {"2020/21": [10, 3, 20, 0], "2021/22": [12, 8, 2, 30]}, index=["A", "B", "C", "D"]
    )
    mask = disclosure_mask(df, 5)  # rows' totals not published
    assert mask.to_dict("list") == {
        "2020/21": [True, True, False, False],
        "2021/22": [False, True, True, False],
    }


def test_rows_and_columns_repeat_until_stable():
    df = pd.DataFrame({"x": [10, 3, 20, 0], "y": [12, 8, 2, 30]}, index=list("abcd"))
    mask = disclosure_mask(df, 5, row_totals=True)
    assert mask.to_dict("list") == {"x": [True, True, True, False], "y": [True, True, True, False]}
    assert all(_line_safe(df[c], mask[c], 5) for c in df)
    assert all(_line_safe(df.loc[r], mask.loc[r], 5) for r in df.index)


def test_only_the_lines_whose_totals_are_published():
    df = pd.DataFrame({"a": [40, 3, 9], "b": [40, 3, 9]})
    mask = disclosure_mask(df, 5, column_totals=["a"])
    assert mask["a"].tolist() == [False, True, True]
    assert mask["b"].tolist() == [False, True, False]  # primary only
    assert disclosure_mask(df, 5, column_totals=False)["a"].tolist() == [False, True, False]


def test_cells_hidden_on_purpose_count_as_hidden():
    df = pd.DataFrame({"iros": [6, 8, 0], "cp": [20, 40, 0]})
    hide = pd.DataFrame({"iros": [False] * 3, "cp": [True, False, False]})
    mask = disclosure_mask(df, 5, hide=hide)
    assert mask["cp"].tolist() == [True, True, False]  # 20 hidden, so 40 is too
    assert not mask["iros"].any()


def test_input_untouched_and_mask_shaped_like_it():
    df = pd.DataFrame({"n": [370, 10, 1]}, index=["x", "y", "z"])
    before = df.copy()
    mask = disclosure_mask(df, 5)
    pd.testing.assert_frame_equal(df, before)
    assert list(mask.index) == ["x", "y", "z"] and list(mask.columns) == ["n"]
    assert mask.dtypes.eq(bool).all()


def _line_safe(values: pd.Series, hidden: pd.Series, threshold: int) -> bool:
    """What a reader can do with a line whose total is published: nothing, if it hides no
    cell, or every cell, or two or more cells adding to more than the threshold and more
    than their number."""
    v = values.to_numpy(dtype=float)
    h = hidden.to_numpy(dtype=bool)
    valid = ~np.isnan(v)
    if not h.any() or (h | ~valid).all():
        return True
    s = v[h & valid].sum()
    return h.sum() >= 2 and s > threshold and s > h.sum()


@pytest.mark.parametrize("seed", range(40))
def test_random_tables_leave_no_line_open(seed):
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(2, 8)), int(rng.integers(1, 5)))
    # mostly small numbers and zeros: the hard cases
    values = rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 9, 15, 40], size=shape)
    df = pd.DataFrame(values, columns=[f"y{i}" for i in range(shape[1])])
    rows = bool(rng.integers(0, 2))
    mask = disclosure_mask(df, 5, row_totals=rows)
    primary = (df >= 1) & (df <= 5)
    assert not (primary & ~mask).any().any()  # every small count hidden
    for c in df:
        assert _line_safe(df[c], mask[c], 5), (c, df, mask)
    if rows:
        for r in df.index:
            assert _line_safe(df.loc[r], mask.loc[r], 5), (r, df, mask)
    # a zero is hidden only to protect a line with no other cell left to hide
    for i, j in zip(*np.nonzero((df.to_numpy() == 0) & mask.to_numpy()), strict=True):
        assert mask.iloc[:, j].all() or (rows and mask.iloc[i, :].all()), (i, j, df, mask)
    assert mask.equals(disclosure_mask(df, 5, row_totals=rows))  # deterministic


# --------------------------------------------------------------------------------------
# The report's breakdowns
# --------------------------------------------------------------------------------------


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
    # 3 is small; 6, the next smallest, is hidden too, or 1,209 - 1,200 - 6 gives it away
    assert out["Number"].tolist() == ["0", SUPPRESSED, SUPPRESSED, "1,200"]
    assert out["Percent"].tolist() == ["0.0%", SUPPRESSED, SUPPRESSED, "99.3%"]
    pd.testing.assert_frame_equal(df, before)  # input not mutated
    off = display_breakdown(df, BREAKDOWNS["drp_by_theme"], threshold=0)
    assert off["Number"].tolist() == ["0", "3", "6", "1,200"]


def test_percentage_of_a_hidden_denominator_is_hidden():
    from iro_analysis.report import BREAKDOWNS, display_breakdown

    df = pd.DataFrame(
        {
            "meeting_type": ["CLA_REVIEW", "ICPC", "RCPC"],
            "label": ["Review", "Initial", "Review conference"],
            "held": [300, 4, 60],
            "rearranged": [30, 0, 12],
            "pre_meeting_visit": [200, 3, 40],
            "advocacy": [20, 0, 5],
            "rearranged_percent": [10.0, 0.0, 20.0],
            "pre_meeting_visit_percent": [66.7, 75.0, 66.7],
            "advocacy_percent": [6.7, 0.0, 8.3],
        }
    )
    out = display_breakdown(df, BREAKDOWNS["meetings_by_type"], threshold=5).set_index("Meeting")
    # held 4 is small, so 60 (next smallest) is hidden too, and every % of them
    assert out["Held"].tolist() == ["300", SUPPRESSED, SUPPRESSED]
    assert out.loc["Review conference", "Rearranged"] == "12"
    assert out.loc["Review conference", "Rearranged %"] == SUPPRESSED
    assert out.loc["Initial", "Rearranged %"] == SUPPRESSED
    # 3 visits is small: 40 goes too; 5 advocacy alone in its column: 20 goes too
    assert out["Pre-meeting visit"].tolist() == ["200", SUPPRESSED, SUPPRESSED]
    assert out["Advocate involved"].tolist() == [SUPPRESSED, "0", SUPPRESSED]
    assert out.loc["Review", "Advocate involved %"] == SUPPRESSED


def test_caseload_bands_show_no_person_and_hide_cp_with_its_band():
    """kpis-panel-2.md, "Caseload disclosure": IROs by band are staff, not children: their
    counts are published, a band of one or two IROs reading "fewer than 3" (never "c");
    the CP children beside them keep the children's rule and are hidden with a band whose
    number of IROs is not shown exactly."""
    from iro_analysis.report import BREAKDOWNS, display_breakdown
    from iro_analysis.report.suppression import STAFF_FEW

    view = BREAKDOWNS["caseload_bands"]
    assert "caseload_by_iro" not in BREAKDOWNS  # the per-IRO table can never be shown
    assert {c.header for c in view.columns}.isdisjoint({"IRO", "FTE", "Children per FTE"})
    assert STAFF_FEW == "fewer than 3"

    def bands(iros: list[int], cp: list[int] | None, threshold: int = 5) -> list[list[str]]:
        df = pd.DataFrame({"band": ["Under 50", "50 to 70", "Over 70"], "iros": iros})
        if cp is not None:
            df["cp_children"] = cp
        return display_breakdown(df, view, threshold=threshold).iloc[:, 1:].to_numpy().tolist()

    # one IRO over 70: "fewer than 3", not c; their CP children (20) are hidden with the
    # band, and the next smallest non-zero CP count (80) so 20 cannot be worked out from
    # the CP headline; zeros shown
    assert bands([0, 9, 1], [0, 80, 20]) == [["0", "0"], ["9", SUPPRESSED], [STAFF_FEW, SUPPRESSED]]
    # two IROs is also "fewer than 3"; three is shown; a small CP count still hides
    assert bands([3, 2, 0], [2, 40, 0]) == [["3", SUPPRESSED], [STAFF_FEW, SUPPRESSED], ["0", "0"]]
    # bands of IROs at and above the suppression threshold are shown as they are
    assert bands([6, 8, 5], [30, 40, 25]) == [["6", "30"], ["8", "40"], ["5", "25"]]
    # a small team: IRO counts shown or "fewer than 3", never c; CP children hidden with
    # the two "fewer than 3" bands (60 between them: safe), 30 shown
    assert bands([1, 4, 2], [10, 30, 50]) == [
        [STAFF_FEW, SUPPRESSED],
        ["4", "30"],
        [STAFF_FEW, SUPPRESSED],
    ]
    # suppression switched off (threshold 0): staff counts still read "fewer than 3"
    assert bands([1, 4, 0], None, threshold=0) == [[STAFF_FEW], ["4"], ["0"]]
    # no CIN census: the CP column is left out
    assert bands([6, 8, 0], None) == [["6"], ["8"], ["0"]]


def test_appendix_hides_a_per_code_kpi_where_its_breakdown_does():
    from iro_analysis.kpis.registry import KPI_DEFINITIONS
    from iro_analysis.report import ReportContext
    from iro_analysis.report.annex import appendix_value

    cats = pd.DataFrame(
        {
            "category": ["NEG", "PHY", "SAB", "EMO", "MUL"],
            "label": ["Neglect", "Physical", "Sexual", "Emotional", "Multiple"],
            "count": [128, 22, 8, 95, 1],
            "percent": [50.4, 8.7, 3.1, 37.4, 0.4],
        }
    )
    history = pd.DataFrame(
        {
            "kpi_id": [f"cp_category_{c.lower()}" for c in cats["category"]],
            "year": 2022,
            "value": cats["count"].astype(float),
            "numerator": pd.NA,
            "denominator": pd.NA,
        }
    )

    def ctx(breakdowns: dict) -> ReportContext:
        return report_context(history, breakdowns=breakdowns)

    for c in (ctx({"cp_by_category": cats}), ctx({})):  # from the breakdown, or on its own
        got = {
            k: appendix_value(c, k, v, KPI_DEFINITIONS[k])
            for k, v in zip(history["kpi_id"], history["value"], strict=True)
        }
        assert got == {
            "cp_category_neg": "128",
            "cp_category_phy": "22",
            "cp_category_sab": SUPPRESSED,  # 254 - 128 - 22 - 95 - 8 would give MUL = 1
            "cp_category_emo": "95",
            "cp_category_mul": SUPPRESSED,
        }


def test_formatting():
    assert format_count(12345) == "12,345"
    assert format_count(None) == ""
    assert format_percent(85.2) == "85.2%"
    assert format_percent(7) == "7.0%"
    assert format_percent(float("nan")) == ""


def test_small_figures_hide_small_numerators_and_child_denominators_but_not_staff_time():
    """The region's one rule (csv and pages): 1-5 in a numerator or a denominator of
    children is c; a caseload's denominator of 4 full-time IROs is not."""
    from iro_analysis.report.suppression import small_figures

    rows = pd.DataFrame(
        {
            "kpi_id": [
                "independent_visitor_pct",  # 4 of 56 children: c
                "independent_visitor_pct",  # 6 of 56: shown
                "cla_reviews_on_time_pct",  # 3 of 3 reviews: c (denominator small)
                "cla_caseload_per_iro_fte",  # 250 children / 4.0 FTE: shown
                "cla_caseload_per_iro_fte",  # 5 children / 1.0 FTE: c (numerator small)
                "cla_reviews_on_time_pct",  # 0 of 0: no figure, nothing to hide
            ],
            "numerator": [4, 6, 3, 250, 5, 0],
            "denominator": [56, 56, 3, 4.0, 1.0, 0],
        }
    )
    assert small_figures(rows, 5).tolist() == [True, False, True, False, True, False]
    assert small_figures(rows, 0).tolist() == [False] * 6


def test_staff_count_kpis_read_fewer_than_3_wherever_printed():
    """The two Handbook-band KPIs count IROs (staff): 1 or 2 reads "fewer than 3" in every
    table and sentence that prints a KPI (report.format.kpi_text), never "c"; 0 and 3 or
    more are printed as they are; a missing value is blank."""
    from iro_analysis.kpis.workforce import STAFF_COUNTS
    from iro_analysis.report.format import kpi_text
    from iro_analysis.report.suppression import STAFF_FEW

    assert set(STAFF_COUNTS) == {"iros_above_handbook_caseload", "iros_within_handbook_caseload"}
    for kpi_id in STAFF_COUNTS:
        texts = [kpi_text(None, kpi_id, v) for v in (0, 1, 2, 3, 12, pd.NA)]
        assert texts == ["0", STAFF_FEW, STAFF_FEW, "3", "12", ""]
