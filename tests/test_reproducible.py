"""The same inputs give the same bytes, whichever process builds them and when."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

YEAR = 2022


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _build(root: Path, settings: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}  # time from data
    cli = [sys.executable, "-m", "iro_analysis", "report", "--year", str(YEAR)]
    done = subprocess.run(
        [*cli, "--settings", str(settings)],
        check=True,
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
    )
    return done.stdout


@pytest.mark.slow
def test_two_processes_build_identical_files(tmp_path, demo_raw):
    shutil.copytree(demo_raw, tmp_path / "raw")
    settings = tmp_path / "settings.yaml"
    settings.write_text(
        "paths:\n"
        + "".join(
            f"  {k}: {tmp_path / k}\n" for k in ("raw", "processed", "reports", "restricted")
        ),
        encoding="utf-8",
    )
    published, notebooks = tmp_path / "reports" / str(YEAR), tmp_path / "restricted" / str(YEAR)
    _build(tmp_path, settings)
    first = _files(published), _files(notebooks / "notebooks")
    shutil.rmtree(tmp_path / "processed")  # cleaned again from nothing
    assert "reused" not in _build(tmp_path, settings)
    second = _files(published), _files(notebooks / "notebooks")
    # the second build drew every chart afresh (its processed folder was new) and cached it
    charts = tmp_path / "processed" / "_cache" / "charts"
    drawn = {p.name: p.stat().st_mtime_ns for p in charts.glob("*.json")}
    assert len(drawn) >= 10
    # Nothing the clean data depends on changed: the third build reuses the clean data and
    # the validation (pipeline/reuse.py), the KPI cache and every cached chart (issue #31),
    # and changes not one byte: a cached build is the uncached one, byte for byte.
    assert "clean and validate: reused" in _build(tmp_path, settings)
    assert {p.name: p.stat().st_mtime_ns for p in charts.glob("*.json")} == drawn
    assert (_files(published), _files(notebooks / "notebooks")) == second
    assert sorted(first[0]) == sorted(second[0])
    assert {
        "iro-annual-report-2021-22.html",
        "iro-technical-annex-2021-22.html",
        "kpis.xlsx",
        "manifest.json",
        "validation.json",
        "data-quality.html",
    } <= set(first[0])
    for name in first[0]:
        assert first[0][name] == second[0][name], f"reports/{YEAR}/{name} differs"
    assert sorted(first[1]) == ["01_clean.ipynb", "02_validate.ipynb", "03_annual_report.ipynb"]
    for name in first[1]:
        assert first[1][name] == second[1][name], f"restricted/{YEAR}/notebooks/{name} differs"
        assert b".build-" not in first[1][name], f"{name} names a staging folder"
    for name, data in first[0].items():
        assert b".build-" not in data, f"reports/{YEAR}/{name} names a staging folder"
    with zipfile.ZipFile(published / "kpis.xlsx") as z:
        assert {i.date_time for i in z.infolist()} == {(YEAR, 3, 31, 0, 0, 0)}
        assert b"2022-03-31T00:00:00Z" in z.read("docProps/core.xml")
