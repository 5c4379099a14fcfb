"""Code lists of the analysis vocabulary (upper case after cleaning) and their labels: the
union over collection years of the DfE codes (`iro_analysis.contract` holds each year's
list and mapping), the IRO extracts' own codes, and DfE age bands.
"""

from __future__ import annotations

from iro_analysis import contract as _contract

# --------------------------------------------------------------------------------------
# Code lists of the analysis vocabulary (upper case after cleaning). The DfE codes valid in
# each collection year, and how they map to these, are in `iro_analysis.contract`; the 903
# and CIN lists below are the union of every year's analysis codes.
# --------------------------------------------------------------------------------------

SEX_CODES = _contract.analysis_codes("header", "SEX")  # 1 male, 2 female (903 M/F from 2025)
SEX_LABELS = {"1": "Male", "2": "Female"}
# CIN Sex / GenderCurrent: 1 male, 2 female, 0 not known, 9 not specified (Sex M/F/U mapped)
CIN_SEX_CODES = _contract.analysis_codes("cin_children", "Sex")

# DfE ethnicity codes and their groups (903 ETHNIC and CIN Ethnicity).
ETHNIC_GROUPS = {
    "WBRI": "White",
    "WIRI": "White",
    "WIRT": "White",
    "WOTH": "White",
    "WROM": "White",
    "MWBC": "Mixed",
    "MWBA": "Mixed",
    "MWAS": "Mixed",
    "MOTH": "Mixed",
    "AIND": "Asian",
    "APKN": "Asian",
    "ABAN": "Asian",
    "AOTH": "Asian",
    "CHNE": "Asian",
    "BCRB": "Black",
    "BAFR": "Black",
    "BOTH": "Black",
    "OOTH": "Other",
    "REFU": "Refused or not obtained",
    "NOBT": "Refused or not obtained",
}
ETHNIC_CODES = tuple(ETHNIC_GROUPS)

RNE_CODES = _contract.analysis_codes("episodes", "RNE")
RNE_NEW_PERIOD = "S"
LS_CODES = _contract.analysis_codes("episodes", "LS")
LS_SHORT_BREAKS = ("V3", "V4")
LS_LABELS = {
    "C1": "Interim care order",
    "C2": "Full care order",
    "D1": "Freeing order granted",
    "E1": "Placement order granted",
    "J1": "Remanded to LA accommodation",
    "J2": "Placed in LA accommodation under PACE",
    "J3": "Sentenced to CRO/YRO",
    "L1": "Under police protection",
    "L2": "Emergency protection order",
    "L3": "Child assessment order",
    "V2": "Single period of accommodation (s20)",
    "V3": "Short break (single placement)",
    "V4": "Short breaks (series)",
}
LS_GROUPS = {
    "C1": "Care order",
    "C2": "Care order",
    "D1": "Placement order",
    "E1": "Placement order",
    "J1": "Youth justice",
    "J2": "Youth justice",
    "J3": "Youth justice",
    "L1": "Emergency/other",
    "L2": "Emergency/other",
    "L3": "Emergency/other",
    "V2": "Voluntary agreement (s20)",
}
CIN_CODES = _contract.analysis_codes("episodes", "CIN")
PLACE_CODES = _contract.analysis_codes("episodes", "PLACE")
PLACE_GROUPS = {
    **{c: "Foster placement" for c in ("U1", "U2", "U3", "U4", "U5", "U6")},
    **{c: "Placed for adoption" for c in ("A3", "A4", "A5", "A6")},
    **{c: "Children's home / secure unit" for c in ("K1", "K2", "R1")},
    **{c: "Placed with parents" for c in ("P1",)},
    # K3 (supported accommodation, from 2024/25) continues H5's placements
    **{c: "Independent / semi-independent living" for c in ("H5", "K3", "P2", "P3")},
    # Z11-Z14 (from 2025/26) split Z1, "other placements"
    **{
        c: "Other placement"
        for c in ("R2", "R3", "R5", "S1", "T0", "T1", "T2", "T3", "T4", "Z1")
        + ("Z11", "Z12", "Z13", "Z14")
    },
}
PLACE_PROVIDER_CODES = _contract.analysis_codes("episodes", "PLACE_PROVIDER")
REC_CODES = _contract.analysis_codes("episodes", "REC")
REC_CONTINUING = "X1"  # episode ends but the period of care continues
REASON_PLACE_CHANGE_CODES = _contract.analysis_codes("episodes", "REASON_PLACE_CHANGE")

REVIEW_CODE_LABELS = {
    "PN0": "Child under 4 at the review",
    "PN1": "Attends and speaks for themselves",
    "PN2": "Attends, an advocate speaks for them",
    "PN3": "Attends, conveys views non-verbally",
    "PN4": "Attends without contributing",
    "PN5": "Does not attend, briefs an advocate",
    "PN6": "Does not attend, conveys views by another medium",
    "PN7": "Does not attend, no views conveyed",
}
REVIEW_CODES = tuple(REVIEW_CODE_LABELS)  # PN0-PN7 (checked against the contract by a test)

CP_CATEGORY_LABELS = {
    "NEG": "Neglect",
    "PHY": "Physical abuse",
    "SAB": "Sexual abuse",
    "EMO": "Emotional abuse",
    "MUL": "Multiple categories",
}
CP_CATEGORIES = tuple(CP_CATEGORY_LABELS)  # checked against the contract by a test

# Other DfE codes the returns carry (written by the demo generator, documented in
# docs/data-dictionary.md; no KPI reads them).
SDQ_REASON_CODES = _contract.analysis_codes("oc2", "SDQ_REASON")  # 903 OC2: why no SDQ score
CIN_REFERRAL_SOURCES = (
    *("1A", "1B", "1C", "1D", "2A", "2B", "3A", "3B", "3C", "3D", "3E", "3F", "4"),
    *("5A", "5B", "5C", "5D", "6", "7", "8", "9", "10"),
)
CIN_PRIMARY_NEED_CODES = ("N0", "N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9")
CIN_CLOSURE_REASONS = ("RC1", "RC2", "RC3", "RC4", "RC5", "RC6", "RC7", "RC8")

MEETING_TYPES = ("CLA_REVIEW", "ICPC", "RCPC")
MEETING_TYPE_LABELS = {
    "CLA_REVIEW": "Looked-after review",
    "ICPC": "Initial child protection conference",
    "RCPC": "Review child protection conference",
}
REARRANGED_REASONS = (
    "CHILD_REQUEST",
    "FAMILY_REQUEST",
    "PROFESSIONAL_UNAVAILABLE",
    "PAPERS_NOT_READY",
    "IRO_UNAVAILABLE",
    "GOOD_PRACTICE",
    "OTHER",
)
REARRANGED_REASON_LABELS = {
    "CHILD_REQUEST": "Child's request",
    "FAMILY_REQUEST": "Family's request",
    "PROFESSIONAL_UNAVAILABLE": "Professional unavailable",
    "PAPERS_NOT_READY": "Papers not ready",
    "IRO_UNAVAILABLE": "IRO unavailable",
    "GOOD_PRACTICE": "Good practice (e.g. to include the child)",
    "OTHER": "Other",
}
DISPUTE_COHORTS = ("CLA", "CP")
DISPUTE_THEMES = (
    "DRIFT_DELAY",
    "CARE_PLAN",
    "PLACEMENT",
    "CONTACT",
    "EDUCATION",
    "HEALTH",
    "QUALITY_OF_ASSESSMENT",
    "LIFE_STORY",
    "OTHER",
)
DISPUTE_THEME_LABELS = {
    "DRIFT_DELAY": "Drift and delay",
    "CARE_PLAN": "Care plan",
    "PLACEMENT": "Placement",
    "CONTACT": "Family time / contact",
    "EDUCATION": "Education",
    "HEALTH": "Health",
    "QUALITY_OF_ASSESSMENT": "Quality of assessment",
    "LIFE_STORY": "Life story work",
    "OTHER": "Other",
}
DISPUTE_STAGES = (1, 2, 3, 4)
DISPUTE_STAGE_LABELS = {
    1: "Stage 1: social worker / team manager",
    2: "Stage 2: service manager",
    3: "Stage 3: head of service",
    4: "Stage 4: director",
}
# Dispute outcome (blank while the dispute is open).
DISPUTE_OUTCOME_LABELS = {
    "PLAN_CHANGED": "The plan or action changed as the IRO asked",
    "RESOLVED_NO_CHANGE": "Resolved without a change (e.g. an explanation accepted)",
    "REFERRED_TO_CAFCASS": "Referred to Cafcass",
    "WITHDRAWN": "Withdrawn",
}
DISPUTE_OUTCOMES = tuple(DISPUTE_OUTCOME_LABELS)

# Optional IRO extracts (data contract section 3): footprints and feedback.
FOOTPRINT_TYPE_LABELS = {
    "MIDWAY_CHECK": "Midway check between reviews",
    "PRE_MEETING_CONTACT": "Contact before a meeting",
    "CHALLENGE": "Challenge (informal, before any dispute)",
    "OTHER": "Other recorded oversight",
}
FOOTPRINT_TYPES = tuple(FOOTPRINT_TYPE_LABELS)
FEEDBACK_RESPONDENT_LABELS = {
    "CHILD": "Child or young person",
    "PARENT": "Parent",
    "CARER": "Carer",
    "PROFESSIONAL": "Professional",
}
FEEDBACK_RESPONDENTS = tuple(FEEDBACK_RESPONDENT_LABELS)
FEEDBACK_RATINGS = (1, 2, 3, 4, 5)  # 1 worst, 5 best; blank allowed (no rating given)

YES_NO = ("Y", "N")

# DfE age bands at 31 March (children looked after statistics).
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("Under 1", 0, 0),
    ("1 to 4", 1, 4),
    ("5 to 9", 5, 9),
    ("10 to 15", 10, 15),
    ("16 and over", 16, 200),
)
