"""The built report in real headless Chromium, and the committee PDF."""

from __future__ import annotations

import subprocess

import pytest

from iro_analysis.pipeline.browser import check_report
from tests._env import needs_browser


@pytest.fixture(scope="session")
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
    assert names == [
        "chart-section-1280.png",
        "chart-section-390.png",
        "first-page-1280.png",
        "first-page-390.png",
        "trend-table-390.png",
    ]
    for p in page_check.screenshots:
        assert p.parent == built_report.parent / "screenshots"
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 5000


@needs_browser
def test_on_a_phone_the_first_trend_table_shows_the_current_year(page_check):
    """At 390 px the first five-year table opens at its newest year: the current year's
    heading and every figure in its column lie inside the table's scroller and the window,
    clear of the measure column held beside them; and the page never scrolls sideways."""
    assert page_check.narrow_current_year[0] == "2021/22"
    assert len(page_check.narrow_current_year) >= 3
    assert page_check.narrow_current_year_hidden == []
    assert page_check.narrow_overflow_px == 0
    assert not [p for p in page_check.problems if "390 px" in p]


@needs_browser
def test_a_current_year_off_screen_on_a_phone_is_a_problem(tmp_path):
    """A year table that opens at its oldest year (no `years` wrapper) hides the current
    year at 390 px, and a wide element makes the page scroll sideways: both are problems."""
    years = [f"{y}/{y - 1999:02d}" for y in range(2010, 2022)]
    now = {y: ' class="now"' if y == years[-1] else "" for y in years}
    head = "".join(f'<th scope="col"{now[y]}>{y}</th>' for y in years)
    cells = "".join(f"<td{now[y]}>{i}</td>" for i, y in enumerate(years))
    page = tmp_path / "wide.html"
    page.write_text(
        '<!DOCTYPE html><html lang="en"><head><title>x</title></head><body><main>'
        '<div class="table-wrap" style="overflow-x:auto"><table class="trend"><caption>t</caption>'
        f'<thead><tr><th scope="col">Measure</th>{head}</tr></thead>'
        f'<tbody><tr><th scope="row">A measure</th>{cells}</tr></tbody></table></div>'
        '<p style="width:600px">wide</p></main></body></html>'
    )
    result = check_report(page)
    assert result.narrow_current_year == [years[-1], str(len(years) - 1)]
    assert result.narrow_current_year_hidden == result.narrow_current_year
    problems = "\n".join(result.problems)
    assert "at 390 px the current year is outside the viewport" in problems
    assert "at 390 px the page scrolls sideways by 218 px" in problems  # 600 + 2 x 8 - 390
    # a scroller a keyboard cannot reach is an axe violation: the report's wrappers are
    # focusable regions (macros.html.j2), this one is not
    assert "scrollable-region-focusable" in problems


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
def test_the_first_screen_is_the_front_sheet_and_the_summary_follows(built_report):
    """A reader who opens the report sees, without scrolling (1280 x 900), the committee
    front sheet: its heading and every field down to the classification; its purpose and
    the recommendation follow within it. The summary's three statements (what is working
    well, what the service is worried about, what the Panel is asked to do) come straight
    after it."""
    from iro_analysis.pipeline.browser import browser

    with browser() as b:
        page = b.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.goto(built_report.resolve().as_uri(), wait_until="load")
        seen = page.evaluate(
            """() => {
                const sheet = document.querySelector('main section.front-sheet');
                const dts = [...sheet.querySelectorAll('dt')];
                const date = dts.find(dt => dt.textContent === 'Date of meeting').nextElementSibling;
                const heads = [...sheet.querySelectorAll('h3')].map(h => h.textContent);
                const last = dts[dts.length - 1];
                return {title: sheet.querySelector('h2').textContent,
                        labelledBy: sheet.getAttribute('aria-labelledby'),
                        date: date.textContent, dateBottom: date.getBoundingClientRect().bottom,
                        last: last.textContent, heads: heads,
                        lastBottom: last.nextElementSibling.getBoundingClientRect().bottom,
                        h2: [...document.querySelectorAll('main h2')].slice(0, 2).map(h => h.id),
                        cards: [...document.querySelectorAll('.summary-card h3')].map(h => h.textContent)};
            }"""
        )
    assert seen["h2"] == ["front-sheet-title", "summary-for-the-corporate-parenting-panel"]
    assert seen["labelledBy"] == "front-sheet-title"
    assert seen["title"] == "Report to the Corporate Parenting Panel"
    assert seen["date"] == "14 July 2022"
    assert seen["last"] == "Classification" and seen["heads"] == ["Purpose", "Recommendation"]
    assert seen["dateBottom"] <= 900 and seen["lastBottom"] <= 900, seen
    assert seen["cards"] == [
        "What is working well",
        "What we are worried about",
        "What the Panel is asked to do",
    ]
