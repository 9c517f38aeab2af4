"""Both engines write a quiz and sources with every chapter, stored and read back."""

from __future__ import annotations

from pathlib import Path

import pytest

from geminiteacher.course.store import CourseStore
from geminiteacher.engine.runner import run_course
from geminiteacher.ingest.sources import document_headings
from geminiteacher.models import ChapterContent, CourseSettings, Source, SourcePart
from tests.course_helpers import MATERIAL, fast_settings
from tests.export_helpers import MATERIAL as BIOLOGY


def assert_well_formed(chapter: ChapterContent, most: int) -> None:
    assert 0 < len(chapter.quiz) <= most
    for question in chapter.quiz:
        assert len(question.options) == 4 and len(set(question.options)) == 4
        assert 0 <= question.answer < 4 and question.correct == question.options[question.answer]
        assert question.question and question.explanation


def test_offline_questions_blank_a_term_of_a_sentence_and_offer_terms_of_the_document(tmp_path):
    source = Source([SourcePart("cells.md", BIOLOGY)])
    course = run_course(source, CourseSettings(engine="offline", quiz_questions=3),
                        title="Cells", output_dir=tmp_path)
    headings = document_headings(BIOLOGY)
    for chapter in course.chapters:
        assert_well_formed(chapter, 3)
        for question in chapter.quiz:
            blanked = question.question.split("“")[1].rstrip("”")
            filled = blanked.replace("_____", question.correct)
            assert filled.casefold() == question.explanation.casefold()
            assert question.explanation in BIOLOGY and question.source in headings
        assert chapter.sources and all(s.file == "cells.md" and s.heading in headings
                                       for s in chapter.sources)


def test_offline_questions_of_a_chapter_ask_for_different_terms(tmp_path):
    course = run_course(BIOLOGY, CourseSettings(engine="offline", quiz_questions=3),
                        title="Cells", output_dir=tmp_path)
    for chapter in course.chapters:
        answers = [q.correct.casefold() for q in chapter.quiz]
        assert len(set(answers)) == len(answers) == 3


def test_offline_engine_writes_no_quiz_when_the_setting_is_zero(tmp_path):
    course = run_course(BIOLOGY, CourseSettings(engine="offline", quiz_questions=0),
                        title="Cells", output_dir=tmp_path)
    assert all(chapter.quiz == [] for chapter in course.chapters)


def test_gemini_quiz_and_sources_come_from_the_chapter_call_and_are_stored(gemini_env, tmp_path):
    source = Source([SourcePart("a.md", MATERIAL), SourcePart("b.md", "# Extra\n\nMore.")])
    course = run_course(source, fast_settings(quiz_questions=4), title="G", output_dir=tmp_path)
    assert gemini_env.count("chapter") == 4
    for chapter in course.chapters:
        assert_well_formed(chapter, 4)
        assert len(chapter.quiz) == 4
        assert all(q.correct.startswith("Right") for q in chapter.quiz)
        expected = ("a.md", "" if chapter.title == "a.md" else chapter.title)  # a file's heading
        assert [(s.file, s.heading) for s in chapter.sources] == [expected]
    store = CourseStore.open(course.path)
    stored = store.done_chapters()
    assert [stored[i] for i in sorted(stored)] == course.chapters
    entries = store.manifest()["chapters"]
    assert [(e["questions"], e["sources"]) for e in entries] == \
        [(4, [ref.label() for ref in c.sources]) for c in course.chapters]


@pytest.mark.parametrize("count", [0, 2])
def test_the_chapter_call_asks_for_the_set_number_of_questions(gemini_env, tmp_path: Path, count):
    course = run_course(MATERIAL, fast_settings(quiz_questions=count), title="G",
                        output_dir=tmp_path)
    assert all(len(chapter.quiz) == count for chapter in course.chapters)
