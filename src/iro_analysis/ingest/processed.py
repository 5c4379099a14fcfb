"""Write a clean Dataset as parquet (atomically) and read it back with the clean dtypes."""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from importlib import metadata
from pathlib import Path

import pandas as pd

from iro_analysis.contract import tables as T
from iro_analysis.core import paths
from iro_analysis.core.errors import InputError
from iro_analysis.core.hashing import raw_file_hashes
from iro_analysis.ingest.authority import RETURN_COUNT_DTYPES
from iro_analysis.ingest.dataset import Dataset
from iro_analysis.ingest.quarantine import (
    ACCOUNTING_DTYPES,
    FACT_DTYPES,
    QUARANTINE_DTYPES,
    coerce_table,
)

EXTRA_TABLES = ("supplied", "quarantine", "accounting", "warnings", "facts", "return_counts")


CLEAN_KEY = "clean-key.json"  # beside the parquet: what the clean data was made from


def write_processed(ds: Dataset, out_dir: Path, key: str | None = None) -> Path:
    """Write a Dataset as parquet to `out_dir` atomically (temporary folder, then rename),
    with its freshness `key` (`clean_key`) when given.

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
        if key is not None:
            (tmp / CLEAN_KEY).write_text(json.dumps({"key": key}) + "\n", encoding="utf-8")
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
    for t in T.CLEAN_TABLES:
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
        return_counts=pd.read_parquet(folder / "return_counts.parquet").astype(RETURN_COUNT_DTYPES),
    )


def load_quarantine(year: int, processed_dir: Path | None = None) -> pd.DataFrame:
    """The quarantine table `run_clean` wrote for `year` (without loading the clean tables)."""
    folder = paths.processed_year_dir(year, Path(processed_dir) if processed_dir else None)
    return pd.read_parquet(folder / "quarantine.parquet").astype(QUARANTINE_DTYPES)


def load_warnings(year: int, processed_dir: Path | None = None) -> pd.DataFrame:
    """The warnings table `run_clean` wrote for `year` (without loading the clean tables)."""
    folder = paths.processed_year_dir(year, Path(processed_dir) if processed_dir else None)
    return pd.read_parquet(folder / "warnings.parquet").astype(QUARANTINE_DTYPES)


# --------------------------------------------------------------------------------------
# Freshness: one rule for every reader of a year's clean data (issue #25)
# --------------------------------------------------------------------------------------

# Libraries whose versions decide how a raw file is parsed and typed.
KEYED_LIBRARIES = ("pandas", "numpy", "pyarrow")


def clean_key(year: int, raw_dir: Path, code_map=None) -> str:
    """sha256 over the year, the raw folder, every raw input up to it (`core.hashing.raw_file_hashes`), the
    cleaner's code and contract (`ingest.cache`), the library versions and the settings'
    code map when there is one (`ingest.code_map.CodeMap`): equal keys, equal clean data."""
    from iro_analysis.ingest.cache import code_digest

    versions = {lib: _version(lib) for lib in KEYED_LIBRARIES}
    doc = {
        "year": int(year),
        "raw_dir": str(Path(raw_dir).resolve()),  # the clean data records the files' paths
        "inputs": [list(pair) for pair in raw_file_hashes(raw_dir, up_to=year)],
        "code": code_digest(),
        "libraries": versions,
    }
    if code_map is not None and code_map.digest():  # none: the key it had before
        doc["code_map"] = code_map.digest()
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def _version(lib: str) -> str:
    try:
        return metadata.version(lib)
    except metadata.PackageNotFoundError:
        return "absent"


def recorded_key(year: int, processed_dir: Path | None = None) -> str | None:
    """The key the clean data of `year` was written with, or None (none, or unreadable)."""
    folder = paths.processed_year_dir(year, Path(processed_dir) if processed_dir else None)
    try:
        return json.loads((folder / CLEAN_KEY).read_text(encoding="utf-8"))["key"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
