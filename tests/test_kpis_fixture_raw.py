"""The KPI scenario as raw files (tests/fixtures/kpis/raw), read by the cleaner and the CLI.

The raw folder is the scenario of tests/fixtures/kpis/scenario.py written in the data
contract's formats (903 CSVs with DD/MM/YYYY dates, the CIN census XML, IRO CSVs with ISO
dates). The hand-computed values are those of tests/test_kpis.py.
"""

from __future__ import annotations

import filecmp
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from iro_analysis.cli import main
from iro_analysis.core.settings import settings_or_defaults
from iro_analysis.kpis.engine import compute_kpis, format_kpis
from tests.fixtures.kpis import scenario
from tests.test_kpis import CLA_2023, CP_2023, OTHER_2023, REVIEWS_2023, row

RAW = Path(__file__).parent / "fixtures" / "kpis" / "raw"
SETTINGS = RAW.parent / "settings.yaml"


def test_committed_raw_folder_is_the_scenario(tmp_path):
    scenario.write_raw(tmp_path)
    ours = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(p.relative_to(RAW) for p in RAW.rglob("*") if p.is_file())
    assert ours == committed
    for rel in ours:
        assert filecmp.cmp(tmp_path / rel, RAW / rel, shallow=False), rel


@pytest.fixture(scope="module")
def cleaned():
    from iro_analysis.ingest.clean import build_dataset

    return build_dataset(RAW)


@pytest.mark.slow
def test_cleaner_keeps_every_row(cleaned):
    assert cleaned.quarantine.empty
    assert cleaned.years == [2022, 2023, 2024]


@pytest.mark.slow
@pytest.mark.parametrize("year", [2022, 2023, 2024])
def test_kpis_from_raw_equal_the_hand_built_dataset(cleaned, year):
    pd.testing.assert_frame_equal(
        compute_kpis(cleaned, year), compute_kpis(scenario.dataset(), year)
    )


def test_kpis_from_raw_match_hand_computed_values(cleaned):
    df = compute_kpis(cleaned, 2023).set_index("kpi_id")
    expected = {**CLA_2023, **REVIEWS_2023, **CP_2023, **OTHER_2023}
    for kpi_id, value in expected.items():
        want = value if isinstance(value, tuple) else (value, None, None)
        assert row(df, kpi_id) == want, kpi_id


@pytest.mark.slow
def test_cli_writes_kpis_csv(tmp_path, capsys):
    out = tmp_path / "kpis.csv"
    assert main(["kpis", "--year", "2023", "--raw-dir", str(RAW), "--out", str(out)]) == 0
    # The CLI reads the settings file (child population and targets included).
    settings = settings_or_defaults()
    expected = format_kpis(compute_kpis(scenario.dataset(), 2023, settings))
    assert out.read_text(encoding="utf-8") == expected
    assert "wrote" in capsys.readouterr().err


def test_cli_fails_clearly_without_the_year(capsys):
    assert main(["kpis", "--year", "2019", "--raw-dir", str(RAW)]) == 1
    err = capsys.readouterr().err
    assert "no raw folder for 2019" in err and "2022, 2023, 2024" in err


@pytest.mark.slow
def test_cli_fails_clearly_when_the_year_supports_no_kpi(tmp_path, capsys):
    # A 2025 folder with no input files (2024's files give history only), from a council
    # whose settings say it supplies none of the core returns (issue #25: otherwise each
    # missing core return stops the build, below).
    shutil.copytree(RAW / "2024", tmp_path / "2024")
    (tmp_path / "2025").mkdir()
    settings = tmp_path / "settings.yaml"
    settings.write_text("not_supplied: [header, episodes, reviews, cin_census]\n")
    args = ["kpis", "--year", "2025", "--raw-dir", str(tmp_path), "--settings", str(settings)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "supports no KPI for 2025" in err and "Children looked after: episodes" in err


@pytest.mark.slow
def test_cli_names_each_missing_core_return_and_where_it_belongs(tmp_path, capsys):
    shutil.copytree(RAW / "2024", tmp_path / "2024")
    (tmp_path / "2025").mkdir()
    assert main(["kpis", "--year", "2025", "--raw-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "4 critical data-quality check(s) failed for 2025" in err
    for name, where in (
        ("header", "2025/ssda903/header.csv"),
        ("episodes", "2025/ssda903/episodes.csv"),
        ("reviews", "2025/ssda903/reviews.csv"),
        ("cin_census", "2025/cin_census.xml"),
    ):
        assert f"no {name} for 2025 (expected at {tmp_path / where})" in err
        assert f"list '{name}' under not_supplied in the settings" in err


@pytest.mark.slow
def test_cli_json(tmp_path):
    out = tmp_path / "kpis.json"
    args = ["kpis", "--year", "2024", "--raw-dir", str(RAW), "--out", str(out), "--format", "json"]
    args += ["--settings", str(SETTINGS)]  # 2024 supplies no CIN census
    assert main(args) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    got = {r["kpi_id"]: r["value"] for r in data}
    # C7, C8 reviews: 3 of 4 on time (review 2 due on 29 February 2024).
    assert got["cla_reviews_on_time_pct"] == 75.0 and got["cla_reviews_held"] == 4
