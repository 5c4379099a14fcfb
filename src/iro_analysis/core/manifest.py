"""The run manifest written beside every report: parameters, input hashes, versions, code.

Deterministic by design (NHS RAP practice, reproducible builds): no wall-clock timestamps.
A generated-on date is included only when `SOURCE_DATE_EPOCH` is set.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import pandas as pd

from iro_analysis import __version__
from iro_analysis.core import paths
from iro_analysis.core.hashing import sha256_file

PACKAGES = (
    "pandas",
    "numpy",
    "pyarrow",
    "great-expectations",
    "papermill",
    "nbconvert",
    "nbclient",
    "matplotlib",
    "seaborn",
    "holidays",
    "jinja2",
    "openpyxl",
)


def package_versions() -> dict[str, str]:
    """Installed versions of the libraries that shape the output."""
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def code_version(root: Path | None = None) -> dict[str, object]:
    """The package version and, in a git checkout, the commit and whether the tree was dirty."""
    root = root or paths.PROJECT_ROOT
    info: dict[str, object] = {
        "package_version": __version__,
        "git_commit": None,
        "git_dirty": None,
    }
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            [
                "git",
                "-C",
                str(root),
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                "src",
                "notebooks",
                "config",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        info.update(git_commit=commit, git_dirty=bool(dirty))
    except (OSError, subprocess.SubprocessError):
        pass
    return info


def generated_on() -> str | None:
    """The build date from SOURCE_DATE_EPOCH (reproducible builds), else None."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return None
    return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date().isoformat()


def build_manifest(
    year: int, parameters: dict[str, object], supplied: pd.DataFrame, root: Path | None = None
) -> dict:
    """The manifest as a dict. `supplied` is `Dataset.supplied` (year, input, path, present, sha256)."""
    root = root or paths.PROJECT_ROOT
    raw = Path(str(parameters.get("raw_dir") or paths.RAW_DIR)).resolve()
    inputs = []
    for row in supplied.sort_values(["year", "input"]).itertuples(index=False):
        p = Path(str(row.path)) if row.path is not None and not pd.isna(row.path) else None
        try:  # relative to the raw folder, so the manifest does not depend on where it lives
            rel = p.resolve().relative_to(raw).as_posix() if p is not None else None
        except ValueError:
            rel = str(p)
        inputs.append(
            {
                "year": int(row.year),
                "input": str(row.input),
                "path": rel,
                "present": bool(row.present),
                "sha256": None if pd.isna(row.sha256) else str(row.sha256),
            }
        )
    return {
        "report_year": year,
        "files": project_files(year, parameters, root),
        "parameters": {
            k: (str(v) if isinstance(v, Path) else v) for k, v in sorted(parameters.items())
        },
        "inputs": inputs,
        "python": platform.python_version(),
        "packages": package_versions(),
        "code": code_version(root),
        "generated_on": generated_on(),
        "outputs": published_outputs(year),
    }


def published_outputs(year: int) -> dict[str, str]:
    """What a build publishes in reports/<YEAR>/ besides this manifest, by role: the
    councillors' report and its technical annex (each also as PDF with --pdf) and the KPI
    files."""
    from iro_analysis.core.paths import annex_filename, report_filename

    return {
        "report": report_filename(year),
        "technical_annex": annex_filename(year),
        "kpis_csv": "kpis.csv",
        "kpis_xlsx": "kpis.xlsx",
    }


def project_files(
    year: int, parameters: dict[str, object], root: Path | None = None
) -> dict[str, dict[str, object]]:
    """The files besides the raw inputs that shape the report, each with its path (relative
    to the project root when under it) and sha256 (None when absent): the analysts'
    narrative, the settings file, the national comparators and the documented assumptions.
    """
    root = (root or paths.PROJECT_ROOT).resolve()
    files = {
        "narrative": parameters.get("narrative_path") or paths.NARRATIVE_DIR / f"{year}.md",
        "settings": parameters.get("settings_path") or paths.SETTINGS_FILE,
        "national_figures": paths.PACKAGE_DATA_DIR / "national_figures.csv",
        "assumptions": paths.DOCS_DIR / "assumptions.md",
    }
    out: dict[str, dict[str, object]] = {}
    for name, where in files.items():
        p = Path(str(where)).resolve()
        try:
            shown = p.relative_to(root).as_posix()
        except ValueError:
            shown = str(p)
        out[name] = {"path": shown, "sha256": sha256_file(p) if p.is_file() else None}
    return out


def write_manifest(manifest: dict, path: Path) -> None:
    """Write the manifest as stable, sorted, indented JSON."""
    path.write_text(
        json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8"
    )
