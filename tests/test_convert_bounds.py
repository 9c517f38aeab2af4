"""Every converter stays within its documented bounds on hostile files: output at most
`output_limit(size)` characters, spans and tables capped, nesting flattened, control
characters dropped, time and memory linear in the input. The timings here are hang and
blow-up guards with wide margins, not benchmarks."""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
from collections.abc import Callable

import docx
import pptx
import pytest
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from pptx.oxml.ns import qn as pptx_qn
from pptx.oxml.xmlchemy import OxmlElement as PptxElement
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from geminiteacher.errors import ConversionError
from geminiteacher.ingest.budget import MAX_SPAN, MAX_TABLE_CELLS, output_limit
from geminiteacher.ingest.convert import convert_bytes

SECONDS = 30  # no crafted file below may take longer (each takes well under a few seconds)
PEAK_BYTES = 300 * 1024 * 1024  # nor hold more Python memory at once
WORDS = "and the words of this paragraph carry on across the page without an end"
CONTAINER = ('<?xml version="1.0"?><container version="1.0" '
             'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
             '<rootfile full-path="OEBPS/content.opf" '
             'media-type="application/oebps-package+xml"/></rootfiles></container>')


def timed(data: bytes, name: str) -> tuple[str | ConversionError, float]:
    """The Markdown (or the refusal) and the seconds it took."""
    started = time.perf_counter()
    try:
        result: str | ConversionError = convert_bytes(data, name).markdown
    except ConversionError as error:
        result = error
    return result, time.perf_counter() - started


def measured(data: bytes, name: str) -> tuple[str | ConversionError, float, int]:
    """The Markdown (or the refusal), the seconds and the peak traced memory it took
    (tracing slows Python code down several times: the inputs measured are kept small)."""
    tracemalloc.start()
    try:
        result, seconds = timed(data, name)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, seconds, peak


def zipped(files: dict[str, str | bytes], level: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", level) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def epub(chapters: dict[str, str], spine: list[str]) -> bytes:
    """An EPUB 3 of the given chapter files (id -> body HTML), read in `spine` order."""
    items = "".join(f'<item id="{key}" href="{key}.xhtml" media-type="application/xhtml+xml"/>'
                    for key in chapters)
    refs = "".join(f'<itemref idref="{key}"/>' for key in spine)
    opf = ('<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
           f"<manifest>{items}</manifest><spine>{refs}</spine></package>")
    files: dict[str, str | bytes] = {"mimetype": "application/epub+zip",
                                     "META-INF/container.xml": CONTAINER,
                                     "OEBPS/content.opf": opf}
    for key, body in chapters.items():
        files[f"OEBPS/{key}.xhtml"] = (f'<html xmlns="http://www.w3.org/1999/xhtml"><body>{body}'
                                       "</body></html>")
    return zipped(files)


def docx_table(spans: list[list[tuple[str, int, str | None]]]) -> bytes:
    """A DOCX holding one table: rows of (text, gridSpan, vMerge) cells."""
    document = docx.Document()
    document.add_paragraph("A table follows.")
    table = document.add_table(rows=len(spans), cols=max(len(row) for row in spans))
    for row, cells in zip(table.rows, spans, strict=True):
        tcs = row._tr.tc_lst
        for tc in tcs[len(cells):]:
            row._tr.remove(tc)
        for tc, (text, span, merge) in zip(tcs, cells, strict=False):
            tc.p_lst[0].append(_run(text))
            properties = tc.get_or_add_tcPr()
            if span > 1:
                grid = OxmlElement("w:gridSpan")
                grid.set(qn("w:val"), str(span))
                properties.append(grid)
            if merge:
                element = OxmlElement("w:vMerge")
                element.set(qn("w:val"), merge)
                properties.append(element)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _run(text: str):
    run, body = OxmlElement("w:r"), OxmlElement("w:t")
    body.text = text
    run.append(body)
    return run


def pdf(pages: int, lines: int, *, shared: str = "") -> bytes:
    """A PDF of `pages` pages of `lines` full lines each, one paragraph throughout; with
    `shared`, every page instead draws one form holding that text (stored once)."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    if shared:
        page.beginForm("shared")
        page.setFont("Helvetica", 4)
        for n, start in enumerate(range(0, len(shared), 4000)):
            page.drawString(10, 800 - 5 * n, shared[start:start + 4000])
        page.endForm()
    for _ in range(pages):
        if shared:
            page.doForm("shared")
        page.setFont("Helvetica", 11)
        for line in range(lines if not shared else 0):
            page.drawString(72, 780 - 14 * line, WORDS)
        page.showPage()
    page.save()
    return buffer.getvalue()


def deck(copies: int) -> bytes:
    """A PPTX whose slide list names its one slide `copies` times."""
    presentation = pptx.Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[1])
    slide.shapes.title.text = "The only slide"
    slide.placeholders[1].text = WORDS
    ids = presentation.slides._sldIdLst
    first = ids[0]
    for n in range(1, copies):
        copy = PptxElement("p:sldId")
        copy.set("id", str(256 + n))
        copy.set(pptx_qn("r:id"), first.get(pptx_qn("r:id")))
        ids.append(copy)
    buffer = io.BytesIO()
    presentation.save(buffer)
    return buffer.getvalue()


def deep_docx(depth: int) -> bytes:
    """A DOCX whose one paragraph sits inside `depth` nested content controls."""
    document = docx.Document()
    paragraph = document.add_paragraph("Deep inside content controls.")._p
    body = paragraph.getparent()
    outer = inner = OxmlElement("w:sdt")
    for level in range(depth):
        content = OxmlElement("w:sdtContent")
        inner.append(content)
        if level < depth - 1:
            deeper = OxmlElement("w:sdt")
            content.append(deeper)
            inner = deeper
        else:
            content.append(paragraph)
    body.insert(0, outer)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def long_deck(words: int) -> bytes:
    """A PPTX of one slide holding one very long line and a 60 x 60 table."""
    presentation = pptx.Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[5])
    slide.shapes.title.text = "Long"
    box = slide.shapes.add_textbox(0, 0, 100, 100)
    box.text_frame.text = "word " * words
    table = slide.shapes.add_table(60, 60, 0, 0, 100, 100).table
    table.cell(0, 0).text = "corner"
    buffer = io.BytesIO()
    presentation.save(buffer)
    return buffer.getvalue()


def paragraphs_html(size: int) -> str:
    count = size // 40
    return "<html><body>" + "".join(f"<p>Paragraph {n} holds {WORDS[:12]}.</p>"
                                     for n in range(count)) + "</body></html>"


# ---- the defects, one test each -----------------------------------------------------------


def test_an_epub_spine_naming_one_chapter_200_times_reads_it_once():
    body = "<h1>Only chapter</h1>" + "<p>Atoms have a nucleus and electrons.</p>" * 2000
    data = epub({"one": body}, ["one"] * 200)
    result, seconds = timed(data, "loop.epub")
    assert isinstance(result, str) and result.count("# Only chapter") == 1
    assert seconds < SECONDS


def test_an_html_table_of_wide_colspans_is_refused_before_it_is_laid_out():
    header = "<tr>" + "<td colspan=50>x</td>" * 1000 + "</tr>"
    html = f"<html><body><table>{header}{'<tr><td>y</td><td>z</td></tr>' * 1000}</table>"
    result, seconds, peak = measured(html.encode(), "spans.html")
    assert isinstance(result, ConversionError)
    assert str(result).startswith("spans.html: refused as unsafe: a table of ")
    assert "\n" not in str(result) and f"{MAX_TABLE_CELLS:,} cells" in str(result)
    assert seconds < SECONDS and peak < 50 * 1024 * 1024


def test_a_colspan_is_capped_at_the_span_limit():
    html = ('<table><tr><td colspan="100000">wide</td><td>end</td></tr>'
            "<tr><td>a</td><td>b</td></tr></table>")
    markdown = convert_bytes(f"<html><body>{html}</body></html>".encode(), "t.html").markdown
    header = markdown.splitlines()[0]
    assert header.count("|") == MAX_SPAN + 2


def test_rowspans_leave_their_places_empty_so_columns_line_up():
    html = ("<table><tr><th>Part</th><th>Job</th><th>Where</th></tr>"
            '<tr><td rowspan="2">membrane</td><td>border</td><td>outside</td></tr>'
            "<tr><td>transport</td><td>across</td></tr></table>")
    markdown = convert_bytes(f"<html><body>{html}</body></html>".encode(), "t.html").markdown
    assert "| membrane | border | outside |" in markdown
    assert "|  | transport | across |" in markdown


def test_a_docx_grid_span_of_100000_is_capped():
    data = docx_table([[("wide", 100_000, None), ("end", 1, None)], [("a", 1, None)]])
    result, seconds = timed(data, "span.docx")
    assert isinstance(result, str)
    header = next(line for line in result.splitlines() if line.startswith("| wide"))
    assert header.count("|") == MAX_SPAN + 2 and seconds < SECONDS


def test_a_docx_vertical_merge_keeps_its_text_once():
    data = docx_table([[("Part", 1, None), ("Job", 1, None)],
                       [("membrane", 1, "restart"), ("border", 1, None)],
                       [("", 1, "continue"), ("transport", 1, None)]])
    markdown = convert_bytes(data, "merge.docx").markdown
    assert markdown.count("membrane") == 1
    assert "|  | transport |" in markdown


def test_a_docx_table_over_the_cell_limit_is_refused_naming_the_file():
    wide = [("h", MAX_SPAN, None)] * 40
    data = docx_table([wide] + [[("x", 1, None)]] * 60)
    result, seconds = timed(data, "grid.docx")
    assert isinstance(result, ConversionError)
    assert str(result).startswith("grid.docx: refused as unsafe: a table of ")
    assert seconds < SECONDS


def test_a_pptx_naming_its_one_slide_500_times_reads_it_once():
    result, seconds = timed(deck(500), "loop.pptx")
    assert isinstance(result, str) and result.count("## The only slide") == 1
    assert seconds < SECONDS


def test_a_one_megabyte_html_page_converts_in_linear_time():
    html = paragraphs_html(1024 * 1024)
    result, seconds = timed(html.encode(), "big.html")
    assert isinstance(result, str) and "Paragraph 20000 holds" in result
    assert seconds < SECONDS  # quadratic work took 40 s here


def test_an_epub_of_60_megabyte_chapters_packed_into_little_is_refused_before_reading():
    body = "<p>The same paragraph, again and again.</p>" * 24_000  # 1 MB, packs to 3 KB
    data = epub({f"c{n}": body for n in range(60)}, [f"c{n}" for n in range(60)])
    assert len(data) < 300_000
    result, seconds = timed(data, "packed.epub")
    assert isinstance(result, ConversionError)
    assert "refused as unsafe: it would unpack to" in str(result)
    assert seconds < 5  # refused from the zip's directory, before any chapter is parsed


def test_a_long_one_paragraph_pdf_reflows_in_linear_time():
    data = pdf(300, 50)  # 15,000 lines in one paragraph: the quadratic reflow took minutes
    result, seconds = timed(data, "long.pdf")
    assert isinstance(result, str) and "\n\n" not in result.strip()
    assert seconds < SECONDS


def test_pdf_pages_drawing_one_shared_form_are_refused_once_over_the_budget():
    shared = ("Shared text drawn again on every page. " * 1000)[:40_000]
    data = pdf(300, 0, shared=shared)
    assert output_limit(len(data)) < 40_000 * 300
    result, seconds = timed(data, "shared.pdf")
    assert isinstance(result, ConversionError)
    assert str(result).startswith("shared.pdf: refused as unsafe: it would turn into over")
    assert seconds < SECONDS


def test_html_nested_30000_deep_keeps_its_text_without_recursion():
    html = "<html><body>" + "<div>" * 30_000 + "deep text" + "</div>" * 30_000
    result, seconds = timed(html.encode(), "deep.html")
    assert isinstance(result, str) and "deep text" in result
    assert seconds < SECONDS


def test_links_and_dropped_elements_deep_in_a_page_are_handled_in_linear_time():
    links = '<a rel="next" href="#">next</a>' * 2_000
    html = ("<html><body>" + "<span>" * 20_000 + links + "</span>" * 20_000
            + "<svg>" * 20_000 + "</svg>" * 20_000 + "<p>kept</p>")
    result, seconds = timed(html.encode(), "deep-links.html")
    assert isinstance(result, str) and "kept" in result
    assert seconds < SECONDS  # walking up from each link took two minutes


def test_a_text_file_named_pdf_with_endless_comments_is_sniffed_in_linear_time():
    data = ("<!---->" * 50_000 + " notes").encode()
    result, seconds = timed(data, "notes.pdf")
    assert isinstance(result, ConversionError) and "plain text" in str(result)
    assert seconds < 5  # the old pattern backtracked for ever


def test_control_characters_are_dropped_from_every_result():
    text = "Cells\x01 divide and grow, then divide again when they are large.\x0bNext\n" * 20
    assert convert_bytes(text.encode(), "notes.txt").markdown.startswith(
        "Cells divide and grow, then divide again when they are large.\nNext\n")
    html = "<html><body><p>Cells&#1; divide&#x1f; and grow.</p></body></html>"
    assert convert_bytes(html.encode(), "page.html").markdown == "Cells divide and grow.\n"


# ---- fuzz: every converter, crafted inputs, within its bounds ----------------------------


def _html(body: str) -> bytes:
    return f"<html><body>{body}</body></html>".encode()


CRAFTED: dict[str, Callable[[], tuple[bytes, str]]] = {
    "html-repeated-spans": lambda: (_html(
        ("<table>" + "<tr>" + "<td colspan=50 rowspan=50>x</td>" * 200 + "</tr>"
         + "<tr></tr>" * 49 + "</table>") * 20), "f.html"),
    "html-many-tables": lambda: (_html(
        ("<table><tr>" + "<td colspan=50>a</td>" * 40 + "</tr>" + "<tr><td>b</td></tr>" * 40
         + "</table>") * 60), "f.html"),
    "html-nested-quotes": lambda: (_html(
        "<blockquote>" * 90 + "line<br>" * 2_000 + "</blockquote>" * 90), "f.html"),
    "html-nested-lists": lambda: (_html(
        "<ul><li>" * 90 + "item<br>" * 2_000 + "</li></ul>" * 90), "f.html"),
    "html-nested-tables": lambda: (_html(
        "<table><tr><td>" * 300 + "cell" + "</td></tr></table>" * 300 + "<p>x</p>" * 2000),
        "f.html"),
    "html-nested-inline": lambda: (_html(
        "<p>" + "<span><b><i>" * 33 + "text<br>" * 2_000 + "</i></b></span>" * 33 + "</p>"),
        "f.html"),
    "html-long-line": lambda: (_html("<p>" + "word " * 200_000 + "</p>"), "f.html"),
    "html-controls": lambda: (_html("<p>" + "&#1;&#x7f;\x02 a" * 20_000 + "</p>"), "f.html"),
    "html-nav-links": lambda: (_html(
        "<div>" + '<a rel="next" href="#">n</a>' * 2_000 + "</div>"), "f.html"),
    "epub-repeated-spine": lambda: (epub({"a": "<p>" + WORDS * 50 + "</p>" * 200},
                                         ["a"] * 5000), "f.epub"),
    "epub-deep": lambda: (epub({"a": "<div>" * 5_000 + "x" + "</div>" * 5_000}, ["a"]),
                          "f.epub"),
    "docx-spans": lambda: (docx_table([[("a", 10**9, "restart")] * 30] +
                                      [[("", 10**9, "continue")] * 30] * 30), "f.docx"),
    "docx-long-line": lambda: (docx_table([[("word " * 100_000, 1, None), ("b", 1, None)]]),
                               "f.docx"),
    "pptx-repeated-slides": lambda: (deck(1000), "f.pptx"),
    "pptx-long-line-and-table": lambda: (long_deck(100_000), "f.pptx"),
    "docx-deep-controls": lambda: (deep_docx(120), "f.docx"),
    "docx-deeper-than-xml-allows": lambda: (deep_docx(400), "f.docx"),
    "pdf-one-paragraph": lambda: (pdf(40, 50), "f.pdf"),
    "txt-long-line": lambda: (("word " * 200_000).encode(), "f.txt"),
    "txt-controls": lambda: (("text\x0c\x01 " * 10_000 + "end " * 400_000).encode(), "f.txt"),
    "md-repetition": lambda: (("# Heading\n\n| a | b |\n| - | - |\n" * 50_000).encode(),
                              "f.md"),
    "md-nesting": lambda: (("> " * 5_000 + "- " * 5_000 + "deep\n").encode() * 20, "f.md"),
}


@pytest.mark.parametrize("case", sorted(CRAFTED))
def test_each_converter_stays_within_its_bounds_on_crafted_input(case):
    data, name = CRAFTED[case]()
    result, seconds, peak = measured(data, name)
    if isinstance(result, ConversionError):
        message = str(result)
        assert message.startswith(f"{name}: ") and "\n" not in message
    else:
        assert len(result) <= output_limit(len(data))
        assert not any(ch in result for ch in "\x00\x01\x02\x0b\x0c\x7f")
    assert seconds < SECONDS, f"{case} took {seconds:.1f} s"
    assert peak < PEAK_BYTES, f"{case} peaked at {peak / 2**20:.0f} MB"
