"""Children's characteristics: sex, ethnicity, UPN and identifiers.

Ethnicity shares follow children looked after at 31 March 2023 (DfE): White 73%,
Mixed 10%, Black 7%, Asian 5%, other 4%, not obtained 1%.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from iro_analysis.contract import codes as C

ETHNIC_SHARES: dict[str, float] = {
    "WBRI": 0.655,
    "WIRI": 0.003,
    "WIRT": 0.010,
    "WOTH": 0.052,
    "WROM": 0.010,
    "MWBC": 0.030,
    "MWBA": 0.012,
    "MWAS": 0.010,
    "MOTH": 0.048,
    "AIND": 0.008,
    "APKN": 0.014,
    "ABAN": 0.006,
    "AOTH": 0.020,
    "CHNE": 0.002,
    "BCRB": 0.014,
    "BAFR": 0.034,
    "BOTH": 0.022,
    "OOTH": 0.040,
    "REFU": 0.004,
    "NOBT": 0.006,
}
assert set(ETHNIC_SHARES) == set(C.ETHNIC_CODES)

UPN_CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
LA_CODE = 936  # a plausible three-digit LA number for the UPN
ID_START = 1_000_000  # child ids are 7-digit numbers from here
ORPHAN_START = 9_000_000  # ids reserved for orphan-row faults: never a real child


@dataclass(frozen=True)
class Population:
    """Every simulated child: local index -> id and characteristics."""

    children: pd.DataFrame  # child (int), CHILD (str), DOB, SEX, ETHNIC, UPN


def child_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """n distinct 7-digit identifiers below ORPHAN_START, in random order."""
    if n > ORPHAN_START - ID_START:
        raise ValueError(f"too many children for 7-digit identifiers: {n}")
    picks = rng.choice(ORPHAN_START - ID_START, size=n, replace=False) + ID_START
    return picks.astype(str)


def upns(rng: np.random.Generator, dob: np.ndarray) -> np.ndarray:
    """Unique pupil numbers: check letter + LA (3) + school (4) + year (2) + serial (3).

    The check letter is the DfE rule: sum of characters 2-13 times weights 2-13, mod 23.
    """
    n = len(dob)
    year = (pd.DatetimeIndex(dob).year.values + 4) % 100  # year the child started school
    school = rng.integers(2000, 7000, n)
    serial = rng.integers(0, 1000, n)
    body = np.char.add(
        np.char.add(np.full(n, str(LA_CODE)), np.char.zfill(school.astype(str), 4)),
        np.char.add(np.char.zfill(year.astype(str), 2), np.char.zfill(serial.astype(str), 3)),
    )
    digits = np.frombuffer("".join(body).encode(), dtype=np.uint8).reshape(n, 12) - ord("0")
    check = (digits * np.arange(2, 14)).sum(axis=1) % 23
    letters = np.array(list(UPN_CHECK_LETTERS))[check]
    return np.char.add(letters, body) if n else np.array([], dtype=str)


def characteristics(rng: np.random.Generator, dob: np.ndarray) -> pd.DataFrame:
    """SEX (903 codes 1/2, 56% boys as among children looked after), ETHNIC and UPN."""
    n = len(dob)
    sex = np.where(rng.random(n) < 0.56, "1", "2")
    codes = np.array(list(ETHNIC_SHARES))
    probs = np.array(list(ETHNIC_SHARES.values()))
    ethnic = codes[rng.choice(len(codes), size=n, p=probs / probs.sum())]
    return pd.DataFrame({"SEX": sex, "ETHNIC": ethnic, "UPN": upns(rng, dob)})
