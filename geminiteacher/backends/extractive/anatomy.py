"""Document anatomy: which blocks are front matter or back matter rather than teaching.

Front matter is a title page, a table of contents, a copyright page; back matter is a
licence text (the GNU FDL or GPL, MIT, ...), an index, a bibliography or reference list,
a changelog. A section is recognised by its heading ("Table of Contents", "Appendix A GNU
Free Documentation License", "Index"): then it goes with everything below it. Without a
telling heading, a heading's own text (up to the next heading) is matter when it is mostly
a title page, legal notices or entries with page numbers (a contents list, an index): then
only that text goes, and the sections below it stay (a part whose opening page holds its
release line, copyright and contents), and so is the text before a section's sub-sections
when it is nothing but lists of short items (a web page's navigation, a part's contents).
The text before a file's first heading is judged the same way, a file of one short
sentence (an HTML manual's redirect page) is left out whole, and so is every paragraph on
its own: one made of legal notices (a licence
paragraph on a title page, a copyright line) never teaches.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from geminiteacher.backends.extractive.blocks import PROSE, Block
from geminiteacher.backends.extractive.text import normalize_title

_NUMBERING = re.compile(r"^(?:(?:appendix|annex|chapter|part|section)\s+)?(?:[\divxlc]+|[a-z])?\s*")
_TITLES = re.compile(
    r"^(?:(?:table of )?contents|list of (?:figures|tables)|title page|copyright(?: page| notice)?"
    r"|legal notice|dedication|colophon"
    r"|(?:(?:{kinds})(?: and (?:{kinds}))? )?index(?:es)?|indices|index of .*"
    r"|bibliography|references|works cited|further reading|literature"
    r"|(?:the |software |open source )?licen[cs](?:e|es|ing)(?: (?:and|&) copyright| information"
    r"| terms| agreement| notice)?"
    r"|(?:the )?(?:gnu|mit|bsd|apache|mozilla|eclipse|isc|creative commons)\b.*licen[cs]e.*"
    r"|copying(?: conditions| this manual)?"
    r"|change ?log|changes|release notes|(?:version|revision) history|(?:old(?:er)? )?news"
    r"|acknowledge?ments|about the authors?)$".replace(
        "{kinds}", "general|concept|function|variable|type|data type|data|program|command"
        "|keystroke|subject|name|author|option|symbol"
    )
)
_IDENTIFIER = re.compile(r"^[a-z_][\w.]*(?:\(\))?$|[`(_]")  # "index()", "`license`", "str_index"
_LEGAL = re.compile(
    r"permission is (?:hereby )?granted|all rights reserved|gnu (?:free documentation|general "
    r"public|lesser general public) license|provided \W?as is\W?|without warranty|isbn[\s:-]*\d"
    r"|copyright\s*(?:©|\(c\)|\d{4}|notice|holders?)|permission notice|licensed under"
    r"|without (?:any )?warranty|implied warranty"
    r"|creative commons|this program is free software|in no event shall|liable for any"
    r"|redistribution and use in|redistributions? of (?:source|binary)|must not be misrepresented"
    r"|endorse or promote products|warranties of merchantability",
    re.IGNORECASE,
)
# Words one of which every legal notice holds: a cheap test before the pattern above.
_LEGAL_HINTS = ("permission", "rights reserved", "licen", "as is", "warrant", "isbn", "copyright",
                "creative commons", "free software", "in no event", "liable", "redistribut",
                "misrepresent", "endorse", "merchantab")
_TOKEN = re.compile(r"[^\W_]+")
_PAGE_REF = re.compile(r"^(?:\d{1,4}|[ivxlc]{1,6})$")
_PAGE_REF_END = frozenset("0123456789ivxlc")
_SENTENCE_END = re.compile(r"[a-z]{2}[.!?](?:\s|$)")
_TITLE_PAGE_WORDS = 20
_NAVIGATION_ITEMS = 8
_STUB_WORDS = 15
_LINE_END = re.compile(r"[a-z]{2}[.!?]$")


def matter_flags(blocks: Sequence[Block]) -> list[bool]:
    """For each block, whether it is front or back matter (see the module docstring)."""
    flags = [False] * len(blocks)
    i = 0
    while i < len(blocks):
        block = blocks[i]
        if block.kind == "heading" and not block.opens_file and _matter_title(block.title):
            end = _section_end(blocks, i)
            flags[i:end] = [True] * (end - i)
            i = end
            continue
        start = i + 1 if block.kind == "heading" else i
        end = _own_end(blocks, start - 1)
        opening = start == 0 or blocks[start - 1].opens_file  # before a file's first heading
        own = blocks[start:end]
        wraps = end < len(blocks) and (opening or blocks[end].level > block.level)
        if end > start and (end < len(blocks) or not opening) and (
            _front_page(own, opening) or (wraps and _navigation(own))
        ):
            flags[start:end] = [True] * (end - start)
        for k in range(start, end):
            flags[k] = flags[k] or _legal_block(blocks[k])
        i = max(end, i + 1)
    _flag_stub_files(blocks, flags)
    return _emptied_headings(blocks, flags)


def _flag_stub_files(blocks: Sequence[Block], flags: list[bool]) -> None:
    """Files of a joined source that hold one short sentence at most (the redirect pages of
    an HTML manual: "The node you are looking for is at ..."): no chapter comes of them."""
    starts = [i for i, b in enumerate(blocks) if b.opens_file]
    if len(starts) < 2:
        return
    for start, end in zip(starts, [*starts[1:], len(blocks)], strict=True):
        own = blocks[start:end]
        if sum(b.size for b in own) <= _STUB_WORDS and sum(len(b.sentences) for b in own) <= 1:
            flags[start:end] = [True] * (end - start)


def _emptied_headings(blocks: Sequence[Block], flags: list[bool]) -> list[bool]:
    """Flag the headings whose whole section turned out to be matter (a licence appendix
    recognised by its paragraphs), so they leave no empty chapter behind."""
    kept = [0]  # prefix sums of the words that teach, and of those that do not
    dropped = [0]
    for block, flag in zip(blocks, flags, strict=True):
        kept.append(kept[-1] + (0 if flag else block.size))
        dropped.append(dropped[-1] + (block.size if flag else 0))
    open_headings: list[int] = []
    ends: dict[int, int] = {}
    for i, block in enumerate(blocks):
        if block.kind == "heading":
            while open_headings and blocks[open_headings[-1]].level >= block.level:
                ends[open_headings.pop()] = i
            open_headings.append(i)
    ends.update((i, len(blocks)) for i in open_headings)
    out = list(flags)
    for i, end in ends.items():
        if not blocks[i].opens_file and kept[end] == kept[i] and dropped[end] > dropped[i]:
            out[i] = True
    return out


def is_legal(text: str) -> bool:
    """Whether a sentence holds a legal notice (copyright, permission, warranty, licence)."""
    low = text.casefold()
    return any(hint in low for hint in _LEGAL_HINTS) and bool(_LEGAL.search(text))


def _navigation(blocks: Sequence[Block]) -> bool:
    """Text made only of lists of short items and short lines, with no sentence: the
    contents or navigation that a web page or a part puts before its sections."""
    prose = [b for b in blocks if b.size and b.kind in PROSE]
    items = [line for b in prose if b.kind == "list" for line in b.text.splitlines()
             if line.strip()]
    lines = [line.strip() for b in prose for line in b.text.splitlines()]
    return (
        len(items) >= _NAVIGATION_ITEMS
        and all(b.kind == "list" or _title_line(b) for b in prose)
        and all(len(line.split()) <= 9 and not _LINE_END.search(line) for line in lines)
    )


def _legal_block(block: Block) -> bool:
    """A paragraph or list made (almost) only of legal notices."""
    return bool(block.size) and _legal_words([block]) >= 0.8 * block.size


def _section_end(blocks: Sequence[Block], i: int) -> int:
    """The end of the section a heading opens: the next heading of its level or above."""
    level, end = blocks[i].level, i + 1
    while end < len(blocks) and not (blocks[end].kind == "heading" and blocks[end].level <= level):
        end += 1
    return end


def _own_end(blocks: Sequence[Block], i: int) -> int:
    """The end of the text after block i (a heading, or -1 for the start), before the next
    heading."""
    end = i + 1
    while end < len(blocks) and blocks[end].kind != "heading":
        end += 1
    return end


def _matter_title(title: str) -> bool:
    if _IDENTIFIER.search(title.strip()):
        return False  # an API heading such as `index()` names code, not an index
    words = normalize_title(title)
    bare = _NUMBERING.sub("", words, count=1) if len(words.split()) > 1 else words
    return len(bare.split()) <= 8 and bool(_TITLES.match(bare) or _TITLES.match(words))


def _legal_words(blocks: Sequence[Block]) -> int:
    """Words in sentences that are legal notices (copyright, permission, warranty, licence)."""
    return sum(_block_legal_words(b) for b in blocks)


@lru_cache(maxsize=4096)
def _block_legal_words(block: Block) -> int:
    """A block's words in legal notices (blocks hash by identity; each is judged once)."""
    if not block.sentences or not is_legal(block.text):
        return 0
    return sum(s.words() for s in block.sentences if is_legal(s.text))


def _entries(block: Block) -> bool:
    """Entries each followed by a page number (a line of a contents list or an index)."""
    if block.kind not in PROSE or block.text.rstrip()[-1:].lower() not in _PAGE_REF_END:
        return False
    tokens = _TOKEN.findall(block.text)
    refs = sum(1 for token in tokens if _PAGE_REF.match(token.lower()))
    return (
        len(tokens) >= 2
        and bool(_PAGE_REF.match(tokens[-1].lower()))
        and refs >= 0.15 * len(tokens)
        and not _SENTENCE_END.search(block.text)
    )


def _front_page(blocks: Sequence[Block], opening: bool) -> bool:
    """Text under one heading (or before the first, `opening`) that is mostly a title page,
    notices and contents: short title lines, legal sentences and contents entries make up
    most of its words, and a notice or a contents list is among them (or, at the opening,
    it is just a few title lines)."""
    prose = [b for b in blocks if b.size]
    if not prose:
        return False
    words = sum(b.size for b in prose)
    legal = _legal_words(prose)
    entries = [b for b in prose if _entries(b)]
    if legal >= 0.6 * words or sum(b.size for b in entries) >= 0.7 * words:
        return True  # legal notices, or a contents list or an index
    listed = entries + [b for b in prose if b.size <= 12 and b not in entries
                        and _matter_title(b.text)]
    titles = [b for b in prose if _title_line(b) and b not in listed]
    if opening and len(titles) == len(prose) <= 3:
        return True
    matter = legal + sum(b.size for b in listed) + sum(b.size for b in titles)
    return bool(legal or listed) and matter >= 0.6 * words


def _title_line(block: Block) -> bool:
    """A short line without a sentence: a title, a subtitle, an author, a date."""
    return block.kind == "paragraph" and block.size <= _TITLE_PAGE_WORDS and not (
        _SENTENCE_END.search(block.text)
    )
