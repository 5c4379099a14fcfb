"""Key-message sentences read correctly for rising, falling, level and missing figures."""

from __future__ import annotations

import pytest

from iro_analysis.narrative import (
    KEY_MESSAGES,
    Message,
    NarrativeError,
    direction,
    format_value,
    load_narrative,
    missing_sentence,
    render_narrative,
    sentence,
    split_sections,
)

ICPC = next(m for m in KEY_MESSAGES if m.kpi_id == "icpc_within_15wd_pct")
CLA = next(m for m in KEY_MESSAGES if m.kpi_id == "cla_at_31_march")


def test_rising_with_england():
    text = sentence(ICPC, 85.2, 81.0, "2020/21", 78.5)
    assert text == (
        "85.2% of initial child protection conferences were held within 15 working days, "
        "up from 81.0% in 2020/21; England 78.5%."
    )


def test_falling_count():
    assert sentence(CLA, 1150, 1203, "2020/21") == (
        "1,150 children were looked after at 31 March, down from 1,203 in 2020/21."
    )


def test_level_compares_figures_as_printed():
    # 81.04 and 80.96 both print as 81.0: the sentence must not say "up" or "down".
    assert sentence(ICPC, 81.04, 80.96, "2020/21") == (
        "81.0% of initial child protection conferences were held within 15 working days, "
        "the same as in 2020/21."
    )


def test_no_previous_year_and_no_england():
    assert sentence(CLA, 1000, None, None) == "1,000 children were looked after at 31 March."


def test_missing_current_gives_none_and_missing_sentence():
    assert sentence(ICPC, None, 80.0, "2020/21") is None
    assert missing_sentence("Reviews on time", "2021/22", "its data was not supplied") == (
        "Reviews on time could not be reported for 2021/22: its data was not supplied."
    )


def test_direction_and_format():
    assert direction(10, 9, "count") == "up"
    assert direction(9, 10, "count") == "down"
    assert direction(9.99, 10.01, "percent") == "level"
    assert direction(5, None, "count") is None
    assert format_value(61.3, "ratio") == "61.3"
    assert format_value(1234.0, "count") == "1,234"
    assert format_value(None, "percent") is None
    assert sentence(Message("x", "things", "ratio"), 2.0)[0] == "2"


def test_placeholders_fill_and_unknown_is_named():
    text = render_narrative(
        "ICPCs on time: {{ kpi.icpc_within_15wd_pct }}.", {"icpc_within_15wd_pct": "85.2%"}, "n.md"
    )
    assert text == "ICPCs on time: 85.2%."
    with pytest.raises(NarrativeError, match=r"n\.md: unknown placeholder 'kpi\.icpc_within_15wd'"):
        render_narrative("{{ kpi.icpc_within_15wd }}", {"icpc_within_15wd_pct": "85.2%"}, "n.md")
    with pytest.raises(NarrativeError, match="unknown placeholder"):
        render_narrative("{{ kpis.x }}", {}, "n.md")


def test_sections_split_and_unknown_heading(tmp_path):
    allowed = ["Key messages", "Priorities for next year"]
    parts = split_sections("Lead text.\n\n## Priorities for next year\n\n- One\n", allowed, "f.md")
    assert parts == {"Key messages": "Lead text.", "Priorities for next year": "- One"}
    with pytest.raises(NarrativeError, match="'## Wishes' is not a report section"):
        split_sections("## Wishes\nx", allowed, "f.md")
    f = tmp_path / "2022.md"
    f.write_text("## priorities for next year\nKeep {{ kpi.drp_raised }} low.\n")
    assert load_narrative(f, {"drp_raised": "120"}, allowed) == {
        "Priorities for next year": "Keep 120 low."
    }
    assert load_narrative(tmp_path / "none.md", {}, allowed) == {}
