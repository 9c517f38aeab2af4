"""Find the stretch of the source a chapter title stands for.

In order: a planned chapter with that title (under these or other settings), then a
heading with that title, then the planned chapter or heading section that best matches
the title's words (BM25, heading words counting double), and when no word matches at
all, the planned chapter at the same position in the outline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from geminiteacher.backends.extractive.analysis import Analysis
from geminiteacher.backends.extractive.blocks import Block
from geminiteacher.backends.extractive.planner import Chapter
from geminiteacher.backends.extractive.text import analyse_sentence, clean_title, normalize_title

EXACT, SIMILAR, NEAREST = "exact", "similar", "nearest"
_K1, _B = 1.2, 0.75


@dataclass
class Match:
    """The blocks found for a title and how they were found (exact, similar or nearest)."""

    blocks: list[Block]
    how: str


def locate(
    analysis: Analysis,
    plan: Sequence[Chapter],
    title: str,
    index: int,
    outline: Sequence[str] = (),
    other_plans: Sequence[Sequence[Chapter]] = (),
) -> Match:
    """The source blocks for chapter `index` (1-based) titled `title`.

    `plan` is the plan for the course's settings; `other_plans` (made under other
    settings) are searched for the exact title too, since an outline may come from them.
    """
    wanted = normalize_title(title)
    for chapters in (plan, *other_plans):
        planned = [i for i, c in enumerate(chapters) if normalize_title(c.title) == wanted]
        if planned:
            best = min(planned, key=lambda i: (abs(i - (index - 1)), i))
            return Match(chapters[best].blocks, EXACT)
    sections = [(h, blocks) for h, blocks in analysis.sections() if any(b.size for b in blocks)]
    for heading, blocks in sections:
        if normalize_title(heading.title) == wanted:
            return Match(blocks, EXACT)
    candidates = [(c.blocks[0], c.blocks) for c in plan] + sections
    best_blocks = _best_match(analysis, candidates, title)
    if best_blocks is not None:
        return Match(best_blocks, SIMILAR)
    slots = max(len(outline), index, 1)
    return Match(plan[min(len(plan) - 1, (index - 1) * len(plan) // slots)].blocks, NEAREST)


def _best_match(
    analysis: Analysis, candidates: Sequence[tuple[Block, list[Block]]], title: str
) -> list[Block] | None:
    query = sorted(analyse_sentence(clean_title(title, 1000), analysis.stopwords).keyset)
    if not query or not candidates:
        return None
    lengths = [sum(b.size for b in blocks) or 1 for _, blocks in candidates]
    average = sum(lengths) / len(lengths)
    best_score, best_index = 0.0, -1
    for i, (first, blocks) in enumerate(candidates):
        norm = _K1 * (1 - _B + _B * lengths[i] / average)
        score = 0.0
        for key in query:
            tf = sum(b.terms.get(key, 0) for b in blocks)
            if tf:
                weight = analysis.idf.get(key, 0.0)
                score += weight * tf * (_K1 + 1) / (tf + norm)
                if first.kind == "heading" and key in first.terms:
                    score += weight
        if score > best_score:
            best_score, best_index = score, i
    return candidates[best_index][1] if best_index >= 0 else None
