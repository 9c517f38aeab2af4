"""The whole course as one Markdown file: title, chapters one level down, summary."""

from __future__ import annotations

import re

from geminiteacher.exports.course import ExportCourse
from geminiteacher.text.fences import lines_in_code

SUFFIX = ".md"
MIME = "text/markdown"

_HEADING = re.compile(r"^(#{1,5}) ")


def demote(text: str) -> str:
    """Every Markdown heading one level lower; lines inside code fences stay as they are."""
    return "\n".join(line if code else _HEADING.sub(r"#\1 ", line)
                     for line, code in lines_in_code(text))


def render(course: ExportCourse) -> bytes:
    """Index title, then every finished chapter and the summary, headings demoted."""
    blocks = [f"# {course.title}"]
    blocks += [demote(chapter.to_markdown()) for chapter in course.done]
    if course.summary:
        blocks.append(demote(f"# Course summary\n\n{course.summary}"))
    return ("\n\n".join(b.strip() for b in blocks) + "\n").encode("utf-8")
