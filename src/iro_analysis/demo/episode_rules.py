"""The rules a simulated episode follows: legal statuses and their sequences, placements by
age, providers, URNs and reasons (DfE SSDA903 guidance and validation rules, cited by
number), used by `demo.episodes`.
"""

from __future__ import annotations

import numpy as np

from iro_analysis.demo.codes import needs_urn, place_in_force
from iro_analysis.demo.dates import completed_years
from iro_analysis.demo.sampling import choose

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


def places(rng: np.random.Generator, age: np.ndarray, ls: np.ndarray, on: np.ndarray) -> np.ndarray:
    """New placements by age group, P1 only under a care order, coded as DfE codes a
    placement starting on `on` (demo.codes.PLACE_CHANGES)."""
    out = np.empty(len(age), dtype=object)
    groups = np.where(age >= 16, "16plus", np.where(age >= 10, "older", "young"))
    p1_ok = np.isin(ls, P1_LS)
    for g, (codes, probs) in PLACE_BY_AGE.items():
        for ok in (True, False):
            m = (groups == g) & (p1_ok == ok)
            pr = np.asarray(probs, dtype=float) * (ok | (np.asarray(codes) != "P1"))
            out[m] = choose(rng, codes, pr, int(m.sum()))
    return place_in_force(out, on)


def emergency_days(rng: np.random.Generator, ls: np.ndarray) -> np.ndarray:
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


def end_reasons(rng: np.random.Generator, dob, start, end, adult, returns) -> np.ndarray:
    """REC of the last episode of each period, consistent with age and length (special
    guardianship codes are matched to the last placement later). A child who `returns` to
    care later was not adopted (903 rule 199)."""
    n = len(end)
    age = completed_years(dob, end)
    years_in = (end - start).astype(np.int64) / 365.25
    rec = choose(
        rng,
        ("E4A", "E4B", "E41", "E45", "E46", "E48", "E8", "E3", "E13"),
        (0.50, 0.04, 0.05, 0.08, 0.08, 0.03, 0.12, 0.03, 0.07),
        n,
    )
    older = age >= 16
    rec[older] = choose(
        rng, ("E4A", "E5", "E6", "E8", "E9"), (0.35, 0.35, 0.12, 0.15, 0.03), int(older.sum())
    )
    adopt = (age < 6) & (years_in > 1.2) & (rng.random(n) < 0.55) & ~returns
    rec[adopt] = choose(rng, ("E11", "E12"), (0.3, 0.7), int(adopt.sum()))
    at18 = end >= adult
    rec[at18] = choose(
        rng, ("E17", "E5", "E6", "E8", "E7"), (0.12, 0.48, 0.15, 0.22, 0.03), int(at18.sum())
    )
    return rec


def rec_for_placement(rec: np.ndarray, place: np.ndarray) -> np.ndarray:
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


def urns(rng: np.random.Generator, place: np.ndarray, on: np.ndarray) -> np.ndarray:
    """A registered setting's URN (demo.codes.needs_urn), 'XXXXXXX' for foster and adoptive
    placements, blank otherwise."""
    n = len(place)
    sc = np.char.add("SC", np.char.zfill(rng.integers(0, 10**6, n).astype(str), 6))
    xxx = np.isin(place, XXX_URN_PLACES)
    return np.where(needs_urn(place, on), sc, np.where(xxx, "XXXXXXX", "")).astype(object)


def provider_ids(rng: np.random.Generator, place: np.ndarray) -> np.ndarray:
    prov = np.empty(len(place), dtype=object)
    for code in np.unique(place):
        m = place == code
        opts = PROVIDER_BY_PLACE[code]
        prov[m] = np.asarray(opts, dtype=object)[rng.integers(0, len(opts), int(m.sum()))]
    return prov
