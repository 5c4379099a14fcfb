"""Safe to publish (#14): settings and narrative cannot run code or inject markup, and a
build leaves no stray staging folders, stale PDFs or tracebacks behind."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from iro_analysis import cli, pipeline, report
from iro_analysis.core.errors import BuildError, IroAnalysisError
from iro_analysis.core.paths import document_filenames, report_filename
from iro_analysis.core.settings import Settings
from iro_analysis.pipeline import orchestrate, publish
from iro_analysis.report import sections
from iro_analysis.report.narrative import NarrativeError

from .conftest import REPORT_YEAR

HOSTILE_COUNCIL = '<script>alert(1)</script> & "Co"'
HOSTILE_TITLE = "IRO report <img src=x onerror=alert(2)>"
ESCAPED_COUNCIL = "&lt;script&gt;alert(1)&lt;/script&gt; &amp;"  # then "Co" or &#34;Co&#34;
PWNED = Path("/tmp/iro-analysis-publish-safety.pwned")

MARKUP_NARRATIVE = """{{ council }} reviewed {{ kpi.cla_at_31_march }} children in {{ period }}.

<script>document.title = "pwned"</script>

<img src=x onerror="alert(3)">

<iframe src="https://evil.example/frame"></iframe>

[click me](javascript:alert(4)) and <a href="javascript:alert(5)">me too</a>

![tracking pixel](https://evil.example/pixel.png)

<p style="background:url(https://evil.example/bg.png)" onclick="alert(6)">Styled text.</p>

## Priorities for next year

- Keep **reviews** on time.
"""


class _Page(HTMLParser):
    """Every element with its attributes, and the text outside <style>."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._in_style = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if not self._in_style:
            self.text.append(data)


def assert_inert(html_text: str) -> _Page:
    """No script, handler, frame, external load or javascript: URL in the page."""
    low = html_text.lower()
    for bad in ("<script", "<iframe", "<object", "<embed", "<img src=x", "javascript:"):
        assert bad not in low, bad
    # "onerror" only as text: in the escaped settings value, never as an attribute
    assert low.count("onerror") == low.count("&lt;img src=x onerror=alert(2)&gt;")
    assert "evil.example" not in low
    page = _Page(html_text)
    for tag, attrs in page.tags:
        assert tag not in {"script", "iframe", "object", "embed", "frame", "base", "form"}, tag
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        for name in ("src", "href", "action", "data"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("javascript:", "http:", "https:", "//")) or (
                tag == "a" and name == "href" and value.startswith(("http:", "https:"))
            ), (tag, attrs)
            if tag == "img" and name == "src":
                assert value.startswith("data:image/png;base64,"), attrs
    return page


# --------------------------------------------------------------------------------------
# Escaping in the pieces the report is made of (fast).
# --------------------------------------------------------------------------------------


def test_pdf_footer_escapes_its_label():
    from iro_analysis.pipeline.pdf import footer_template

    out = footer_template(f"{HOSTILE_COUNCIL}, 2021/22")
    assert (
        "<script" not in out and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;Co&#34;" in out
    )
    assert 'class="pageNumber"' in out and 'class="totalPages"' in out
    assert footer_template().startswith('<div style="font-size:8px')


def test_html_components_escape_values():
    import pandas as pd

    from iro_analysis.report import html

    df = pd.DataFrame({HOSTILE_COUNCIL: ["<b>x</b>"], "n": [1]})
    for out in (
        html.table(df, HOSTILE_COUNCIL),
        html.paragraph(HOSTILE_COUNCIL),
        html.notice(HOSTILE_COUNCIL, HOSTILE_COUNCIL),
        html.bullet_list([HOSTILE_COUNCIL], css='x" onclick="y'),
        str(html.kpi_span('a" onclick="b', HOSTILE_COUNCIL)),
    ):
        assert "<script" not in out and "<b>" not in out and 'onclick="' not in out, out
        assert ESCAPED_COUNCIL in out


def test_report_template_escapes_settings(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": "<p>body</p>"}),
    ]
    nb.cells = [cell]
    src = tmp_path / "in.ipynb"
    nbformat.write(nb, str(src))
    settings = Settings(council_name=HOSTILE_COUNCIL, report_title=HOSTILE_TITLE)
    out = pipeline.export_html(src, tmp_path / "out.html", REPORT_YEAR, settings)
    text = out.read_text(encoding="utf-8")
    assert_inert(text)
    title = text[text.index("<title>") : text.index("</title>")]
    assert ESCAPED_COUNCIL in title and "IRO report &lt;img src=x onerror" in title
    assert "<h1>IRO report &lt;img" in text
    page = _Page(text)
    assert f"{HOSTILE_TITLE}: {HOSTILE_COUNCIL} 2021/22" in "".join(page.text)


def test_section_html_escapes_its_values(monkeypatch):
    monkeypatch.setattr(
        sections,
        "SECTION_BY_KEY",
        {
            "x": report.Section(
                "x", "A & <b>B</b>", intro="<script>alert(1)</script>", breakdowns=()
            )
        },
    )
    monkeypatch.setattr(sections, "_BODIES", {"x": lambda ctx: ""})

    class Ctx:
        narrative = {"A & <b>B</b>": "Hello <script>alert(1)</script> [x](javascript:y)"}

        def has(self, kpi_id):
            return True

    out = report.render_section(Ctx(), "x")
    assert "<script" not in out and "javascript:" not in out and "<b>" not in out
    assert "A &amp; &lt;b&gt;B&lt;/b&gt;</h2>" in out


# --------------------------------------------------------------------------------------
# Staging, failed builds, stale PDFs and a full disk (fast: no notebooks run).
# --------------------------------------------------------------------------------------


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_clean_stale_staging_removes_only_dead_builds(tmp_path):
    reports = tmp_path / "reports"
    dead = _dead_pid()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        time.sleep(0.2)
        folders = {
            "dead_year": reports / f".build-2022-{dead}" / "2022" / "notebooks",
            "dead_trends": reports / f".build-trends-{dead}" / "notebooks",
            "alive": reports / f".build-2021-{sleeper.pid}" / "2021",
            "mine": reports / f".build-2020-{os.getpid()}" / "2020",
            "old_restore": reports / f".old-2019-{dead}",
            "old_remove": reports / f".old-2018-{dead}",
            "published": reports / "2018",
            "failed": reports / ".failed-2022",
            "narrative": reports / "narrative",
        }
        for f in folders.values():
            f.mkdir(parents=True)
        (folders["old_restore"] / "report.html").write_text("the only copy")
        # A live process that started after the folder was last changed is not its owner.
        reused = reports / f".build-2017-{sleeper.pid}"
        reused.mkdir()
        os.utime(reused, (time.time() - 3600, time.time() - 3600))
        logged: list[str] = []
        pipeline.clean_stale_staging(reports, log=logged.append)
        names = sorted(p.name for p in reports.iterdir())
        assert names == sorted(
            [
                ".build-2020-" + str(os.getpid()),
                f".build-2021-{sleeper.pid}",
                ".failed-2022",
                "2018",
                "2019",
                "narrative",
            ]
        )
        assert (reports / "2019" / "report.html").read_text() == "the only copy"
        assert any("restored" in m and "2019" in m for m in logged)
        assert sum("removed" in m for m in logged) == 4, logged
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_stale_pdf_is_removed_and_a_current_one_kept(tmp_path):
    name = report_filename(REPORT_YEAR)
    final, staging = tmp_path / "final", tmp_path / "staging"
    final.mkdir()
    staging.mkdir()
    (final / name).write_text("<html>same</html>")
    (final / name).with_suffix(".pdf").write_bytes(b"%PDF old")
    (staging / name).write_text("<html>same</html>")
    logged: list[str] = []
    publish.keep_pdf_if_current(final, staging, REPORT_YEAR, logged.append)
    assert (staging / name).with_suffix(".pdf").read_bytes() == b"%PDF old"
    assert "still current" in logged[-1]

    (staging / name).with_suffix(".pdf").unlink()
    (staging / name).write_text("<html>changed</html>")
    publish.keep_pdf_if_current(final, staging, REPORT_YEAR, logged.append)
    assert not (staging / name).with_suffix(".pdf").exists()
    assert "the PDF was out of date and was removed; rebuild with FORMAT=pdf" in logged[-1]

    (final / name).with_suffix(".pdf").unlink()  # no PDF before: nothing to say
    n = len(logged)
    publish.keep_pdf_if_current(final, staging, REPORT_YEAR, logged.append)
    assert len(logged) == n


def test_each_documents_pdf_is_kept_only_while_its_own_html_is_unchanged(tmp_path):
    """The report's and the technical annex's PDFs are judged separately."""
    report_name, annex_name = document_filenames(REPORT_YEAR)
    final, staging = tmp_path / "final", tmp_path / "staging"
    for folder in (final, staging):
        folder.mkdir()
    for name in (report_name, annex_name):
        (final / name).write_text("<html>before</html>")
        (final / name).with_suffix(".pdf").write_bytes(b"%PDF old")
    (staging / report_name).write_text("<html>changed</html>")
    (staging / annex_name).write_text("<html>before</html>")
    logged: list[str] = []
    publish.keep_pdf_if_current(final, staging, REPORT_YEAR, logged.append)
    assert not (staging / report_name).with_suffix(".pdf").exists()
    assert (staging / annex_name).with_suffix(".pdf").read_bytes() == b"%PDF old"
    assert "the PDF was out of date and was removed" in logged[0]
    assert "the annex's PDF is still current (the annex did not change)" in logged[1]


def _disk_full_workspace(tmp_path: Path, monkeypatch) -> tuple[Path, list[str]]:
    (tmp_path / "raw" / str(REPORT_YEAR)).mkdir(parents=True)

    def full_disk(step, notebook, output, parameters):
        output.write_text("half-written")
        raise OSError(errno.ENOSPC, "No space left on device", str(output))

    monkeypatch.setattr(orchestrate, "run_notebook", full_disk)
    return tmp_path, []


def test_a_full_disk_is_one_build_error_naming_the_step(tmp_path, monkeypatch):
    root, logged = _disk_full_workspace(tmp_path, monkeypatch)
    kw = dict(
        raw_dir=root / "raw",
        reports_dir=root / "reports",
        processed_dir=root / "p",
        restricted_dir=root / "restricted",
    )
    with pytest.raises(BuildError) as exc:
        pipeline.build_report(REPORT_YEAR, log=logged.append, **kw)
    msg = str(exc.value)
    assert "step 'clean'" in msg and "no space left" in msg and "01_clean.ipynb" in msg
    failed = root / "restricted" / f".failed-{REPORT_YEAR}"  # notebooks are child-level
    assert (failed / "notebooks" / "01_clean.ipynb").is_file()
    assert any(str(failed) in m for m in logged)
    assert not list((root / "reports").iterdir())
    # a second failure replaces the first: only the latest is kept
    (failed / "marker").write_text("first failure")
    with pytest.raises(BuildError):
        pipeline.build_report(REPORT_YEAR, log=logged.append, **kw)
    assert not (failed / "marker").exists()
    assert [p.name for p in (root / "restricted").iterdir()] == [f".failed-{REPORT_YEAR}"]
    assert not list((root / "reports").iterdir())


def test_cli_prints_a_full_disk_in_one_line(tmp_path, monkeypatch, capsys):
    root, _ = _disk_full_workspace(tmp_path, monkeypatch)
    code = cli.main(
        [
            "report",
            "--year",
            str(REPORT_YEAR),
            "--raw-dir",
            str(root / "raw"),
            "--reports-dir",
            str(root / "reports"),
            "--processed-dir",
            str(root / "p"),
            "--restricted-dir",
            str(root / "restricted"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("iro-analysis report: error: step 'clean' failed: no space left")

    def other_command(args):
        raise OSError(errno.ENOSPC, "No space left on device", "/data/processed/x.parquet")

    monkeypatch.setattr(cli, "_handler", lambda command: other_command)
    assert cli.main(["years"]) == 1
    err = capsys.readouterr().err
    assert err == (
        "iro-analysis years: error: no space left on the device "
        "(/data/processed/x.parquet); free some space and run it again\n"
    )

    def gone(args):
        raise FileNotFoundError(errno.ENOENT, "No such file", "x")

    monkeypatch.setattr(cli, "_handler", lambda command: gone)
    assert cli.main(["years"]) == 1  # every OS error is one line (issue #29) ...
    assert capsys.readouterr().err == (
        "iro-analysis years: error: no such file or folder (x); check the path (and the "
        "settings' paths)\n"
    )
    monkeypatch.setenv("IRO_ANALYSIS_TRACEBACK", "1")
    with pytest.raises(FileNotFoundError):  # ... and a developer can still see where from
        cli.main(["years"])


@pytest.mark.parametrize(
    ("error", "fragment"),
    [
        (errno.EACCES, "permission denied ({f}); make the folder writable"),
        (errno.EROFS, "the file system is read-only ({f}); set a writable folder"),
    ],
)
def test_an_unwritable_reports_folder_is_one_line_naming_the_step(
    tmp_path, monkeypatch, capsys, error, fragment
):
    """Issue #29: the reports folder read-only gave a 27-line traceback. (The tests run as
    root, whom file modes do not stop, so the publish step's write is made to fail.)"""
    from iro_analysis.core.run import Run

    (tmp_path / "raw" / str(REPORT_YEAR)).mkdir(parents=True)
    target = tmp_path / "restricted" / ".build-x" / "run.json"

    def refuse(self, path=None):  # the build's first write into its folders
        raise OSError(error, os.strerror(error), str(target))

    monkeypatch.setattr(Run, "write", refuse)
    code = cli.main(
        ["report", "--year", str(REPORT_YEAR)]
        + [f"--{k}-dir={tmp_path / k}" for k in ("raw", "reports", "processed", "restricted")]
    )
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("iro-analysis report: error: step 'staging' failed: "), err
    assert fragment.format(f=target) in err, err


def test_a_code_narrative_is_refused_before_anything_runs(tmp_path):
    PWNED.unlink(missing_ok=True)
    (tmp_path / "raw" / str(REPORT_YEAR)).mkdir(parents=True)
    narrative = tmp_path / "2022.md"
    narrative.write_text(
        "## Key messages\n\nFine so far.\n"
        "{{ lipsum.__globals__['os'].popen('touch " + str(PWNED) + "').read() }}\n"
    )
    with pytest.raises(NarrativeError) as exc:
        pipeline.build_report(
            REPORT_YEAR,
            raw_dir=tmp_path / "raw",
            reports_dir=tmp_path / "reports",
            processed_dir=tmp_path / "p",
            restricted_dir=tmp_path / "restricted",
            narrative_path=narrative,
            log=lambda *a: None,
        )
    assert str(narrative) in str(exc.value) and "line 4" in str(exc.value)
    assert isinstance(exc.value, IroAnalysisError)
    assert not PWNED.exists()
    assert not (tmp_path / "reports").exists()
    assert not (tmp_path / "restricted").exists()


# --------------------------------------------------------------------------------------
# A real report built from hostile settings and narrative (slow).
# --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_hostile_settings_and_narrative_build_an_inert_report(tmp_path, demo_raw):
    PWNED.unlink(missing_ok=True)
    shutil.copytree(demo_raw, tmp_path / "raw")
    settings = tmp_path / "settings.yaml"
    settings.write_text(
        "council_name: '<script>alert(1)</script> & \"Co\"'\n"
        "report_title: 'IRO report <img src=x onerror=alert(2)>'\n"
    )
    narrative = tmp_path / "narrative.md"
    narrative.write_text(MARKUP_NARRATIVE)
    path = pipeline.build_report(
        REPORT_YEAR,
        raw_dir=tmp_path / "raw",
        reports_dir=tmp_path / "reports",
        processed_dir=tmp_path / "processed",
        restricted_dir=tmp_path / "restricted",
        settings_path=settings,
        narrative_path=narrative,
        log=lambda *a: None,
    )
    text = path.read_text(encoding="utf-8")
    page = assert_inert(text)
    visible = "".join(page.text)
    # the settings values appear, as text, in the title, header, footer and chart tables
    title = text[text.index("<title>") : text.index("</title>")]
    assert ESCAPED_COUNCIL in title and "IRO report &lt;img" in title
    assert visible.count(HOSTILE_COUNCIL) >= 4
    assert HOSTILE_TITLE in visible
    # the narrative: placeholders filled, markup reduced to text markup
    commentary = text[text.index('class="commentary"') :]
    assert f"{HOSTILE_COUNCIL} reviewed" in visible
    assert "Styled text." in visible and "<strong>reviews</strong>" in text
    assert "click me" in visible and 'href="#harmful-link"' in commentary
    assert 'document.title = "pwned"' not in visible
    assert not PWNED.exists()
    assert not list((tmp_path / "reports").glob(".*"))  # no staging or failed folder left
