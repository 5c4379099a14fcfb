"""Great Expectations sees the raw files: each year's sources validated as read, before
cleaning (warnings only), runs named and kept, and Data Docs that read offline (issue #30).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from iro_analysis.ingest.rules import parse_dates
from iro_analysis.validate.data_docs import offline_html, remote_references
from iro_analysis.validate.raw_checks import DATE_REGEX, source_key
from tests._env import needs_browser

FIXTURE_RAW = Path(__file__).parent / "fixtures" / "clean" / "raw"
SITE = Path("gx") / "uncommitted" / "data_docs" / "local_site"
STORE = Path("gx") / "uncommitted" / "validations"


# --------------------------------------------------------------------------------------
# The unit tier: no GX
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "30/02/2021",
        "29/02/2020",
        "31/04/2021",
        "30/04/2021",
        "31/12/2021",
        "2021-02-30",
        "2021-12-31",
        "1/2/2021",
        "2021-2-1",
        "13/13/2021",
        "00/01/2021",
        "05/13/2022",
        "2021-04-31",
        "31/01/2021",
        "2021/01/31",
        "31-01-2021",
        "",
    ],
)
def test_the_raw_date_expectation_agrees_with_the_cleaner(text):
    """A date the cleaner parses matches the raw suites' pattern, and one it cannot does
    not (29 February is the one day the pattern lets through in any year)."""
    parsed = bool(parse_dates(pd.Series([text])).notna().iloc[0])
    assert (re.search(DATE_REGEX, text) is not None) == parsed


def test_a_source_label_is_a_gx_name():
    assert source_key("ssda903/episodes.csv") == "raw.ssda903_episodes_csv"
    assert source_key("cin_census.xml#CPPreviewDate") == "raw.cin_census_xml_CPPreviewDate"


PAGE = """<!DOCTYPE html><html><head>
<link rel="shortcut icon" href="../../../static/images/favicon.ico" type="image/x-icon"/>
<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>
<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>
<script src='//unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js'></script>
<style>.x { background: url('https://example.org/full_logo_dark.png') 0 0; }</style>
</head><body><img src="https://great-expectations-web-assets.s3.amazonaws.com/logo-long.png?d=1&dataContextId=abc">
<a href="https://docs.greatexpectations.io/">docs</a><script>$('#t').bootstrapTable({});</script>
</body></html>"""


def test_a_page_loads_nothing_over_the_network_once_made_offline():
    assert len(remote_references(PAGE)) == 5
    out = offline_html(PAGE, "../")
    assert remote_references(out) == []
    assert '<script src="../static/iro_offline/offline.js"></script>' in out
    assert '<link rel="stylesheet" href="../static/iro_offline/offline.css">' in out
    assert 'src="../static/images/logo-long.png"' in out
    assert 'href="../static/images/favicon.ico"' in out  # GX's depth recomputed
    assert "dataContextId" not in out
    assert '<a href="https://docs.greatexpectations.io/">' in out  # a link is only a link
    assert out.index("offline.js") < out.index("bootstrapTable")  # $ defined first
    assert offline_html(out, "../") == out  # twice is once


# --------------------------------------------------------------------------------------
# With GX (slow)
# --------------------------------------------------------------------------------------


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.refs.append(a["src"])
        if tag == "link" and a.get("href"):
            self.refs.append(a["href"])
        if tag == "img" and a.get("src"):
            self.refs.append(a["src"])


def _refs(page: Path) -> list[str]:
    p = _Refs()
    p.feed(page.read_text(encoding="utf-8"))
    return p.refs


@pytest.mark.slow
def test_every_2022_file_with_quarantined_rows_fails_an_expectation(build_root):
    """The done-when check of #30: in the demo's 2022 build, every 2022 source the cleaner
    quarantined rows of has at least one failed expectation in GX's stored results (and in
    the restricted validation-full.json), each a warning; the build passed."""
    from iro_analysis.ingest.processed import load_processed

    restricted = build_root / "restricted" / "2022"
    q = load_processed(2022, build_root / "processed").quarantine
    files = sorted(set(q.loc[q["year"].astype(int) == 2022, "file"]))
    assert files, "the demo has quarantined rows in 2022"
    stored: dict[str, bool] = {}
    for f in (restricted / STORE).rglob("*.json"):
        doc = json.loads(f.read_text(encoding="utf-8"))
        name = doc.get("suite_name", "")
        stored[name] = stored.get(name, True) and bool(doc["success"])
    failed_in_gx = {f for f in files if stored.get(f"iro_analysis.{source_key(f)}") is False}
    assert failed_in_gx == set(files)
    full = json.loads((restricted / "validation-full.json").read_text(encoding="utf-8"))
    raw = pd.DataFrame(full["raw_results"])
    failed = raw[~raw["success"].astype(bool)]
    assert set(files) <= set(failed["table"])
    assert set(failed["severity"]) == {"warning"}
    assert full["ok"] and full["critical_failures"] == 0
    # the published results are the clean tables' only
    public = json.loads(
        (build_root / "reports" / "2022" / "validation.json").read_text(encoding="utf-8")
    )
    assert not set(files) & {r["table"] for r in public["results"]}


@pytest.mark.slow
def test_the_built_data_docs_load_nothing_from_a_network(build_root):
    site = build_root / "restricted" / "2022" / SITE
    pages = sorted(site.rglob("*.html"))
    assert site / "index.html" in pages and len(pages) > 1
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert remote_references(text) == [], page
        for ref in _refs(page):
            assert not ref.startswith(("http:", "https:", "//")), (page, ref)
            target = (page.parent / ref.split("?")[0].split("#")[0]).resolve()
            assert target.is_file(), (page, ref)
    index_refs = _refs(site / "index.html")
    assert "static/iro_offline/offline.js" in index_refs
    assert "static/iro_offline/offline.css" in index_refs


@pytest.mark.slow
@needs_browser
def test_the_data_docs_index_shows_its_runs_offline(build_root, tmp_path):
    """Headless Chromium with every request off the file system refused: the index draws
    its table of runs, one row per stored result, and a row opens its page."""
    from iro_analysis.pipeline.browser import browser

    site = build_root / "restricted" / "2022" / SITE
    stored = len(list((build_root / "restricted" / "2022" / STORE).rglob("*.json")))
    external: list[str] = []
    errors: list[str] = []

    def route(r):
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    with browser() as b:
        page = b.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.route("**/*", route)
        page.goto((site / "index.html").as_uri())
        rows = page.locator("table tbody tr.clickable-row")
        assert rows.count() == stored
        page.screenshot(path=str(tmp_path / "index.png"))
        rows.first.click()
        page.wait_for_load_state()
        assert page.url.endswith(".html") and "/validations/" in page.url
        assert page.get_by_text("Expectation Validation Result").count()
    assert external == [] and errors == []


@pytest.mark.slow
def test_each_run_is_named_and_kept_beside_the_earlier_ones(tmp_path):
    """Two builds: the second project starts from the first one's store (as the validate
    notebook carries restricted/<YEAR>/ over), so both runs' results are there, each under
    its own run name, and the first project's files are not changed."""
    from iro_analysis.core.settings import Settings
    from iro_analysis.ingest.clean import build_dataset
    from iro_analysis.validate.checks import all_suites
    from iro_analysis.validate.gx_project import carry_history
    from iro_analysis.validate.suites import validate_dataset

    ds = build_dataset(FIXTURE_RAW, year=2022)
    first, second = tmp_path / "first", tmp_path / "second"
    validate_dataset(ds, 2022, Settings(), project_root=first, raw_dir=FIXTURE_RAW)
    before = {p: p.read_bytes() for p in (first / "gx" / "uncommitted").rglob("*") if p.is_file()}
    carry_history(first, second)
    report = validate_dataset(ds, 2022, Settings(), project_root=second, raw_dir=FIXTURE_RAW)
    after = {p: p.read_bytes() for p in (first / "gx" / "uncommitted").rglob("*") if p.is_file()}
    assert before == after
    docs = [json.loads(p.read_text()) for p in (second / STORE).rglob("*.json")]
    runs = {(d["meta"]["run_id"]["run_name"], d["meta"]["run_id"]["run_time"]) for d in docs}
    assert len(runs) == 2 and all(name.startswith("2022-build-") for name, _ in runs)
    per_run = len(report.raw["table"].unique()) + len(all_suites())
    assert len(docs) == 2 * per_run
    assert len(report.raw) and set(report.raw["severity"]) == {"warning"}
