"""The optional IRO extracts: footprints, feedback, the establishment and independent visitors.

- Footprints: a MIDWAY_CHECK between most reviews (for `midway_check_prob` of the reviews
  that are not the first of their period, dated in the middle of the gap since the last
  one), PRE_MEETING_CONTACT before some meetings, CHALLENGE after some (informal, before
  any dispute) and a few OTHER.
- Feedback: a minority of meetings get a response (child, parent, carer or professional),
  rated 1-5 (skewed positive, a few blank); a few carry a quote, mostly not publishable.
  Quotes are bland invented sentences, never a name, place or date; some hold commas,
  double quotes and a line break, as real exports do.
- Establishment: the funded FTE at 30 September and 31 March, a vacancy or two above the
  FTE in post.
- Independent visitors: some children in longer periods of care (aged 6 to 17) are matched
  with one; a match lasts a few years or to the end of the period.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from iro_analysis.contract import codes as C
from iro_analysis.demo.dates import birthday, days
from iro_analysis.demo.horizon import Horizon
from iro_analysis.demo.iro import allocate
from iro_analysis.demo.params import DemoParams
from iro_analysis.demo.sampling import choose
from iro_analysis.demo.workdays import WorkDays

# Invented feedback: generic sentences, no names, places, dates or identifiers. The
# publishable ones are what a service would approve for a report, each group's in its own
# voice (a quote is drawn from the respondent's own list, so groups never share one).
PUBLISHABLE_BY_RESPONDENT = {
    "CHILD": (
        "My IRO listened to me and my views were in the plan.",
        "The meeting was at a time that suited me, after school.",
        'I liked that the IRO explained what a "review" is before we started.',
        "Everyone was kind, and I felt I could say what I wanted.",
        "I got to choose where the meeting was.",
        "The review was shorter this time, which I preferred.",
    ),
    "PARENT": (
        "The IRO made sure I understood the plan for my child.",
        "I was given the chance to speak before decisions were made.",
        "The reports came in time for me to read them.",
        "I felt listened to, even when we disagreed.",
        "The IRO explained what would happen next and when.",
        "It helped to meet the IRO before the conference.",
    ),
    "CARER": (
        "The IRO asked for my views and included them in the plan.",
        "Actions were clear, and I knew who was doing what.",
        "The meeting was arranged around the child's school day.",
        "The IRO followed up on what was agreed last time.",
        "It was well chaired and everyone had a say.",
        "I appreciated the IRO speaking to the child first.",
    ),
    "PROFESSIONAL": (
        "Clear and well chaired; actions were agreed and written down.",
        "The IRO had read the papers and asked the right questions.",
        "Good challenge about the timescales in the plan.",
        "The child's views were at the centre of the meeting.",
        "The minutes arrived promptly and were accurate.",
        "Helpful midway contact between reviews.",
    ),
}
QUOTES_PUBLISHABLE = tuple(q for quotes in PUBLISHABLE_BY_RESPONDENT.values() for q in quotes)
_PER_GROUP = 6  # quotes per respondent group (as many as the demo once shared)
QUOTES_NOT_PUBLISHABLE = (
    "I want to see my brother more, it has been too long.",
    "Felt rushed. Would like more time to talk next time.\nThanks for asking though.",
    'The social worker said "we will sort it" but nothing has changed.',
    "Papers came late, so I could not read them before the meeting.",
    "I did not know everyone in the room, and that was hard.",
    "Good meeting, but the placement plan still needs sorting.",
    "I would like the meeting at my school, not at the office.",
    "Happy with the plan.\nPlease keep the same IRO.",
)


def _ids(prefix: str, n: int, width: int = 7) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width))


def simulate_footprints(
    rng: np.random.Generator,
    p: DemoParams,
    wd: WorkDays,
    h: Horizon,
    reviews: pd.DataFrame,
    meetings: pd.DataFrame,
    workforce: pd.DataFrame,
    child_ids: np.ndarray,
) -> pd.DataFrame:
    """Footprints dated from 1 April of the first year written to the last 31 March:
    footprint_id, child, child_id, iro_id, footprint_date, footprint_type."""
    parts = []
    # midway checks: between a review and the one before it in the same period
    r = reviews.sort_values(["period", "ordinal"], kind="stable")
    held = r["REVIEW"].values.astype("datetime64[D]")
    same = np.r_[False, r["period"].values[1:] == r["period"].values[:-1]]
    prev = np.r_[np.datetime64("NaT", "D"), held[:-1]]
    gap = np.where(same, (held - prev).astype("timedelta64[D]").astype(np.int64), 0)
    chosen = same & (gap >= 4) & (rng.random(len(r)) < p.midway_check_prob)
    frac = 0.35 + 0.3 * rng.random(len(r))
    mid = prev + days(np.floor(frac * gap).astype(np.int64))
    rolled = wd.add(np.where(chosen, mid, held), 0)  # a weekend or holiday to the day before
    mid = np.where((rolled > prev) & (rolled < held), rolled, mid)
    parts.append(pd.DataFrame({"child": r["child"].values[chosen], "date": mid[chosen], "kind": 0}))
    # contact before a meeting, a challenge after one, other oversight
    mh = meetings["held_date"].values.astype("datetime64[D]")
    n = len(meetings)
    for kind, prob, lo, hi, sign in (
        (1, p.pre_meeting_contact_prob, 1, 10, -1),
        (2, p.challenge_prob, 3, 40, 1),
        (3, p.other_footprint_prob, 1, 60, 1),
    ):
        pick = rng.random(n) < prob
        date = wd.add(mh[pick], sign * rng.integers(lo, hi + 1, int(pick.sum())))
        parts.append(
            pd.DataFrame({"child": meetings["child"].values[pick], "date": date, "kind": kind})
        )
    f = pd.concat(parts, ignore_index=True)
    d = f["date"].values.astype("datetime64[D]")
    f = f.loc[(d >= h.report_start) & (d <= h.end)]
    f = f.sort_values(["date", "kind", "child"], kind="stable").reset_index(drop=True)
    date = f["date"].values.astype("datetime64[D]")
    cid = child_ids[f["child"].values]
    return pd.DataFrame(
        {
            "footprint_id": _ids("F", len(f)),
            "child": f["child"].values,
            "child_id": cid,
            "iro_id": allocate(workforce, cid, date),
            "footprint_date": date,
            "footprint_type": np.asarray(C.FOOTPRINT_TYPES)[f["kind"].values],
        }
    )


def simulate_feedback(
    rng: np.random.Generator, p: DemoParams, h: Horizon, meetings: pd.DataFrame
) -> pd.DataFrame:
    """Feedback responses: response_id, meeting_id (some blank), respondent,
    response_date, rating ("" when not given), quote, quote_publishable."""
    held = meetings["held_date"].values.astype("datetime64[D]")
    pick = (rng.random(len(meetings)) < p.feedback_response_prob) & (held <= h.end)
    m = meetings.loc[pick]
    n = len(m)
    is_cla = m["meeting_type"].values == "CLA_REVIEW"
    who = np.where(
        is_cla,
        choose(rng, C.FEEDBACK_RESPONDENTS, p.feedback_respondent_shares[0], n),
        choose(rng, C.FEEDBACK_RESPONDENTS, p.feedback_respondent_shares[1], n),
    )
    held = m["held_date"].values.astype("datetime64[D]")
    date = np.minimum(held + days(rng.integers(0, 15, n)), h.end)
    rating = choose(rng, C.FEEDBACK_RATINGS, p.feedback_rating_shares, n).astype(str)
    rating = np.where(rng.random(n) < p.feedback_no_rating_prob, "", rating)
    has_quote = rng.random(n) < p.feedback_quote_prob
    publishable = has_quote & (rng.random(n) < p.feedback_quote_publishable_prob)
    pick = choose(rng, np.arange(_PER_GROUP), np.ones(_PER_GROUP), n)  # the respondent's own
    quote = np.where(
        publishable,
        np.asarray(
            [PUBLISHABLE_BY_RESPONDENT[w][i] for w, i in zip(who, pick, strict=True)], dtype=str
        ),
        choose(rng, QUOTES_NOT_PUBLISHABLE, np.ones(len(QUOTES_NOT_PUBLISHABLE)), n),
    )
    meeting_id = np.where(rng.random(n) < p.feedback_no_meeting_prob, "", m["meeting_id"].values)
    f = pd.DataFrame(
        {
            "meeting_id": meeting_id,
            "respondent": who,
            "response_date": date,
            "rating": rating,
            "quote": np.where(has_quote, quote, ""),
            "quote_publishable": np.where(publishable, "Y", "N"),
        }
    )
    f = f.sort_values("response_date", kind="stable").reset_index(drop=True)
    f.insert(0, "response_id", _ids("R", len(f)))
    return f


def establishment(
    rng: np.random.Generator, p: DemoParams, h: Horizon, workforce: pd.DataFrame
) -> pd.DataFrame:
    """The funded FTE at 30 September and 31 March of each year written: the FTE in post
    then plus a vacancy or two, rounded up to a half post."""
    start = workforce["start_date"].values.astype("datetime64[D]")
    end = workforce["end_date"].values.astype("datetime64[D]")
    fte = workforce["fte"].values.astype(float)
    rows = []
    for year in range(h.first, h.last + 1):
        for at in (np.datetime64(f"{year - 1}-09-30", "D"), np.datetime64(f"{year}-03-31", "D")):
            in_post = fte[(start <= at) & (np.isnat(end) | (end >= at))].sum()
            vacancy = float(rng.choice(p.establishment_vacancy_fte))
            rows.append((at, np.ceil((in_post + vacancy) * 2) / 2))
    return pd.DataFrame(rows, columns=["as_at_date", "establishment_fte"])


def simulate_visitors(
    rng: np.random.Generator, p: DemoParams, h: Horizon, periods: pd.DataFrame
) -> pd.DataFrame:
    """Independent visitor matches: child, match_start_date, match_end_date (NaT while
    open at the end of the horizon)."""
    start = periods["start"].values.astype("datetime64[D]")
    end = periods["end"].values.astype("datetime64[D]")
    dob = periods["dob"].values.astype("datetime64[D]")
    n = len(periods)
    match = start + days(np.floor(rng.uniform(0.3, 2.0, n) * 365.25).astype(np.int64))
    match = np.maximum(match, birthday(dob, 6))
    ok = (rng.random(n) < p.independent_visitor_prob) & (match < end)
    ok &= match < birthday(dob, 17)
    ok &= match <= h.end
    length = days(np.ceil(rng.exponential(p.independent_visitor_mean_years, n) * 365.25 + 90))
    stop = np.minimum(match + length, end)
    v = pd.DataFrame(
        {
            "child": periods["child"].values[ok],
            "match_start_date": match[ok],
            "match_end_date": np.where(stop[ok] > h.end, np.datetime64("NaT", "D"), stop[ok]),
        }
    )
    return v.sort_values(["child", "match_start_date"], kind="stable").reset_index(drop=True)
