"""Careless and hostile inputs (issue #29): reading takes time linear in a file's size,
every message stays one short line, and files are read only inside the raw folder.

- A header no return has (200,000 columns, a 1.5 MB line) is refused in one short line
  naming the file, within a guard that only stops a hang (no speed is asserted).
- A message never lists a file's values whole: unknown or repeated columns are a count
  and a few short excerpts.
- A symbolic link anywhere in a year folder (the year folder itself, a folder in it or a
  file), wherever it points, stops the build with one line naming the link; nothing
  behind the link is opened, so nothing of it can be printed.
"""

from __future__ import annotations

import builtins
import io
import shutil
import signal
from contextlib import contextmanager
from pathlib import Path

import pytest

from iro_analysis.cli import main
from iro_analysis.contract.raw_files import RAW_CSVS
from iro_analysis.core.errors import InputError
from iro_analysis.ingest.cin_census import read_cin_census
from iro_analysis.ingest.clean import build_dataset, run_clean, warning_lines
from iro_analysis.ingest.read import read_raw_csv

RAW = Path(__file__).parent / "fixtures" / "clean" / "raw"
SECRET = "root:x:0:0:SECRET"
REVIEWS = ["CHILD", "DOB", "REVIEW", "REVIEW_CODE"]
SHORT = 400  # characters a message may take besides the file's path


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    dst = tmp_path / "raw"
    shutil.copytree(RAW, dst)
    return dst


@contextmanager
def no_hang(seconds: int = 60):
    """Stop a call that never answers: a guard against hanging, not a measure of speed."""

    def stop(signum, frame):
        raise TimeoutError(f"no answer in {seconds} s")

    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _wide_reviews(path: Path, ncols: int = 200_000) -> Path:
    """reviews.csv whose header has `ncols` columns (1.5 MB for 200,000) and one row."""
    extra = ncols - len(REVIEWS)
    header = ",".join(REVIEWS + [f"X{i}" for i in range(extra)])
    row = ",".join(["C1", "01/05/2010", "20/09/2021", "PN1"] + [""] * extra)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{header}\n{row}\n")
    return path


def _short(message: str, path: Path) -> None:
    assert "\n" not in message
    assert len(message) < len(str(path)) + SHORT, message[:2000]
    assert "X1999" not in message  # the columns are counted, never listed


# Linear-time reading, short messages


def test_a_header_of_200000_columns_is_refused_naming_the_file(raw):
    """Discovery reads only a file's first 64 KB: the header does not end there."""
    path = _wide_reviews(raw / "2022" / "ssda903" / "reviews.csv")
    with no_hang(), pytest.raises(InputError) as err:
        run_clean(2022, raw, raw.parent / "processed")
    message = str(err.value)
    assert message.startswith(f"{path}, line 1 (header): no complete header line")
    _short(message, path)


def test_the_reader_refuses_a_200000_column_header_by_its_count(tmp_path):
    path = _wide_reviews(tmp_path / "reviews.csv")
    with no_hang(), pytest.raises(InputError) as err:
        read_raw_csv(path, RAW_CSVS["reviews"])
    message = str(err.value)
    assert message.startswith(f"{path}, line 1 (header): 200,000 columns, more than the 1,000")
    assert "it starts 'CHILD,DOB,REVIEW,REVIEW_CODE,X0," in message
    _short(message, path)


def test_the_cli_refuses_a_200000_column_header_in_one_line(raw, tmp_path, capsys):
    _wide_reviews(raw / "2022" / "ssda903" / "reviews.csv")
    args = ["clean", "--year", "2022", "--raw-dir", str(raw)]
    with no_hang():
        rc = main([*args, "--processed-dir", str(tmp_path / "processed")])
    err = capsys.readouterr().err
    assert rc == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert len(err) < len(str(raw)) + SHORT


def test_a_wide_header_under_the_limit_is_read(tmp_path):
    path = _wide_reviews(tmp_path / "reviews.csv", ncols=1000)
    with no_hang():
        table = read_raw_csv(path, RAW_CSVS["reviews"])
    assert len(table.unknown) == 996 and table.frame["CHILD"].tolist() == ["C1"]


def test_data_lines_of_200000_fields_are_quarantined_as_malformed(raw):
    """Rows too: a 1.5 MB line (plain, then with a stray quote) is one malformed record."""
    path = raw / "2022" / "ssda903" / "reviews.csv"
    nlines = len(path.read_text().splitlines())
    wide = ",".join(["C1", "01/05/2010", "20/09/2021"] + ["PN1"] * 200_000)
    with path.open("a") as fh:
        fh.write(f'{wide}\n"{wide}\n')
    with no_hang():
        q = build_dataset(raw, year=2022).quarantine
    mine = q[q["file"].eq("ssda903/reviews.csv") & q["line"].gt(nlines)]
    assert mine[["line", "rule"]].values.tolist() == [
        [nlines + 1, "malformed_record"],
        [nlines + 2, "malformed_record"],
    ]
    assert mine["value"].str.len().max() < 1000  # kept short


def test_a_message_listing_unknown_columns_is_bounded(tmp_path):
    """900 long unknown names and a missing column: a count and three excerpts."""
    names = [f"{'U' * 300}{i}" for i in range(900)]
    path = tmp_path / "reviews.csv"
    path.write_text(",".join(["CHILD", "DOB", *names]) + "\nC1,01/05/2010\n")
    with no_hang(), pytest.raises(InputError) as err:
        read_raw_csv(path, RAW_CSVS["reviews"])
    message = str(err.value)
    assert "missing column(s) REVIEW, REVIEW_CODE; 900 unexpected column(s) 'UUU" in message
    assert "(301 characters)" in message and message.count("U" * 300) == 0
    assert "and 897 more" in message
    _short(message, path)


def test_a_message_listing_repeated_columns_is_bounded(tmp_path):
    names = [f"{'R' * 300}{i}" for i in range(450)] * 2 + ["CHILD"]
    path = tmp_path / "reviews.csv"
    path.write_text(",".join([*REVIEWS, *names]) + "\n")
    with no_hang(), pytest.raises(InputError) as err:
        read_raw_csv(path, RAW_CSVS["reviews"])
    message = str(err.value)
    assert "repeated column(s) 'CHILD', 'RRR" in message and "and 448 more" in message
    assert "unexpected" not in message  # listed only with a missing column
    _short(message, path)


def test_a_long_unknown_column_is_a_short_warning_line(raw):
    pep = raw / "2022" / "iro" / "pep.csv"
    lines = pep.read_text().splitlines()
    lines = [lines[0] + "," + "Z" * 5000] + [line + "," for line in lines[1:]]
    pep.write_text("\n".join(lines) + "\n")
    shown = [line for line in warning_lines(build_dataset(raw, year=2022).warnings)]
    assert any("unknown_column in ZZZZ" in line for line in shown)
    assert max(len(line) for line in shown) < SHORT


def test_a_long_xml_root_element_is_named_short(tmp_path):
    path = tmp_path / "cin.xml"
    path.write_text(f"<{'M' * 100_000}/>")
    with pytest.raises(InputError) as err:
        read_cin_census(path)
    assert "(100,000 characters)" in str(err.value)
    _short(str(err.value), path)


# Files are read only inside the raw folder


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
