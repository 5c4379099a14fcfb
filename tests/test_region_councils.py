"""Councils as a dimension (region/councils.py): DfE's LA codes, the demo region and
`iro-analysis demo-data --councils N`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from iro_analysis import cli
from iro_analysis.region.councils import (
    LA_CODES_FILE,
    council_folders,
    council_params,
    generate_region,
    la_codes,
    la_names,
)


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_la_codes_are_dfe_three_digit_codes_with_their_source():
    df = la_codes()
    assert df["la_code"].str.fullmatch(r"\d{3}").all() and df["la_code"].is_unique
    names = la_names()
    # hand-checked against DfE's list (Get Information about Schools, "LA name and codes")
    assert names["202"] == "Camden" and names["873"] == "Cambridgeshire"
    assert names["330"] == "Birmingham" and names["929"] == "Northumberland"
    assert set(df["status"]) == {"live", "terminated"}
    assert df.loc[df["la_code"] == "929", "status"].item() == "live"  # the code's current entity
    head = LA_CODES_FILE.read_text(encoding="utf-8").splitlines()[0:4]
    assert any("Source:" in line for line in head) and all(h.startswith("#") for h in head)
    assert 150 <= len(df) <= 165  # England's 153 live councils and a few former ones


@pytest.mark.slow
def test_generate_region_is_deterministic_by_seed(tmp_path):
    a = generate_region(tmp_path / "a", 2, seed=3, years=[2022], sizes=[15, 25])
    b = generate_region(tmp_path / "b", 2, seed=3, years=[2022], sizes=[15, 25])
    generate_region(tmp_path / "c", 2, seed=4, years=[2022], sizes=[15, 25])
    assert a == b and len(set(a)) == 2 and a == sorted(a)
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == a
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert _files(tmp_path / "a") != _files(tmp_path / "c")
    assert list(council_folders(tmp_path / "a")) == a
    for code in a:  # each council a complete single-council folder, faults off by default
        manifest = json.loads((tmp_path / "a" / code / "2022" / "fault_manifest.json").read_text())
        assert manifest["fault_rate"] == 0.0
        assert (tmp_path / "a" / code / "2022" / "ssda903" / "episodes.csv").is_file()


def test_councils_differ_in_size_and_practice():
    rng = np.random.default_rng(0)
    p1, p2 = council_params(rng, 100, None), council_params(rng, 900, 0.02)
    assert (p1.cla_target, p2.cla_target) == (100, 900)
    assert (p1.fault_rate, p2.fault_rate) == (0.0, 0.02)
    for field in (
        "review_late_prob",
        "icpc_within_15wd",
        "disputes_per_100_cla",
        "midway_check_prob",
    ):
        assert getattr(p1, field) != getattr(p2, field), field
    for p in (p1, p2):
        assert sum(p.participation_shares) == pytest.approx(1.0)
        assert len(p.participation_shares) == 7


def test_generate_region_checks_its_arguments(tmp_path):
    with pytest.raises(ValueError, match="at least one council"):
        generate_region(tmp_path, 0, seed=1, years=[2022])
    with pytest.raises(ValueError, match="sizes gives 1 councils' sizes for 2"):
        generate_region(tmp_path, 2, seed=1, years=[2022], sizes=[50])
    with pytest.raises(ValueError, match="at most"):
        generate_region(tmp_path, 1000, seed=1, years=[2022])
    assert not any(tmp_path.iterdir())


def test_demo_data_councils_command(tmp_path, capsys):
    out = tmp_path / "raw"
    argv = ["demo-data", "--councils", "2", "--years", "2022", "--seed", "9", "--out", str(out)]
    assert cli.main([*argv, "--no-progress"]) == 0
    codes = sorted(p.name for p in out.iterdir())
    assert len(codes) == 2 and all((out / c / "2022").is_dir() for c in codes)
    assert "Demo region of 2 councils" in capsys.readouterr().out
    assert cli.main([*argv, "--scale", "50"]) == 1
    assert "for one council" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["demo-data", "--councils", "0"])


def test_region_command_on_a_single_council_folder_says_what_to_do(tmp_path, capsys):
    (tmp_path / "2022").mkdir()
    assert cli.main(["region", "--year", "2022", "--raw-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "no council folders" in err and "--councils" in err
