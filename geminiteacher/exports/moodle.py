"""The quizzes as a Moodle XML question bank: one category per chapter, multiple choice."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html import escape

from geminiteacher.exports.course import ExportCourse
from geminiteacher.models import QuizQuestion
from geminiteacher.text.titles import numbered

SUFFIX = ".moodle.xml"
MIME = "application/xml"
NAME_LENGTH = 60


def category(*names: str) -> str:
    """A Moodle category path under the course's default category, each name on one line
    and escaped the way Moodle splits paths: "/" doubled, and a space put before a name
    that starts with "/" and after one that ends with it (Moodle trims names)."""
    parts = []
    for name in names:
        part = " ".join(name.split()).replace("/", "//") or "-"
        parts.append(f"{' ' if part.startswith('/') else ''}{part}"
                     f"{' ' if part.endswith('/') else ''}")
    return "/".join(["$course$", "top", *parts])


def question_name(index: int, title: str, number: int) -> str:
    """`2.3 Chapter title`: chapter and question number, then the chapter's title."""
    return f"{index}.{number} {title}"[:NAME_LENGTH]


def _text(parent: ET.Element, tag: str, value: str, html: bool = True) -> ET.Element:
    element = ET.SubElement(parent, tag, {"format": "html"} if html else {})
    ET.SubElement(element, "text").text = value
    return element


def _question(quiz: ET.Element, question: QuizQuestion, name: str) -> None:
    item = ET.SubElement(quiz, "question", type="multichoice")
    _text(item, "name", name, html=False)
    _text(item, "questiontext", f"<p>{escape(question.question)}</p>")
    feedback = question.explanation + (f" (Source: {question.source})" if question.source else "")
    _text(item, "generalfeedback", f"<p>{escape(feedback)}</p>" if feedback.strip() else "")
    for tag, value in (("defaultgrade", "1"), ("penalty", "0.3333333"), ("hidden", "0"),
                       ("single", "true"), ("shuffleanswers", "true"),
                       ("answernumbering", "abc")):
        ET.SubElement(item, tag).text = value
    for i, option in enumerate(question.options):
        answer = _text(item, "answer", f"<p>{escape(option)}</p>")
        answer.set("fraction", "100" if i == question.answer else "0")
        _text(answer, "feedback", "")


def render(course: ExportCourse) -> bytes:
    """`<quiz>` with a category question before each chapter's multiple-choice questions."""
    quiz = ET.Element("quiz")
    for chapter in course.chapters:
        if chapter.content is None or not chapter.content.quiz:
            continue
        head = ET.SubElement(quiz, "question", type="category")
        _text(head, "category", category(course.title, numbered(chapter.index, chapter.title)),
              html=False)
        for n, question in enumerate(chapter.content.quiz, 1):
            _question(quiz, question, question_name(chapter.index, chapter.title, n))
    ET.indent(quiz)
    return ET.tostring(quiz, encoding="utf-8", xml_declaration=True) + b"\n"
