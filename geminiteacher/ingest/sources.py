"""Where a chapter's material came from: the document's real headings, matched and placed.

Engines name the sections a chapter drew on; only names that are headings of the document
are kept (so a model cannot cite a section that does not exist), and the file each heading
belongs to is filled in from the course's source parts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from geminiteacher.models import MediaPart, Source, SourcePart, SourceRef
from geminiteacher.text.fences import lines_in_code

_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_NUMBERING = re.compile(r"^(?:(?:chapter|section|part)\s+)?[\dIVXivx]+(?:\.\d+)*[.):]?\s+")
_MARKUP = re.compile(r"[*_`]+")
_DASH = r"\s*(?:[-\u2010-\u2015]|to|bis|à)\s*"
_PAGES = re.compile(r"\b(?:pp?|pages?|pgs?|seiten?|s)\.?\s*(\d{1,5})(?:" + _DASH + r"(\d{1,5}))?",
                    re.I)
_CLOCK = r"(\d{1,3}(?::\d{1,2}){1,2})"
_TIMES = re.compile(_CLOCK + r"(?:" + _DASH + _CLOCK + r")?")
_RECORDINGS = ("audio", "video", "youtube")


def _key(text: str) -> str:
    return " ".join(_MARKUP.sub("", text.strip().lstrip("#")).casefold().split())


def _bare(text: str) -> str:
    return _NUMBERING.sub("", _key(text))


@lru_cache(maxsize=8)
def document_headings(markdown: str) -> tuple[str, ...]:
    """The document's ATX headings in order, as written (none from inside code fences)."""
    found = []
    for line, code in lines_in_code(markdown):
        match = None if code else _HEADING.match(line)
        if match:
            found.append(_MARKUP.sub("", match.group(1)).strip())
    return tuple(found)


def real_sections(names: Iterable[str], markdown: str) -> list[SourceRef]:
    """`names` that are headings of `markdown` (ignoring case, markup and numbering), as
    written in the document, without repeats; any other name is dropped."""
    headings = document_headings(markdown)
    exact = {_key(h): h for h in reversed(headings)}
    bare = {_bare(h): h for h in reversed(headings) if _bare(h)}
    refs: list[SourceRef] = []
    for name in names:
        heading = exact.get(_key(str(name))) or bare.get(_bare(str(name)))
        if heading and all(ref.heading != heading for ref in refs):
            refs.append(SourceRef(heading=heading))
    return refs


def attribute(refs: Sequence[SourceRef], source: Source) -> list[SourceRef]:
    """`refs` with the file each heading is in (the first part that has it) and, when that
    file knows them (PDF), the pages of the heading's section; a reference to a whole file
    (its name as heading in a multi-file source) becomes that file.

    A chapter of a one-file source that names no heading (a text without headings, or a
    model that cited none of them) is still cited by that file.
    """
    names = {part.name: part for part in source.parts}
    if not refs and len(source.parts) == 1 and source.parts[0].name != "content":
        return [SourceRef(file=source.parts[0].name)]
    placed = []
    for ref in refs:
        if ref.file:
            placed.append(ref)
        elif ref.heading in names and len(source.parts) > 1:
            placed.append(SourceRef(file=ref.heading))
        else:
            home = next((p for p in source.parts
                         if ref.heading in document_headings(p.markdown)),
                        source.parts[0] if len(source.parts) == 1 else None)
            name = home.name if home and home.name != "content" else ""
            pages = ref.pages or (_pages(home, ref.heading) if home else None)
            placed.append(SourceRef(name, ref.heading, pages))
    return placed


def _pages(part: SourcePart, heading: str) -> tuple[int, int] | None:
    """The pages of `heading`'s section in `part`, if its converter recorded them."""
    if heading in part.sections:
        return part.sections[heading]
    key = _key(heading)
    return next((span for title, span in part.sections.items() if _key(title) == key), None)


def media_refs(names: Iterable[str], media: Sequence[MediaPart]) -> list[SourceRef]:
    """References in `names` to the attached `media`: the file named, with the pages of a
    PDF (`scan.pdf, pp. 3-5`) or the time range of a recording (`talk.mp3, 12:30-18:45`).
    A range outside the material's pages or duration, or backwards, drops the reference."""
    longest_first = sorted(media, key=lambda item: len(item.name), reverse=True)
    refs: list[SourceRef] = []
    for raw in names:
        text = str(raw)
        item = next((m for m in longest_first if m.name.casefold() in text.casefold()), None)
        if item is None:
            continue
        at = text.casefold().index(item.name.casefold())
        rest = text[:at] + " " + text[at + len(item.name):]
        ref = _placed_in(item, rest)
        if ref is not None and ref not in refs:
            refs.append(ref)
    return refs


def _placed_in(item: MediaPart, rest: str) -> SourceRef | None:
    """The reference to `item` that `rest` (the name's text without the file name) gives,
    or None when its range lies outside the material."""
    if item.kind == "pdf" or item.pages:
        match = _PAGES.search(rest)
        if match is None:
            return SourceRef(file=item.name)
        first, last = int(match[1]), int(match[2] or match[1])
        if not 1 <= first <= last or (item.pages and last > item.pages):
            return None
        return SourceRef(file=item.name, pages=(first, last))
    if item.kind in _RECORDINGS:
        match = _TIMES.search(rest)
        if match is None:
            return SourceRef(file=item.name, uri=item.uri if item.kind == "youtube" else None)
        start = _seconds(match[1])
        end = _seconds(match[2]) if match[2] else None
        limit = (item.seconds or float("inf")) + 1
        if start >= limit or (end is not None and not start < end <= limit):
            return None
        return SourceRef(file=item.name, start=start, end=end,
                         uri=item.uri if item.kind == "youtube" else None)
    return SourceRef(file=item.name)


def _seconds(clock: str) -> float:
    total = 0
    for piece in clock.split(":"):
        total = total * 60 + int(piece)
    return float(total)
