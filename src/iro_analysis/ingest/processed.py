"""Write a clean Dataset as parquet (atomically) and read it back with the clean dtypes."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pandas as pd

from iro_analysis import paths
from iro_analysis.contract import schema as S
from iro_analysis.errors import InputError
from iro_analysis.ingest.dataset import Dataset
from iro_analysis.ingest.quarantine import (
    ACCOUNTING_DTYPES,
    FACT_DTYPES,
    QUARANTINE_DTYPES,
    coerce_table,
)

EXTRA_TABLES = ("supplied", "quarantine", "accounting", "warnings", "facts")


def write_processed(ds: Dataset, out_dir: Path) -> Path:
    """Write a Dataset as parquet to `out_dir` atomically (temporary folder, then rename).

    A failure before the final rename leaves any previous `out_dir` untouched.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{uuid.uuid4().hex}"
    old = out_dir.parent / f".{out_dir.name}.old-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        for name, df in ds.tables.items():
            df.to_parquet(tmp / f"{name}.parquet", index=False)
        for name in EXTRA_TABLES:
            getattr(ds, name).to_parquet(tmp / f"{name}.parquet", index=False)
        if out_dir.exists():
            out_dir.rename(old)
        try:
            tmp.rename(out_dir)
        except BaseException:
            if old.exists():
                old.rename(out_dir)
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return out_dir


def load_processed(year: int, processed_dir: Path | None = None) -> Dataset:
    """Read back what `run_clean` wrote for `year`, with the clean dtypes."""
    folder = paths.processed_year_dir(year, Path(processed_dir) if processed_dir else None)
    if not folder.is_dir():
        raise InputError(
            f"no processed data for {year}: expected {folder} (run `iro-analysis clean --year {year}`)"
        )
    tables = {}
    for t in S.CLEAN_TABLES:
        f = folder / f"{t}.parquet"
        if not f.is_file():
            raise InputError(f"processed data incomplete: expected {f}")
        tables[t] = coerce_table(pd.read_parquet(f), t)
    for name in EXTRA_TABLES:
        if not (folder / f"{name}.parquet").is_file():
            raise InputError(f"processed data incomplete: expected {folder / f'{name}.parquet'}")
    supplied = pd.read_parquet(folder / "supplied.parquet").astype(
        {"year": "int64", "input": "str", "path": "str", "present": "bool", "sha256": "str"}
    )
    quarantine = pd.read_parquet(folder / "quarantine.parquet").astype(QUARANTINE_DTYPES)
    accounting = pd.read_parquet(folder / "accounting.parquet").astype(ACCOUNTING_DTYPES)
    warnings = pd.read_parquet(folder / "warnings.parquet").astype(QUARANTINE_DTYPES)
    return Dataset(
        tables=tables,
        supplied=supplied,
        quarantine=quarantine,
        accounting=accounting,
        warnings=warnings,
        facts=pd.read_parquet(folder / "facts.parquet").astype(FACT_DTYPES),
    )


def load_warnings(year: int, processed_dir: Path | None = None) -> pd.DataFrame:
    """The warnings table `run_clean` wrote for `year` (without loading the clean tables)."""
    folder = paths.processed_year_dir(year, Path(processed_dir) if processed_dir else None)
    return pd.read_parquet(folder / "warnings.parquet").astype(QUARANTINE_DTYPES)
