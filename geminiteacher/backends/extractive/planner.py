"""Chapters from a document's own structure: its headings when it has them, else balanced parts.

1. Cut the blocks at every heading level present; a cut at level L opens a chapter at each
   heading of level <= L. Headings with (almost) no text of their own, such as the
   `# file name` headings of joined sources, fold into the chapter that follows.
2. Pick a level: among those whose chapter count fits the limit, one where no part holds
   most of the text (else that part, a user manual among small appendices, would be one
   chapter), then the one nearest a count suited to the length (about 300 words a
   chapter, at least 3), deeper on ties; with a fixed count, the level whose count is
   nearest N. A part too large for one chapter is split at its own chapters (step 3).
3. Group neighbours into balanced runs when there are too many (cutting between siblings
   of different parents first), join small neighbouring parts so that large ones get
   chapters in proportion to their words, then split chapters that are too large (or, with a fixed
   count, the largest, until there are N) at sub-headings or quiet paragraph boundaries.
   Cuts go near even shares of the words; see `_even_cuts`.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from geminiteacher.backends.extractive.blocks import Block, split_finer
from geminiteacher.backends.extractive.text import is_file_name, normalize_title, shorten
from geminiteacher.errors import OutlineError

WORDS_PER_CHAPTER = 300
MIN_PART_WORDS = 1000
DOMINANT = 0.5  # share of the words above which one part dominates a level


@dataclass
class Chapter:
    """A planned chapter: its title and the blocks of the source it covers."""

    title: str
    blocks: list[Block]


@dataclass
class _Chunk:
    blocks: list[Block]
    title: str | None = None
    parent: Block | None = None
    continued: bool = False  # a later part of a split chapter: its title gets a key phrase

    @property
    def size(self) -> int:
        return sum(b.size for b in self.blocks)


# Titles text without a heading; the predicate tells which candidate titles are taken.
Namer = Callable[[Sequence[Block], Callable[[str], bool]], str]


def plan_chapters(
    blocks: Sequence[Block], max_chapters: int, fixed: bool, name: Namer, conjunction: str
) -> list[Chapter]:
    """Titles and spans for 1..max_chapters chapters (exactly max_chapters when `fixed`).

    `name` gives a title to a stretch of text without a heading; `conjunction` joins the
    titles of merged chapters (" and ", " y ", ...).
    """
    if not any(b.size for b in blocks):
        raise OutlineError("the source has no text to build chapters from; check the input files")
    chunks = _choose_cut(blocks, max_chapters, fixed)
    chunks = _merge(chunks, max_chapters, conjunction)
    if not fixed:
        chunks = _make_room(chunks, max_chapters, conjunction)
    total = sum(c.size for c in chunks)
    if fixed:
        parts = _allocate_exact(chunks, max_chapters)
    else:
        limit = max(1.25 * total / max_chapters, MIN_PART_WORDS)
        parts = _allocate_oversize(chunks, max_chapters, limit)
    chapters = [
        piece for chunk, k in zip(chunks, parts, strict=True)
        for piece in _split(chunk, k, conjunction)
    ]
    if fixed:
        chapters = _split_until(chapters, max_chapters, conjunction)
    return _titled(chapters, name)


def _cut(blocks: Sequence[Block], level: int) -> list[_Chunk]:
    chunks: list[_Chunk] = []
    current = _Chunk([])
    open_headings: dict[int, Block] = {}
    for block in blocks:
        if block.kind == "heading":
            if block.level <= level:
                if current.blocks:
                    chunks.append(current)
                above = [lv for lv in open_headings if lv < block.level]
                parent = open_headings[max(above)] if above else None
                current = _Chunk([block], block.title, parent)
            else:
                current.blocks.append(block)
            open_headings = {lv: b for lv, b in open_headings.items() if lv < block.level}
            open_headings[block.level] = block
        else:
            current.blocks.append(block)
    if current.blocks:
        chunks.append(current)
    return _fold_tiny(chunks)


def _fold_tiny(chunks: list[_Chunk]) -> list[_Chunk]:
    sizes = sorted(c.size for c in chunks if c.size) or [0]
    threshold = max(1.0, min(50.0, 0.25 * sizes[len(sizes) // 2]))  # bare headings always fold
    folded: list[_Chunk] = []
    carry: list[Block] = []
    for chunk in chunks:
        if carry and folded and _starts_file(chunk) and not _starts_file(_Chunk(carry)):
            folded[-1].blocks.extend(carry)  # a file's small last section stays in its file
            carry = []
        if folded and not carry and _table_only(chunk) and not _starts_file(chunk):
            folded[-1].blocks.extend(chunk.blocks)  # a table under its own heading is no chapter
            continue
        if chunk.size < threshold:
            carry.extend(chunk.blocks)
            continue
        folded.append(_Chunk(carry + chunk.blocks, chunk.title, chunk.parent))
        carry = []
    if carry:
        if folded:
            folded[-1].blocks.extend(carry)
        else:
            folded.append(_Chunk(carry))
    return folded


def _table_only(chunk: _Chunk) -> bool:
    """A chunk with tables but no prose to teach from ("Summary table")."""
    return any(b.kind == "table" for b in chunk.blocks) and not any(
        b.sentences for b in chunk.blocks
    )


def _choose_cut(blocks: Sequence[Block], limit: int, fixed: bool) -> list[_Chunk]:
    levels = sorted({b.level for b in blocks if b.kind == "heading"})
    cuts = {level: _cut(blocks, level) for level in levels}
    # Joined sources open each file with `# name.ext`; chapters come from inside the files.
    inner = [lv for lv in levels if not _only_file_names(blocks, lv)]
    if inner and any(len(cuts[lv]) >= 2 for lv in inner):
        levels = inner
    whole = [_Chunk(list(blocks))]
    if fixed:
        if not levels:
            return whole
        several = [lv for lv in levels if len(cuts[lv]) >= 2] or levels
        best = min(several, key=lambda lv: (_distance(len(cuts[lv]), limit), lv))
        return cuts[best]
    fitting = [lv for lv in levels if 2 <= len(cuts[lv]) <= limit]
    if fitting:
        words = sum(b.size for b in blocks)
        ideal = max(min(3, limit), min(limit, round(words / WORDS_PER_CHAPTER)))

        def fit(lv: int) -> tuple[bool, int, int]:
            # a level where one part holds most of the text (and more than a chapter's worth)
            # teaches it in one chapter:
            # a deeper level that shows that part's own chapters wins when it fits
            largest = max(c.size for c in cuts[lv])
            dominant = largest > DOMINANT * words and largest > WORDS_PER_CHAPTER
            return dominant, abs(len(cuts[lv]) - ideal), -lv

        return cuts[min(fitting, key=fit)]
    over = [lv for lv in levels if len(cuts[lv]) > limit]
    return cuts[min(over)] if over else whole


def _starts_file(chunk: _Chunk) -> bool:
    """Whether the chunk opens one file of a joined source (with its `# name.ext` heading)."""
    first = chunk.blocks[0] if chunk.blocks else None
    return first is not None and first.opens_file


def _only_file_names(blocks: Sequence[Block], level: int) -> bool:
    return all(is_file_name(b.heading) for b in blocks if b.kind == "heading" and b.level == level)


def _distance(count: int, target: int) -> float:
    return count - target if count >= target else 1.5 * (target - count)


def _merge(chunks: list[_Chunk], limit: int, conjunction: str) -> list[_Chunk]:
    """Group neighbouring chunks into at most `limit` balanced chapters, siblings together."""
    if len(chunks) <= limit:
        return chunks
    siblings = Counter(id(c.parent) for c in chunks if c.parent is not None)

    def penalty(b: int) -> float:
        if _starts_file(chunks[b]):
            return -0.3  # chapters keep each file's part together
        return 0.0 if chunks[b - 1].parent is not chunks[b].parent else 0.3

    cuts = _even_cuts([c.size for c in chunks], limit, penalty)
    groups = [chunks[start:end] for start, end in itertools.pairwise(cuts)]
    return [_combine(group, siblings, conjunction) for group in groups]


def _make_room(chunks: list[_Chunk], limit: int, conjunction: str) -> list[_Chunk]:
    """Join neighbouring small parts (each worth less than a chapter of `limit`) until the
    large ones can have their share of the chapters (a user manual that is four fifths of
    a book gets about four fifths of them, the small appendices share the rest); a part
    worth under half a chapter with no small neighbour joins a large one."""
    total = sum(c.size for c in chunks) or 1
    groups = [[c] for c in chunks]
    while True:
        sizes = [sum(c.size for c in g) for g in groups]
        worth = [size * limit / total for size in sizes]
        # the chapters a large part would take: its share, if it is long enough to split
        large = sum(max(1, min(round(w), n // MIN_PART_WORDS))
                    for w, n in zip(worth, sizes, strict=True) if w >= 1)
        small = [i for i, w in enumerate(worth) if w < 1]
        joinable = [i for i in range(len(groups) - 1) if not _starts_file(groups[i + 1][0])]
        pairs = [i for i in joinable if i in small and i + 1 in small]
        # a crumb (under half a chapter's worth) with no small neighbour joins a large one
        crumbs = [i for i in joinable if min(worth[i], worth[i + 1]) < 0.5]
        if large + len(small) <= limit or not (pairs or crumbs):
            return [_combine(g, Counter(), conjunction) for g in groups]
        i = min(pairs or crumbs, key=lambda j: (min(worth[j], worth[j + 1]), j) if not pairs
                else (worth[j] + worth[j + 1], j))
        groups[i : i + 2] = [groups[i] + groups[i + 1]]


def _even_cuts(sizes: Sequence[int], k: int, penalty: Callable[[int], float]) -> list[int]:
    """Boundaries (0, ..., len(sizes)) of k runs of units, each cut near an even share.

    A cut at b falls before unit b; among cuts within half a share of the ideal place, the
    one with the least distance plus `penalty(b)` wins.
    """
    prefix = [0]
    for size in sizes:
        prefix.append(prefix[-1] + size)
    share = max(prefix[-1] / k, 1e-9)
    cuts = [0]
    for j in range(1, k):
        target = j * prefix[-1] / k
        low, high = cuts[-1] + 1, len(sizes) - (k - j)
        options = [b for b in range(low, high + 1) if abs(prefix[b] - target) <= share / 2]
        options = options or list(range(low, high + 1))
        cuts.append(min(options, key=lambda b: (abs(prefix[b] - target) / share + penalty(b), b)))
    cuts.append(len(sizes))
    return cuts


def _combine(group: list[_Chunk], siblings: Counter[int], conjunction: str) -> _Chunk:
    if len(group) == 1:
        return group[0]
    blocks = [b for c in group for b in c.blocks]
    parent = group[0].parent
    if (
        parent is not None
        and all(c.parent is parent for c in group)
        and siblings[id(parent)] == len(group)
    ):
        return _Chunk(blocks, parent.title)
    titles = [_own_title(c) for c in group if c.title]
    if not titles:
        return _Chunk(blocks, None, parent)
    return _Chunk(blocks, _join_titles(titles, conjunction), parent)


def _own_title(chunk: _Chunk) -> str | None:
    """A chunk's title; for one that opens a file (`# ch02s01.html`), its first heading
    inside the file when it has one: what the page calls itself, not its file name."""
    files = [b for b in chunk.blocks if b.opens_file]
    if any(chunk.title == b.title for b in files):
        inner = next((b for b in chunk.blocks if b.kind == "heading" and not b.opens_file), None)
        return inner.title if inner is not None else chunk.title
    return chunk.title


def _join_titles(titles: list[str], conjunction: str) -> str:
    """Titles listed ("A, B and C"), else by their heads before a colon ("5. Cachegrind and
    6. Callgrind"), else as a range ("A – C"), else the first one."""
    titles = list(dict.fromkeys(titles))  # "Name, Name and Name" says it once
    heads = list(dict.fromkeys(t.split(": ", 1)[0] for t in titles))
    for names in (titles, heads):
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + conjunction + names[-1]
        if len(listed) <= 80:
            return listed
    for names in (titles, heads):
        ranged = f"{names[0]} – {names[-1]}"
        if len(ranged) <= 80:
            return ranged
    return shorten(titles[0])


def _allocate_exact(chunks: Sequence[_Chunk], target: int) -> list[int]:
    parts = [1] * len(chunks)
    while sum(parts) < target:
        i = max(range(len(chunks)), key=lambda j: (chunks[j].size / (parts[j] + 1), -j))
        parts[i] += 1
    return parts


def _allocate_oversize(chunks: Sequence[_Chunk], most_parts: int, largest: float) -> list[int]:
    parts = [1] * len(chunks)
    while sum(parts) < most_parts:
        i = max(range(len(chunks)), key=lambda j: (chunks[j].size / parts[j], -j))
        if chunks[i].size / parts[i] <= largest:
            break
        parts[i] += 1
    return parts


def _split(chunk: _Chunk, k: int, conjunction: str) -> list[_Chunk]:
    """Divide a chunk into up to k balanced parts at the quietest boundaries near even cuts,
    its own top sub-headings first (a part's chapters rather than their sections)."""
    units = list(chunk.blocks)
    if k < 2 or chunk.size == 0:
        return [chunk]
    if len(units) < 2 * k or max(u.size for u in units) > chunk.size / k / 2:
        units = [piece for unit in units for piece in split_finer(unit)]
    k = min(k, sum(1 for u in units if u.size))
    if k < 2:
        return [chunk]

    inner = sorted({u.level for u in units[1:] if u.kind == "heading" and not u.opens_file})
    # the shallower a heading, the better a place to cut: parts, then chapters, then sections
    bonus = {level: 1.0 - 0.25 * min(rank, 2) for rank, level in enumerate(inner)}

    def penalty(b: int) -> float:
        value = 0.4 * _cohesion(units, b)
        if units[b].kind == "heading":
            value -= 1.0 if units[b].opens_file else bonus.get(units[b].level, 0.5)
        if units[b - 1].kind == "heading":
            value += 1.0
        if units[b].joiner != "\n\n":
            value += 0.3
        return value

    cuts = _even_cuts([u.size for u in units], k, penalty)
    parts = [units[start:end] for start, end in itertools.pairwise(cuts)]
    for j in range(len(parts) - 1, 0, -1):  # a part of bare headings joins the next one
        if not any(u.size for u in parts[j - 1]):
            parts[j - 1 : j + 1] = [parts[j - 1] + parts[j]]
    if not any(u.size for u in parts[-1]) and len(parts) > 1:
        parts[-2:] = [parts[-2] + parts[-1]]
    pieces = []
    for j, part in enumerate(parts):
        if j and part[0].kind == "heading":
            pieces.append(_Chunk(part, _piece_title(part, conjunction), chunk.parent))
        else:
            continued = bool(chunk.title) if j else chunk.continued
            pieces.append(_Chunk(part, chunk.title, chunk.parent, continued))
    return pieces


def _piece_title(part: Sequence[Block], conjunction: str) -> str:
    """A part that opens with a sub-heading: named after the headings of that level in it
    ("5. Cachegrind and 6. Callgrind")."""
    level = part[0].level
    titles = []
    for i, block in enumerate(part):
        if block.kind == "heading" and block.level == level:
            titles.append(_own_title(_Chunk(list(part[i : i + 3]), block.title)) or block.title)
    return _join_titles(titles, conjunction)


def _cohesion(units: Sequence[Block], b: int, width: int = 2) -> float:
    before: Counter[str] = Counter()
    after: Counter[str] = Counter()
    for unit in units[max(0, b - width) : b]:
        before.update(unit.terms)
    for unit in units[b : b + width]:
        after.update(unit.terms)
    if not before or not after:
        return 0.0
    dot = sum(count * after[key] for key, count in before.items() if key in after)
    norm = math.sqrt(sum(v * v for v in before.values()) * sum(v * v for v in after.values()))
    return dot / norm


def _split_until(chunks: list[_Chunk], target: int, conjunction: str) -> list[_Chunk]:
    while len(chunks) < target:
        order = sorted(range(len(chunks)), key=lambda j: (-chunks[j].size, j))
        for i in order:
            pieces = _split(chunks[i], 2, conjunction)
            if len(pieces) == 2:
                chunks[i : i + 1] = pieces
                break
        else:
            raise OutlineError(
                f"the source is too short for {target} chapters; lower max_chapters "
                "or turn off fixed_chapter_count"
            )
    return chunks


def _titled(chunks: Sequence[_Chunk], name: Namer) -> list[Chapter]:
    chapters: list[Chapter] = []
    seen: set[str] = set()
    for chunk in chunks:
        title = _own_title(chunk) or name(chunk.blocks, lambda t: normalize_title(t) in seen)
        if chunk.continued:
            head = title
            title = shorten(
                f"{head}: "
                + name(chunk.blocks, lambda t, head=head: normalize_title(f"{head}: {t}") in seen)
            )
        base, n = title, 1
        while normalize_title(title) in seen:
            n += 1
            title = f"{shorten(base, 74)} ({n})"
        seen.add(normalize_title(title))
        chapters.append(Chapter(title, list(chunk.blocks)))
    return chapters
