"""Find the stretch of the source a chapter title stands for.

In order: a planned chapter with that title (under these or other settings), then a
heading with that title. An edited outline is read against the plan it came from: titles
that still match a planned chapter anchor it, and between two anchors the renamed titles
take the unmatched planned chapters in order, so a renamed chapter keeps its own section.
A title still unplaced (a new one) gets the planned chapter or heading section that best
matches its words (BM25, heading words counting double) among those no other chapter of
the outline holds (among all when every one is held); when no word matches at all, the
planned chapter at the same position.
"""

from __future__ import annotations

import itertools
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
    plans = [plan, *other_plans]
    for chapters in plans:
        planned = [i for i, c in enumerate(chapters) if normalize_title(c.title) == wanted]
        if planned:
            best = min(planned, key=lambda i: (abs(i - (index - 1)), i))
            return Match(chapters[best].blocks, EXACT)
    sections = [(h, blocks) for h, blocks in analysis.sections() if any(b.size for b in blocks)]
    for heading, blocks in sections:
        if normalize_title(heading.title) == wanted:
            return Match(blocks, EXACT)
    origin, held = plan, {}
    if 0 < index <= len(outline) and normalize_title(outline[index - 1]) == wanted:
        origin = max(plans, key=lambda chapters: _shared_titles(outline, chapters))
        held = _assign(outline, origin)
        if index - 1 in held:
            return Match(origin[held.pop(index - 1)].blocks, EXACT)
    taken = {id(b) for k in held.values() for b in origin[k].blocks}
    free = [
        (blocks[0], blocks)
        for blocks in [c.blocks for c in origin] + [blocks for _, blocks in sections]
        if not any(id(b) in taken for b in blocks)
    ]
    everything = [(c.blocks[0], c.blocks) for c in origin] + sections
    best_blocks = _best_match(analysis, free, title) or _best_match(analysis, everything, title)
    if best_blocks is not None:
        return Match(best_blocks, SIMILAR)
    open_chapters = [k for k in range(len(origin)) if k not in held.values()] or list(
        range(len(origin))
    )
    slots = max(len(outline), index, 1)
    at = (index - 1) * len(origin) // slots
    nearest = min(open_chapters, key=lambda k: (abs(k - at), k))
    return Match(origin[nearest].blocks, NEAREST)


def _shared_titles(outline: Sequence[str], chapters: Sequence[Chapter]) -> int:
    planned = {normalize_title(c.title) for c in chapters}
    return sum(1 for title in outline if normalize_title(title) in planned)


def _assign(outline: Sequence[str], chapters: Sequence[Chapter]) -> dict[int, int]:
    """Outline position → planned chapter: exact titles first, then renamed ones in order.

    Between two exact anchors (outline i↔plan p, then j↔q with p < q), when as many outline
    titles as unmatched planned chapters lie between them, they pair up in order.
    """
    by_title: dict[str, list[int]] = {}
    for k, chapter in enumerate(chapters):
        by_title.setdefault(normalize_title(chapter.title), []).append(k)
    held: dict[int, int] = {}
    for i, title in enumerate(outline):
        options = by_title.get(normalize_title(title))
        if options:
            held[i] = options.pop(0)
    anchors = [(-1, -1), *sorted(held.items()), (len(outline), len(chapters))]
    used = set(held.values())
    for (i, p), (j, q) in itertools.pairwise(anchors):
        titles = [k for k in range(i + 1, j) if k not in held]
        spans = [k for k in range(p + 1, q) if k not in used]
        if titles and len(titles) == len(spans):
            held.update(zip(titles, spans, strict=True))
            used.update(spans)
    return held


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
