"""Periods of care, their episodes (903 episodes.csv) and looked-after reviews.

One simulated population moving through time: children enter care at an age drawn from
DfE entry shares, stay for a length drawn from a mixture (cut at their 18th birthday),
change placement and legal status (new episodes chained without gaps), leave with a
reason consistent with age, and some return later. Reviews follow the Care Planning
Regulations 2010 reg. 33: the first within 20 working days of the period's start, the
second within 3 months of the first, then every 6 months, each counted from the actual
date of the previous review; a tunable share is late.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from iro_analysis.contract import schema
from iro_analysis.demo._workdays import WorkDays
from iro_analysis.demo.codes import PLACE_CHANGES, needs_urn, place_in_force
from iro_analysis.demo.dates import DAY, add_months, birthday, completed_years, days
from iro_analysis.demo.horizon import Horizon, trend_weight
from iro_analysis.demo.params import DemoParams

AGE_BANDS_YEARS = ((0.0, 1.0), (1.0, 5.0), (5.0, 10.0), (10.0, 16.0), (16.0, 17.9))


def _choice(rng: np.random.Generator, codes, probs, n: int) -> np.ndarray:
    p = np.asarray(probs, dtype=float)
    return np.asarray(codes)[rng.choice(len(p), size=n, p=p / p.sum())]


def draw_ages(rng: np.random.Generator, shares, n: int) -> np.ndarray:
    """Ages in days, from shares of the five DfE age bands, uniform within each band."""
    band = rng.choice(len(AGE_BANDS_YEARS), size=n, p=np.asarray(shares) / np.sum(shares))
    lo = np.array([b[0] for b in AGE_BANDS_YEARS])[band]
    hi = np.array([b[1] for b in AGE_BANDS_YEARS])[band]
    return np.floor((lo + (hi - lo) * rng.random(n)) * 365.25).astype(np.int64)


def _durations(rng: np.random.Generator, p: DemoParams, n: int) -> np.ndarray:
    shares = np.array([s for s, _ in p.duration_mix])
    means = np.array([m for _, m in p.duration_mix])
    comp = rng.choice(len(shares), size=n, p=shares / shares.sum())
    return np.maximum(1, np.round(rng.exponential(means[comp]) * 365.25)).astype(np.int64)


def _draw_children(rng: np.random.Generator, p: DemoParams, h: Horizon, n: int) -> pd.DataFrame:
    """Candidate children with a first period of care and maybe a return to care."""
    window = int((h.end - h.start) / DAY) + 1
    start = h.start + days(rng.integers(0, window, n))
    dob = start - days(draw_ages(rng, p.entry_age_shares, n))
    adult = birthday(dob, 18)
    end = np.minimum(start + days(_durations(rng, p, n)), adult)
    child = np.arange(n)
    first = pd.DataFrame({"child": child, "period_no": 1, "start": start, "end": end, "dob": dob})
    # Returns to care: after a period that ended before 16 and within the horizon.
    age_end = completed_years(dob, end)
    back = (end < h.end) & (age_end < 16) & (rng.random(n) < p.return_to_care_prob)
    gap = 30 + np.round(rng.exponential(p.return_gap_mean_years * 365.25, n)).astype(np.int64)
    s2 = end + days(gap)
    e2 = np.minimum(s2 + days(_durations(rng, p, n)), adult)
    back &= (s2 <= h.end) & (s2 < adult)
    second = pd.DataFrame(
        {"child": child[back], "period_no": 2, "start": s2[back], "end": e2[back], "dob": dob[back]}
    )
    return pd.concat([first, second], ignore_index=True)


def _stock(periods: pd.DataFrame, at: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Weighted number of periods open at each date (start <= at < end)."""
    s = periods["start"].values[:, None]
    e = periods["end"].values[:, None]
    open_ = (s <= at[None, :]) & (e > at[None, :])
    return (open_ * weight[:, None]).sum(axis=0)


def thin_to_target(
    rng: np.random.Generator,
    candidates: pd.DataFrame,
    first_start: np.ndarray,
    h: Horizon,
    target: float,
    trend: float,
) -> np.ndarray:
    """Children to keep (boolean per candidate child) so that the stock at each 31 March is
    about `target` times the trend. Thinning a Poisson process keeps it Poisson."""
    w_child = trend_weight(first_start, h.mid, trend)
    w = w_child[candidates["child"].values]
    stock = _stock(candidates, h.year_ends, w)
    c = target * len(h.year_ends) / max(stock.sum(), 1e-9)
    keep_prob = c * w_child
    if keep_prob.max() > 1.0:
        raise RuntimeError("not enough candidates to thin; raise the oversampling")
    return rng.random(len(w_child)) < keep_prob


def simulate_periods(rng: np.random.Generator, p: DemoParams, h: Horizon) -> pd.DataFrame:
    """Periods of care of the looked-after population: child, period_no, start, end, dob.

    `end` is the true end (it may fall after the horizon: the period is then open)."""
    pilot = _durations(rng, p, 20_000)
    window = float((h.end - h.start) / DAY)
    mean_days = float(np.minimum(pilot, 365.25 * 9).mean())
    oversample = 1.4  # about 1.3x is needed; the loop doubles it if short
    while True:
        n = int(np.ceil(oversample * p.cla_target * window / mean_days)) + 50
        cand = _draw_children(rng, p, h, n)
        first_start = cand.loc[cand["period_no"] == 1].sort_values("child")["start"].values
        try:
            keep = thin_to_target(rng, cand, first_start, h, p.cla_target, p.trend_per_year)
            break
        except RuntimeError:
            oversample *= 2
    periods = cand.loc[keep[cand["child"].values]].copy()
    periods = periods.sort_values(["child", "period_no"]).reset_index(drop=True)
    periods["child"] = pd.factorize(periods["child"])[0]  # dense 0..n-1, in order
    return periods


# ---------------------------------------------------------------------------------------
# Episodes
# ---------------------------------------------------------------------------------------

INITIAL_LS = ("V2", "C1", "C2", "L1", "L2", "J1")
INITIAL_LS_SHARES = (0.46, 0.36, 0.04, 0.06, 0.05, 0.03)
# legal-status change -> (next codes, shares); absent means no legal change is possible.
LS_NEXT: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    "V2": (("C1", "C2"), (0.8, 0.2)),
    "C1": (("C2",), (1.0,)),
    "L1": (("C1", "V2"), (0.55, 0.45)),
    "L2": (("C1", "V2"), (0.75, 0.25)),
    "J1": (("V2",), (1.0,)),
}
EMERGENCY_LS = ("L1", "L2")
POLICE_PROTECTION_MAX_DAYS = 3  # 72 hours (Children Act 1989 s46)
EPO_MAX_DAYS = 8  # s45: up to 8 days ...
EPO_EXTENDED_MAX_DAYS = 15  # ... extended once by up to 7 days
EPO_EXTENDED_SHARE = 0.15
# Placed with parents (Placement of Children with Parents Regulations) only under a care order.
P1_LS = ("C1", "C2")
PLACE_BY_AGE: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    "young": (
        ("U1", "U2", "U3", "U4", "U5", "U6", "P1", "R1", "Z1"),
        (0.05, 0.02, 0.11, 0.24, 0.03, 0.41, 0.09, 0.03, 0.02),
    ),
    "older": (
        ("U1", "U3", "U4", "U6", "K2", "P1", "R1", "R2", "S1", "Z1"),
        (0.04, 0.09, 0.22, 0.30, 0.19, 0.07, 0.02, 0.02, 0.03, 0.02),
    ),
    "16plus": (
        ("U1", "U3", "U4", "U6", "K2", "H5", "P2", "P1", "R5", "Z1"),
        (0.03, 0.06, 0.16, 0.20, 0.14, 0.30, 0.02, 0.05, 0.02, 0.02),
    ),
}
# Placement provider by placement (903 rules 178, 213, 526, 528, 529): PR0 parents only
# with P1; PR2 (another LA) never with P1, R2, R5; PR3 (other public body) never with
# P1, A3-A6, K1, K2, U1-U6; none for 'other placements' (Z1, Z11-Z14).
PROVIDER_BY_PLACE = {
    "P1": ("PR0",),
    "U1": ("PR1",),
    "U2": ("PR1",),
    "U3": ("PR1",),
    "U4": ("PR1", "PR1", "PR4"),
    "U5": ("PR1", "PR4"),
    "U6": ("PR1", "PR4", "PR4"),
    "K1": ("PR1", "PR2"),
    "K2": ("PR1", "PR4", "PR4", "PR5"),
    "K3": ("PR1", "PR4"),
    "H5": ("PR1", "PR4"),
    "P2": ("PR1",),
    "R1": ("PR4", "PR5"),
    "R2": ("PR3",),
    "R5": ("PR3",),
    "S1": ("PR4", "PR5"),
    "Z1": ("",),
    "Z14": ("",),
    "A5": ("PR1", "PR5"),
    "A6": ("PR1", "PR5"),
}
# Ofsted URN (903 rules 218, 222, 230, 242): a registered setting's URN for children's
# homes, secure homes, residential schools and supported accommodation (demo.codes.URN_FROM);
# 'XXXXXXX' (no URN to give) for foster and adoptive placements; none where DfE wants none
# (P1, P2, R1, R2, R5, Z1, Z11-Z14, H5 before 28 October 2023).
XXX_URN_PLACES = ("U1", "U2", "U3", "U4", "U5", "U6", "A3", "A4", "A5", "A6")
FOSTER = ("U1", "U2", "U3", "U4", "U5", "U6")
# A change of placement status with the same carer (903 RNE T, or U with a legal change):
# a relative's or other foster placement becoming long-term or foster-to-adopt.
SAME_CARER_NEXT = {"U3": (("U1",), (1.0,)), "U6": (("U4", "U5"), (0.8, 0.2))}
SAME_CARER_PROB = 0.2
# Reason for a change of placement and carer, recorded on the episode that ended (903
# rules 225, 1009): CUSTOD when the next placement is custody, PLACE when only the
# placement's status changed (RNE T/U).
PLACE_CHANGE_REASONS = (
    ("CARPL", "CLOSE", "ALLEG", "STAND", "APPRR", "CREQB", "CREQO", "CHILD", "LAREQ", "OTHER"),
    (0.36, 0.04, 0.03, 0.05, 0.04, 0.06, 0.07, 0.10, 0.14, 0.11),
)
NEED_CODES = (
    ("N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8"),
    (0.65, 0.03, 0.03, 0.08, 0.14, 0.01, 0.001, 0.06),
)
SGO_CODES = ("E45", "E46", "E47", "E48")


def _places(
    rng: np.random.Generator, age: np.ndarray, ls: np.ndarray, on: np.ndarray
) -> np.ndarray:
    """New placements by age group, P1 only under a care order, coded as DfE codes a
    placement starting on `on` (demo.codes.PLACE_CHANGES)."""
    out = np.empty(len(age), dtype=object)
    groups = np.where(age >= 16, "16plus", np.where(age >= 10, "older", "young"))
    p1_ok = np.isin(ls, P1_LS)
    for g, (codes, probs) in PLACE_BY_AGE.items():
        for ok in (True, False):
            m = (groups == g) & (p1_ok == ok)
            pr = np.asarray(probs, dtype=float) * (ok | (np.asarray(codes) != "P1"))
            out[m] = _choice(rng, codes, pr, int(m.sum()))
    return place_in_force(out, on)


def _emergency_days(rng: np.random.Generator, ls: np.ndarray) -> np.ndarray:
    """Length in days of police protection (L1, at most 72 hours) or an emergency
    protection order (L2, 8 days, a share extended to at most 15)."""
    n = len(ls)
    pp = rng.integers(1, POLICE_PROTECTION_MAX_DAYS + 1, n)
    extended = rng.random(n) < EPO_EXTENDED_SHARE
    epo = np.where(
        extended,
        rng.integers(EPO_MAX_DAYS + 1, EPO_EXTENDED_MAX_DAYS + 1, n),
        rng.integers(1, EPO_MAX_DAYS + 1, n),
    )
    return np.where(ls == "L1", pp, epo).astype(np.int64)


def _end_reasons(rng: np.random.Generator, dob, start, end, adult, returns) -> np.ndarray:
    """REC of the last episode of each period, consistent with age and length (special
    guardianship codes are matched to the last placement later). A child who `returns` to
    care later was not adopted (903 rule 199)."""
    n = len(end)
    age = completed_years(dob, end)
    years_in = (end - start).astype(np.int64) / 365.25
    rec = _choice(
        rng,
        ("E4A", "E4B", "E41", "E45", "E46", "E48", "E8", "E3", "E13"),
        (0.50, 0.04, 0.05, 0.08, 0.08, 0.03, 0.12, 0.03, 0.07),
        n,
    )
    older = age >= 16
    rec[older] = _choice(
        rng, ("E4A", "E5", "E6", "E8", "E9"), (0.35, 0.35, 0.12, 0.15, 0.03), int(older.sum())
    )
    adopt = (age < 6) & (years_in > 1.2) & (rng.random(n) < 0.55) & ~returns
    rec[adopt] = _choice(rng, ("E11", "E12"), (0.3, 0.7), int(adopt.sum()))
    at18 = end >= adult
    rec[at18] = _choice(
        rng, ("E17", "E5", "E6", "E8", "E7"), (0.12, 0.48, 0.15, 0.22, 0.03), int(at18.sum())
    )
    return rec


def _rec_for_placement(rec: np.ndarray, place: np.ndarray) -> np.ndarray:
    """Special guardianship by former foster carers (E45 relative, E46 other) only from a
    foster placement with such a carer (903 rule 516), otherwise by other carers (E47
    relative, E48 other); staying put at 18 (E17) only from a foster placement."""
    rec = rec.copy()
    sgo = np.isin(rec, SGO_CODES)
    relative = np.isin(rec, ("E45", "E47"))
    rec[sgo & np.isin(place, ("U1", "U2", "U3"))] = "E45"
    rec[sgo & np.isin(place, ("U4", "U5", "U6"))] = "E46"
    other = sgo & ~np.isin(place, FOSTER)
    rec[other] = np.where(relative[other], "E47", "E48")
    rec[(rec == "E17") & ~np.isin(place, FOSTER)] = "E5"
    return rec


def _urns(rng: np.random.Generator, place: np.ndarray, on: np.ndarray) -> np.ndarray:
    """A registered setting's URN (demo.codes.needs_urn), 'XXXXXXX' for foster and adoptive
    placements, blank otherwise."""
    n = len(place)
    sc = np.char.add("SC", np.char.zfill(rng.integers(0, 10**6, n).astype(str), 6))
    xxx = np.isin(place, XXX_URN_PLACES)
    return np.where(needs_urn(place, on), sc, np.where(xxx, "XXXXXXX", "")).astype(object)


def _providers(rng: np.random.Generator, place: np.ndarray) -> np.ndarray:
    prov = np.empty(len(place), dtype=object)
    for code in np.unique(place):
        m = place == code
        opts = PROVIDER_BY_PLACE[code]
        prov[m] = np.asarray(opts, dtype=object)[rng.integers(0, len(opts), int(m.sum()))]
    return prov


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
    rec_last = _end_reasons(rng, dob, start, end, adult, returns)
    adopt = np.isin(rec_last, ("E11", "E12"))
    # Legal status at entry (no remand under 10), and the emergency phase of L1/L2.
    shares = np.tile(np.asarray(INITIAL_LS_SHARES), (n, 1))
    shares[completed_years(dob, start) < 10, INITIAL_LS.index("J1")] = 0
    shares /= shares.sum(axis=1, keepdims=True)
    ls0 = np.asarray(INITIAL_LS)[(rng.random(n)[:, None] > np.cumsum(shares, axis=1)).sum(axis=1)]
    emerg_days = _emergency_days(rng, ls0)
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
    place[m0] = _places(rng, age_start[m0], ls0, decom[m0])
    rne[m0] = "S"
    for j in range(1, int(k.max()) if total else 0):
        idx = np.flatnonzero(ordinal == j)
        prev_ls, prev_place = ls[idx - 1], place[idx - 1]
        kind = _choice(rng, ("P", "L", "B"), (0.62, 0.22, 0.16), len(idx))
        new_ls = prev_ls.copy()
        can_change = np.zeros(len(idx), dtype=bool)
        for code, (nexts, probs) in LS_NEXT.items():
            c = prev_ls == code
            new_ls[c] = _choice(rng, nexts, probs, int(c.sum()))
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
        fresh = _places(rng, age_start[idx], this_ls, decom[idx])
        alt = _places(rng, age_start[idx], this_ls, decom[idx])
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
            fresh[c] = _choice(rng, nexts, probs, int(c.sum()))
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
    rec = np.where(is_last, _rec_for_placement(rec, place), rec)
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
    prov = _providers(rng, place)
    on = ep["DECOM"].values.astype("datetime64[D]")
    urn = _urns(rng, place, on)
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
    ep["CIN"] = _choice(rng, *NEED_CODES, n)[period]
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
    reason = _choice(rng, *PLACE_CHANGE_REASONS, len(ep)).astype(object)
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


# ---------------------------------------------------------------------------------------
# Short breaks (LS V3/V4): outside looked-after counts, never reviewed (903 rule 399)
# ---------------------------------------------------------------------------------------

# Short breaks for disabled children in a residential care home or a health-run unit
# (hospice): placements for which DfE's rules ask no Ofsted URN, since a short break gives
# no placement postcode or URN (903 rules 214, 218, 384, 398).
SHORT_BREAK_PLACES = (("R1", "R2"), (0.7, 0.3))


def simulate_short_breaks(
    rng: np.random.Generator, p: DemoParams, h: Horizon, first_child: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Children on short breaks: one single-episode period each (V3 single short break of 1-14
    days, or V4 series agreement of 1-12 months). Returns (periods, episodes)."""
    start_lo = h.report_start - 365
    window = int((h.end - start_lo) / DAY) + 1
    mean_days = 0.5 * 7.5 + 0.5 * 180
    n = rng.poisson(max(p.short_break_share * p.cla_target, 0) * window / mean_days)
    start = start_lo + days(rng.integers(0, window, n))
    v4 = rng.random(n) < 0.5
    dur = np.where(v4, rng.integers(30, 366, n), rng.integers(1, 15, n))
    dob = start - days(draw_ages(rng, (0, 0, 0.45, 0.5, 0.05), n) + 5 * 365)
    adult = birthday(dob, 18)
    end = np.minimum(start + days(dur), adult - 1)
    ok = end > start
    start, end, dob, v4 = start[ok], end[ok], dob[ok], v4[ok]
    n = len(start)
    child = first_child + np.arange(n)
    periods = pd.DataFrame({"child": child, "period_no": 1, "start": start, "end": end, "dob": dob})
    place = _choice(rng, *SHORT_BREAK_PLACES, n).astype(object)
    episodes = pd.DataFrame(
        {
            "child": child,
            "period": -1,
            "period_no": 1,
            "ordinal": 0,
            "DECOM": start,
            "RNE": "S",
            "LS": np.where(v4, "V4", "V3"),
            "CIN": "N2",
            "PLACE": place.astype(str),
            "PLACE_PROVIDER": _providers(rng, place).astype(str),
            "DEC": end,
            "REC": "E8",
            "REASON_PLACE_CHANGE": "",
            "HOME_POST": "",
            "PL_POST": "",
            "URN": "",
        }
    )
    return periods, episodes


# ---------------------------------------------------------------------------------------
# Reviews (reg. 33) and participation
# ---------------------------------------------------------------------------------------


def review_schedule(
    rng: np.random.Generator,
    wd: WorkDays,
    start: np.ndarray,
    end: np.ndarray,
    horizon_end: np.datetime64,
    late_prob: float,
    early_max_wd: int,
    late_max_wd: int,
    first_wd: int | None,
    first_months: int,
    later_months: int,
) -> pd.DataFrame:
    """Statutory meetings for each case [start, end): the first due `first_wd` working days
    after start (or `first_months` months when first_wd is None), the second `first_months`
    after the first (when first_wd is set), later ones `later_months` after the previous
    actual meeting. On time: held 0..early_max_wd working days before due (never on or
    before the previous); late (share late_prob): 1..late_max_wd working days after due.
    Meetings on or after `end` or after the horizon are not held.
    Returns case, ordinal (1-based), due, held, late."""
    n = len(start)
    case = np.arange(n)
    prev = start.astype("datetime64[D]")
    end = end.astype("datetime64[D]")
    out = []
    ordinal = 1
    while len(case):
        if ordinal == 1:
            due = wd.add(prev, first_wd) if first_wd is not None else add_months(prev, first_months)
        elif ordinal == 2 and first_wd is not None:
            due = add_months(prev, first_months)
        else:
            due = add_months(prev, later_months)
        late = rng.random(len(case)) < late_prob
        early = rng.integers(0, early_max_wd + 1, len(case))
        lateness = rng.integers(1, late_max_wd + 1, len(case))
        held = wd.add(due, np.where(late, lateness, -early))
        held = np.where(held <= prev, wd.add(prev, 1), held)
        late = held > due
        ok = (held < end[case]) & (held <= horizon_end)
        out.append(
            pd.DataFrame(
                {
                    "case": case[ok],
                    "ordinal": ordinal,
                    "due": due[ok],
                    "held": held[ok],
                    "late": late[ok],
                }
            )
        )
        case, prev = case[ok], held[ok]
        ordinal += 1
    if not out:
        empty_d = np.array([], dtype="datetime64[D]")
        return pd.DataFrame(
            {
                "case": np.array([], dtype=np.int64),
                "ordinal": np.array([], dtype=np.int64),
                "due": empty_d,
                "held": empty_d,
                "late": np.array([], dtype=bool),
            }
        )
    return pd.concat(out, ignore_index=True)


def participation_codes(rng: np.random.Generator, p: DemoParams, age: np.ndarray) -> np.ndarray:
    """PN0 exactly for children under 4 at the review (903 rules 440/441), else PN1-PN7."""
    codes = _choice(
        rng, ("PN1", "PN2", "PN3", "PN4", "PN5", "PN6", "PN7"), p.participation_shares, len(age)
    )
    return np.where(age < 4, "PN0", codes)


def simulate_reviews(
    rng: np.random.Generator, p: DemoParams, periods: pd.DataFrame, wd: WorkDays, h: Horizon
) -> pd.DataFrame:
    """Looked-after reviews of every period: child, period, ordinal, due, REVIEW, late, REVIEW_CODE."""
    sched = review_schedule(
        rng,
        wd,
        periods["start"].values,
        periods["end"].values,
        h.end,
        p.review_late_prob,
        p.review_early_max_wd,
        p.review_late_max_wd,
        first_wd=20,
        first_months=3,
        later_months=6,
    )
    dob = periods["dob"].values.astype("datetime64[D]")[sched["case"].values]
    held = sched["held"].values.astype("datetime64[D]")
    return pd.DataFrame(
        {
            "child": periods["child"].values[sched["case"].values],
            "period": sched["case"].values,
            "ordinal": sched["ordinal"].values,
            "due": sched["due"].values,
            "REVIEW": held,
            "late": sched["late"].values,
            "DOB": dob,
            "REVIEW_CODE": participation_codes(rng, p, completed_years(dob, held)),
        }
    )


# ---------------------------------------------------------------------------------------
# PEPs (school-age children in care) and OC2 (looked after for 12 months at 31 March)
# ---------------------------------------------------------------------------------------


def simulate_peps(
    rng: np.random.Generator, p: DemoParams, periods: pd.DataFrame, h: Horizon
) -> pd.DataFrame:
    """PEP meetings held termly while a child of school age (5-15) is in care: child, pep_date.

    The first is 10-30 days after entry (or after the 5th birthday); each next one
    pep_interval_days later; a share is missed (then the next comes a term after)."""
    dob = periods["dob"].values.astype("datetime64[D]")
    start = np.maximum(periods["start"].values.astype("datetime64[D]"), birthday(dob, 5))
    stop = np.minimum(periods["end"].values.astype("datetime64[D]"), birthday(dob, 16))
    stop = np.minimum(stop, h.end + 1)
    case = np.flatnonzero(start < stop)
    nxt = start[case] + days(rng.integers(10, 31, len(case)))
    lo, hi = p.pep_interval_days
    out = []
    while len(case):
        ok = nxt < stop[case]
        case, nxt = case[ok], nxt[ok]
        held = rng.random(len(case)) >= p.pep_miss_prob
        out.append(
            pd.DataFrame({"child": periods["child"].values[case[held]], "pep_date": nxt[held]})
        )
        nxt = nxt + days(rng.integers(lo, hi + 1, len(case)))
    return pd.concat(out, ignore_index=True)


def oc2_rows(
    rng: np.random.Generator, p: DemoParams, periods: pd.DataFrame, year: int
) -> pd.DataFrame:
    """Children looked after continuously for 12 months at 31 March `year` (period started on
    or before 1 April year-1 and not ended before 31 March; DfE's definition in the 903
    rules), with the OC2 items each age calls for:
    - SDQ score or reason from the year the child turns 4 to the year they turn 17 (none
      under 4 at 31 March nor 17 by 1 April: rules 188, 189); SDQ1 (outside the ages) only
      for a child turning 4 or 17 in the year (rules 157, 186, 197B);
    - HEALTH_CHECK (health promotion) only under 5 at 31 March (rules 545, 546);
    - CONVICTED only from 10 (rules 542, 543);
    - INTERVENTION_RECEIVED when misuse is flagged; INTERVENTION_OFFERED only when it was
      not received (rules 158, 159, 192, 193)."""
    y_start, y_end = Horizon.year_bounds(year)
    s = periods["start"].values.astype("datetime64[D]")
    e = periods["end"].values.astype("datetime64[D]")
    m = (s <= y_start) & (e >= y_end)
    rows = periods.loc[m, ["child", "dob"]].drop_duplicates("child")
    n = len(rows)
    dob = rows["dob"].values.astype("datetime64[D]")
    age = completed_years(dob, np.full(n, y_end))
    flags = {k: (rng.random(n) < v).astype(int).astype(str) for k, v in p.oc2_rates.items()}
    b4, b16, b17 = birthday(dob, 4), birthday(dob, 16), birthday(dob, 17)
    sdq_age = (b4 <= y_end) & (b17 >= y_start)
    core = (b4 <= y_start) & (b16 >= y_end)  # 4 to 16 all year: SDQ1 is not a reason
    sdq_done = sdq_age & (rng.random(n) < np.where(core, p.sdq_completed_prob, 0.4))
    score = np.clip(np.round(rng.normal(14, 6.5, n)), 0, 40).astype(int).astype(str)
    # SDQ1: outside ages 4-16; SDQ2-SDQ5: carer refused, disability, other, child refused
    reason = np.where(
        core, _choice(rng, schema.SDQ_REASON_CODES[1:], (0.3, 0.2, 0.3, 0.2), n), "SDQ1"
    )
    misuse = flags["SUBSTANCE_MISUSE"]
    got = np.where(misuse == "1", (rng.random(n) < 0.6).astype(int).astype(str), "")
    offered = np.where(
        (misuse == "1") & (got == "0"), (rng.random(n) < 0.5).astype(int).astype(str), ""
    )
    return pd.DataFrame(
        {
            "child": rows["child"].values,
            "DOB": rows["dob"].values,
            "SDQ_SCORE": np.where(sdq_done, score, ""),
            "SDQ_REASON": np.where(sdq_age & ~sdq_done, reason, ""),
            "CONVICTED": np.where(age >= 10, flags["CONVICTED"], ""),
            "HEALTH_CHECK": np.where(age < 5, flags["HEALTH_CHECK"], ""),
            "IMMUNISATIONS": flags["IMMUNISATIONS"],
            "TEETH_CHECK": flags["TEETH_CHECK"],
            "HEALTH_ASSESSMENT": flags["HEALTH_ASSESSMENT"],
            "SUBSTANCE_MISUSE": misuse,
            "INTERVENTION_RECEIVED": got,
            "INTERVENTION_OFFERED": offered,
        }
    )
