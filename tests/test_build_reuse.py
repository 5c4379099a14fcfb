"""Skipping work only when nothing it depends on changed: pipeline/reuse.py and the KPI cache."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest

from iro_analysis.core import paths
from iro_analysis.core.run import Run
from iro_analysis.pipeline import reuse
from iro_analysis.report.context import KPI_CACHE, kpi_history, kpi_history_cached

YEAR = 2022


@pytest.fixture
def run(tmp_path, demo_raw) -> Run:
    settings = tmp_path / "settings.yaml"
    settings.write_text(
        "paths:\n"
        + "".join(f"  {k}: {tmp_path / k}\n" for k in ("processed", "reports", "restricted"))
        + f"  raw: {demo_raw}\n",
        encoding="utf-8",
    )
    narrative = tmp_path / "narrative.md"  # the project's own may be mid-edit
    narrative.write_text("## Priorities for next year\n\n- Keep reviews on time.\n")
    return Run.create(YEAR, settings_path=settings, narrative_path=narrative)


def _stage_a_finished_build(run: Run) -> None:
    """The files a successful build leaves that the reuse needs."""
    final = paths.report_year_dir(run.year, run.reports_dir)
    r_final = paths.restricted_year_dir(run.year, run.restricted_dir)
    processed = paths.processed_year_dir(run.year, run.processed_dir)
    for folder in (final, r_final / "notebooks", processed):
        folder.mkdir(parents=True, exist_ok=True)
    for f in reuse.PUBLISHED_FILES:
        (final / f).write_text(f"published {f}")
    for f in reuse.RESTRICTED_FILES:
        (r_final / f).write_text(f"restricted {f}")
    (processed / "accounting.parquet").write_bytes(b"clean data")


def test_the_key_follows_every_input_the_settings_and_the_year(run):
    key = reuse.data_key(run)
    assert key == reuse.data_key(dataclasses.replace(run))  # stable
    name, sha = run.inputs[0]
    one_file_changed = dataclasses.replace(run, inputs=((name, "0" * 64), *run.inputs[1:]))
    assert reuse.data_key(one_file_changed) != key
    assert reuse.data_key(dataclasses.replace(run, inputs=run.inputs[1:])) != key  # a file gone
    assert reuse.data_key(dataclasses.replace(run, settings_sha256="1" * 64)) != key
    assert reuse.data_key(dataclasses.replace(run, year=YEAR - 1)) != key


def test_reused_only_when_both_records_match_and_every_file_is_there(run):
    _stage_a_finished_build(run)
    assert not reuse.reusable(run)  # no record yet
    reuse.record(run)
    assert reuse.reusable(run)
    processed_key, restricted_key = reuse._records(run)
    assert json.loads(processed_key.read_text())["key"] == reuse.data_key(run)

    changed = dataclasses.replace(run, settings_sha256="1" * 64)
    assert not reuse.reusable(changed)
    assert not reuse.reusable(dataclasses.replace(run, inputs=()))  # inputs not hashed

    restricted_key.write_text("{not json")
    assert not reuse.reusable(run)
    reuse.record(run)
    assert reuse.reusable(run)
    gone = paths.restricted_year_dir(run.year, run.restricted_dir) / reuse.RESTRICTED_FILES[0]
    gone.unlink()
    assert not reuse.reusable(run)


def test_a_re_clean_replaces_the_processed_folder_and_with_it_the_record(run):
    _stage_a_finished_build(run)
    reuse.record(run)
    processed = paths.processed_year_dir(run.year, run.processed_dir)
    (processed / reuse.KEY_FILE).unlink()  # what write_processed's folder swap does
    assert not reuse.reusable(run)


def test_the_record_is_written_as_a_new_file_never_through_a_hard_link(run, tmp_path):
    _stage_a_finished_build(run)
    reuse.record(run)
    processed_key = reuse._records(run)[0]
    other = tmp_path / "other-year-key.json"
    other.hardlink_to(processed_key)  # as `make reports` shares processed folders
    before = other.read_text()
    reuse.record(dataclasses.replace(run, settings_sha256="1" * 64))
    assert other.read_text() == before


def test_stage_reused_copies_the_results_into_the_staging_folders(run):
    _stage_a_finished_build(run)
    run.staging_dir.mkdir(parents=True)
    run.restricted_staging_dir.mkdir(parents=True)
    reuse.stage_reused(run)
    for f in reuse.PUBLISHED_FILES:
        assert (run.staging_dir / f).read_text() == f"published {f}"
    for f in reuse.RESTRICTED_FILES:
        assert (run.restricted_staging_dir / f).read_text() == f"restricted {f}"


def test_kpi_cache_gives_the_computed_history_and_recomputes_only_what_changed(
    tmp_path, demo_raw, monkeypatch
):
    import iro_analysis.kpis.engine as kpis_pkg
    from iro_analysis.core.settings import load_settings
    from iro_analysis.ingest.clean import run_clean

    processed = tmp_path / "processed"
    ds = run_clean(YEAR, demo_raw, processed)
    settings = load_settings(None)
    narrative = tmp_path / "narrative.md"
    narrative.write_text("## Priorities for next year\n\nText.\n", encoding="utf-8")
    calls: list[int] = []
    real = kpis_pkg.compute_kpis

    def counting(dataset, year, s=None, narrative_path=None):
        calls.append(year)
        return real(dataset, year, s, narrative_path=narrative_path)

    # report/context.py looks compute_kpis up in kpis.engine when it runs
    monkeypatch.setattr(kpis_pkg, "compute_kpis", counting)
    expected = kpi_history(ds, YEAR, settings, narrative)
    calls.clear()
    cold = kpi_history_cached(ds, YEAR, settings, processed, "s" * 64, narrative)
    pd.testing.assert_frame_equal(cold, expected)
    years = [y for y in ds.years if y <= YEAR]
    assert calls == years
    calls.clear()
    warm = kpi_history_cached(ds, YEAR, settings, processed, "s" * 64, narrative)
    pd.testing.assert_frame_equal(warm, expected)
    assert calls == []  # every year from the cache
    narrative.write_text("## Priorities for next year\n\nOther.\n", encoding="utf-8")
    kpi_history_cached(ds, YEAR, settings, processed, "s" * 64, narrative)
    assert calls == []  # prose no KPI reads: every year from the cache
    progress = "## Progress against last year's priorities\n\n- Met: reviews on time.\n"
    narrative.write_text(progress + "\n## Voice\n\nProse.\n", encoding="utf-8")
    got = kpi_history_cached(ds, YEAR, settings, processed, "s" * 64, narrative)
    assert calls == [YEAR]  # what priorities_met reads changed: that year only
    met = got[(got["kpi_id"] == "priorities_met") & (got["year"] == YEAR)]["value"]
    assert met.tolist() == [1]
    calls.clear()
    narrative.write_text(progress + "\n## Voice\n\nOther prose.\n", encoding="utf-8")
    kpi_history_cached(ds, YEAR, settings, processed, "s" * 64, narrative)
    assert calls == []
    narrative.unlink()  # no narrative: no priorities_met, computed again
    gone = kpi_history_cached(ds, YEAR, settings, processed, "s" * 64, narrative)
    assert calls == [YEAR] and "priorities_met" not in set(gone["kpi_id"])
    narrative.write_text("## Priorities for next year\n\nText.\n", encoding="utf-8")
    calls.clear()
    kpi_history_cached(ds, YEAR, settings, processed, "t" * 64, narrative)
    assert calls == years  # other settings: every year
    calls.clear()
    entries = sorted((processed / "_cache" / KPI_CACHE).glob(f"{YEAR}-*.parquet"))
    for entry in entries:
        entry.write_bytes(b"not parquet")  # a damaged entry is recomputed
    again = kpi_history_cached(ds, YEAR, settings, processed, "t" * 64, narrative)
    pd.testing.assert_frame_equal(again, expected)
    assert calls == [YEAR]


@pytest.mark.slow
def test_reports_runs_one_clean_and_one_validate_kernel_for_every_year_and_agrees_with_kpis(
    tmp_path, demo_raw, capfd
):
    from iro_analysis import cli

    settings = tmp_path / "settings.yaml"
    settings.write_text(
        "paths:\n"
        + "".join(f"  {k}: {tmp_path / k}\n" for k in ("processed", "reports", "restricted"))
        + f"  raw: {demo_raw}\n",
        encoding="utf-8",
    )
    years = paths.available_years(demo_raw)
    assert cli.main(["reports", "--settings", str(settings)]) == 0
    out = capfd.readouterr().out  # the years are built in child processes
    assert out.count("clean: running notebooks/01_clean.ipynb") == 1  # the history, once
    assert out.count("validate: running notebooks/02_validate.ipynb") == 1
    assert out.count("report: running notebooks/03_annual_report.ipynb") == len(years)
    index = (tmp_path / "reports" / "index.html").read_text(encoding="utf-8")
    for y in years:
        published = tmp_path / "reports" / str(y)
        assert {"kpis.csv", "kpis.xlsx", "manifest.json", "validation.json"} <= {
            p.name for p in published.iterdir()
        }
        assert f'href="{y}/' in index
        exact = tmp_path / "restricted" / str(y) / "kpis.csv"
        assert (
            cli.main(
                [
                    "kpis",
                    "--year",
                    str(y),
                    "--settings",
                    str(settings),
                    "--out",
                    str(tmp_path / "k.csv"),
                ]
            )
            == 0
        )
        assert exact.read_bytes() == (tmp_path / "k.csv").read_bytes(), y
    assert (tmp_path / "reports" / "trends" / "iro-trends.html").is_file()
    assert not list((tmp_path / "reports").glob(".build-*"))


def test_the_kpis_command_reads_a_build_only_when_its_record_matches(run):
    _stage_a_finished_build(run)
    key = reuse.data_key(run)
    assert not reuse.recorded(run.year, run.processed_dir, run.restricted_dir, key)
    reuse.record(run)
    assert reuse.recorded(run.year, run.processed_dir, run.restricted_dir, key)
    assert not reuse.recorded(run.year, run.processed_dir, run.restricted_dir, "0" * 64)
    assert not reuse.recorded(run.year - 1, run.processed_dir, run.restricted_dir, key)
    (paths.processed_year_dir(run.year, run.processed_dir) / "accounting.parquet").unlink()
    assert not reuse.recorded(run.year, run.processed_dir, run.restricted_dir, key)
