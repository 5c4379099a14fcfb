"""The committee PDF as the build writes it (issue #16): at most 24 A4 pages for the
councillors' report, no blank page, tagged, bookmarked from the headings, the contents'
page numbers right, the front sheet on page 1, every chart whole on one page and no chart
text printed under 8 pt (issue #26)."""

from __future__ import annotations

import base64
import html
import io
import re
import unicodedata

import pytest

from tests._env import needs_browser

MAX_PAGES = 24  # issue #16: the councillors' report on the demo council
MM = 72 / 25.4  # PDF points per millimetre


def _norm(text: str) -> str:
    """Extracted text with ligatures unfolded (ﬃ -> ffi) and whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


@pytest.fixture(scope="module")
def report_pdf(built_report):
    return built_report.with_suffix(".pdf")


@pytest.fixture(scope="module")
def reader(report_pdf):
    from pypdf import PdfReader

    return PdfReader(report_pdf)


@pytest.fixture(scope="module")
def report_html(built_report) -> str:
    return built_report.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def contents(report_html) -> list[tuple[str, str]]:
    """(id, title) of each contents entry, read from the built report's nav."""
    nav = re.search(r'<nav[^>]*class="toc".*?</nav>', report_html, re.S).group(0)
    return [
        (html.unescape(i), html.unescape(t))
        for i, t in re.findall(r'<li><a href="#([^"]+)">(.*?)</a>', nav)
    ]


@pytest.fixture(scope="module")
def destinations(report_pdf) -> dict[str, int]:
    from iro_analysis.pipeline.pdf import destination_pages

    return destination_pages(report_pdf)


def _outline(reader, items=None, depth=0):
    """(depth, title, page from 1) of every bookmark, in order."""
    out = []
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            out += _outline(reader, item, depth + 1)
        else:
            out.append((depth, item.title, reader.get_destination_page_number(item) + 1))
    return out


# --------------------------------------------------------------------------------------
# Fast: the pieces, no browser.
# --------------------------------------------------------------------------------------


def test_running_title_is_escaped():
    from iro_analysis.pipeline.pdf import header_template

    out = header_template('<script>alert(1)</script> & "Co" annual report')
    assert "<script" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;Co&#34; annual report" in out
    assert out.startswith('<div style="font-size:8px')


def test_a_contents_entry_with_no_heading_in_the_pdf_stops_the_build():
    from pypdf import PdfWriter

    from iro_analysis.core.errors import IroAnalysisError
    from iro_analysis.pipeline.pdf import _contents_pages

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_named_destination("the-iro-service", 0)
    buf = io.BytesIO()
    writer.write(buf)
    assert _contents_pages(buf.getvalue(), ["the-iro-service"]) == {"the-iro-service": 1}
    with pytest.raises(IroAnalysisError, match="no-such-section"):
        _contents_pages(buf.getvalue(), ["the-iro-service", "no-such-section"])


def _pdf_with_destination(name: str, page: int, pages: int = 3) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    writer.add_named_destination(name, page - 1)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


class _FakePage:
    """Stands in for a Playwright page: each print puts the heading on the next page of
    `placements`; records what the build wrote into the contents."""

    def __init__(self, placements: list[int]):
        self.placements, self.written = iter(placements), []

    def pdf(self, **options) -> bytes:
        assert options["tagged"] and options["outline"]
        return _pdf_with_destination("the-iro-service", next(self.placements))

    def evaluate(self, script: str, pages: dict) -> None:
        self.written.append(dict(pages))


def test_the_contents_numbers_are_printed_again_until_no_heading_moves():
    from iro_analysis.core.errors import IroAnalysisError
    from iro_analysis.pipeline.pdf import _with_contents_pages, destination_pages

    first = _pdf_with_destination("the-iro-service", 2)
    # writing "2" into the contents pushes the heading to page 3; writing "3" keeps it there
    page = _FakePage([3, 3])
    out = _with_contents_pages(page, first, ["the-iro-service"], {})
    assert destination_pages(out) == {"the-iro-service": 3}
    assert page.written == [{"the-iro-service": 2}, {"the-iro-service": 3}]
    # a heading that moves on every print stops the build instead of printing wrong numbers
    with pytest.raises(IroAnalysisError, match="do not settle.*the-iro-service"):
        _with_contents_pages(_FakePage([3, 2]), first, ["the-iro-service"], {})


# --------------------------------------------------------------------------------------
# The PDF the session build printed (the small demo council, 2021/22).
# --------------------------------------------------------------------------------------


@needs_browser
def test_the_councillors_report_fits_in_24_a4_pages(reader, destinations):
    """Until the data quality section and the appendix move to the technical annex, the
    councillors' part is the pages before the "Data quality" heading."""
    pages = len(reader.pages)
    councillors = destinations["data-quality"] - 1 if "data-quality" in destinations else pages
    assert councillors <= MAX_PAGES, f"the councillors' report takes {councillors} pages"
    for p in reader.pages:
        assert (round(float(p.mediabox.width)), round(float(p.mediabox.height))) == (596, 843)


@needs_browser
def test_no_page_is_blank(reader, report_html):
    """Every page has text besides its running title and footer."""
    title = _norm(html.unescape(re.search(r"<title>(.*?)</title>", report_html).group(1)))
    furniture = re.compile(r"(.* · )?Page \d+ of \d+")
    empty = []
    for n, p in enumerate(reader.pages, start=1):
        lines = [_norm(line) for line in p.extract_text().splitlines()]
        body = [ln for ln in lines if ln and ln != title and not furniture.fullmatch(ln)]
        if len(" ".join(body)) < 40:
            empty.append(n)
    assert empty == []


@needs_browser
def test_every_pdf_of_the_year_is_tagged_and_bookmarked(report_pdf):
    """The report and, once it is printed, the technical annex: a structure tree, marked
    content and an outline (what screen readers and a PDF reader's sidebar use)."""
    from pypdf import PdfReader
    from pypdf.generic import BooleanObject

    pdfs = sorted(report_pdf.parent.glob("*.pdf"))
    assert report_pdf in pdfs
    for pdf in pdfs:
        reader = PdfReader(pdf)
        root = reader.trailer["/Root"]
        assert "/StructTreeRoot" in root, pdf.name
        assert root["/MarkInfo"]["/Marked"] == BooleanObject(True), pdf.name
        assert str(root.get("/Lang", "")).startswith("en"), pdf.name
        marks = _outline(reader)
        assert len(marks) >= 3, pdf.name
        h1 = re.search(r"<h1>(.*?)</h1>", pdf.with_suffix(".html").read_text(encoding="utf-8"))
        assert marks[0][:2] == (0, html.unescape(h1.group(1))), pdf.name  # words kept apart


def _struct_elements(node, out=None) -> list:
    """Every element of a tagged PDF's structure tree, depth first."""
    out = [] if out is None else out
    node = node.get_object()
    if isinstance(node, dict):
        if "/S" in node:
            out.append(node)
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids]:
            if kid is not None and hasattr(kid, "get_object"):
                _struct_elements(kid, out)
    return out


@needs_browser
def test_each_chart_carries_its_alt_text_in_the_tagged_pdf(reader, report_html):
    """A screen reader reading the PDF gets each chart's message, as in the HTML."""
    elements = _struct_elements(reader.trailer["/Root"]["/StructTreeRoot"])
    alts = [str(e["/Alt"]) for e in elements if e["/S"] == "/Figure" and "/Alt" in e]
    expected = [
        html.unescape(a)
        for a in re.findall(r'<figure class="chart">.*?<img alt="([^"]*)"', report_html, re.S)
    ]
    assert len(expected) > 5
    assert alts == expected
    assert {"/H1", "/H2", "/Table", "/TH", "/L"} <= {str(e["/S"]) for e in elements}


def _pages_of(element, page_numbers: dict[int, int], acc: set[int] | None = None) -> set[int]:
    """The pages (from 1) a structure element's content is drawn on."""
    acc = set() if acc is None else acc
    element = element.get_object()
    if isinstance(element, dict):
        if "/Pg" in element:
            acc.add(page_numbers[element.raw_get("/Pg").idnum])
        kids = element.get("/K")
        for kid in kids if isinstance(kids, list) else [kids]:
            if kid is not None and hasattr(kid, "get_object"):
                _pages_of(kid, page_numbers, acc)
    return acc


@needs_browser
def test_tables_of_up_to_20_rows_are_never_split(reader):
    """print.css keeps a table of up to 20 body rows on one page (a longer one breaks
    between rows and repeats its header): read from the tagged PDF, each table's cells are
    all drawn on one page."""
    page_numbers = {p.indirect_reference.idnum: n for n, p in enumerate(reader.pages, start=1)}
    elements = _struct_elements(reader.trailer["/Root"]["/StructTreeRoot"])
    tables = [e for e in elements if e["/S"] == "/Table"]
    assert len(tables) > 10
    split = []
    for table in tables:
        rows = sum(1 for e in _struct_elements(table) if e["/S"] == "/TR")
        pages = _pages_of(table, page_numbers)
        if rows <= 21 and len(pages) > 1:  # 20 body rows and the header
            split.append((rows, sorted(pages)))
    assert split == []


@needs_browser
def test_bookmarks_are_the_section_headings_on_their_pages(reader, contents, destinations):
    """One bookmark per section heading, titled as in the contents, at one level, in order,
    opening the page the heading is on."""
    marks = _outline(reader)
    titles = [t for _, t, _ in marks]
    first = titles.index(contents[0][1])
    level = marks[first][0]
    sections = [(t, p) for d, t, p in marks if d == level and t in dict(contents).values()]
    assert [t for t, _ in sections] == [t for _, t in contents]
    assert [p for _, p in sections] == [destinations[i] for i, _ in contents]


@needs_browser
def test_the_contents_give_each_sections_page(reader, contents, destinations):
    pages = [destinations[i] for i, _ in contents]
    assert pages == sorted(pages) and pages[0] >= 1
    text = _norm(" ".join(p.extract_text() for p in reader.pages[:2]))
    for (_, title), page in zip(contents, pages, strict=True):
        assert re.search(re.escape(_norm(title)) + rf" {page}\b", text), (title, page)


@needs_browser
def test_the_front_sheet_is_page_1(reader, report_html):
    if 'class="front-sheet"' not in report_html:
        pytest.skip("the committee front sheet (issue #16 part A) is not in the report yet")
    sheet = re.search(r'<section[^>]* class="front-sheet".*?</section>', report_html, re.S).group(0)
    heading = _norm(
        html.unescape(re.sub(r"<[^>]+>", " ", re.search(r"<h2.*?</h2>", sheet).group(0)))
    )
    first = _norm(reader.pages[0].extract_text())
    assert heading in first
    assert "Recommendation" in first and "Purpose" in first
    assert heading not in _norm(reader.pages[1].extract_text())


def _image_placements(reader) -> list[tuple[int, bool]]:
    """(page, whole) for every image drawn: whole when it lies inside the page's printable
    area. An image clipped at the page foot or carried over two pages reaches into the
    margin (the print margins are 16 mm top and bottom)."""
    from iro_analysis.pipeline.pdf import MARGIN

    top, bottom = (float(MARGIN[k].removesuffix("mm")) * MM for k in ("top", "bottom"))
    drawn = []
    for n, page in enumerate(reader.pages, start=1):
        height = float(page.mediabox.height)
        xobjects = page.get("/Resources", {}).get("/XObject", {})

        def seen(op, args, cm, tm, n=n, height=height, xobjects=xobjects):
            if op == b"Do" and xobjects[args[0]].get_object().get("/Subtype") == "/Image":
                y0, y1 = sorted((cm[5], cm[5] + cm[3]))
                drawn.append((n, y0 >= bottom - 1 and y1 <= height - top + 1))

        page.extract_text(visitor_operand_before=seen)
    return drawn


@needs_browser
def test_every_chart_is_drawn_once_and_whole_within_a_page(reader, report_html):
    drawn = _image_placements(reader)
    charts = report_html.count('<figure class="chart">')  # one image each
    assert charts > 5
    assert len(drawn) == charts
    assert all(whole for _, whole in drawn), [n for n, whole in drawn if not whole]


def _printed_images(reader) -> list[tuple[int, int, float]]:
    """(page, width in pixels, printed width in points) of every image drawn."""
    out = []
    for n, page in enumerate(reader.pages, start=1):
        xobjects = page.get("/Resources", {}).get("/XObject", {})

        def seen(op, args, cm, tm, n=n, xobjects=xobjects):
            image = xobjects[args[0]].get_object() if op == b"Do" else None
            if image is not None and image.get("/Subtype") == "/Image":
                out.append((n, int(image["/Width"]), float((cm[0] ** 2 + cm[1] ** 2) ** 0.5)))

        page.extract_text(visitor_operand_before=seen)
    return out


@needs_browser
def test_no_chart_text_prints_under_8pt(reader, report_html):
    """Issue #26. Charts are PNGs, so the PDF holds no chart text to measure; a chart's
    text prints at its size in the drawing times the scale the page prints the drawing at.
    Each chart's img carries its drawing's smallest text (`data-text-pt`: the smallest
    font size of any text artist, `plots.smallest_text`, measured when it was drawn) and
    its dpi (`data-dpi`). The scale is the printed width (the image's placement matrix in
    the PDF, points / 72) over the drawing's width in inches (its pixels / its dpi); the
    charts are paired with the PDF's images in document order. Before #26 the drawing was
    7 in at 110 dpi with 8 pt labels, printed 4.4 in across: 5.0 pt; now 8.5 pt."""
    imgs = re.findall(r"<img [^>]*>", report_html)
    sizes = [
        (
            re.search(r'data-text-pt="([\d.]+)"', i).group(1),
            re.search(r'data-dpi="([\d.]+)"', i).group(1),
        )
        for i in imgs
        if "data-text-pt" in i
    ]
    images = _printed_images(reader)
    assert len(sizes) == len(images) == report_html.count('<figure class="chart">') > 5
    printed = [
        (float(pt) * (width / 72) / (pixels / float(dpi)), page)
        for (pt, dpi), (page, pixels, width) in zip(sizes, images, strict=True)
    ]
    assert min(printed)[0] >= 8.0, min(printed)


@needs_browser
def test_a_chart_taller_than_the_space_left_is_caught(tmp_path):
    """The check above can fail: an image too tall for a page is clipped at its foot."""
    from PIL import Image
    from pypdf import PdfReader

    from iro_analysis.pipeline.pdf import html_to_pdf

    buf = io.BytesIO()
    Image.new("RGB", (40, 300), "steelblue").save(buf, format="PNG")
    uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    page = tmp_path / "tall.html"
    page.write_text(
        '<!DOCTYPE html><html lang="en"><title>Tall</title><h1>Tall chart</h1>'
        f'<figure class="chart"><img alt="x" src="{uri}" style="width:60mm;height:320mm">'
        "</figure></html>",
        encoding="utf-8",
    )
    drawn = _image_placements(PdfReader(html_to_pdf(page, tmp_path / "tall.pdf")))
    assert drawn and not all(whole for _, whole in drawn)


@needs_browser
def test_printing_again_gives_the_same_pages(built_report, destinations, tmp_path):
    """The page count and every section's page are stable from one print to the next."""
    from pypdf import PdfReader

    from iro_analysis.pipeline.pdf import destination_pages, html_to_pdf

    again = html_to_pdf(built_report, tmp_path / "again.pdf", label="Again, 2021/22")
    assert len(PdfReader(again).pages) == len(PdfReader(built_report.with_suffix(".pdf")).pages)
    assert destination_pages(again) == destinations
