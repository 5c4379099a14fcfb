"""Progress against last year's priorities: the narrative format, its parser and
priorities_met (kpis/priorities.py, issue #15)."""

from __future__ import annotations

import pytest

from iro_analysis.core import paths
from iro_analysis.kpis.engine import compute_kpis
from iro_analysis.kpis.priorities import PrioritiesError, parse_progress, progress_section
from tests.fixtures.kpis import scenario

NARRATIVE = """\
Text before any heading.

## The IRO service

- Met: not in the progress section, so not counted.

## Progress against last year's priorities

We set four priorities last year.

- Met: Reduce IRO caseloads to 70 or fewer.
- **Partly met:** Every child seen before their review;
  achieved for 80% of children.
- not met: Launch the feedback survey
for parents.

### Notes

1. MET: Midway checks on every child's file.

## Priorities for next year

- Keep caseloads below 70.
"""


def test_parse_progress():
    assert parse_progress(NARRATIVE) == [
        ("Met", "Reduce IRO caseloads to 70 or fewer."),
        ("Partly met", "Every child seen before their review; achieved for 80% of children."),
        ("Not met", "Launch the feedback survey for parents."),
        # A subsection (###) is still inside the section; the next ## ends it.
        ("Met", "Midway checks on every child's file."),
    ]


def test_heading_styles_and_absent_section():
    curly = "# Progress against last year\u2019s priorities:\n\n* Met: A\n+ Not met: B\n"
    assert parse_progress(curly) == [("Met", "A"), ("Not met", "B")]
    assert progress_section("## Priorities for next year\n- Met: x\n") is None
    assert parse_progress("## Priorities for next year\n- Met: x\n") == []
    assert progress_section("## Progress against last year's priorities\n") == []
    # A heading inside a code fence is not a heading.
    fenced = "```\n## Progress against last year's priorities\n```\n- Met: x\n"
    assert progress_section(fenced) is None


def test_item_without_a_status_is_an_error():
    text = "## Progress against last year's priorities\n\n- Met: A\n- Done: B\n"
    with pytest.raises(PrioritiesError, match="Done: B"):
        parse_progress(text)


@pytest.mark.slow
def test_priorities_met_from_the_narrative(tmp_path):
    ds = scenario.dataset()
    path = tmp_path / "2023.md"
    path.write_text(NARRATIVE, encoding="utf-8")
    df = compute_kpis(ds, 2023, narrative_path=path).set_index("kpi_id")
    # Met: two (partly met is not met).
    assert df.loc["priorities_met", "value"] == 2
    assert df.index[-1] == "priorities_met"  # the progress family comes last

    path.write_text("## Progress against last year's priorities\n\n- Not met: A\n")
    df = compute_kpis(ds, 2023, narrative_path=path).set_index("kpi_id")
    assert df.loc["priorities_met", "value"] == 0

    # No section, or no narrative: not produced (never zero).
    path.write_text("## The IRO service\n\nText.\n")
    assert "priorities_met" not in compute_kpis(ds, 2023, narrative_path=path)["kpi_id"].values
    missing = tmp_path / "none.md"
    assert "priorities_met" not in compute_kpis(ds, 2023, narrative_path=missing)["kpi_id"].values


@pytest.mark.slow
def test_default_narrative_is_reports_narrative_year(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "NARRATIVE_DIR", tmp_path)
    (tmp_path / "2023.md").write_text(NARRATIVE, encoding="utf-8")
    df = compute_kpis(scenario.dataset(), 2023).set_index("kpi_id")
    assert df.loc["priorities_met", "value"] == 2
    assert "priorities_met" not in compute_kpis(scenario.dataset(), 2022)["kpi_id"].values
