"""The Run: built once at the door, written as JSON, read back by every step."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from iro_analysis.core import manifest, paths
from iro_analysis.core.errors import IroAnalysisError
from iro_analysis.core.params import RUN_PARAMETERS, load_run
from iro_analysis.core.run import Run
from iro_analysis.core.settings import SettingsError


def _raw(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    for y in (2021, 2022):
        (raw / str(y) / "iro").mkdir(parents=True)
        (raw / str(y) / "iro" / "a.csv").write_text(f"x\n{y}\n")
    return raw


def test_create_checks_once_and_round_trips(tmp_path):
    raw = _raw(tmp_path)
    run = Run.create(2022, raw_dir=raw, reports_dir=tmp_path / "r", restricted_dir=tmp_path / "x")
    assert run.staging_dir.parent.name.startswith(".build-2022-")
    assert run.staging_dir.name == "2022" and run.restricted_staging_dir.name == "2022"
    assert run.inputs == (
        ("2021/iro/a.csv", manifest.sha256_file(raw / "2021/iro/a.csv")),
        ("2022/iro/a.csv", manifest.sha256_file(raw / "2022/iro/a.csv")),
    )
    assert run.settings_sha256 == manifest.sha256_file(paths.SETTINGS_FILE)
    earlier = Run.create(2021, raw_dir=raw)  # a later year's files are not its inputs
    assert earlier.inputs == run.inputs[:1]
    path = run.write()
    assert path == run.restricted_staging_root / "run.json"
    assert Run.load(path) == run
    assert json.loads(path.read_text())["year"] == 2022


def test_create_names_the_years_there_are(tmp_path):
    raw = _raw(tmp_path)
    with pytest.raises(IroAnalysisError, match="no raw data for 2023.*years available: 2021, 2022"):
        Run.create(2023, raw_dir=raw)
    with pytest.raises(ValueError, match="four-digit year"):
        Run.create("22", raw_dir=raw)


def test_a_changed_settings_file_is_an_error(tmp_path):
    s = tmp_path / "settings.yaml"
    s.write_text("council_name: Shire\n")
    run = Run.create(2022, raw_dir=_raw(tmp_path), settings_path=s)
    assert run.settings().council_name == "Shire"
    s.write_text("council_name: Other\n")
    with pytest.raises(SettingsError, match="changed"):
        run.settings()


def test_for_year_shares_the_build_but_not_its_staging(tmp_path):
    run = Run.create(2022, raw_dir=_raw(tmp_path), validate_years=(2021, 2022))
    other = run.for_year(2021)
    assert other.year == 2021 and other.validate_years == ()
    assert other.settings_sha256 == run.settings_sha256
    assert other.inputs == run.inputs[:1] == Run.create(2021, raw_dir=run.raw_dir).inputs
    assert other.staging_dir.name == "2021" and other.staging_root != run.staging_root
    assert other.narrative_path.name == "2021.md"


def test_the_door_checks_every_year_s_narrative_before_any_step(tmp_path):
    """`Run.create` is the ground floor's part (no narrative check: core imports no stage);
    `open_run` and `run_for_year` add the narrative's check, for each year's own file."""
    from iro_analysis.pipeline.door import open_run, run_for_year
    from iro_analysis.report.narrative import NarrativeError

    raw = _raw(tmp_path)
    notes = tmp_path / "narrative"
    notes.mkdir()
    (notes / "2022.md").write_text("## Key messages\n\nFine.\n")
    (notes / "2021.md").write_text("## Key messages\n\n{{ kpi.nope }}\n")
    Run.create(2021, raw_dir=raw, narrative_path=notes / "2021.md")  # not the core's check
    with pytest.raises(NarrativeError, match=r"2021\.md: unknown placeholder 'kpi\.nope'"):
        open_run(2021, raw_dir=raw, narrative_path=notes / "2021.md")
    run = open_run(2022, raw_dir=raw, narrative_path=notes / "2022.md")
    with pytest.raises(NarrativeError, match=r"2021\.md"):
        run_for_year(run, 2021)


def test_notebooks_take_the_run_or_a_year_and_a_misspelt_parameter_is_named(tmp_path):
    assert RUN_PARAMETERS == ("run_path",)
    raw = _raw(tmp_path)
    run = Run.create(2022, raw_dir=raw)
    assert load_run({"run_path": str(run.write())}) == run
    with pytest.raises(ValueError, match="parameters run_path and year given together"):
        load_run({"run_path": str(run.write()), "year": 2022})
    with pytest.raises(
        ValueError,
        match=r"unknown notebook parameter\(s\): yaer; the parameters are: run_path, year, raw_dir",
    ):
        load_run({"run_path": None, "yaer": 2022})
    by_hand = load_run({"run_path": None, "year": 2022, "raw_dir": str(raw)})
    assert by_hand.analyst and by_hand.year == 2022 and by_hand.raw_dir == raw
    assert by_hand.staging_dir == run.settings().paths.reports / "_scratch" / "2022"


def test_analyst_run_uses_scratch_and_the_latest_year():
    run = Run.for_analyst(2022)
    s = run.settings()
    assert run.analyst and run.validate_years == () and run.inputs == ()
    assert run.staging_dir == s.paths.reports / "_scratch" / "2022"
    assert run.restricted_staging_dir == s.paths.restricted / "_scratch" / "2022"


def test_manifest_hashes_narrative_settings_national_figures_and_assumptions(tmp_path):
    narrative = tmp_path / "2022.md"
    narrative.write_text("# Key messages\n")
    files = manifest.project_files(
        2022, {"narrative_path": narrative, "settings_path": paths.SETTINGS_FILE}
    )
    assert files["narrative"]["sha256"] == manifest.sha256_file(narrative)
    assert files["settings"] == {
        "path": "config/settings.yaml",
        "sha256": manifest.sha256_file(paths.SETTINGS_FILE),
    }
    national = paths.PACKAGE_DATA_DIR / "national_figures.csv"
    assert files["national_figures"]["sha256"] == manifest.sha256_file(national)
    assert files["assumptions"]["sha256"] == manifest.sha256_file(paths.DOCS_DIR / "assumptions.md")
    narrative.write_text("# Key messages\nchanged\n")
    changed = manifest.project_files(2022, {"narrative_path": narrative})
    assert changed["narrative"]["sha256"] != files["narrative"]["sha256"]
    assert (
        manifest.project_files(2022, {"narrative_path": tmp_path / "no.md"})["narrative"]["sha256"]
        is None
    )


def test_pre_commit_ruff_matches_the_locked_ruff():
    locked = re.search(
        r"^ruff==(\S+)", (paths.PROJECT_ROOT / "requirements.lock").read_text(), re.M
    )
    config = yaml.safe_load((paths.PROJECT_ROOT / ".pre-commit-config.yaml").read_text())
    revs = [r["rev"] for r in config["repos"] if r["repo"].endswith("/ruff-pre-commit")]
    assert locked and revs == [f"v{locked[1]}"]


def test_a_symlink_in_the_raw_folder_stops_the_run_before_its_target_is_read(tmp_path):
    """Issue #29: files are read only inside the raw folder. The Run's input hashes (and a
    year's clean key) list the raw files by `paths.raw_files`, which refuses a link naming
    it; its target is never opened, so nothing of it reaches the message."""
    import os

    from iro_analysis.core.hashing import raw_file_hashes

    raw = _raw(tmp_path)
    assert [p for p, _ in raw_file_hashes(raw, up_to=2021)] == ["2021/iro/a.csv"]
    outside = tmp_path / "outside.txt"
    outside.write_text("root:x:0:0:SECRET\n")
    os.symlink(outside, raw / "2022" / "iro" / "episodes.csv")
    with pytest.raises(IroAnalysisError, match="episodes.csv is a symbolic link") as exc:
        Run.create(2022, raw_dir=raw)
    assert "SECRET" not in str(exc.value)
    assert [p for p, _ in raw_file_hashes(raw, up_to=2021)] == ["2021/iro/a.csv"]
