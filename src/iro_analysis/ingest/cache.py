"""Parse once, reuse everywhere: each raw file's Parts cached as parquet.

What is cached is only what one file's bytes and the contract determine: the per-file read,
normalise, dedup, type and row-level quarantine step (`parts.csv_file_parts`,
`parts.xml903_file_parts`, `parts.cin_file_parts`). The cross-file and cross-year rules run
on every build. An entry lives in `<cache_dir>/<sha256>-<kind>-<key>/`:

- sha256: of the raw file's bytes (one changed byte gives another entry);
- kind: what the file was read as (a CSV table's name, "ssda903_xml" or "cin_census"),
  or "cin_census_source" for a census's element kinds as text tables, as read, which the
  census's parse stores for the raw files' suites (`census_reader`, `raw_tables`);
- key (`contract_key`): the reporting year, `READER_VERSION`, every contract yaml and the
  source of the modules the per-file step runs, so a changed contract or reader misses;
  and, for an IRO extract the settings' `code_map` maps (`ingest.code_map`), the digest of
  that table's map, so a changed map misses too (a table without a map keeps its key).

Entries are written to a temporary folder and renamed into place, so a reader sees a whole
entry or none. An entry that cannot be read back, or whose files do not match the sha256
its `meta.json` lists, is ignored, removed and rebuilt. Labels (the file's path in its year
folder) are stored relative to the file, so a renamed file reuses its entry.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from functools import lru_cache, partial
from pathlib import Path

import pandas as pd

from iro_analysis.contract import CONTRACT_DIR
from iro_analysis.core.hashing import files_digest, sha256_file
from iro_analysis.ingest.parts import Part, cin_file_parts

# Bump when the per-file step changes in a way the hashed sources below would not show.
READER_VERSION = "1"
CACHE_DIRNAME = "_cache"
META = "meta.json"
FRAMES = ("raw", "typed", "failures", "warnings")
# Temporary folders older than this are left by a killed build and removed.
STALE_TMP_SECONDS = 3600

_PACKAGE = Path(__file__).resolve().parents[1]
# The packages whose code the per-file step runs (the data contract and the readers): a
# change to any of their modules misses the cache. Whole packages, so a module split out
# later is keyed without anyone remembering to list it.
KEYED_PACKAGES = ("contract", "ingest")


def _keyed_sources() -> list[Path]:
    return sorted(f for pkg in KEYED_PACKAGES for f in (_PACKAGE / pkg).glob("*.py"))


Reader = Callable[[Path, str, int], tuple[list[Part], list[tuple]]]


def cache_dir_of(processed_dir: Path) -> Path:
    """Where the parse cache lives: `<processed_dir>/_cache`."""
    return Path(processed_dir) / CACHE_DIRNAME


@lru_cache(maxsize=1)
def code_digest() -> str:
    """sha256 over READER_VERSION, every contract yaml and the keyed module sources."""
    contract = sorted(CONTRACT_DIR.glob("*.yaml"))
    return files_digest([*contract, *_keyed_sources()], f"reader {READER_VERSION}\n")


def contract_key(year: int, variant: str = "") -> str:
    """The part of an entry's name that the code and contract decide (16 hex digits), and
    `variant` when not '' (the digest of the file's table's code map)."""
    extra = f":{variant}" if variant else ""
    return hashlib.sha256(f"{year}:{code_digest()}{extra}".encode()).hexdigest()[:16]


def entry_dir(cache_dir: Path, sha256: str, kind: str, year: int, variant: str = "") -> Path:
    """The folder of one raw file's entry."""
    return Path(cache_dir) / f"{sha256}-{kind}-{contract_key(year, variant)}"


def _suffix(label: str, rel: str) -> str:
    """A label relative to its file's path ("ssda903/x.xml#header" -> "#header")."""
    if not label.startswith(rel):
        raise ValueError(f"label {label!r} is not of the file {rel!r}")
    return label[len(rel) :]


def _json_default(o):
    if hasattr(o, "item"):  # numpy scalars
        return o.item()
    raise TypeError(f"cannot store {type(o).__name__} in the parse cache")


@contextmanager
def _atomic_entry(dest: Path):
    """A temporary folder to write an entry in, renamed to `dest` when the block ends
    (a racing writer's complete entry is kept and ours dropped); removed on failure."""
    tmp = dest.parent / f".tmp-{dest.name}-{uuid.uuid4().hex}"
    tmp.mkdir(parents=True)
    try:
        yield tmp
        try:
            tmp.rename(dest)
        except OSError:
            if not (dest / META).is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _damaged(exc: Exception) -> bool:
    """Whether reading an entry failed because the entry is damaged (missing or unreadable
    files, pyarrow's errors on a damaged parquet file), not because of a bug."""
    return isinstance(exc, OSError | ValueError | KeyError | TypeError | IndexError) or (
        type(exc).__module__.startswith("pyarrow")
    )


def _write_entry(dest: Path, rel: str, parts: list[Part], warns: list[tuple]) -> None:
    """Write an entry atomically (`_atomic_entry`)."""
    with _atomic_entry(dest) as tmp:
        metas, files = [], {}
        for i, p in enumerate(parts):
            for name in FRAMES:
                f = f"{i}-{name}.parquet"
                getattr(p, name).to_parquet(tmp / f, index=True)
                files[f] = sha256_file(tmp / f)
            extra = {k: v for k, v in p.extra.items() if k != "path"}
            metas.append(
                {
                    "table": p.table,
                    "suffix": _suffix(p.file, rel),
                    "rows_read": p.rows_read,
                    "duplicates": p.duplicates,
                    "extra": extra,
                    "has_path": "path" in p.extra,
                }
            )
        meta = {
            "parts": metas,
            "warnings": [[_suffix(w[1], rel), *w[2:]] for w in warns],
            "files": files,
        }
        (tmp / META).write_text(json.dumps(meta, default=_json_default), encoding="utf-8")


def _read_entry(
    entry: Path, path: Path, rel: str, year: int
) -> tuple[list[Part], list[tuple]] | None:
    """The Parts and warnings of an entry, relabelled for `rel`; None if missing or damaged."""
    try:
        meta = json.loads((entry / META).read_text(encoding="utf-8"))
        for f, digest in meta["files"].items():
            if sha256_file(entry / f) != digest:
                return None
        parts = []
        for i, m in enumerate(meta["parts"]):
            frames = {n: pd.read_parquet(entry / f"{i}-{n}.parquet") for n in FRAMES}
            extra = dict(m["extra"])
            if m["has_path"]:
                extra["path"] = path
            parts.append(
                Part(
                    year=year,
                    table=m["table"],
                    file=rel + m["suffix"],
                    rows_read=int(m["rows_read"]),
                    duplicates=int(m["duplicates"]),
                    extra=extra,
                    **frames,
                )
            )
        warns = [(year, rel + w[0], *w[1:]) for w in meta["warnings"]]
        return parts, warns
    except Exception as exc:
        if _damaged(exc):
            return None
        raise


def cached_parts(
    cache_dir: Path | None,
    reader: Reader,
    kind: str,
    path: Path,
    rel: str,
    year: int,
    sha256: str | None = None,
    variant: str = "",
) -> tuple[list[Part], list[tuple]]:
    """`reader(path, rel, year)`, from the cache when an intact entry exists.

    `variant` is what else the reader depends on (the digest of the table's code map): a
    different one is another entry. Without a cache folder this is `reader(...)`. Errors of
    the reader (bad input) propagate and nothing is stored.
    """
    if cache_dir is None:
        return reader(path, rel, year)
    entry = entry_dir(cache_dir, sha256 or sha256_file(path), kind, year, variant)
    if entry.is_dir():
        got = _read_entry(entry, path, rel, year)
        if got is not None:
            return got
        shutil.rmtree(entry, ignore_errors=True)  # damaged: rebuilt below
    parts, warns = reader(path, rel, year)
    _write_entry(entry, rel, parts, warns)
    return parts, warns


# The census's element kinds as text tables, as read (`cin_census.census_tables`): what the
# raw files' suites validate (`raw_tables`). The cleaner's parse of a census writes them
# beside its Parts' entry, so validating the raw files does not parse the census again.
CENSUS_SOURCE = "cin_census_source"


def census_reader(cache_dir: Path | None) -> Reader:
    """The census's reader (`parts.cin_file_parts`); with a cache folder, one that also
    stores the census's tables as read (`CENSUS_SOURCE`) for the raw files' suites."""
    return cin_file_parts if cache_dir is None else partial(_keeping_source, cache_dir=cache_dir)


def _keeping_source(p: Path, rel: str, year: int, cache_dir: Path):
    tables: dict[str, pd.DataFrame] = {}
    got = cin_file_parts(p, rel, year, tables)
    entry = entry_dir(cache_dir, sha256_file(p), CENSUS_SOURCE, year)
    if not entry.is_dir():
        write_frames(entry, tables)
    return got


def write_frames(dest: Path, frames: dict[str, pd.DataFrame]) -> None:
    """Store named frames as an entry (atomically: a temporary folder renamed to `dest`;
    a racing writer's complete entry is kept)."""
    with _atomic_entry(dest) as tmp:
        files = {}
        for i, (name, frame) in enumerate(frames.items()):
            f = f"{i}.parquet"
            frame.to_parquet(tmp / f, index=True)
            files[f] = [name, sha256_file(tmp / f)]
        (tmp / META).write_text(json.dumps({"frames": files}), encoding="utf-8")


def read_frames(entry: Path) -> dict[str, pd.DataFrame] | None:
    """The frames `write_frames` stored, in order; None if missing or damaged (then removed)."""
    if not (entry / META).is_file():
        return None
    try:
        meta = json.loads((entry / META).read_text(encoding="utf-8"))
        out = {}
        for f, (name, digest) in meta["frames"].items():
            if sha256_file(entry / f) != digest:
                raise ValueError(f"{entry / f} does not match its digest")
            out[name] = pd.read_parquet(entry / f)
        return out
    except Exception as exc:
        if not _damaged(exc):
            raise
        shutil.rmtree(entry, ignore_errors=True)
        return None


def remove_stale_tmp(cache_dir: Path, older_than: float = STALE_TMP_SECONDS) -> None:
    """Remove temporary folders a killed build left in the cache folder."""
    if not Path(cache_dir).is_dir():
        return
    now = time.time()
    for d in Path(cache_dir).glob(".tmp-*"):
        try:
            if now - d.stat().st_mtime > older_than:
                shutil.rmtree(d, ignore_errors=True)
        except OSError:
            continue
