"""PDF conversion: text reads right, no furniture, bookmark headings, bad PDFs refused."""

from __future__ import annotations

import io
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from reportlab.lib import pdfencrypt
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.pdfgen import canvas
from reportlab.platypus import Frame, Paragraph

from geminiteacher.errors import ConversionError
from geminiteacher.ingest.convert import convert_bytes

WIDTH, HEIGHT = A4
STYLES = getSampleStyleSheet()
SENTENCES = [
    "Energy flows through every living system and thermodynamics describes how it changes form.",
    "The first law says that energy is conserved in every process we can observe.",
    "The second law says that the entropy of an isolated system never decreases over time.",
    "Engineers apply these principles to design efficient engines, refrigerators and turbines.",
    "Heat moves from warmer bodies to cooler ones unless work is done to reverse the flow.",
]


def body(page: int) -> str:
    """Different prose on every page, as in a real book."""
    return " ".join(SENTENCES[(page + i) % len(SENTENCES)] for i in range(6)) + f" Page{page}end."


def book(pages: int = 4, *, bookmarks: bool = True) -> bytes:
    """Running header and page numbers on every page; a bookmarked chapter every other page."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    for page in range(pages):
        pdf.setFont("Helvetica", 9)
        pdf.drawString(72, HEIGHT - 40, "Thermodynamics Course Notes")
        pdf.drawCentredString(WIDTH / 2, 30, str(page + 1))
        story = []
        if page % 2 == 0:
            title = f"Chapter {page // 2 + 1}: Heat and Work"
            if bookmarks:
                pdf.bookmarkPage(f"c{page}")
                pdf.addOutlineEntry(title, f"c{page}", level=0)
            story.append(Paragraph(title, STYLES["Heading1"]))
        story.append(Paragraph(body(page), STYLES["BodyText"]))
        story.append(Paragraph(body(page + 2), STYLES["BodyText"]))
        Frame(72, 72, WIDTH - 144, HEIGHT - 144).addFromList(story, pdf)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def drawn(draw, **options) -> bytes:
    """A one-page PDF drawn by `draw(canvas)`."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, **options)
    draw(pdf)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def words_of(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z]+", text))


def test_pdf_text_is_complete_and_counts_pages():
    part = convert_bytes(book(), "notes.pdf")
    assert part.kind == "pdf" and part.pages == 4
    for page in range(4):
        assert f"Page{page}end." in part.markdown
    assert "isolated system never decreases over time" in part.markdown


def test_pdf_bookmarks_become_headings_in_place():
    markdown = convert_bytes(book(), "notes.pdf").markdown
    headings = [line for line in markdown.splitlines() if line.startswith("#")]
    assert headings == ["# Chapter 1: Heat and Work", "# Chapter 2: Heat and Work"]
    assert markdown.index("# Chapter 2") > markdown.index("Page1end.")
    assert markdown.count("Chapter 2: Heat and Work") == 1  # replaced, not duplicated


def test_pdf_nested_bookmarks_give_deeper_headings():
    def draw(pdf):
        pdf.setFont("Helvetica-Bold", 14)
        pdf.drawString(72, 760, "Optics")
        pdf.bookmarkPage("a")
        pdf.addOutlineEntry("Optics", "a", level=0)
        pdf.setFont("Helvetica", 11)
        pdf.drawString(72, 730, "Light bends when it passes from air into glass.")
        pdf.drawString(72, 690, "Refraction")
        pdf.bookmarkPage("b", fit="XYZ", top=705)
        pdf.addOutlineEntry("Refraction index", "b", level=1)
        pdf.drawString(72, 670, "The index compares the speed of light in two media.")

    markdown = convert_bytes(drawn(draw), "optics.pdf").markdown
    assert markdown.splitlines()[0] == "# Optics"
    assert "## Refraction index" in markdown  # not on the page: placed where the bookmark points
    assert markdown.index("glass.") < markdown.index("## Refraction index")
    assert markdown.index("## Refraction index") < markdown.index("The index compares")


def many_bookmarks(pages: int, per_page: int) -> bytes:
    """Entries down each (tall) page, each with a bookmark; every third title is not on the
    page (placed where its bookmark points), as in generated references and registers."""
    out = io.BytesIO()
    height = 5 * per_page + 40
    pdf = canvas.Canvas(out, pagesize=(WIDTH, height))
    for page in range(pages):
        pdf.setFont("Helvetica", 2)
        for k in range(per_page):
            n, y = page * per_page + k, height - 20 - k * 5
            pdf.drawString(72, y, f"Entry {n} of the register")
            pdf.drawString(72, y - 2.5, f"Body{n} says what entry {n} records.")
            pdf.bookmarkHorizontal(f"e{n}", 0, y + 2)
            pdf.addOutlineEntry(f"Entry {n} of the register" if n % 3 else f"Moved {n}",
                                f"e{n}", level=0)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


@pytest.mark.timeout(60)  # a hang guard: this took quadratic time before
def test_thousands_of_bookmarks_are_each_placed_at_their_entry():
    pages, per_page = 2, 4000
    markdown = convert_bytes(many_bookmarks(pages, per_page), "register.pdf").markdown
    blocks = markdown.strip().split("\n\n")
    where = {block: i for i, block in enumerate(blocks)}
    assert len([b for b in blocks if b.startswith("# ")]) == pages * per_page
    for n in range(pages * per_page):
        body = f"Body{n} says what entry {n} records."
        if n % 3:  # the title on the page became the heading
            at = where[f"# Entry {n} of the register"]
            assert blocks[at + 1] == body
        else:  # not on the page: where the bookmark points, just above the entry
            at = where[f"# Moved {n}"]
            assert blocks[at + 1 : at + 3] == [f"Entry {n} of the register", body]


def test_pdf_running_header_and_page_numbers_are_removed():
    markdown = convert_bytes(book(6), "notes.pdf").markdown
    assert "Thermodynamics Course Notes" not in markdown
    assert not [line for line in markdown.splitlines() if line.strip().isdigit()]


def test_pdf_header_with_chapter_name_and_page_number_goes_but_chapter_titles_stay():
    def draw(pdf):
        for page in range(4):
            pdf.setFont("Helvetica", 9)
            pdf.drawString(72, HEIGHT - 40, f"Part {page // 2 + 1} of the notes, page {page + 7}")
            pdf.setFont("Helvetica-Bold", 18)
            pdf.drawString(72, HEIGHT - 120, f"Chapter {page + 1}")
            Frame(72, 72, WIDTH - 144, HEIGHT - 240).addFromList(
                [Paragraph(body(page), STYLES["BodyText"])], pdf
            )
            pdf.showPage()

    markdown = convert_bytes(drawn(draw), "parts.pdf").markdown
    assert "of the notes" not in markdown
    for page in range(4):
        assert f"# Chapter {page + 1}" in markdown.splitlines()


def test_pdf_wrapped_lines_join_into_paragraphs():
    markdown = convert_bytes(book(2), "notes.pdf").markdown
    paragraphs = [block for block in markdown.strip().split("\n\n") if not block.startswith("#")]
    assert len(paragraphs) == 4  # two per page, each wrapped over several lines
    assert all("\n" not in block for block in paragraphs)


def test_pdf_words_placed_apart_are_not_glued():
    sentence = "Temperature measures the average kinetic energy of particles in a substance"

    def draw(pdf):
        x = 72
        pdf.setFont("Helvetica", 11)
        for word in sentence.split():  # one text object per word, no space characters
            pdf.drawString(x, 700, word)
            x += pdf.stringWidth(word, "Helvetica", 11) + 3.5

    markdown = convert_bytes(drawn(draw), "spaced.pdf").markdown
    assert sentence in markdown


def test_pdf_two_columns_read_column_by_column_without_glue():
    left = " ".join(SENTENCES[:3])
    right = " ".join(SENTENCES[3:])

    def draw(pdf):
        Frame(50, 400, 240, 380).addFromList([Paragraph(left, STYLES["BodyText"])], pdf)
        Frame(305, 400, 240, 380).addFromList([Paragraph(right, STYLES["BodyText"])], pdf)

    markdown = convert_bytes(drawn(draw), "columns.pdf").markdown
    assert left in markdown and right in markdown
    assert words_of(markdown) == words_of(left + " " + right)


def test_pdf_line_break_hyphens_are_rejoined():
    def draw(pdf):
        pdf.setFont("Helvetica", 11)
        pdf.drawString(72, 700, "Gases expand when the temperature of the con-")
        pdf.drawString(72, 686, "tainer rises, as the ideal gas law predicts.")

    markdown = convert_bytes(drawn(draw), "hyphen.pdf").markdown
    assert "temperature of the container rises" in markdown


def test_pdf_paragraph_cut_by_a_page_break_is_joined():
    def draw(pdf):
        pdf.setFont("Helvetica", 11)
        pdf.drawString(72, 100, "A sentence that starts at the bottom of one page and")
        pdf.showPage()
        pdf.setFont("Helvetica", 11)
        pdf.drawString(72, 760, "continues at the top of the next page.")

    markdown = convert_bytes(drawn(draw), "break.pdf").markdown
    assert "one page and continues at the top" in markdown


def test_pdf_without_bookmarks_takes_headings_from_larger_type():
    markdown = convert_bytes(book(4, bookmarks=False), "plain.pdf").markdown
    assert "# Chapter 1: Heat and Work" in markdown.splitlines()
    assert "# Chapter 2: Heat and Work" in markdown.splitlines()


def test_pdf_plain_lines_do_not_become_tables():
    def draw(pdf):
        pdf.setFont("Helvetica", 11)
        for row, (name, value) in enumerate([("Boiling point", "100 C"), ("Freezing", "0 C")]):
            pdf.drawString(72, 700 - 16 * row, name)
            pdf.drawString(300, 700 - 16 * row, value)

    markdown = convert_bytes(drawn(draw), "rows.pdf").markdown
    assert "|" not in markdown
    assert "Boiling point 100 C" in markdown


def test_pdf_bullets_become_list_items():
    def draw(pdf):
        pdf.setFont("Helvetica", 11)
        pdf.drawString(72, 700, "Three states of matter:")
        for row, word in enumerate(["solid", "liquid", "gas"], start=1):
            pdf.drawString(80, 700 - 16 * row, f"\u2022 {word}")

    markdown = convert_bytes(drawn(draw), "list.pdf").markdown
    assert "- solid\n\n- liquid\n\n- gas" in markdown


def test_encrypted_pdf_is_refused_with_advice():
    data = drawn(lambda pdf: pdf.drawString(72, 700, "secret"), encrypt="password")
    with pytest.raises(ConversionError, match=r"locked\.pdf: .*password.*upload"):
        convert_bytes(data, "locked.pdf")


def test_pdf_with_only_an_owner_password_still_converts():
    guard = pdfencrypt.StandardEncryption("", ownerPassword="owner", canModify=0)
    data = drawn(lambda pdf: pdf.drawString(72, 700, "Readable but not editable."), encrypt=guard)
    assert "Readable but not editable." in convert_bytes(data, "owner.pdf").markdown


def test_scanned_pdf_without_text_layer_says_to_run_ocr():
    def draw(pdf):
        pdf.rect(100, 100, 300, 400, fill=1)
        pdf.circle(300, 600, 60)

    with pytest.raises(ConversionError, match=r"scan\.pdf: .*no text layer.*OCR"):
        convert_bytes(drawn(draw), "scan.pdf")


def test_truncated_pdf_is_refused():
    data = book(2)
    with pytest.raises(ConversionError, match=r"cut\.pdf: .*truncated.*again"):
        convert_bytes(data[: len(data) // 2], "cut.pdf")


def test_corrupt_pdf_is_refused():
    data = b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
    with pytest.raises(ConversionError, match=r"broken\.pdf: .*damaged"):
        convert_bytes(data, "broken.pdf")


def test_pdfs_convert_safely_from_several_threads():
    data = book(2)
    expected = convert_bytes(data, "notes.pdf").markdown
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: convert_bytes(data, "notes.pdf").markdown, range(12)))
    assert results == [expected] * 12
