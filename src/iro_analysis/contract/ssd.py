"""The Standard Safeguarding Dataset (SSD) tables the project reads, column for column as
Data to Insight's model defines them, and how each gives IRO-chaired meetings.

Source: data-to-insight/ssd-data-model @4987c73 (July 2026; the published extracts are
v1.4.x, e.g. systemc_sqlserver_v1.4.5), `data/objects/<table>.yml`. A year folder's `ssd/`
holds one CSV per table, named as the table (`ssd/ssd_cla_reviews.csv`); a database holding
the SSD is read into the same files first (`ingest.ssd_db`). docs/ssd.md says what is read
and what the SSD lacks.
"""

from __future__ import annotations

from dataclasses import dataclass

from iro_analysis.contract.raw_files import RawCsv
from iro_analysis.core.settings_sections import SsdSettings

SSD_DIR = "ssd"
SSD_VERSION = "v1.4.x (data-to-insight/ssd-data-model @4987c73, July 2026)"
# The schema the SSD's own deployment scripts create (`ssd_development.ssd_cla_reviews`),
# and the ssd_involvements.invo_professional_role_id values that mean the child's IRO (the
# chair of their reviews and conferences): the settings' defaults (`ssd`), the role code
# being the council's own (Liquidlogic's DIM_LOOKUP_INVOLVEMENT_TYPE_CODE, for example).
SSD_DEFAULT_SCHEMA = SsdSettings.schema
DEFAULT_CHAIR_ROLES = SsdSettings.chair_roles


def _ssd(name: str, columns: tuple[str, ...], required: tuple[str, ...]) -> RawCsv:
    """An SSD table as a raw CSV spec: every column of the model (a file may leave out any
    the project does not read), `required` the columns read."""
    return RawCsv(
        name=name,
        relpath=f"{SSD_DIR}/{name}.csv",
        columns=columns,
        required=required,
        source="ssd",
    )


CLA_REVIEWS = _ssd(
    "ssd_cla_reviews",
    (
        "clar_cla_review_id",
        "clar_cla_id",
        "clar_cla_review_due_date",
        "clar_cla_review_date",
        "clar_cla_review_cancelled",
        "clar_cla_review_participation",
    ),
    ("clar_cla_review_id", "clar_cla_id", "clar_cla_review_date", "clar_cla_review_cancelled"),
)
CLA_EPISODES = _ssd(
    "ssd_cla_episodes",
    (
        "clae_cla_episode_id",
        "clae_person_id",
        "clae_cla_episode_start_date",
        "clae_cla_episode_start_reason",
        "clae_cla_primary_need_code",
        "clae_cla_episode_ceased_date",
        "clae_cla_episode_ceased_reason",
        "clae_cla_id",
        "clae_referral_id",
        "clae_cla_placement_id",
        "clae_entered_care_date",
        "clae_cla_last_iro_contact_date",
    ),
    ("clae_person_id", "clae_cla_id"),
)
INITIAL_CP_CONFERENCE = _ssd(
    "ssd_initial_cp_conference",
    (
        "icpc_icpc_id",
        "icpc_icpc_meeting_id",
        "icpc_s47_enquiry_id",
        "icpc_person_id",
        "icpc_cp_plan_id",
        "icpc_referral_id",
        "icpc_icpc_transfer_in",
        "icpc_icpc_target_date",
        "icpc_icpc_date",
        "icpc_icpc_outcome_cp_flag",
        "icpc_icpc_outcome_json",
        "icpc_icpc_team",
        "icpc_icpc_worker_id",
    ),
    ("icpc_icpc_id", "icpc_person_id", "icpc_icpc_date"),
)
CP_REVIEWS = _ssd(
    "ssd_cp_reviews",
    (
        "cppr_cp_review_id",
        "cppr_person_id",
        "cppr_cp_plan_id",
        "cppr_cp_review_due",
        "cppr_cp_review_date",
        "cppr_cp_review_meeting_id",
        "cppr_cp_review_outcome_continue_cp",
        "cppr_cp_review_quorate",
        "cppr_cp_review_participation",
    ),
    ("cppr_cp_review_id", "cppr_person_id", "cppr_cp_review_date"),
)
INVOLVEMENTS = _ssd(
    "ssd_involvements",
    (
        "invo_involvements_id",
        "invo_professional_id",
        "invo_professional_role_id",
        "invo_professional_team",
        "invo_involvement_start_date",
        "invo_involvement_end_date",
        "invo_worker_change_reason",
        "invo_person_id",
        "invo_referral_id",
    ),
    (
        "invo_professional_id",
        "invo_professional_role_id",
        "invo_involvement_start_date",
        "invo_involvement_end_date",
        "invo_person_id",
    ),
)


@dataclass(frozen=True)
class SsdMeetings:
    """One SSD table of meetings: which meeting_type its rows are, and its columns for the
    meeting's id, child (or the period of care that names the child) and date held."""

    table: RawCsv
    meeting_type: str
    id_column: str
    date_column: str
    person_column: str = ""  # blank: the child comes through ssd_cla_episodes
    cla_id_column: str = ""
    cancelled_column: str = ""  # Y: the meeting was not held


MEETING_TABLES = (
    SsdMeetings(
        CLA_REVIEWS,
        "CLA_REVIEW",
        "clar_cla_review_id",
        "clar_cla_review_date",
        cla_id_column="clar_cla_id",
        cancelled_column="clar_cla_review_cancelled",
    ),
    SsdMeetings(
        INITIAL_CP_CONFERENCE,
        "ICPC",
        "icpc_icpc_id",
        "icpc_icpc_date",
        person_column="icpc_person_id",
    ),
    SsdMeetings(CP_REVIEWS, "RCPC", "cppr_cp_review_id", "cppr_cp_review_date", "cppr_person_id"),
)
# Read to find a meeting's child (a looked-after review names the period of care) and its
# chair (the IRO involved with the child on the day); their rows are not clean-data rows.
LOOKUP_TABLES = (CLA_EPISODES, INVOLVEMENTS)
SSD_TABLES: dict[str, RawCsv] = {
    t.name: t for t in (*(m.table for m in MEETING_TABLES), *LOOKUP_TABLES)
}


def meeting_key(meeting_type: str, ssd_id: str) -> str:
    """The project's meeting_id of an SSD meeting: its type and the SSD row id, since the
    three SSD tables number their rows apart ("ICPC:1234")."""
    return f"{meeting_type}:{ssd_id}"
