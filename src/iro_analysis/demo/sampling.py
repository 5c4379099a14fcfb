"""Random draws the demo modules share: codes by share, and ages from DfE age-band shares."""

from __future__ import annotations

import numpy as np

AGE_BANDS_YEARS = ((0.0, 1.0), (1.0, 5.0), (5.0, 10.0), (10.0, 16.0), (16.0, 17.9))


def choose(rng: np.random.Generator, codes, probs, n: int) -> np.ndarray:
    p = np.asarray(probs, dtype=float)
    return np.asarray(codes)[rng.choice(len(p), size=n, p=p / p.sum())]


def draw_ages(rng: np.random.Generator, shares, n: int) -> np.ndarray:
    """Ages in days, from shares of the five DfE age bands, uniform within each band."""
    band = rng.choice(len(AGE_BANDS_YEARS), size=n, p=np.asarray(shares) / np.sum(shares))
    lo = np.array([b[0] for b in AGE_BANDS_YEARS])[band]
    hi = np.array([b[1] for b in AGE_BANDS_YEARS])[band]
    return np.floor((lo + (hi - lo) * rng.random(n)) * 365.25).astype(np.int64)
