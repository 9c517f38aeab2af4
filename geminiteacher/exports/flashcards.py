"""The quizzes as flashcards: a CSV of front (the question) and back (the answer and why).

Anki imports it as it is: its file headers say comma separated, plain text (`#html:false`,
so markup in a question shows as written and never runs) and two columns, Front and Back.
Every cell is quoted, so no row starts with `#` (a comment to Anki), and a cell that starts
like a formula (`=`, `+`, `-`, `@`, tab, carriage return) gets a leading `'`, OWASP's guard
against CSV injection, so no spreadsheet runs it.
"""

from __future__ import annotations

import csv
import io

from geminiteacher.exports.course import ExportCourse

SUFFIX = ".csv"
MIME = "text/csv"
HEADER = "#separator:Comma\n#html:false\n#columns:Front,Back\n"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guarded(cell: str) -> str:
    """`cell` as text a spreadsheet will not read as a formula."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


def render(course: ExportCourse) -> bytes:
    """Anki's header lines, then one row per question of every finished chapter."""
    buffer = io.StringIO()
    buffer.write(HEADER)
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    for chapter in course.done:
        for question in chapter.quiz:
            back = question.correct
            if question.explanation:
                back += f" — {question.explanation}"
            writer.writerow([guarded(question.question), guarded(back)])
    return buffer.getvalue().encode("utf-8")
