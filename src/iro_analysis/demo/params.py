"""Every rate of the demo council, as a documented, overridable dataclass field.

Defaults come from published national figures (DfE "Children looked after in England"
and "Characteristics of children in need" statistics, 2018-2023) or from what councils
report in IRO annual reports; `docs/demo-data.md` gives the source of each.
Override any field with `dataclasses.replace(DemoParams(), field=value)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Children looked after at 31 March by size (medium is a large county).
SIZES: dict[str, int] = {"small": 400, "medium": 1200}


@dataclass(frozen=True)
class DemoParams:
    """Rates and shapes of the simulated council. Shares are probabilities in [0, 1]."""

    # --- Scale and trend -------------------------------------------------------------
    cla_target: int = 1200
    """Children looked after at 31 March (mean over the years written)."""
    trend_per_year: float = 0.015
    """Growth of care and CP entries per year (England's looked-after number rose about
    1.5% a year from 2018 to 2023: 75,420 to 83,840)."""
    cp_to_cla_ratio: float = 0.6
    """Children on CP plans at 31 March / children looked after (England 2023: 50,780 /
    83,840 = 0.61)."""
    warmup_years: int = 12
    """Years simulated before the first year written, so the stock is in steady state."""

    # --- Periods of care ---------------------------------------------------------------
    entry_age_shares: tuple[float, ...] = (0.19, 0.14, 0.15, 0.37, 0.15)
    """Age at entry by DfE band (under 1, 1-4, 5-9, 10-15, 16-17): children who started
    to be looked after in 2023."""
    duration_mix: tuple[tuple[float, float], ...] = ((0.30, 0.15), (0.40, 1.5), (0.30, 6.0))
    """Period-of-care length in years: (share, mean) of an exponential mixture, cut at 18."""
    return_to_care_prob: float = 0.12
    """Share of periods ending before 16 after which the child returns to care."""
    return_gap_mean_years: float = 1.0
    """Mean gap before a return to care (plus 30 days)."""
    changes_per_year: float = 0.8
    """Placement or legal-status changes (new episodes) per year of care."""
    max_episodes: int = 12
    """Episodes per period at most."""
    short_break_share: float = 0.04
    """Children on short breaks (LS V3/V4, outside looked-after counts) at 31 March, as a
    share of the looked-after number."""

    # --- Looked-after reviews (reg. 33) -----------------------------------------------
    review_late_prob: float = 0.09
    """Share of reviews held after their due date (councils report 85-95% on time)."""
    review_late_max_wd: int = 25
    """A late review is 1 to this many working days late."""
    review_early_max_wd: int = 15
    """An on-time review is held 0 to this many working days before it is due."""
    participation_shares: tuple[float, ...] = (0.52, 0.05, 0.07, 0.05, 0.06, 0.19, 0.06)
    """PN1..PN7 for children aged 4+ (PN0 is exactly the under-4s): 94% participate."""

    # --- Child protection ---------------------------------------------------------------
    s47_age_shares: tuple[float, ...] = (0.18, 0.27, 0.28, 0.24, 0.03)
    """Age at the Section 47 enquiry by band (CIN census, children on plans by age)."""
    icpc_prob: float = 0.40
    """Share of Section 47 enquiries leading to an initial conference (England 2022-23:
    about 79,000 ICPCs from 203,000 enquiries)."""
    icpc_within_15wd: float = 0.785
    """Share of ICPCs within 15 working days of the Section 47 start (England 2022-23)."""
    plan_prob: float = 0.87
    """Share of ICPCs that start a plan."""
    plan_duration_gamma: tuple[float, float] = (2.0, 0.33)
    """Plan length in years before the deciding review: gamma (shape, scale). With the
    review cadence, about 4% of plans ended last 2 years or more (England 2023: 3.7%)."""
    repeat_cycle_prob: float = 0.17
    """Share of ended plans after which the child has another plan (repeat plans: England
    2023, 23.6% of plans were a second or later one)."""
    prior_plan_prob: float = 0.08
    """Share of first simulated plans whose child had a plan before the simulation."""
    repeat_gap_mean_years: float = 1.5
    """Mean gap between a plan's end and the next enquiry (plus 60 days)."""
    rcpc_late_prob: float = 0.07
    """Share of review conferences held after their due date."""
    rcpc_late_max_wd: int = 20
    """A late review conference is 1 to this many working days late."""
    category_shares: tuple[float, ...] = (0.51, 0.07, 0.04, 0.36, 0.02)
    """Initial category of abuse NEG, PHY, SAB, EMO, MUL (England 2023)."""
    category_change_prob: float = 0.08
    """Share of plans whose latest category differs from the initial one."""

    # --- Disputes -----------------------------------------------------------------------
    disputes_per_100_cla: float = 11.0
    """Disputes about looked-after children per 100 children looked after in the year."""
    disputes_per_100_cp: float = 3.0
    """Disputes about children on plans per 100 children on a plan in the year."""
    dispute_resolve_median_wd: float = 20.0
    """Median working days to resolve (half resolved within 20 working days)."""
    dispute_resolve_sigma: float = 0.8
    """Log-normal spread of the working days to resolve."""
    dispute_stage_wd: int = 30
    """A dispute unresolved after this many working days escalates one stage (up to 4):
    about 30% reach stage 2 or above."""
    dispute_outcome_shares: tuple[float, ...] = (0.52, 0.36, 0.02, 0.10)
    """Outcomes of resolved disputes in schema.DISPUTE_OUTCOMES order: PLAN_CHANGED,
    RESOLVED_NO_CHANGE, REFERRED_TO_CAFCASS, WITHDRAWN (IRO annual reports: about half of
    disputes change the plan)."""
    dispute_theme_shares: tuple[float, ...] = (0.24, 0.20, 0.14, 0.10, 0.08, 0.06, 0.08, 0.05, 0.05)
    """Themes in schema.DISPUTE_THEMES order."""

    # --- IRO workforce ------------------------------------------------------------------
    caseload_per_fte: float = 62.0
    """Children looked after or on a plan per full-time IRO (IRO Handbook: 50-70)."""
    iro_turnover_per_year: float = 0.12
    """Share of IROs leaving each year."""
    agency_share: float = 0.10
    """Share of IROs who are agency staff."""
    fte_values: tuple[float, ...] = (1.0, 0.8, 0.6, 0.5)
    fte_shares: tuple[float, ...] = (0.72, 0.14, 0.08, 0.06)

    # --- Meetings -----------------------------------------------------------------------
    rearranged_prob: float = 0.12
    """Share of on-time meetings that were rearranged at least once."""
    late_rearranged_prob: float = 0.7
    """Share of late meetings that were rearranged."""
    rearranged_reason_shares: tuple[float, ...] = (0.10, 0.18, 0.30, 0.10, 0.12, 0.08, 0.12)
    """Reasons in schema.REARRANGED_REASONS order."""
    pre_meeting_visit_prob: tuple[float, float] = (0.80, 0.45)
    """IRO saw the child before the meeting: looked-after reviews, CP conferences."""
    advocate_prob: float = 0.10
    """Advocate involved (always for PN2 and PN5)."""

    # --- Optional IRO extracts: footprints, feedback, establishment, visitors ------------
    midway_check_prob: float = 0.78
    """Share of looked-after reviews (not the first of their period) with a MIDWAY_CHECK
    footprint between the previous review and this one (IRO Handbook: oversight between
    reviews; councils report 70-85%)."""
    pre_meeting_contact_prob: float = 0.15
    """Share of meetings with a PRE_MEETING_CONTACT footprint 1-10 working days before."""
    challenge_prob: float = 0.05
    """Share of meetings followed by an informal CHALLENGE footprint (3-40 working days)."""
    other_footprint_prob: float = 0.04
    """Share of meetings followed by an OTHER footprint."""
    feedback_response_prob: float = 0.14
    """Share of meetings with a feedback response (a minority answer)."""
    feedback_respondent_shares: tuple[tuple[float, ...], tuple[float, ...]] = (
        (0.38, 0.14, 0.28, 0.20),
        (0.12, 0.48, 0.05, 0.35),
    )
    """Respondents (CHILD, PARENT, CARER, PROFESSIONAL): looked-after reviews, CP
    conferences."""
    feedback_rating_shares: tuple[float, ...] = (0.03, 0.05, 0.14, 0.36, 0.42)
    """Ratings 1 to 5 (skewed positive, as services report)."""
    feedback_no_rating_prob: float = 0.06
    """Share of responses without a rating."""
    feedback_quote_prob: float = 0.12
    """Share of responses with a quote."""
    feedback_quote_publishable_prob: float = 0.3
    """Share of quotes the service approved for publication (quote_publishable = Y)."""
    feedback_no_meeting_prob: float = 0.08
    """Share of responses not tied to a meeting (meeting_id blank)."""
    establishment_vacancy_fte: tuple[float, ...] = (0.5, 1.0, 1.0, 1.5, 2.0)
    """Funded FTE above the FTE in post (a vacancy or two), drawn per date."""
    independent_visitor_prob: float = 0.28
    """Share of periods of care (child aged 6-16 at the match) matched with an independent
    visitor: about 7% of children looked after at 31 March have one open."""
    independent_visitor_mean_years: float = 4.0
    """Mean length of a match in years (plus 3 months), cut at the end of the period."""

    # --- PEPs and health (OC2) ----------------------------------------------------------
    pep_interval_days: tuple[int, int] = (85, 125)
    """Days between PEP meetings (termly)."""
    pep_miss_prob: float = 0.06
    """Share of due PEP meetings that are missed (the next is due a term later)."""
    oc2_rates: dict[str, float] = field(
        default_factory=lambda: {
            "HEALTH_CHECK": 0.90,
            "IMMUNISATIONS": 0.85,
            "TEETH_CHECK": 0.76,
            "HEALTH_ASSESSMENT": 0.89,
            "CONVICTED": 0.02,
            "SUBSTANCE_MISUSE": 0.03,
        }
    )
    """Share of OC2 rows with each flag 1 (England 2023)."""
    sdq_completed_prob: float = 0.78
    """Share of children aged 4-16 with an SDQ score."""

    # --- Data-quality faults ------------------------------------------------------------
    fault_rate: float = 0.01
    """Share of rows given one deliberate data-quality fault (0 turns them off)."""
