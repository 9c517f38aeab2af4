"""Small Markdown writers the format modules share: tables, code fences, tidy spacing."""

from __future__ import annotations

import re

from geminiteacher.ingest.budget import Budget

_BLANK_RUNS = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLOCK_START = re.compile(r"^[ \t]*(#|>|```|~~~)", re.MULTILINE)


def inline(text: str) -> str:
    """Collapse runs of spaces and line breaks to one space (for headings and cells)."""
    return " ".join(text.split())


def table(rows: list[list[str]], budget: Budget) -> str:
    """A pipe table; the first row is the header. Ragged rows are padded; pipes escaped.
    The padded size is drawn from `budget` before the table is laid out."""
    rows = [[inline(cell).replace("|", "\\|") for cell in row] for row in rows]
    rows = [row for row in rows if any(row)]
    if not rows:
        return ""
    width = max(len(row) for row in rows)
    budget.table(len(rows), width)
    rows = [row + [""] * (width - len(row)) for row in rows]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * width]
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return "\n".join(lines)


def fence(code: str, language: str = "") -> str:
    """A fenced code block whose fence is longer than any backtick run inside the code."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{language}\n{code.strip(chr(10))}\n{ticks}"


def prose(text: str) -> str:
    """Paragraph text whose opening `#` (or `>`, or a fence) is escaped, so a line of text
    never reads as a heading, a quote or the start of a code block."""
    return _BLOCK_START.sub(r"\\\1", text)


def heading(level: int, text: str) -> str:
    """`#`..`######` plus the text on one line; empty when there is no text."""
    text = inline(text)
    return f"{'#' * min(max(level, 1), 6)} {text}" if text else ""


def join_blocks(blocks: list[str]) -> str:
    """Blocks separated by one blank line, no trailing spaces, no runs of blank lines."""
    text = "\n\n".join(block.strip("\n") for block in blocks if block and block.strip())
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_RUNS.sub("\n\n", text).strip() + "\n" if text.strip() else ""


def squeeze(text: str) -> str:
    """Collapse runs of spaces and tabs inside a line (line breaks are kept)."""
    return _SPACES.sub(" ", text)
