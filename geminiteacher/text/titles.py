"""Chapter titles as people read them: numbered once.

A document's headings often carry their own number ("2. How to use bzip2", "Chapter 2",
"II. Streams", "2.3 Pipes"); such a title keeps it and gets no second one. The page, the CLI,
index.md and every export label chapters through `numbered`.
"""

from __future__ import annotations

import re

_WORDS = ("chapter|chap\\.|part|lesson|unit|module|section|lecture|week|day|topic|appendix|"
          "kapitel|teil|chapitre|partie|le[cç]on|cap[ií]tulo|capitolo|lezione|hoofdstuk|"
          "rozdzia[lł]|глава|часть")
_ROMAN = "M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})"
_OWN_NUMBER = re.compile(
    # "Chapter 2", "part II:", "Lesson 3 —" (any case)
    rf"^\s*(?i:(?:{_WORDS})\s+(?:\d+|{_ROMAN}|{_ROMAN.lower()})(?!\w))"
    # "2. x", "2) x", "2: x", "2.3 x", "2.3. x": a number and its mark
    r"|^\s*(?:\d+(?:\.\d+)+\.?|\d+[.):])(?=\s|$)"
    # "II. x", "iv) x": a Roman numeral and its mark
    rf"|^\s*(?=[IVXLCDMivxlcdm])(?:{_ROMAN}[.):]|{_ROMAN.lower()}[.)])(?=\s|$)"
    # "第3章" and the like
    r"|^\s*第\s*\d+",
)


def has_own_number(title: str) -> bool:
    """Whether `title` already starts with a chapter number of its own."""
    return bool(_OWN_NUMBER.match(title))


def numbered(index: int, title: str) -> str:
    """"`index`. `title`", or `title` alone when it already carries a number."""
    return title if has_own_number(title) else f"{index}. {title}"


_LIST_MARK = re.compile(r"^(\s*\d+)([.)])(?=\s|$)")


def markdown_line(label: str) -> str:
    """`label` for a Markdown line: a leading "2." or "2)" escaped, so it shows as written
    instead of starting a numbered list."""
    return _LIST_MARK.sub(r"\1\\\2", label)
