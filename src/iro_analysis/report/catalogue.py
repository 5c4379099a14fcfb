"""The report's catalogue: its sections, in the order councils present them (the summary
for the Corporate Parenting Panel first), each in one of the two documents a build makes:
the councillors' report ("report") or its technical annex ("annex", data quality and the
appendix of definitions, assumptions and provenance).

Which KPIs a section's table lists is not written here: each KPI declares its `section`
where it is registered (`@kpi(..., section="reviews")` in its kpis/ area module) and
`Section.kpis` derives from the registry (`iro_analysis.kpis.definitions.section_kpis`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    """A report section. Sections with KPIs render the same way: a table of the KPIs over
    the years, `trends` as line charts, then each `breakdowns` entry (heading, breakdown
    name) under its own h3. Sections with bespoke content have a renderer in `_BODIES`."""

    key: str
    title: str
    intro: str = ""
    table_caption: str = ""
    trends: tuple[str, ...] = ()
    breakdowns: tuple[tuple[str, str], ...] = ()
    # breakdowns shown only when computed (their extract is optional): no "not supplied"
    optional: tuple[tuple[str, str], ...] = ()
    # the document the section is in: the councillors' "report" or the technical "annex"
    document: str = "report"
    # the service's own account (the IRO Handbook's annual-report contents): the narrative's
    # section of this title is its body; a year that does not write it shows a neutral line
    # and the build log and the technical annex list it (report.handbook)
    narrative: bool = False

    @property
    def kpis(self) -> tuple[str, ...]:
        """The KPIs the section's table lists, from the registry: those registered with
        this section's key that are not per-code, in registration order."""
        from iro_analysis.kpis.registry import section_kpis

        return section_kpis(self.key)


SUMMARY_TITLE = "Summary for the Corporate Parenting Panel"

SECTIONS: tuple[Section, ...] = (
    # its introduction follows the three statements, so they open the report
    Section("summary", SUMMARY_TITLE),
    Section(
        "iro_service",
        "The IRO service",
        "Independent Reviewing Officers (IROs) chair the statutory reviews of looked-after children "
        "and the council's child protection conferences. Their role, set by the Children Act 1989 "
        "(s.25A-25C) and the IRO Handbook (2010), is to make sure each child's plan meets their needs "
        "and that the child's wishes and feelings are heard. The IRO Handbook's caseload of 50 to 70 "
        "per full-time IRO is for looked-after children, so the report compares it with looked-after "
        "children only and shows the child protection caseload beside it.",
        table_caption="IRO workforce and caseload at 31 March",
        trends=("cla_caseload_per_iro_fte",),
        breakdowns=(("IRO caseloads", "caseload_bands"),),
    ),
    Section(
        "training",
        "Training and registration of IROs",
        "The IRO Handbook (2010, chapter 7) asks the annual report to describe how IROs are "
        "trained and kept up to date. Every IRO is a qualified social worker, registered with "
        "Social Work England.",
        narrative=True,
    ),
    Section(
        "quality_assurance",
        "Quality assurance of IRO practice",
        "How the service checks the quality of IROs' work: audits of reviews and conferences, "
        "supervision and observation of practice.",
        narrative=True,
    ),
    Section(
        "looked_after",
        "Children looked after",
        "Children looked after by the council, from the SSDA903 return. Children on short breaks "
        "(legal status V3 or V4) are excluded, as in DfE statistics.",
        table_caption="Children looked after",
        trends=("cla_at_31_march",),
        breakdowns=(
            ("By age", "cla_by_age_band"),
            ("By sex", "cla_by_sex"),
            ("By ethnicity", "cla_by_ethnicity_group"),
            ("By legal status", "cla_by_legal_status"),
            ("By placement type", "cla_by_placement"),
        ),
    ),
    Section(
        "reviews",
        "Looked-after reviews",
        "Under the Care Planning, Placement and Case Review (England) Regulations 2010, reg. 33, a child's "
        "first review is due within 20 working days of entering care, the second within 3 months of the "
        "first, and later reviews at intervals of no more than 6 months. The first year of review data "
        "supplied has no earlier reviews to date it from, so its timeliness is marked as incomplete "
        "history and left out of changes between years.",
        table_caption="Looked-after reviews",
        trends=("cla_reviews_on_time_pct", "cla_participation_pct"),
        breakdowns=(
            ("Participation by code", "participation_by_code"),
            ("Participation by age", "participation_by_age_band"),
        ),
    ),
    Section(
        "voice",
        "The voice of children and families",
        "How children, parents, carers and professionals rated the reviews and conferences they took "
        "part in. Quotes are published only where the service approved them, never with a name, date "
        "or other detail beside them, and only for groups large enough to show their count.",
        table_caption="Feedback received in the year",
        trends=("feedback_positive_pct",),
        optional=(("Feedback by respondent", "feedback_by_respondent"),),
    ),
    Section(
        "participation",
        "How children shaped the service",
        "How children in care took part in the service itself, beyond their own reviews: the "
        "children in care council, consultations and what changed as a result.",
        narrative=True,
    ),
    Section(
        "oversight",
        "IRO oversight and challenge",
        "Between meetings IROs check that plans are progressing: a midway check between reviews, "
        "a visit or contact with the child before the meeting, and a challenge when the plan drifts.",
        table_caption="IRO oversight between meetings",
        trends=("midway_checks_pct",),
        optional=(("Oversight recorded between meetings", "footprints_by_type"),),
    ),
    Section(
        "child_protection",
        "Child protection",
        "Working Together to Safeguard Children sets the timescales: an initial child protection conference "
        "within 15 working days of the strategy discussion or the start of the Section 47 enquiry, the first "
        "review conference within 3 months of the plan starting and later ones at no more than 6-monthly intervals.",
        table_caption="Child protection plans and conferences",
        trends=("cp_plans_at_31_march", "icpc_within_15wd_pct"),
        breakdowns=(("Categories of abuse", "cp_by_category"),),
    ),
    Section(
        "disputes",
        "Dispute resolution",
        "IROs raise a dispute through the dispute resolution process (DRP) when they are concerned about a "
        "child's plan or its progress. Disputes start informally with the social worker or team manager "
        "(stage 1) and escalate to the service manager, head of service and director.",
        table_caption="Disputes raised by IROs",
        trends=("drp_raised", "drp_resolved_within_20wd_pct"),
        breakdowns=(("Themes", "drp_by_theme"), ("Escalation", "drp_by_stage")),
        optional=(("Outcomes", "drp_by_outcome"),),
    ),
    Section(
        "meetings",
        "Meetings: rearranged, pre-meeting visits and advocacy",
        "Meetings chaired by IROs, from the service's own records.",
        table_caption="Meetings held in the year",
        breakdowns=(
            ("By type of meeting", "meetings_by_type"),
            ("Why meetings were rearranged", "rearranged_by_reason"),
        ),
    ),
    Section(
        "education_health",
        "Education and health",
        "Personal Education Plans (PEPs) from the virtual school; health measures from the SSDA903 OC2 return, "
        "which covers children looked after continuously for 12 months at 31 March.",
        table_caption="Education and health of children looked after",
    ),
    Section(
        "independent_visitors",
        "Independent visitors",
        "An independent visitor is a volunteer who visits, advises and befriends a looked-after "
        "child (Children Act 1989, s.23ZB). The council must offer one to a child who would benefit.",
        table_caption="Independent visitors at 31 March",
        trends=("independent_visitor_pct",),
    ),
    Section(
        "inspection",
        "Inspection findings",
        "What Ofsted and other inspections or reviews said about the IRO service and the "
        "council's planning for children in the year.",
        narrative=True,
    ),
    Section(
        "other_work",
        "The service's other work",
        "Work IROs do beyond chairing reviews and conferences: training other staff, "
        "panels, projects and work with partners.",
        narrative=True,
    ),
    Section(
        "progress",
        "Progress against last year's priorities",
        "The priorities the service set itself a year ago, and how far each was met, in the "
        "service's own assessment.",
        table_caption="Last year's priorities",
    ),
    Section(
        "priorities",
        "Priorities for next year",
        "What the service will do in the coming year.",
        narrative=True,
    ),
    Section("about_data", "About the data"),
    Section("data_quality", "Data quality", document="annex"),
    Section("appendix", "Appendix: definitions, assumptions and provenance", document="annex"),
)
SECTION_BY_KEY = {s.key: s for s in SECTIONS}
SECTION_TITLES = [s.title for s in SECTIONS]
DOCUMENTS = ("report", "annex")
# the narrative sections the report always lays out (the IRO Handbook's contents)
NARRATIVE_SECTIONS = tuple(s for s in SECTIONS if s.narrative)


def sections_in(document: str) -> tuple[Section, ...]:
    """The sections of one document ("report": the councillors' report; "annex": the
    technical annex), in catalogue order."""
    if document not in DOCUMENTS:
        raise ValueError(f"unknown document {document!r}; one of {', '.join(DOCUMENTS)}")
    return tuple(s for s in SECTIONS if s.document == document)


def misplaced_kpis() -> dict[str, str]:
    """KPI id -> its declared section, for every registered KPI whose section is not a key
    of SECTIONS (empty when every KPI has a section the report shows)."""
    from iro_analysis.kpis.registry import KPI_DEFINITIONS

    return {k: d.section for k, d in KPI_DEFINITIONS.items() if d.section not in SECTION_BY_KEY}
