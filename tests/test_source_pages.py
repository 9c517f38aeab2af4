"""Chapter sources name the pages of PDF sections, for both engines, and keep them on disk."""

from __future__ import annotations

import io
import json

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.pdfgen import canvas
from reportlab.platypus import Frame, Paragraph

from geminiteacher.course.store import CourseStore
from geminiteacher.engine.runner import run_course
from geminiteacher.exports import export_bytes
from geminiteacher.ingest.convert import convert_bytes
from geminiteacher.ingest.sources import attribute
from geminiteacher.models import CourseSettings, Source, SourcePart, SourceRef
from tests.course_helpers import fast_settings

WIDTH, HEIGHT = A4
STYLES = getSampleStyleSheet()
# page by page: the heading that opens it (level, title) or None, then its topic words
PAGES = [
    ((1, "1 Heat"), "heat", "temperature"),
    (None, "heat", "conduction"),
    ((1, "2 Work"), "work", "force"),
    ((2, "2.1 Engines"), "engine", "piston"),
    (None, "engine", "cylinder"),
    ((1, "3 Entropy"), "entropy", "disorder"),
]
SECTIONS = {"1 Heat": (1, 2), "2 Work": (3, 5), "2.1 Engines": (4, 5), "3 Entropy": (6, 6)}


def prose(page: int, topic: str, word: str) -> str:
    return " ".join([
        f"The {topic} of a system is measured by its {word}, which changes as energy flows.",
        f"Every {word} we record on page {page} tells us how the {topic} behaves in practice.",
        f"Students compare the {topic} before and after each experiment and write down the "
        f"{word} they observe.",
        f"A careful reading of the {word} shows why the {topic} matters for engineers.",
    ])


def notes_pdf(*, bookmarks: bool = True) -> bytes:
    """Six pages with a running header and page numbers; headings open pages 1, 3, 4 and 6."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    for page, (heading, topic, word) in enumerate(PAGES, 1):
        pdf.setFont("Helvetica", 9)
        pdf.drawString(72, HEIGHT - 40, "Thermodynamics Notes")
        pdf.drawCentredString(WIDTH / 2, 30, str(page))
        story = []
        if heading:
            level, title = heading
            if bookmarks:
                pdf.bookmarkPage(f"p{page}")
                pdf.addOutlineEntry(title, f"p{page}", level=level - 1)
            story.append(Paragraph(title, STYLES[f"Heading{level}"]))
        story += [Paragraph(prose(page, topic, word), STYLES["BodyText"]),
                  Paragraph(prose(page + 10, word, topic), STYLES["BodyText"])]
        Frame(72, 72, WIDTH - 144, HEIGHT - 144).addFromList(story, pdf)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


@pytest.mark.parametrize("bookmarks", [True, False], ids=["bookmarks", "type-sizes"])
def test_pdf_converter_records_the_pages_each_heading_section_spans(bookmarks):
    part = convert_bytes(notes_pdf(bookmarks=bookmarks), "notes.pdf")
    assert part.sections == SECTIONS


def test_other_formats_record_no_pages():
    assert convert_bytes(b"# Heat\n\nHeat flows.\n", "notes.md").sections == {}


def assert_sources_carry_pages(course) -> None:
    refs = [ref for chapter in course.chapters for ref in chapter.sources]
    assert refs
    for ref in refs:
        assert (ref.file, ref.pages) == ("notes.pdf", SECTIONS[ref.heading]), ref


def test_offline_chapter_sources_carry_the_pages_of_their_sections(tmp_path):
    source = Source([convert_bytes(notes_pdf(), "notes.pdf")])
    course = run_course(source, CourseSettings(engine="offline", quiz_questions=0),
                        title="Notes", output_dir=tmp_path)
    assert_sources_carry_pages(course)
    assert any(ref.pages[0] != ref.pages[1] for c in course.chapters for ref in c.sources)


def test_gemini_chapter_sources_carry_the_pages_of_their_sections(gemini_env, tmp_path):
    source = Source([convert_bytes(notes_pdf(), "notes.pdf")])
    course = run_course(source, fast_settings(quiz_questions=0), title="Notes",
                        output_dir=tmp_path)  # the fake names sources from an uncached document
    assert_sources_carry_pages(course)
    assert [ref.label() for ref in course.chapters[1].sources] == ["notes.pdf, 2 Work, pp. 3–5"]


def test_a_label_names_one_page_or_a_range():
    assert SourceRef("notes.pdf", "3 Entropy", (6, 6)).label() == "notes.pdf, 3 Entropy, p. 6"
    assert SourceRef("notes.pdf", "2 Work", (3, 5)).label() == "notes.pdf, 2 Work, pp. 3–5"


def test_the_saved_material_keeps_the_pages_for_a_resume(tmp_path):
    source = Source([convert_bytes(notes_pdf(), "notes.pdf")])
    run_course(source, CourseSettings(engine="offline", quiz_questions=0), title="Notes",
               output_dir=tmp_path)
    saved = CourseStore(tmp_path / "Notes").saved_source()
    assert saved.parts == source.parts
    assert attribute([SourceRef(heading="2.1 Engines")], saved) == \
        [SourceRef("notes.pdf", "2.1 Engines", (4, 5))]


def test_an_old_saved_source_without_pages_still_loads(tmp_path):
    (tmp_path / "source.json").write_text(json.dumps(
        [{"name": "notes.pdf", "markdown": "# Heat\n\nHeat flows.\n", "pages": 2, "words": 4,
          "kind": "pdf"}]), encoding="utf-8")
    saved = CourseStore(tmp_path).saved_source()
    assert saved.parts == [SourcePart("notes.pdf", "# Heat\n\nHeat flows.\n", 2, 4, "pdf")]
    assert saved.parts[0].sections == {}


def test_the_html_export_shows_the_pages_of_each_source(tmp_path):
    source = Source([convert_bytes(notes_pdf(), "notes.pdf")])
    course = run_course(source, CourseSettings(engine="offline", quiz_questions=0),
                        title="Notes", output_dir=tmp_path)
    page = export_bytes(tmp_path / "Notes", "html").decode("utf-8")
    labels = [ref.label() for chapter in course.chapters for ref in chapter.sources]
    assert "notes.pdf, 2 Work, pp. 3–5" in labels
    assert all(label in page for label in labels)
