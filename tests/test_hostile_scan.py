"""Every CLI command against careless and hostile inputs (issue #29): each refusal is one
line naming the file and what to do, with a non-zero exit code and never a traceback, and
nothing of a file outside the raw folder is echoed.

The commands run in this process (`cli.main`), so an exception that escaped the CLI would
fail the test with its traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from iro_analysis import cli

FIXTURE_RAW = Path(__file__).parent / "fixtures" / "clean" / "raw"
YEAR = "2022"
SECRET = "root:x:0:0:SECRET-LINE"


def _argv(command: str, root: Path) -> list[str]:
    """`command` with every folder under `root` (nothing touches the project's folders)."""
    d = {k: str(root / k) for k in ("raw", "reports", "processed", "restricted")}
    year = ["--year", YEAR]
    return {
        "years": ["years", "--raw-dir", d["raw"]],
        "demo-data": ["demo-data", "--out", str(root / "demo"), "--years", YEAR, "--no-progress"],
        "clean": ["clean", *year, "--raw-dir", d["raw"], "--processed-dir", d["processed"]],
        "validate": [
            "validate",
            *year,
            *("--raw-dir", d["raw"], "--processed-dir", d["processed"]),
            *("--reports-dir", d["reports"]),
        ],
        "kpis": ["kpis", *year, "--raw-dir", d["raw"], "--out", str(root / "kpis.csv")],
        "report": ["report", *year] + [f"--{k}-dir={v}" for k, v in d.items()],
        "reports": ["reports"] + [f"--{k}-dir={d[k]}" for k in ("raw", "reports", "restricted")],
        "exceptions": [
            "exceptions",
            *year,
            *("--raw-dir", d["raw"], "--processed-dir", d["processed"]),
            *("--restricted-dir", d["restricted"]),
        ],
        "region": ["region", *year] + [f"--{k}-dir={v}" for k, v in d.items()],
        "check": ["check", *year, "--reports-dir", d["reports"]],
        "paths": ["paths", "raw"],
        "templates": ["templates", "--out", str(root / "templates")],
    }[command]


COMMANDS = tuple(cli.HANDLERS)


def _one_line_refusal(capsys, code: int, command: str, *fragments: str) -> str:
    out = capsys.readouterr()
    err = out.err
    assert code != 0, f"{command}: exit code {code}; stderr {err!r}"
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"{command}: {err!r}"
    assert lines[0].startswith(f"iro-analysis {command}: error"), lines[0]
    assert "Traceback" not in err + out.out
    for fragment in fragments:
        assert fragment in lines[0], f"{command}: {fragment!r} not in {lines[0]!r}"
    return lines[0]


# Settings files a careless or hostile user might write (the drills), with what the one
# line must say. Every command reads the settings at the door.
HOSTILE_SETTINGS = {
    "a key twice": (
        "suppression_threshold: 5\ncouncil_name: X\nsuppression_threshold: 0\n",
        "'suppression_threshold' is given twice, on line 1 and line 3",
    ),
    "an alias bomb": (
        "a: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']\n"
        + "".join(
            f"a{i}: &a{i} [{','.join([f'*a{i - 1}' if i > 1 else '*a'] * 9)}]\n"
            for i in range(1, 9)
        )
        + "council_name: *a8\n",
        "an anchor (&a) is not allowed",
    ),
    "cp1252": ("council_name: Caf\xe9\n", "not UTF-8 text"),
    "a NUL": ("council_name: X\x00\n", "not valid YAML"),
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", HOSTILE_SETTINGS)
def test_every_command_refuses_hostile_settings_in_one_line(tmp_path, capsys, command, case):
    text, fragment = HOSTILE_SETTINGS[case]
    settings = tmp_path / "settings.yaml"
    settings.write_bytes(text.encode("cp1252" if case == "cp1252" else "utf-8"))
    code = cli.main(["--settings", str(settings), *_argv(command, tmp_path)])
    line = _one_line_refusal(capsys, code, command, str(settings), fragment)
    assert len(line) < 400


def _raw_with(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    shutil.copytree(FIXTURE_RAW / YEAR, raw / YEAR)
    return raw


DATA_COMMANDS = ("clean", "validate", "kpis", "report", "reports", "exceptions")


@pytest.mark.parametrize("command", ("report", "reports"))
def test_a_narrative_with_a_nul_byte_is_one_line(tmp_path, monkeypatch, capsys, command):
    from iro_analysis.core import paths

    _raw_with(tmp_path)
    notes = tmp_path / "narrative"
    notes.mkdir()
    (notes / f"{YEAR}.md").write_bytes(b"## Key messages\n\nA NUL\x00.\n")
    monkeypatch.setattr(paths, "NARRATIVE_DIR", notes)
    code = cli.main(_argv(command, tmp_path))
    _one_line_refusal(capsys, code, command, f"{YEAR}.md, line 3: a NUL byte")


def _hostile_raw(tmp_path: Path, case: str) -> str:
    """A copy of the small fixture year with one hostile file; what the one line must say."""
    raw = _raw_with(tmp_path)
    target = raw / YEAR / "ssda903"
    if case == "a link outside":
        secret = tmp_path / "passwd"
        secret.write_text(SECRET + "\n")
        (target / "episodes.csv").unlink()
        (target / "episodes.csv").symlink_to(secret)
        return "episodes.csv is a symbolic link"
    if case == "a year folder linked outside":  # the drill that printed the target's line
        outside = tmp_path / "elsewhere"
        raw.joinpath(YEAR).rename(outside)
        (outside / "ssda903" / "episodes.csv").write_text(SECRET + "\n")
        raw.joinpath(YEAR).symlink_to(outside, target_is_directory=True)
        return f"{YEAR} is a symbolic link"
    # a header of 200,000 columns (a 1.5 MB file): the drill hung for 300 s
    header = "CHILD,DOB,REVIEW,REVIEW_CODE," + ",".join(f"C{i}" for i in range(200_000))
    (target / "reviews.csv").write_text(header + "\n", encoding="utf-8")
    return "reviews.csv"


@pytest.mark.parametrize("command", DATA_COMMANDS)
@pytest.mark.parametrize(
    "case", ("a link outside", "a year folder linked outside", "a 200,000-column header")
)
def test_every_data_command_refuses_hostile_raw_files_in_one_line(
    tmp_path, monkeypatch, capsys, command, case
):
    from iro_analysis.core import paths

    fragment = _hostile_raw(tmp_path, case)
    monkeypatch.setattr(paths, "NARRATIVE_DIR", tmp_path / "no-narrative")
    code = cli.main(_argv(command, tmp_path))
    line = _one_line_refusal(capsys, code, command, fragment)
    assert SECRET not in line and "SECRET" not in line and len(line) < 600
