"""The quizzes in GIFT, the plain-text question format Moodle imports.

`$CATEGORY:` per chapter, then each question as `::name::[html]text {=[html]right
~[html]wrong ... ####[html]why}`. Every text says its format: HTML, with `&`, `<` and `>`
escaped, so Moodle shows what the model wrote and never runs it (as the Moodle XML export
does). The characters GIFT reserves (`~ = # { } :` and `\\`) are escaped with a backslash,
and line breaks become spaces, so no text can end a question or start another.
"""

from __future__ import annotations

import re
from html import escape as html_escape

from geminiteacher.exports.course import ExportCourse
from geminiteacher.exports.moodle import category, question_name
from geminiteacher.models import QuizQuestion
from geminiteacher.text.titles import numbered

SUFFIX = ".gift.txt"
MIME = "text/plain"
FORMAT = "[html]"
_SPECIAL = re.compile(r"([\\~=#{}:])")


def escape(text: str) -> str:
    """`text` on one line with GIFT's reserved characters escaped."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def rich(text: str) -> str:
    """`text` as GIFT HTML text: the format marker, then the text HTML- and GIFT-escaped."""
    return FORMAT + escape(html_escape(text, quote=False))


def question_gift(question: QuizQuestion, name: str) -> str:
    """One multiple-choice question in GIFT."""
    answers = [f"\t{'=' if i == question.answer else '~'}{rich(option)}"
               for i, option in enumerate(question.options)]
    why = question.explanation + (f" (Source: {question.source})" if question.source else "")
    if why.strip():
        answers.append(f"\t####{rich(why)}")
    return f"::{escape(name)}::{rich(question.question)} {{\n" + "\n".join(answers) + "\n}"


def render(course: ExportCourse) -> bytes:
    """Every finished chapter's quiz, each under its own category."""
    blocks = [f"// {' '.join(course.title.split())}: questions exported by geminiteacher"]
    for chapter in course.chapters:
        if chapter.content is None or not chapter.content.quiz:
            continue
        label = numbered(chapter.index, chapter.title)
        blocks.append(f"$CATEGORY: {category(course.title, label)}")
        for n, question in enumerate(chapter.content.quiz, 1):
            blocks.append(question_gift(question, question_name(chapter.index, chapter.title, n)))
    return ("\n\n".join(blocks) + "\n").encode("utf-8")
