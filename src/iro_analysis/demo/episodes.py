"""Episodes of care: each period of care split into placement and legal-status episodes,
chained without gaps (903 episodes table), with the placement changes, postcodes and
reasons DfE's rules expect.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from iro_analysis.demo.codes import PLACE_CHANGES, needs_urn
from iro_analysis.demo.dates import birthday, completed_years, days
from iro_analysis.demo.episode_rules import (
    EMERGENCY_LS,
    FOSTER,
    INITIAL_LS,
    INITIAL_LS_SHARES,
    LS_NEXT,
    NEED_CODES,
    P1_LS,
    PLACE_CHANGE_REASONS,
    PROVIDER_BY_PLACE,
    SAME_CARER_NEXT,
    SAME_CARER_PROB,
    emergency_days,
    end_reasons,
    places,
    provider_ids,
    rec_for_placement,
    urns,
)
from iro_analysis.demo.params import DemoParams
from iro_analysis.demo.sampling import choose


def simulate_episodes(
    rng: np.random.Generator, p: DemoParams, periods: pd.DataFrame
) -> pd.DataFrame:
    """Episodes chaining each period without gaps: the first has RNE=S, the others start on
    the previous one's DEC; REC=X1 except on the last (the period's end reason).

    New episodes follow DfE's reasons: P (placement and carer change), T (placement status
    change, same carer), L (legal status only: the placement carries over unchanged), B
    (legal status and placement and carer), U (legal status and placement status, same
    carer). Police protection (L1) lasts at most 72 hours and an EPO (L2) at most 8 days
    (15 when extended); then the legal status changes or the period ends."""
    n = len(periods)
    start = periods["start"].values.astype("datetime64[D]")
    end = periods["end"].values.astype("datetime64[D]")
    dob = periods["dob"].values.astype("datetime64[D]")
    adult = birthday(dob, 18)
    dur = (end - start).astype(np.int64)
    child = periods["child"].values
    returns = np.r_[child[1:] == child[:-1], False]  # periods are sorted by child, period_no
    rec_last = end_reasons(rng, dob, start, end, adult, returns)
    adopt = np.isin(rec_last, ("E11", "E12"))
    # Legal status at entry (no remand under 10), and the emergency phase of L1/L2.
    shares = np.tile(np.asarray(INITIAL_LS_SHARES), (n, 1))
    shares[completed_years(dob, start) < 10, INITIAL_LS.index("J1")] = 0
    shares /= shares.sum(axis=1, keepdims=True)
    ls0 = np.asarray(INITIAL_LS)[(rng.random(n)[:, None] > np.cumsum(shares, axis=1)).sum(axis=1)]
    emerg_days = emergency_days(rng, ls0)
    emergency = np.isin(ls0, EMERGENCY_LS)
    only_emergency = emergency & (dur <= emerg_days)  # the period ends within it
    split = emergency & ~only_emergency  # the second episode starts when it ends
    adopt &= ~only_emergency
    f = split.astype(np.int64)
    lo = np.where(split, emerg_days + 1, 1)  # first day a free cut may fall on
    rest = np.where(split, dur - emerg_days, dur)
    k = f + 1 + rng.poisson(p.changes_per_year * rest / 365.25)
    k = np.where(adopt, np.maximum(k, f + 2), k)
    k = np.minimum(k, p.max_episodes)
    k = np.minimum(k, f + 1 + np.maximum(dur - lo, 0)).astype(np.int64)
    k = np.where(only_emergency, 1, k)
    # Cut points: ordinal 0 at the start, ordinal 1 at the end of an emergency phase, the
    # other m = k-1-f sorted and distinct in [lo, dur-1].
    pid = np.repeat(np.arange(n), k)
    ordinal = np.arange(len(pid)) - np.repeat(np.cumsum(k) - k, k)  # 0-based within period
    m = (k - 1 - f)[pid]
    free = ordinal > f[pid]
    u = rng.integers(0, np.maximum(dur[pid] - lo[pid] - m, 0) + 1)
    key = np.where(free, u, ordinal - 2)
    key = key[np.lexsort((key, pid))]  # sorted within each period, fixed rows first
    offset = np.where(
        ordinal == 0,
        0,
        np.where(free, lo[pid] + key + ordinal - f[pid] - 1, emerg_days[pid]),
    )
    decom = start[pid] + days(offset)
    is_last = ordinal == k[pid] - 1
    dec = np.where(is_last, end[pid], np.roll(decom, -1))
    age_start = completed_years(dob[pid], decom)

    total = len(pid)
    ls = np.empty(total, dtype=object)
    place = np.empty(total, dtype=object)
    rne = np.empty(total, dtype=object)
    m0 = ordinal == 0
    ls[m0] = ls0
    place[m0] = places(rng, age_start[m0], ls0, decom[m0])
    rne[m0] = "S"
    for j in range(1, int(k.max()) if total else 0):
        idx = np.flatnonzero(ordinal == j)
        prev_ls, prev_place = ls[idx - 1], place[idx - 1]
        kind = choose(rng, ("P", "L", "B"), (0.62, 0.22, 0.16), len(idx))
        new_ls = prev_ls.copy()
        can_change = np.zeros(len(idx), dtype=bool)
        for code, (nexts, probs) in LS_NEXT.items():
            c = prev_ls == code
            new_ls[c] = choose(rng, nexts, probs, int(c.sum()))
            can_change |= c
        young_c2 = (prev_ls == "C2") & (age_start[idx] < 7)
        new_ls[young_c2] = "E1"
        can_change |= young_c2
        kind = np.where(can_change, kind, "P")
        # the end of police protection or an EPO is a change of legal status
        ends_emergency = split[pid[idx]] & (j == 1)
        kind = np.where(ends_emergency, np.where(rng.random(len(idx)) < 0.6, "L", "B"), kind)
        this_ls = np.where(np.isin(kind, ("L", "B")), new_ls, prev_ls)
        # a child placed with parents stays there only under a care order
        kind = np.where((kind == "L") & (prev_place == "P1") & ~np.isin(this_ls, P1_LS), "B", kind)
        fresh = places(rng, age_start[idx], this_ls, decom[idx])
        alt = places(rng, age_start[idx], this_ls, decom[idx])
        fresh = np.where(fresh == prev_place, alt, fresh)
        # still the same type: a legal change keeps the placement (L); a move from parents
        # is to a foster carer
        same = fresh == prev_place
        kind = np.where(same & (kind == "B"), "L", kind)
        fresh = np.where(same & (kind == "P") & (prev_place == "P1"), "U6", fresh)
        # a foster placement becoming long-term or foster-to-adopt with the same carer
        status = np.isin(kind, ("P", "B")) & np.isin(prev_place, list(SAME_CARER_NEXT))
        status &= rng.random(len(idx)) < SAME_CARER_PROB
        for code, (nexts, probs) in SAME_CARER_NEXT.items():
            c = status & (prev_place == code)
            fresh[c] = choose(rng, nexts, probs, int(c.sum()))
        ls[idx] = this_ls
        place[idx] = np.where(kind == "L", prev_place, fresh)
        rne[idx] = np.where(
            kind == "L",
            "L",
            np.where(kind == "P", np.where(status, "T", "P"), np.where(status, "U", "B")),
        )
    # Adoption: the last episode is a placement for adoption under a placement order, with
    # the current foster carer (A5: RNE T, or U when the placement order comes with it) or
    # with new adopters (A6: RNE P or B).
    li = np.flatnonzero(is_last & adopt[pid])
    prev_e1 = ls[li - 1] == "E1"
    with_carer = np.isin(place[li - 1], FOSTER) & (rng.random(len(li)) < 0.3)
    ls[li] = "E1"
    place[li] = np.where(with_carer, "A5", "A6")
    rne[li] = np.where(with_carer, np.where(prev_e1, "T", "U"), np.where(prev_e1, "P", "B"))
    rec = np.where(is_last, rec_last[pid], "X1")
    rec = np.where(is_last, rec_for_placement(rec, place), rec)
    ep = pd.DataFrame(
        {
            "child": periods["child"].values[pid],
            "period": pid,
            "period_no": periods["period_no"].values[pid],
            "ordinal": ordinal,
            "DECOM": decom,
            "RNE": rne.astype(str),
            "LS": ls.astype(str),
            "PLACE": place.astype(str),
            "DEC": dec.astype("datetime64[D]"),
            "REC": rec.astype(str),
        }
    )
    ep = _recode_retired_places(ep)
    # Placement details: a new carer brings a new provider, postcode and URN; a legal
    # change alone (L) carries them all over; a status change with the same carer (T/U)
    # keeps the carer's postcode, the provider where it still fits and a registered
    # setting's URN.
    place = ep["PLACE"].values.astype(object)
    rne = ep["RNE"].values
    ordinal = ep["ordinal"].values
    prov = provider_ids(rng, place)
    on = ep["DECOM"].values.astype("datetime64[D]")
    urn = urns(rng, place, on)
    registered = needs_urn(place, on)
    pl_post = _postcodes(rng, len(ep)).astype(object)
    for j in range(1, int(ordinal.max()) + 1 if len(ep) else 0):
        idx = np.flatnonzero(ordinal == j)
        same = rne[idx] == "L"
        carer = np.isin(rne[idx], ("T", "U"))
        keep = idx[same | carer]
        pl_post[keep] = pl_post[keep - 1]
        fits = np.array(
            [a in PROVIDER_BY_PLACE[pl] for a, pl in zip(prov[idx - 1], place[idx], strict=True)],
            dtype=bool,
        )
        keep = idx[same | (carer & fits)]
        prov[keep] = prov[keep - 1]
        keep = idx[same | (carer & registered[idx] & registered[idx - 1])]
        urn[keep] = urn[keep - 1]
    period = ep["period"].values
    home = _postcodes(rng, n)[period]  # the family's postcode during the period
    ep["CIN"] = choose(rng, *NEED_CODES, n)[period]
    ep["PLACE_PROVIDER"] = prov.astype(str)
    ep["REASON_PLACE_CHANGE"] = _place_change_reasons(rng, ep, dob)
    ep["HOME_POST"] = home
    ep["PL_POST"] = np.where(place == "P1", home, pl_post).astype(str)
    ep["URN"] = urn.astype(str)
    return ep[list(EPISODE_COLUMNS)]


EPISODE_COLUMNS = (
    "child",
    "period",
    "period_no",
    "ordinal",
    "DECOM",
    "RNE",
    "LS",
    "CIN",
    "PLACE",
    "PLACE_PROVIDER",
    "DEC",
    "REC",
    "REASON_PLACE_CHANGE",
    "HOME_POST",
    "PL_POST",
    "URN",
)


def _recode_retired_places(ep: pd.DataFrame) -> pd.DataFrame:
    """A placement whose code DfE retires (demo.codes.PLACE_CHANGES) continues under the
    successor code: an episode open on the day is split there (the new one has RNE T: same
    carer, same place), a later episode is recorded under the successor. Episodes are in
    period and ordinal order; ordinals are renumbered."""
    for ch in (c for c in PLACE_CHANGES if c.retire):
        decom = ep["DECOM"].values.astype("datetime64[D]")
        dec = ep["DEC"].values.astype("datetime64[D]")
        code = ep["PLACE"].values
        hit = (code == ch.code) & (decom < ch.date) & (dec > ch.date)
        later = (code == ch.code) & (decom >= ch.date)
        if not (hit.any() or later.any()):
            continue
        ep = ep.copy()
        ep.loc[later, "PLACE"] = ch.successor
        new = ep.loc[hit].copy()
        new["DECOM"] = ch.date
        new["RNE"] = "T"
        new["PLACE"] = ch.successor
        new["ordinal"] = new["ordinal"] + 0.5
        ep.loc[hit, "DEC"] = ch.date
        ep.loc[hit, "REC"] = "X1"
        ep = pd.concat([ep, new], ignore_index=True)
        ep = ep.sort_values(["period", "ordinal"], kind="stable").reset_index(drop=True)
        ep["ordinal"] = ep.groupby("period").cumcount()
        # a legal change that now also changes the placement's code is RNE U
        prev_place = ep["PLACE"].shift()
        relabelled = (ep["RNE"] == "L") & (ep["ordinal"] > 0) & (ep["PLACE"] != prev_place)
        ep.loc[relabelled, "RNE"] = "U"
    return ep


def _place_change_reasons(
    rng: np.random.Generator, ep: pd.DataFrame, dob: np.ndarray
) -> np.ndarray:
    """REASON_PLACE_CHANGE on each episode that ended with a change of placement (the next
    episode of the period has RNE P, B, T or U); blank otherwise (903 rules 225, 233)."""
    period = ep["period"].values
    nxt_rne = np.roll(ep["RNE"].values, -1)
    nxt_place = np.roll(ep["PLACE"].values, -1)
    same_period = np.roll(period, -1) == period
    same_period[-1:] = False
    changed = same_period & np.isin(nxt_rne, ("P", "B", "T", "U"))
    reason = choose(rng, *PLACE_CHANGE_REASONS, len(ep)).astype(object)
    age = completed_years(dob[period], ep["DECOM"].values.astype("datetime64[D]"))
    reason = np.where((nxt_place == "R5") & (age >= 10), "CUSTOD", reason)
    reason = np.where(np.isin(nxt_rne, ("T", "U")), "PLACE", reason)
    return np.where(changed, reason, "").astype(str)


def _postcodes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Synthetic postcodes in the fictional 'DC' area: 'DC12 3AB'."""
    letters = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
    district = rng.integers(1, 30, n).astype(str)
    sector = rng.integers(0, 10, n).astype(str)
    unit = np.char.add(letters[rng.integers(0, 20, n)], letters[rng.integers(0, 20, n)])
    return np.char.add(np.char.add(np.char.add("DC", district), " "), np.char.add(sector, unit))
