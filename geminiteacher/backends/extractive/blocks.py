"""Markdown as a flat list of blocks (headings, paragraphs, lists, quotes, code, tables).

Blocks keep their text verbatim so a chapter can quote them unchanged; only prose blocks
(paragraphs, lists, quotes) yield sentences, so code and tables are never split or summarised.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from geminiteacher.backends.extractive.text import (
    ENGLISH_STOPWORDS,
    Sentence,
    analyse_sentence,
    as_statement,
    clean_title,
    is_file_name,
    split_sentences,
    text_size,
)

PROSE = frozenset({"paragraph", "list", "quote"})

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_BULLET = re.compile(r"^ {0,3}(?:[-*+]|1[.)])[ \t]+\S")
_LIST_ITEM = re.compile(r"^([ \t]*)(?:[-*+]|\d{1,3}[.)])(?:[ \t]+|$)")
_ITEM_MARKER = re.compile(r"^[ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?")
_TABLE_RULE = re.compile(r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$")
_MEDIA = re.compile(r"^[ \t]*(?:!\[[^\]]*\]\([^)]*\)[ \t]*)+$")
_QUOTE = re.compile(r"^[ \t]*>[ \t]?", re.M)


@dataclass(eq=False)
class Block:
    """One Markdown block; `joiner` is what attaches it to the block before it when rendered."""

    kind: str
    text: str
    level: int = 0
    heading: str = ""
    joiner: str = "\n\n"
    stopwords: frozenset[str] = field(default=ENGLISH_STOPWORDS, repr=False)
    sentences: list[Sentence] = field(init=False)
    terms: Counter[str] = field(init=False)
    size: int = field(init=False)

    def __post_init__(self) -> None:
        stop = self.stopwords
        self.sentences = [analyse_sentence(s, stop) for s in _prose_sentences(self)]
        if self.kind == "heading":
            keyed = [analyse_sentence(self.title, stop)]
        elif self.kind == "table":
            keyed = [analyse_sentence(re.sub(r"[|:-]+", " ", self.text), stop)]
        else:
            keyed = self.sentences
        self.terms = Counter(key for sentence in keyed for key in sentence.keys)
        self.size = 0 if self.kind == "heading" else text_size(self.text)

    @property
    def title(self) -> str:
        return clean_title(self.heading) if self.kind == "heading" else ""

    @property
    def opens_file(self) -> bool:
        """Whether this is a joined source's `# name.ext` heading, which opens one file's part."""
        return self.kind == "heading" and self.level == 1 and is_file_name(self.heading)


def _prose_sentences(block: Block) -> list[str]:
    if block.kind == "paragraph":
        return split_sentences(block.text)
    if block.kind == "quote":
        return split_sentences(_QUOTE.sub("", block.text))
    if block.kind == "list":
        return [
            as_statement(s) or s
            for item in _list_items(block.text)
            for paragraph in re.split(r"\n[ \t]*\n", _ITEM_MARKER.sub("", item))
            for s in split_sentences(paragraph)
        ]
    return []


def _list_items(text: str) -> list[str]:
    lines = text.split("\n")
    indent = len(_LIST_ITEM.match(lines[0]).group(1)) if _LIST_ITEM.match(lines[0]) else 0
    items: list[list[str]] = []
    for line in lines:
        marker = _LIST_ITEM.match(line)
        if not items or (marker and len(marker.group(1)) <= indent):
            items.append([line])
        else:
            items[-1].append(line)
    return ["\n".join(item) for item in items]


def parse_blocks(markdown: str, stopwords: frozenset[str] = ENGLISH_STOPWORDS) -> list[Block]:
    """Split Markdown into blocks in document order; `stopwords` shape their terms."""
    lines = markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    specs: list[tuple[str, str, int, str]] = []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        heading = _HEADING.match(line)
        if _FENCE.match(line):
            end = _fence_end(lines, i)
            specs.append(("code", _join(lines, i, end), 0, ""))
        elif heading:
            end = i + 1
            title = (heading.group(2) or "").strip()
            if title:
                specs.append(("heading", line.strip(), len(heading.group(1)), title))
            else:
                specs.append(("rule", line.strip(), 0, ""))
        elif _RULE.match(line):
            end = i + 1
            specs.append(("rule", line.strip(), 0, ""))
        elif _is_table(lines, i):
            end = _run_end(lines, i, lambda s: "|" in s)
            specs.append(("table", _join(lines, i, end), 0, ""))
        elif line.lstrip().startswith(">"):
            end = _run_end(lines, i, lambda s: True)
            specs.append(("quote", _join(lines, i, end), 0, ""))
        elif _LIST_ITEM.match(line) and line.strip() not in ("-", "*", "+"):
            end = _list_end(lines, i)
            specs.append(("list", _join(lines, i, end), 0, ""))
        else:
            end, spec = _paragraph(lines, i)
            specs.append(spec)
        i = end
    return [Block(*spec, stopwords=stopwords) for spec in specs]


def _join(lines: list[str], start: int, end: int) -> str:
    return "\n".join(lines[start:end]).rstrip()


def _fence_end(lines: list[str], start: int) -> int:
    marker = _FENCE.match(lines[start].lstrip()) or _FENCE.match(lines[start])
    fence = marker.group(1) if marker else "```"
    for j in range(start + 1, len(lines)):
        closing = lines[j].strip()
        if closing.startswith(fence) and set(closing) == {fence[0]}:
            return j + 1
    return len(lines)


def _run_end(lines: list[str], start: int, keep) -> int:
    j = start + 1
    while j < len(lines) and lines[j].strip() and keep(lines[j]):
        j += 1
    return j


def _is_table(lines: list[str], i: int) -> bool:
    line = lines[i]
    if line.lstrip().startswith("|"):
        return True
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    return "|" in line and "|" in nxt and bool(_TABLE_RULE.match(nxt))


def _list_end(lines: list[str], start: int) -> int:
    j, n = start + 1, len(lines)
    while j < n:
        line = lines[j]
        if line.lstrip().startswith(("```", "~~~")):
            j = _fence_end(lines, j)
            continue
        if not line.strip():
            k = j + 1
            while k < n and not lines[k].strip():
                k += 1
            if k < n and (_LIST_ITEM.match(lines[k]) or lines[k].startswith(("  ", "\t"))):
                j = k
                continue
            break
        if _HEADING.match(line) or _RULE.match(line) or _FENCE.match(line):
            break
        j += 1
    return j


def _interrupts(line: str) -> bool:
    return bool(
        _FENCE.match(line)
        or _HEADING.match(line)
        or _RULE.match(line)
        or _SETEXT.match(line)
        or _BULLET.match(line)
        or line.lstrip().startswith((">", "|"))
    )


def _paragraph(lines: list[str], start: int) -> tuple[int, tuple[str, str, int, str]]:
    j = start + 1
    while j < len(lines) and lines[j].strip() and not _interrupts(lines[j]):
        j += 1
    if j == start + 1 and j < len(lines) and _SETEXT.match(lines[j]):
        level = 1 if lines[j].strip()[0] == "=" else 2
        title = lines[start].strip()
        return j + 1, ("heading", f"{title}\n{lines[j].strip()}", level, title)
    text = _join(lines, start, j)
    return j, ("media" if _MEDIA.match(text) else "paragraph", text, 0, "")


def split_finer(block: Block) -> list[Block]:
    """Break a prose block into sentences or list items, so long passages can be divided."""
    if block.kind == "paragraph":
        pieces, glue = split_sentences(block.text), " "
    elif block.kind == "list":
        pieces, glue = _list_items(block.text), "\n"
    elif block.kind == "quote":
        pieces, glue = block.text.split("\n"), "\n"
    else:
        return [block]
    if len(pieces) < 2:
        return [block]
    return [
        Block(block.kind, piece, joiner=glue if k else block.joiner, stopwords=block.stopwords)
        for k, piece in enumerate(pieces)
    ]


def render(blocks: Sequence[Block], top_level: int = 3) -> str:
    """Blocks back to Markdown; heading levels are renumbered from `top_level` down, no gaps."""
    levels = sorted({b.level for b in blocks if b.kind == "heading"})
    rank = {level: min(6, top_level + i) for i, level in enumerate(levels)}
    out: list[str] = []
    for k, block in enumerate(blocks):
        if k:
            out.append(block.joiner)
        if block.kind == "heading":
            out.append(f"{'#' * rank[block.level]} {block.heading}")
        else:
            out.append(block.text)
    return "".join(out)
