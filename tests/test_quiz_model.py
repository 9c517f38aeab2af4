"""Quizzes and sources in a chapter: the data, its Markdown, and the quiz setting."""

from __future__ import annotations

import pytest

from geminiteacher.cli import load_options, settings_from
from geminiteacher.errors import SettingsError
from geminiteacher.models import ChapterContent, CourseSettings, QuizQuestion, SourceRef


def sample_chapter() -> ChapterContent:
    question = QuizQuestion("What does a loop repeat?", ["A block", "A file", "A key", "A page"],
                            0, "A loop repeats its block.", "Loops")
    return ChapterContent("Loops", "S.", "E.", "X.", [question],
                          [SourceRef("notes.pdf", "2.3 Simple parsing", (4, 5))])


def test_a_source_reads_as_file_heading_and_pages():
    assert SourceRef("notes.pdf", "2.3 Simple parsing", (4, 5)).label() == \
        "notes.pdf, 2.3 Simple parsing, pp. 4\u20135"
    assert SourceRef("notes.md", "Intro").label() == "notes.md, Intro"
    assert SourceRef("a.pdf", "", (3, 3)).label() == "a.pdf, p. 3"


def test_the_chapter_file_adds_quiz_and_sources_after_the_four_parts():
    text = sample_chapter().to_markdown()
    assert text.index("## Extension") < text.index("## Quiz") < text.index("## Sources")
    assert "   - A) A block" in text and "Answer: A. A loop repeats its block." in text
    assert "- notes.pdf, 2.3 Simple parsing, pp. 4\u20135" in text


def test_a_chapter_without_quiz_or_sources_keeps_the_four_part_layout():
    text = ChapterContent("T", "S.", "E.", "X.").to_markdown()
    assert "## Quiz" not in text and "## Sources" not in text
    assert text.endswith("## Extension\n\nX.\n")


def test_a_chapter_survives_its_dict_form_unchanged():
    chapter = sample_chapter()
    assert ChapterContent.from_dict(chapter.to_dict()) == chapter


@pytest.mark.parametrize("count", [-1, 21])
def test_quiz_questions_outside_0_to_20_is_a_settings_error(count):
    with pytest.raises(SettingsError, match="quiz_questions"):
        CourseSettings(quiz_questions=count)


def test_the_cli_sets_the_number_of_quiz_questions():
    options = load_options(["--input", "x.md", "--quiz-questions", "0"])
    assert settings_from(options).quiz_questions == 0
