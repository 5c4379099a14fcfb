"""Careless and hostile inputs (issue #29): files are read only inside the raw folder.

A symbolic link anywhere in a year folder (the year folder itself, a folder in it or a
file), wherever it points, stops the build with one line naming the link; nothing behind
the link is opened, so nothing of it can be printed.
"""

from __future__ import annotations

import builtins
import io
import shutil
from pathlib import Path

import pytest

from iro_analysis.cli import main
from iro_analysis.core.errors import InputError
from iro_analysis.ingest.clean import build_dataset, run_clean

RAW = Path(__file__).parent / "fixtures" / "clean" / "raw"
SECRET = "root:x:0:0:SECRET"


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    dst = tmp_path / "raw"
    shutil.copytree(RAW, dst)
    return dst


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the raw folder holding a year folder's copy with a secret in every
    file the cleaner would read: what a link must never let it open."""
    out = tmp_path / "outside"
    shutil.copytree(RAW / "2022", out)
    for f in out.rglob("*.csv"):
        f.write_text(SECRET + "\n")
    (out / "passwd").write_text(SECRET + "\n")
    return out


@pytest.fixture
def never_opened(monkeypatch, outside: Path):
    """Fail the test if any file under `outside` is opened (by any reader or hasher)."""
    real_open = builtins.open
    opened: list[str] = []

    def spy(file, *args, **kwargs):
        if isinstance(file, (str, Path)) and Path(file).resolve().is_relative_to(outside):
            opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy)
    monkeypatch.setattr(io, "open", spy)
    yield opened
    assert not opened, f"opened behind a link: {opened}"


def _refused(raw: Path, year: int = 2022) -> str:
    with pytest.raises(InputError) as err:
        run_clean(year, raw, raw.parent / "processed")
    message = str(err.value)
    assert "\n" not in message
    assert "SECRET" not in message and "root:x" not in message
    return message


def test_a_file_linked_outside_is_refused_naming_the_link(raw, outside, never_opened):
    link = raw / "2022" / "ssda903" / "episodes.csv"
    link.unlink()
    link.symlink_to(outside / "passwd")
    message = _refused(raw)
    assert message.startswith(f"{link} is a symbolic link")
    assert "copy the file or folder in" in message


def test_a_file_linked_at_the_top_of_the_year_folder_is_refused(raw, outside, never_opened):
    link = raw / "2022" / "episodes.csv"
    link.symlink_to(outside / "passwd")
    assert _refused(raw).startswith(f"{link} is a symbolic link")


def test_a_year_folder_linked_outside_is_refused(raw, outside, never_opened):
    shutil.rmtree(raw / "2022")
    (raw / "2022").symlink_to(outside, target_is_directory=True)
    assert _refused(raw).startswith(f"{raw / '2022'} is a symbolic link")


def test_an_earlier_year_folder_linked_outside_is_refused(raw, outside, never_opened):
    """The earlier folder is hashed (the clean data's key) before any year is read."""
    shutil.rmtree(raw / "2021")
    (raw / "2021").symlink_to(outside, target_is_directory=True)
    assert _refused(raw).startswith(f"{raw / '2021'} is a symbolic link")


def test_an_ssda903_folder_linked_outside_is_refused(raw, outside, never_opened):
    shutil.rmtree(raw / "2022" / "ssda903")
    (raw / "2022" / "ssda903").symlink_to(outside / "ssda903", target_is_directory=True)
    assert _refused(raw).startswith(f"{raw / '2022' / 'ssda903'} is a symbolic link")


def test_a_link_inside_the_raw_folder_is_refused_too(raw):
    """The rule is every link, wherever it points: raw data is copied in."""
    link = raw / "2022" / "ssda903" / "reviews.csv"
    link.unlink()
    link.symlink_to(raw / "2021" / "ssda903" / "reviews.csv")
    with pytest.raises(InputError, match=r"reviews.csv is a symbolic link"):
        build_dataset(raw, year=2022)


def test_a_link_with_a_line_break_in_its_name_is_named_on_one_line(raw, outside):
    (raw / "2022" / "ssda903" / "x\nSECRET.csv").symlink_to(outside / "passwd")
    with pytest.raises(InputError) as err:
        build_dataset(raw, year=2022)
    assert "\n" not in str(err.value) and "x\\nSECRET.csv is a symbolic link" in str(err.value)


def test_a_dangling_year_link_is_refused_not_skipped(raw, tmp_path):
    (raw / "2020").symlink_to(tmp_path / "nowhere", target_is_directory=True)
    with pytest.raises(InputError, match=r"2020 is a symbolic link"):
        build_dataset(raw, year=2022)


@pytest.mark.parametrize("command", ["clean", "kpis"])
def test_the_cli_prints_one_line_and_nothing_of_the_target(
    command, raw, outside, tmp_path, capsys, never_opened
):
    link = raw / "2022" / "ssda903" / "episodes.csv"
    link.unlink()
    link.symlink_to(outside / "passwd")
    settings = tmp_path / "settings.yaml"
    settings.write_text(
        "paths:\n"
        + "".join(f"  {k}: {tmp_path / k}\n" for k in ("raw", "processed", "reports", "restricted"))
    )
    rc = main([command, "--year", "2022", "--raw-dir", str(raw), "--settings", str(settings)])
    out, err = capsys.readouterr()
    assert rc != 0
    assert err.count("\n") == 1 and err.startswith(f"iro-analysis {command}: error: {link} ")
    assert "Traceback" not in err and "SECRET" not in err + out
