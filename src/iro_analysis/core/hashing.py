"""File hashing: a file's sha256, and the digest of a piece of the package's code or data
(the key of every cache that must not outlive a code change)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from iro_analysis.core import paths


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def files_digest(files: Iterable[Path], prelude: str = "") -> str:
    """Hex sha256 over `prelude`, then each file's path (relative to the package, or its
    name when outside it) and bytes, in the order given: the key of what a piece of the
    package's code (or data) is, for every cache that must not outlive a code change."""
    h = hashlib.sha256(prelude.encode())
    for f in files:
        f = Path(f)
        try:
            name = f.resolve().relative_to(paths.PACKAGE_DIR.resolve()).as_posix()
        except ValueError:
            name = f.name
        h.update(name.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def raw_file_hashes(raw_dir: Path, up_to: int | None = None) -> tuple[tuple[str, str], ...]:
    """(path under `raw_dir`, sha256) of every file in the raw folder's year folders (those
    up to `up_to` when given), sorted by year and path: what a build or a year's clean data
    is made from. A symbolic link is refused naming it (`paths.raw_files`), its target
    never opened."""
    raw_dir = Path(raw_dir)
    return tuple(
        (f.relative_to(raw_dir).as_posix(), sha256_file(f))
        for year in paths.available_years(raw_dir)
        if up_to is None or year <= int(up_to)
        for f in paths.raw_files(paths.raw_year_dir(year, raw_dir))
    )
