"""Reusing a year's clean data and validation when nothing they depend on has changed.

A rebuild after an edit to the narrative (or the report's code) need not clean and
validate again: the clean data and the validation results depend only on the raw files,
the settings, the code of the data contract, the readers and the validation, and the
library versions. `data_key(run)` is a sha256 over all of these. A successful build
records it beside the clean data (`processed/<YEAR>/prepared-key.json`, which a re-clean
replaces with its whole folder) and beside the restricted outputs
(`restricted/<YEAR>/prepared-key.json`); the next build reuses the published validation
results and the executed clean and validate notebooks only when both records equal its
own key and every file it needs is there. Anything else runs the steps again: the reuse
can skip work, never change a figure.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from functools import cache
from importlib import metadata
from pathlib import Path

from iro_analysis import __version__
from iro_analysis.core import paths
from iro_analysis.core.hashing import files_digest
from iro_analysis.core.run import Run
from iro_analysis.pipeline.notebooks import CLEAN_NOTEBOOK, VALIDATE_NOTEBOOK

KEY_FILE = "prepared-key.json"
# The packages whose code decides the clean data and the validation results.
KEYED_PACKAGES = ("contract", "ingest", "validate")
KEYED_LIBRARIES = ("pandas", "numpy", "pyarrow", "great_expectations")
# What the clean and validate steps leave, relative to reports/<YEAR>/ and restricted/<YEAR>/.
PUBLISHED_FILES = ("validation.json", "data-quality.html")
RESTRICTED_FILES = (
    f"notebooks/{CLEAN_NOTEBOOK}",
    f"notebooks/{VALIDATE_NOTEBOOK}",
    "validation-full.json",
)
RESTRICTED_FOLDERS = ("gx",)


@cache
def _code_digest() -> str:
    versions = "".join(f"{lib} {_version(lib)}\n" for lib in KEYED_LIBRARIES)
    files = [
        f
        for pkg in KEYED_PACKAGES
        for f in sorted((paths.PACKAGE_DIR / pkg).rglob("*"))
        if f.is_file() and f.suffix in (".py", ".yaml")
    ]
    return files_digest(files, f"iro-analysis {__version__}\n{versions}")


def _version(lib: str) -> str:
    try:
        return metadata.version(lib)
    except metadata.PackageNotFoundError:
        return "absent"


def key_of(year: int, inputs: tuple[tuple[str, str], ...], settings_sha256: str) -> str:
    """sha256 over the year, every raw input's sha256, the settings file's sha256, the
    code of contract/, ingest/ and validate/, and the library versions."""
    doc = {
        "year": year,
        "inputs": [list(i) for i in inputs],
        "settings": settings_sha256,
        "code": _code_digest(),
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def data_key(run: Run) -> str:
    """The key of the Run's clean data and validation (`key_of`)."""
    return key_of(run.year, run.inputs, run.settings_sha256)


def _records_of(year: int, processed_dir: Path, restricted_dir: Path) -> tuple[Path, Path]:
    return (
        paths.processed_year_dir(year, processed_dir) / KEY_FILE,
        paths.restricted_year_dir(year, restricted_dir) / KEY_FILE,
    )


def _records(run: Run) -> tuple[Path, Path]:
    return _records_of(run.year, run.processed_dir, run.restricted_dir)


def recorded(year: int, processed_dir: Path, restricted_dir: Path, key: str) -> bool:
    """True when the last successful build of `year` recorded `key` beside its clean data
    and its restricted outputs, and the clean data is there."""
    return (
        all(_read_key(p) == key for p in _records_of(year, processed_dir, restricted_dir))
        and (paths.processed_year_dir(year, processed_dir) / "accounting.parquet").is_file()
    )


def _read_key(path: Path) -> str | None:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("key")
    except (OSError, ValueError, AttributeError):
        return None


def reusable(run: Run) -> bool:
    """True when the last successful build of the Run's year cleaned and validated exactly
    what this build would, and its results are all still there."""
    if not run.inputs:  # inputs not hashed (a notebook opened by hand): never reuse
        return False
    key = data_key(run)
    if any(_read_key(p) != key for p in _records(run)):
        return False
    final = paths.report_year_dir(run.year, run.reports_dir)
    r_final = paths.restricted_year_dir(run.year, run.restricted_dir)
    return (
        all((final / f).is_file() for f in PUBLISHED_FILES)
        and all((r_final / f).is_file() for f in RESTRICTED_FILES)
        and (paths.processed_year_dir(run.year, run.processed_dir) / "accounting.parquet").is_file()
    )


def stage_reused(run: Run) -> None:
    """Copy the last build's validation results and clean/validate notebooks into the
    Run's staging folders, as if the two steps had just run."""
    final = paths.report_year_dir(run.year, run.reports_dir)
    r_final = paths.restricted_year_dir(run.year, run.restricted_dir)
    for f in PUBLISHED_FILES:
        shutil.copy2(final / f, run.staging_dir / f)
    for f in RESTRICTED_FILES:
        (run.restricted_staging_dir / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(r_final / f, run.restricted_staging_dir / f)
    for d in RESTRICTED_FOLDERS:
        if (r_final / d).is_dir():
            shutil.copytree(r_final / d, run.restricted_staging_dir / d, dirs_exist_ok=True)


def record(run: Run, restricted_staging: Path | None = None) -> None:
    """When a build is about to publish: note which data its clean data and validation
    came from, beside the clean data and in the restricted folder (its staging folder when
    given, published with the rest; the record then exists only if the publish succeeded)."""
    text = json.dumps({"key": data_key(run)}, indent=2) + "\n"
    processed_key, restricted_key = _records(run)
    if restricted_staging is not None:
        restricted_key = Path(restricted_staging) / KEY_FILE
    for path in (processed_key, restricted_key):
        if path.parent.is_dir():
            # A new file renamed into place: processed folders of `make reports` share
            # hard-linked files, and writing through a link would change every year's.
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
