"""The course as a Word document (python-docx): headings, lists, tables, monospace code.

Chapter Markdown is walked token by token (see `markup`): headings become Word headings
below the chapter's own, lists use the List Bullet / List Number styles (nested levels
their "2" and "3" forms), tables a grid, code blocks a monospace paragraph, quotes the
Quote style, and bold, italic, inline code and links keep their look.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from docx import Document
from docx.document import Document as DocumentObject
from docx.shared import Pt
from docx.text.paragraph import Paragraph
from markdown_it.token import Token

from geminiteacher.exports.course import ExportCourse
from geminiteacher.exports.html_page import LETTERS
from geminiteacher.exports.markup import parse
from geminiteacher.exports.words import PARTS
from geminiteacher.models import ChapterContent
from geminiteacher.text.titles import numbered

SUFFIX = ".docx"
MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MONOSPACE = "Consolas"


def inline(paragraph: Paragraph, token: Token | None) -> None:
    """The inline children of `token` as runs of `paragraph`, with their emphasis."""
    bold = italic = 0
    for child in (token.children or []) if token is not None else []:
        if child.type in ("strong_open", "strong_close"):
            bold += 1 if child.type == "strong_open" else -1
        elif child.type in ("em_open", "em_close"):
            italic += 1 if child.type == "em_open" else -1
        elif child.type == "hardbreak":
            paragraph.add_run().add_break()
        elif child.type == "softbreak":
            paragraph.add_run(" ")
        elif child.type in ("text", "code_inline"):
            run = paragraph.add_run(child.content)
            run.bold, run.italic = bold > 0 or None, italic > 0 or None
            if child.type == "code_inline":
                run.font.name = MONOSPACE


def code(document: DocumentObject, text: str) -> None:
    """A code block: one paragraph in a small monospace font, its line breaks kept."""
    paragraph = document.add_paragraph()
    run = paragraph.add_run(text.rstrip("\n"))
    run.font.name = MONOSPACE
    run.font.size = Pt(9)


def table(document: DocumentObject, tokens: Sequence[Token], start: int) -> int:
    """The table starting at `tokens[start]`; returns the index after it."""
    rows: list[list[Token]] = []
    i = start
    while tokens[i].type != "table_close":
        if tokens[i].type == "tr_open":
            rows.append([])
        elif tokens[i].type == "inline" and rows:
            rows[-1].append(tokens[i])
        i += 1
    width = max((len(r) for r in rows), default=0)
    if width:
        grid = document.add_table(rows=len(rows), cols=width)
        grid.style = "Table Grid"
        # each row's cells are listed once: `grid.cell(r, c)` lays out the whole grid per call
        for r, (cells, row) in enumerate(zip(rows, grid.rows, strict=True)):
            for cell, place in zip(cells, row.cells, strict=False):
                paragraph = place.paragraphs[0]
                inline(paragraph, cell)
                if r == 0:
                    for run in paragraph.runs:
                        run.bold = True
    return i + 1


def markdown(document: DocumentObject, text: str, shift: int) -> None:
    """Markdown `text` appended to `document`, its headings `shift` levels lower."""
    tokens = parse(text, shift)
    lists: list[str] = []
    quote = 0
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.type == "table_open":
            i = table(document, tokens, i)
            continue
        if token.type in ("bullet_list_open", "ordered_list_open"):
            lists.append("List Bullet" if token.type == "bullet_list_open" else "List Number")
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif token.type in ("blockquote_open", "blockquote_close"):
            quote += 1 if token.type == "blockquote_open" else -1
        elif token.type in ("fence", "code_block"):
            code(document, token.content)
        elif token.type == "hr":
            document.add_paragraph("\u2014" * 12)
        elif token.type == "heading_open":
            inline(document.add_heading(level=min(9, int(token.tag[1]))), tokens[i + 1])
            i += 2
        elif token.type == "paragraph_open":
            style = None
            if lists:
                depth = len(lists)
                style = lists[-1] + (f" {min(depth, 3)}" if depth > 1 else "")
            elif quote:
                style = "Quote"
            inline(document.add_paragraph(style=style), tokens[i + 1])
            i += 2
        i += 1


def chapter(document: DocumentObject, index: int, content: ChapterContent,
            words: dict[str, str]) -> None:
    """A chapter: its parts, its quiz with the answers after it, its sources."""
    document.add_heading(numbered(index, content.title), level=1)
    for part in PARTS:
        text = getattr(content, part).strip()
        if text:
            document.add_heading(words[part], level=2)
            markdown(document, text, 2)
    if content.quiz:
        document.add_heading(words["quiz"], level=2)
        for n, question in enumerate(content.quiz, 1):
            document.add_paragraph(f"{n}. {question.question}")
            for letter, option in zip(LETTERS, question.options, strict=True):
                document.add_paragraph(f"{letter}) {option}", style="List Bullet 2")
        document.add_heading(words["answers"], level=3)
        for n, question in enumerate(content.quiz, 1):
            why = f" — {question.explanation}" if question.explanation else ""
            document.add_paragraph(f"{n}. {LETTERS[question.answer]}) {question.correct}{why}")
    if content.sources:
        document.add_heading(words["sources"], level=2)
        for ref in content.sources:
            document.add_paragraph(ref.label(), style="List Bullet")


def render(course: ExportCourse) -> bytes:
    """Title, note, outline, each finished chapter, the course summary."""
    document = Document()
    document.core_properties.title = course.title
    document.add_heading(course.title, level=0)
    if course.note:
        document.add_paragraph(course.note, style="Quote")
    document.add_heading(course.words["outline"], level=1)
    for item in course.chapters:
        state = "" if item.content else f" ({item.status})"
        document.add_paragraph(f"{numbered(item.index, item.title)}{state}")
    for item in course.chapters:
        if item.content is not None:
            chapter(document, item.index, item.content, course.words)
    if course.summary:
        document.add_heading(course.words["course_summary"], level=1)
        markdown(document, course.summary, 1)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
