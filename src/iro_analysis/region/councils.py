"""Councils as a dimension: DfE's three-digit LA codes, the region raw layout and the demo
region.

A region's raw folder holds one folder per council, named by its DfE three-digit ("old")
local authority code, each laid out as a single council's raw folder:
`<raw>/<la_code>/<YEAR>/...` (e.g. `data/raw/202/2022/` for Camden). Year folders
(`<raw>/<YEAR>/`, four digits) are the single-council layout and may sit beside them: each
layout ignores the other's folders. The codes and names are `data/la_codes.csv` (DfE's
list, source in its header). `generate_region` writes a demo region of distinct councils.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from iro_analysis.core import paths
from iro_analysis.core.errors import InputError
from iro_analysis.demo.params import DemoParams

LA_CODES_FILE = paths.PACKAGE_DATA_DIR / "la_codes.csv"
REGION = "region"  # la_code of the pooled rows; never a council folder (not three digits)

# Children looked after at 31 March of a demo region's councils when no sizes are given:
# log-uniform between these (English councils range from about 50 to over 2,000).
DEMO_SIZE_RANGE = (80, 600)


@functools.cache
def la_codes() -> pd.DataFrame:
    """DfE's three-digit LA codes: `la_code, la_name, new_la_code, status` (live or
    terminated), one row per code, from `data/la_codes.csv`."""
    return pd.read_csv(LA_CODES_FILE, comment="#", dtype=str, keep_default_na=False)


def la_names() -> dict[str, str]:
    """la_code -> council name, for every code on DfE's list."""
    df = la_codes()
    return dict(zip(df["la_code"], df["la_name"], strict=True))


def is_council_folder_name(name: str) -> bool:
    """Whether a folder name has the form of a council folder (three digits)."""
    return len(name) == 3 and name.isdigit()


def council_folders(raw_dir: Path) -> dict[str, Path]:
    """la_code -> raw folder of each council in a region's raw folder, by code.

    A folder named by three digits is a council and its code must be on DfE's list; a
    folder named by four digits is a year of the single-council layout and is skipped, as
    are hidden folders (".", "_"). Any other folder is an error naming it, so a mistyped
    council is never silently left out. Files (README.md) are ignored.
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise InputError(f"no region raw folder at {raw_dir}")
    names = la_names()
    out: dict[str, Path] = {}
    for p in sorted(raw_dir.iterdir()):
        if not p.is_dir() or p.name.startswith((".", "_")):
            continue
        if len(p.name) == 4 and p.name.isdigit():
            continue  # a year folder: the single-council layout
        if not is_council_folder_name(p.name):
            raise InputError(
                f"{p} is neither a council folder (a DfE three-digit LA code, e.g. 202) nor "
                "a year folder (e.g. 2022): rename or move it"
            )
        if p.name not in names:
            raise InputError(
                f"{p}: {p.name} is not a DfE three-digit LA code on the list "
                f"({LA_CODES_FILE.name}); check the folder's name"
            )
        out[p.name] = p
    return out


def council_params(rng: np.random.Generator, size: int, fault_rate: float | None) -> DemoParams:
    """A demo council's DemoParams: `size` children looked after at 31 March and its own
    practice, each rate drawn around the national default (`demo/params.py`) so that
    councils differ enough for benchmarking: reviews late, participation (the share of
    PN7, no views conveyed), initial conferences within 15 working days, review
    conferences late, disputes raised and their speed, oversight between reviews and IRO
    caseloads. `fault_rate` None: no faults."""
    base = DemoParams()
    shares = np.asarray(base.participation_shares, dtype=float)
    pn7 = rng.uniform(0.02, 0.16)  # PN7: no views conveyed
    shares = np.append(shares[:-1] / shares[:-1].sum() * (1 - pn7), pn7)
    changes = {
        "cla_target": int(size),
        "review_late_prob": float(rng.uniform(0.03, 0.20)),
        "participation_shares": tuple(float(s) for s in shares),
        "icpc_within_15wd": float(rng.uniform(0.60, 0.95)),
        "rcpc_late_prob": float(rng.uniform(0.02, 0.15)),
        "disputes_per_100_cla": float(rng.uniform(5.0, 20.0)),
        "dispute_resolve_median_wd": float(rng.uniform(12.0, 35.0)),
        "midway_check_prob": float(rng.uniform(0.60, 0.92)),
        "caseload_per_fte": float(rng.uniform(50.0, 75.0)),
    }
    return replace(base, **changes, fault_rate=0.0 if fault_rate is None else float(fault_rate))


def generate_region(
    out_dir: Path,
    n: int,
    seed: int,
    years: list[int],
    sizes: Sequence[int] | None = None,
    fault_rate: float | None = None,
) -> list[str]:
    """Write a demo region of `n` distinct councils to `out_dir/<la_code>/<YEAR>/` with the
    demo generator (`iro_analysis.demo.generate`); returns their la codes, ascending.

    The codes are drawn from DfE's live codes; `sizes` are the councils' children looked
    after at 31 March, in the order of the codes returned (default: log-uniform in
    DEMO_SIZE_RANGE); each council has its own practice (`council_params`) and its own
    seed, all derived from `seed`, so the same arguments write the same bytes.
    `fault_rate` is the share of rows given a data-quality fault; by default none: a
    benchmark compares practice, and in a small council's short files one or two faults
    can exceed the quarantine gate (5% of a file) and stop the region run.
    """
    from iro_analysis.demo import generate

    if n < 1:
        raise ValueError(f"a region needs at least one council, got {n}")
    if sizes is not None and len(sizes) != n:
        raise ValueError(f"sizes gives {len(sizes)} councils' sizes for {n} councils")
    live = la_codes().loc[lambda d: d["status"].eq("live"), "la_code"].to_numpy()
    if n > len(live):
        raise ValueError(f"at most {len(live)} councils (DfE's live LA codes), got {n}")
    streams = np.random.SeedSequence(seed).spawn(n + 1)  # the region's, then each council's
    rng = np.random.default_rng(streams[0])
    codes = sorted(str(c) for c in rng.choice(live, size=n, replace=False))
    if sizes is None:
        lo, hi = np.log(DEMO_SIZE_RANGE[0]), np.log(DEMO_SIZE_RANGE[1])
        sizes = np.rint(np.exp(rng.uniform(lo, hi, n))).astype(int).tolist()
    seeds = [int(s.generate_state(1)[0]) for s in streams[1:]]
    for code, size, council_seed in zip(codes, sizes, seeds, strict=True):
        params = council_params(np.random.default_rng(council_seed), int(size), fault_rate)
        generate(
            Path(out_dir) / code,
            list(years),
            seed=council_seed,
            scale=int(size),
            fault_rate=params.fault_rate,
            params=params,
        )
    return codes
