"""The whole course as one Markdown file: title, chapters one level down, summary."""

from __future__ import annotations

import re

from geminiteacher.exports.course import ExportCourse

SUFFIX = ".md"
MIME = "text/markdown"

_HEADING = re.compile(r"^(#{1,5}) ")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def demote(text: str) -> str:
    """Every Markdown heading one level lower; lines inside code fences stay as they are."""
    lines, fence = [], ""
    for line in text.splitlines():
        opened = _FENCE.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = ""
        elif opened:
            fence = opened.group(1)
        else:
            line = _HEADING.sub(r"#\1 ", line)
        lines.append(line)
    return "\n".join(lines)


def render(course: ExportCourse) -> bytes:
    """Index title, then every finished chapter and the summary, headings demoted."""
    blocks = [f"# {course.title}"]
    blocks += [demote(chapter.to_markdown()) for chapter in course.done]
    if course.summary:
        blocks.append(demote(f"# Course summary\n\n{course.summary}"))
    return ("\n\n".join(b.strip() for b in blocks) + "\n").encode("utf-8")
