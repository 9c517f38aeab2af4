"""The quizzes as flashcards: a CSV of front (the question) and back (the answer and why),
which Anki and Quizlet import."""

from __future__ import annotations

import csv
import io

from geminiteacher.exports.course import ExportCourse

SUFFIX = ".csv"
MIME = "text/csv"


def render(course: ExportCourse) -> bytes:
    """One row per question of every finished chapter, without a header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for chapter in course.done:
        for question in chapter.quiz:
            back = question.correct
            if question.explanation:
                back += f" — {question.explanation}"
            writer.writerow([question.question, back])
    return buffer.getvalue().encode("utf-8")
