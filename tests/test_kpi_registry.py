"""The KPI registry is the one declaration: report sections, key messages and docs/kpis.md
derive from it (issue #18)."""

from __future__ import annotations

import re
import types
from dataclasses import replace

import pytest

from iro_analysis.kpis import national, registry
from iro_analysis.kpis.definitions import REGISTRATIONS, kpi
from iro_analysis.kpis.registry import (
    KPI_DEFINITIONS,
    REGISTRY,
    build_registry,
    england_value,
    headline_kpis,
    population_rate_kpis,
    rated_kpis,
    section_kpis,
)
from iro_analysis.report import kpi_docs, narrative
from iro_analysis.report.catalogue import SECTION_BY_KEY, SECTIONS, misplaced_kpis

# The section tables as the report rendered them before the registry declared sections:
# deriving them must not change a rendered table.
TABLES = {
    "iro_service": (
        "iro_fte_at_31_march",
        "cla_caseload_per_iro_fte",
        "iro_caseload_per_fte",
        "iro_agency_fte",
        "iro_vacancy_fte",
        "iro_leavers_pct",
        "iros_above_handbook_caseload",
        "iros_within_handbook_caseload",
    ),
    "looked_after": (
        "cla_at_31_march",
        "cla_during_year",
        "cla_started",
        "cla_ceased",
        "cla_per_10000",
        "cla_started_per_10000",
        "cla_ceased_per_10000",
        "cla_placements_3plus_pct",
        "cla_long_term_stability_pct",
    ),
    "reviews": (
        "cla_reviews_held",
        "cla_reviews_on_time_pct",
        "cla_reviews_not_assessable",
        "cla_children_reviews_on_time_pct",
        "cla_reviews_overdue_at_31_march",
        "cla_participation_pct",
        "cla_review_attendance_pct",
    ),
    "child_protection": (
        "cp_plans_at_31_march",
        "cp_plans_started",
        "cp_plans_ended",
        "cp_repeat_plans_pct",
        "cp_plans_ended_2y_plus_pct",
        "icpc_held",
        "icpc_within_15wd_pct",
        "rcpc_held",
        "rcpc_on_time_pct",
        "cp_per_10000",
        "cp_caseload_per_iro_fte",
    ),
    "disputes": (
        "drp_raised",
        "drp_raised_per_100_cla",
        "drp_resolved_within_20wd_pct",
        "drp_escalated_pct",
        "drp_open_at_31_march",
        "drp_open_overdue_at_31_march",
        "drp_outcome_plan_changed_pct",
    ),
    "meetings": (
        "meetings_held",
        "meetings_rearranged_pct",
        "pre_meeting_visit_pct",
        "advocacy_pct",
        "cla_iro_changed_pct",
    ),
    "education_health": (
        "pep_in_place_pct",
        "pep_up_to_date_pct",
        "health_assessment_pct",
        "dental_check_pct",
        "immunisations_pct",
    ),
    "oversight": ("midway_checks_pct",),
    "voice": ("feedback_responses", "feedback_positive_pct"),
    "independent_visitors": ("independent_visitor_pct",),
    "progress": ("priorities_met",),
}

# The headline KPIs, in registry order (issue #15): the IRO Handbook's 50-70 applies to
# looked-after children only, so cla_caseload_per_iro_fte replaces iro_caseload_per_fte.
HEADLINE = (
    "cla_at_31_march",
    "cla_per_10000",
    "cla_reviews_on_time_pct",
    "cla_participation_pct",
    "cla_review_attendance_pct",
    "cp_plans_at_31_march",
    "icpc_within_15wd_pct",
    "rcpc_on_time_pct",
    "cp_per_10000",
    "drp_raised",
    "drp_resolved_within_20wd_pct",
    "drp_outcome_plan_changed_pct",
    "cla_caseload_per_iro_fte",
    "midway_checks_pct",
    "feedback_positive_pct",
    "independent_visitor_pct",
)

# KPI id -> England measure (each its own id in data/national_figures.csv).
ENGLAND = {
    k: k
    for k in (
        "cla_per_10000",
        "cla_started_per_10000",
        "cla_ceased_per_10000",
        "cla_placements_3plus_pct",
        "cla_long_term_stability_pct",
        "cp_per_10000",
        "icpc_within_15wd_pct",
        "cp_repeat_plans_pct",
        "cp_plans_ended_2y_plus_pct",
        "health_assessment_pct",
        "dental_check_pct",
        "immunisations_pct",
    )
}


def test_every_kpi_belongs_to_a_section_the_report_has():
    assert misplaced_kpis() == {}
    for d in KPI_DEFINITIONS.values():
        assert d.section in SECTION_BY_KEY, d.id


def test_a_kpi_with_an_unknown_section_is_reported(monkeypatch):
    d = KPI_DEFINITIONS["drp_raised"]
    monkeypatch.setitem(KPI_DEFINITIONS, "drp_raised", replace(d, section="no_such_section"))
    assert misplaced_kpis() == {"drp_raised": "no_such_section"}


def test_section_tables_derive_from_the_registry_unchanged():
    derived = {s.key: s.kpis for s in SECTIONS if s.kpis}
    assert derived == TABLES
    listed = [k for s in SECTIONS for k in s.kpis]
    assert len(listed) == len(set(listed))
    # Every KPI that is not per-code is in exactly one table; per-code ones in none.
    assert set(listed) == {k for k, d in KPI_DEFINITIONS.items() if not d.per_code}


def test_per_code_kpis_have_their_breakdown_section():
    sections = {d.pattern: d.section for d in KPI_DEFINITIONS.values() if d.per_code}
    assert sections == {
        "cla_participation_<code>": "reviews",
        "cp_category_<cat>": "child_protection",
        "drp_theme_<THEME>": "disputes",
        "feedback_responses_<respondent>": "voice",
    }
    for d in KPI_DEFINITIONS.values():
        if d.per_code:
            assert d.id not in section_kpis(d.section)
            section = SECTION_BY_KEY[d.section]
            # A breakdown the section always shows, or one it shows when supplied.
            assert section.breakdowns or getattr(section, "optional", ()), d.id


def test_trend_charts_show_headline_kpis_of_their_own_section():
    for s in SECTIONS:
        for kid in s.trends:
            assert kid in s.kpis, (s.key, kid)
            assert KPI_DEFINITIONS[kid].headline, kid


def test_headline_kpis():
    assert headline_kpis() == HEADLINE
    assert not KPI_DEFINITIONS["iro_caseload_per_fte"].headline
    d = KPI_DEFINITIONS
    assert (d["cla_per_10000"].unit, d["cp_per_10000"].unit) == ("ratio", "ratio")
    assert d["cla_caseload_per_iro_fte"].direction is False


def test_rated_kpis_are_every_kpi_with_a_direction():
    """kpis-panel.md (revised for issue #26): every KPI that has a direction carries a
    rating, not only headline ones; the neutral headline measures (the two 31 March
    counts, the two rates per 10,000 children and the disputes raised) are not rated."""
    neutral = {
        "cla_at_31_march",
        "cla_per_10000",
        "cp_plans_at_31_march",
        "cp_per_10000",
        "drp_raised",
    }
    assert set(HEADLINE) - set(rated_kpis()) == neutral
    assert rated_kpis() == tuple(k for k, d in KPI_DEFINITIONS.items() if d.direction is not None)
    assert "health_assessment_pct" in rated_kpis() and "iro_caseload_per_fte" not in rated_kpis()
    # Every measure with an England figure is rated, but the demand rates per 10,000
    # children: context, neither better higher nor lower (the summary compares them with
    # England in words instead, report/summary.py).
    with_england = {k for k, d in KPI_DEFINITIONS.items() if d.england}
    assert with_england - set(rated_kpis()) == set(population_rate_kpis())


def test_headline_and_direction_agree_with_the_key_messages():
    """KEY_MESSAGES (report/narrative.py) lists the headline KPIs in registry order, with
    the registry's unit and direction."""
    assert tuple(m.kpi_id for m in narrative.KEY_MESSAGES) == headline_kpis()
    for m in narrative.KEY_MESSAGES:
        d = KPI_DEFINITIONS[m.kpi_id]
        assert (m.unit, m.higher_is_better) == (d.unit, d.direction), m.kpi_id


def test_every_percentage_has_a_direction():
    """A percentage is a performance measure (better when higher or lower); per-code counts
    are neutral."""
    d = KPI_DEFINITIONS
    assert d["cla_reviews_on_time_pct"].direction is True
    assert d["cla_reviews_overdue_at_31_march"].direction is False
    assert d["cla_at_31_march"].direction is None
    for kid, k in d.items():
        assert k.direction in (True, False, None), kid
        if k.unit == "percent":
            assert k.direction is not None, kid
        if k.per_code:
            assert k.direction is None and not k.headline, kid


def test_england_keys_exist_in_the_national_figures():
    measures = set(national.national_figures()["measure"])
    named = {d.england for d in KPI_DEFINITIONS.values() if d.england}
    assert named and named <= measures
    assert {k: d.england for k, d in KPI_DEFINITIONS.items() if d.england} == ENGLAND
    # Counts get no England figure: a council's count is not comparable with England's.
    assert not any(d.england for d in KPI_DEFINITIONS.values() if d.unit == "count")
    assert not named & national.CONTEXT_ONLY
    assert england_value("cla_per_10000", 2025) == 67
    assert england_value("cla_at_31_march", 2022) is None
    assert england_value("drp_raised", 2022) is None
    assert england_value("no_such_kpi", 2022) is None


def test_the_decorator_needs_a_section():
    with pytest.raises(TypeError):
        kpi("x_test", title="x", family="Disputes", unit="count", source="s", inputs=("disputes",))  # type: ignore[call-arg]


def _area(name: str, *funcs) -> types.ModuleType:
    """A module holding `funcs` as an area module would (they were defined in it)."""
    module = types.ModuleType(name)
    for f in funcs:
        f.__module__ = name
        setattr(module, f.__name__, f)
    return module


def test_the_decorator_records_presentation_and_registers_nothing():
    before = dict(KPI_DEFINITIONS)

    @kpi(
        "x_test_pct",
        title="A test measure (%)",
        family="Disputes",
        unit="percent",
        source="A source",
        inputs=("disputes",),
        section="disputes",
        headline=True,
        direction=False,
        england="cla_per_10000",
        phrase="of tests were passed",
    )
    def x_test_pct(ctx):
        """A rule."""
        return 1, 2

    (reg,) = getattr(x_test_pct, REGISTRATIONS)
    d = reg.definition
    assert (d.section, d.headline, d.direction, d.england, d.per, d.phrase) == (
        "disputes",
        True,
        False,
        "cla_per_10000",
        100,
        "of tests were passed",
    )
    # Declaring a KPI changes no registry: only the registry's AREAS are collected.
    assert before == KPI_DEFINITIONS and "x_test_pct" not in REGISTRY
    built = build_registry([_area("x_area", x_test_pct)])
    assert list(built) == ["x_test_pct"] and built["x_test_pct"].func is x_test_pct


def test_the_registry_keeps_family_order_and_refuses_a_second_id():
    def make(kid, family):
        @kpi(
            kid,
            title=kid,
            family=family,
            unit="count",
            source="s",
            inputs=("disputes",),
            section="disputes",
        )
        def f(ctx):
            """A rule."""
            return 1

        f.__name__ = kid
        return f

    late, early, again = (
        make("x_late", "Disputes"),
        make("x_early", "Children looked after"),
        make("x_late", "Disputes"),
    )
    built = build_registry([_area("x_one", late), _area("x_two", early)])
    assert list(built) == ["x_early", "x_late"]  # FAMILIES order, whatever the module order
    with pytest.raises(ValueError, match="x_late registered twice"):
        build_registry([_area("x_one", late), _area("x_three", again)])
    with pytest.raises(ValueError, match="not in FAMILIES"):
        build_registry([_area("x_four", make("x_odd", "Not a family"))])


def test_a_headline_measure_declares_its_phrase_and_only_it():
    """The summary's words for a headline KPI are declared with it (no second list in the
    report): a headline KPI without a phrase, or a phrase on any other, is refused."""
    common = dict(
        title="x", family="Disputes", unit="count", source="s", inputs=(), section="disputes"
    )
    with pytest.raises(ValueError, match="a headline measure needs a phrase"):
        kpi("x_a", headline=True, **common)
    with pytest.raises(ValueError, match="only a headline measure has one"):
        kpi("x_b", phrase="disputes were tested", **common)
    assert {m.kpi_id: m.phrase for m in narrative.KEY_MESSAGES} == {
        k: KPI_DEFINITIONS[k].phrase for k in headline_kpis()
    }
    assert KPI_DEFINITIONS["drp_resolved_within_20wd_pct"].phrase == (
        "of disputes were resolved within 20 working days"
    )


def test_a_ratio_per_n_is_declared_where_the_kpi_is():
    assert registry.ratio_per("drp_raised_per_100_cla") == 100
    assert registry.ratio_per("cla_reviews_on_time_pct") == 100
    assert registry.ratio_per("iro_caseload_per_fte") == 1
    assert registry.population_rate_kpis() == (
        "cla_per_10000",
        "cla_started_per_10000",
        "cla_ceased_per_10000",
        "cp_per_10000",
    )
    with pytest.raises(ValueError, match="only a ratio is expressed per N"):
        kpi(
            "x_bad",
            title="x",
            family="Disputes",
            unit="count",
            source="s",
            inputs=(),
            section="disputes",
            per=100,
        )


# --------------------------------------------------------------------------------------
# docs/kpis.md
# --------------------------------------------------------------------------------------


def _doc_ids(text: str) -> list[str]:
    return re.findall(r"^\| `([A-Za-z0-9_]+)` \|", text, flags=re.M)


def test_docs_kpis_md_lists_exactly_the_registered_kpis():
    ids = _doc_ids(kpi_docs.DOCS_FILE.read_text(encoding="utf-8"))
    assert sorted(ids) == sorted(KPI_DEFINITIONS)  # each once, none missing, none extra


def test_docs_kpis_md_is_current():
    text = kpi_docs.DOCS_FILE.read_text(encoding="utf-8")
    assert text == kpi_docs.render(), (
        "docs/kpis.md is stale: python -m iro_analysis.report.kpi_docs"
    )


def test_docs_show_the_appendix_definition_and_source():
    text = kpi_docs.render()
    for d in KPI_DEFINITIONS.values():
        assert " ".join(d.definition.split()).replace("|", "\\|") in text, d.id
        assert " ".join(d.source.split()) in text, d.id
    assert "| Direction | higher is better |" in text
    assert "`cla_participation_<code>`" in text


def test_docs_list_england_years_with_gaps():
    text = kpi_docs.render()
    assert "`cp_plans_ended_2y_plus_pct`, years 2020 and 2025 (latest:" in text
    assert "`cp_per_10000`, year 2020 (latest:" in text
    assert "`cla_per_10000`, years 2018 to 2025 (latest:" in text
    assert kpi_docs._years([2018, 2019, 2021]) == "years 2018, 2019 and 2021"


def test_docs_check_command(tmp_path, capsys):
    out = tmp_path / "kpis.md"
    assert kpi_docs.main(["--check", "--out", str(out)]) == 1
    assert kpi_docs.main(["--out", str(out)]) == 0
    assert kpi_docs.main(["--check", "--out", str(out)]) == 0
    out.write_text(out.read_text(encoding="utf-8") + "edited\n", encoding="utf-8")
    assert kpi_docs.main(["--check", "--out", str(out)]) == 1
    assert "out of date" in capsys.readouterr().out
