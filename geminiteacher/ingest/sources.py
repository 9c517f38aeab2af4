"""Where a chapter's material came from: the document's real headings, matched and placed.

Engines name the sections a chapter drew on; only names that are headings of the document
are kept (so a model cannot cite a section that does not exist), and the file each heading
belongs to is filled in from the course's source parts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from geminiteacher.models import Source, SourcePart, SourceRef
from geminiteacher.text.fences import lines_in_code

_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_NUMBERING = re.compile(r"^(?:(?:chapter|section|part)\s+)?[\dIVXivx]+(?:\.\d+)*[.):]?\s+")
_MARKUP = re.compile(r"[*_`]+")


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
