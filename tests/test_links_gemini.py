"""Links and document pictures reach Gemini (the fake, over the real SDK): a YouTube link goes
as a reference, a PDF link is uploaded and read natively, a Word file's picture goes beside
its text; each chapter says which media it saw."""

from __future__ import annotations

from geminiteacher.engine.runner import run_course
from geminiteacher.ingest.convert import load_sources
from tests.course_helpers import fast_settings
from tests.test_document_pictures import word_file

YOUTUBE = "https://www.youtube.com/watch?v=9hE5-98ZeCg"


def course_of(items, tmp_path):
    source, errors = load_sources(items)
    assert errors == []
    return run_course(source, fast_settings(cache="off"), title="Course", output_dir=tmp_path)


def test_a_page_a_pdf_and_a_youtube_link_make_a_course_that_saw_the_media(
        gemini_env, fake_web, tmp_path):
    course = course_of([fake_web.url("tides.html"), fake_web.url("glaciers.pdf"),
                        "https://youtu.be/9hE5-98ZeCg"], tmp_path)
    assert course.chapters
    for chapter in course.chapters:
        assert "Media seen: glaciers (127.0.0.1).pdf (DOCUMENT" in chapter.explanation
        assert f"Media seen: {YOUTUBE} (VIDEO" in chapter.explanation
    assert gemini_env.files.uploaded == ["glaciers (127.0.0.1).pdf"]  # YouTube never uploaded
    assert gemini_env.files.live() == []
    assert fake_web.requests == ["/tides.html", "/glaciers.pdf"]


def test_a_word_files_picture_goes_to_gemini_beside_its_text(gemini_env, tmp_path):
    course = course_of([("tides.docx", word_file())], tmp_path)
    for chapter in course.chapters:
        assert "Media seen: tides.docx, figure 1.png (IMAGE" in chapter.explanation
        assert "Media seen: tides.docx, figure 2.png (IMAGE" in chapter.explanation
    chapter_call = next(r for r in gemini_env.requests if r.kind == "chapter")
    assert "[Figure 1: A chart of the tides]" in "".join(chapter_call.parts)
