"""The sections an offline chapter is drawn from: the headings of its own blocks."""

from __future__ import annotations

from collections.abc import Sequence

from geminiteacher.backends.extractive.analysis import Analysis
from geminiteacher.backends.extractive.blocks import Block

MOST = 5


def section_headings(analysis: Analysis, blocks: Sequence[Block]) -> list[str]:
    """The top-level headings inside `blocks` below any wrapping headings (a book or file
    title right above the first section); without any, the heading the blocks sit under."""
    lead = 0
    while lead + 1 < len(blocks) and blocks[lead].kind == blocks[lead + 1].kind == "heading":
        lead += 1
    inner = [b for b in blocks[lead:] if b.kind == "heading"]
    if inner:
        top = min(b.level for b in inner)
        return [b.heading for b in inner if b.level == top][:MOST]
    if not blocks:
        return []
    start = next((i for i, b in enumerate(analysis.blocks) if b is blocks[0]), 0)
    above = next((b for b in reversed(analysis.blocks[:start]) if b.kind == "heading"), None)
    return [above.heading] if above is not None else []
