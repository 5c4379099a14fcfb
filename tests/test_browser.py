"""The built report in real headless Chromium, and the committee PDF."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from iro_analysis.build.browser import check_report

HAVE_CHROMIUM = bool(
    shutil.which("chromium") or shutil.which("chromium-browser") or os.environ.get("CHROMIUM_PATH")
)
# On CI a missing browser is a failure, not a skip: .ci/run installs it.
needs_browser = pytest.mark.skipif(
    not HAVE_CHROMIUM and os.environ.get("CI") != "true",
    reason="headless Chromium not installed (apt-get install chromium)",
)


@pytest.fixture(scope="module")
def page_check(built_report):
    return check_report(built_report, screenshots_dir=built_report.parent / "screenshots")


@needs_browser
def test_no_console_errors_and_no_network(page_check):
    assert page_check.console_errors == []
    assert page_check.external_requests == []


@needs_browser
def test_every_image_loads_with_alt_text(page_check):
    assert page_check.images >= 10
    assert page_check.broken_images == []
    assert page_check.images_without_alt == 0


@needs_browser
def test_every_contents_link_lands_on_its_section(page_check):
    assert len(page_check.toc_links) >= 11
    assert all(page_check.toc_links.values()), page_check.toc_links


@needs_browser
def test_no_serious_or_critical_accessibility_violations(page_check):
    assert page_check.axe_violations == []


@needs_browser
def test_screenshots_saved_beside_the_report(page_check, built_report):
    names = sorted(p.name for p in page_check.screenshots)
    assert names == ["chart-section.png", "first-page.png"]
    for p in page_check.screenshots:
        assert p.parent == built_report.parent / "screenshots"
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 5000


@needs_browser
def test_problems_are_reported(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><html><head><title>x</title></head><body><img src="missing.png">'
        '<img src="https://example.invalid/x.png" alt="remote"><script>console.error("boom")</script></body></html>'
    )
    result = check_report(bad)
    problems = "\n".join(result.problems)
    assert "console error: boom" in problems
    assert "https://example.invalid/x.png" in problems
    assert "image(s) without alt text" in problems
    assert "no table-of-contents links" in problems
    assert any(v["id"] == "html-has-lang" for v in result.axe_violations)


@needs_browser
def test_committee_pdf(built_report):
    pdf = built_report.with_suffix(".pdf")
    assert pdf.name == "iro-annual-report-2021-22.pdf" and pdf.is_file()
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert 8 <= pages <= 80
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    assert "Key messages" in flat
    assert "children were looked after at 31 March" in flat
    assert f"Page 1 of {pages}" in flat


@needs_browser
def test_the_first_screen_says_what_works_what_worries_and_what_the_panel_is_asked(built_report):
    """A reader who opens the report sees, without scrolling (1280 x 900), the three
    statements of the summary and the start of each: the first screen states what is
    working well, what the service is worried about and what the Panel is asked to do."""
    from iro_analysis.build.browser import browser

    with browser() as b:
        page = b.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.goto(built_report.resolve().as_uri(), wait_until="load")
        seen = page.evaluate(
            """() => [...document.querySelectorAll('.summary-card')].map(card => {
                const h = card.querySelector('h3');
                const first = h.nextElementSibling;
                const firstLine = first.querySelector('li, p') || first;
                return {title: h.textContent, heading: h.getBoundingClientRect().bottom,
                        first: firstLine.getBoundingClientRect().top + 20,
                        text: firstLine.textContent.trim()};
            })"""
        )
    assert [s["title"] for s in seen] == [
        "What is working well",
        "What we are worried about",
        "What the Panel is asked to do",
    ]
    for s in seen:
        assert s["heading"] <= 900 and s["first"] <= 900, s
        assert len(s["text"]) > 10, s
