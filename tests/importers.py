"""The rules the exports' importers read them by, written small and strict for the tests.

- `read_gift`: the GIFT grammar Moodle documents (comments, `$CATEGORY:`, `::title::`, an
  optional `[format]`, `{=right ~wrong ####feedback}`, backslash escapes), refusing any
  reserved character left unescaped.
- `read_anki_csv`: Anki's text import (as its `csv/metadata.rs` reads files): every line at
  the top that starts with `#` is a header (`#key:value`, keys and separator names in any
  case), `#columns:` is one record in the chosen separator, and a later record that starts
  with `#` is skipped as a comment.
- `moodle_category`: Moodle's `split_category_path` (a single `/` splits, `//` is a slash,
  each name trimmed).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

GIFT_ESCAPABLE = "~=#{}:\\"
GIFT_FORMATS = ("html", "plain", "moodle", "markdown")
ANKI_SEPARATORS = {"comma": ",", "semicolon": ";", "tab": "\t", "space": " ", "pipe": "|",
                   "colon": ":"}


class GiftError(ValueError):
    """The text breaks the GIFT grammar."""


@dataclass
class GiftText:
    format: str
    text: str


@dataclass
class GiftQuestion:
    category: str
    title: str
    text: GiftText
    answers: list[tuple[bool, GiftText]] = field(default_factory=list)
    feedback: GiftText | None = None


def moodle_category(path: str) -> list[str]:
    """The category names Moodle reads from a category path."""
    return [name.replace("//", "/").strip() for name in re.split(r"(?<!/)/(?!/)", path)]


def read_gift(text: str) -> list[GiftQuestion]:
    """Every question of a GIFT file, each with the category it is under."""
    questions: list[GiftQuestion] = []
    category = ""
    for block in re.split(r"\n[ \t]*\n", text.strip()):
        lines = [line for line in block.split("\n") if not line.lstrip().startswith("//")]
        if not lines:
            continue
        if lines[0].startswith("$CATEGORY:"):
            if len(lines) != 1:
                raise GiftError(f"a category is one line: {block!r}")
            category = lines[0][len("$CATEGORY:"):].strip()
            continue
        questions.append(_question("\n".join(lines), category))
    return questions


def _question(block: str, category: str) -> GiftQuestion:
    if not block.startswith("::"):
        raise GiftError(f"a question opens with its ::title:: {block[:60]!r}")
    title, at = _read(block, 2, ":")
    if not block.startswith("::", at):
        raise GiftError(f"the title is not closed: {block[:60]!r}")
    stem, at = _read(block, at + 2, "{")
    if at >= len(block):
        raise GiftError(f"no answers: {block[:60]!r}")
    question = GiftQuestion(category, title.strip(), _formatted(stem))
    at += 1
    while True:
        while at < len(block) and block[at].isspace():
            at += 1
        if at >= len(block):
            raise GiftError("the answers are not closed with }")
        mark = block[at]
        if mark == "}":
            break
        if block.startswith("####", at):
            if question.feedback is not None:
                raise GiftError("two general feedbacks")
            body, at = _read(block, at + 4, "}")
            question.feedback = _formatted(body)
        elif mark in "=~":
            body, at = _read(block, at + 1, "=~#}")
            question.answers.append((mark == "=", _formatted(body)))
        else:
            raise GiftError(f"unexpected {mark!r} among the answers")
    if block[at + 1:].strip():
        raise GiftError(f"text after the closing brace: {block[at + 1:]!r}")
    return question


def _read(block: str, at: int, stops: str) -> tuple[str, int]:
    """Text from `at` to the first unescaped character in `stops`, unescaped; a reserved
    character anywhere else is an error."""
    out = []
    while at < len(block):
        char = block[at]
        if char == "\\":
            following = block[at + 1:at + 2]
            if following == "n":
                out.append("\n")
            elif following and following in GIFT_ESCAPABLE:
                out.append(following)
            else:
                raise GiftError(f"a backslash before {following!r}")
            at += 2
            continue
        if char in stops:
            return "".join(out), at
        if char in GIFT_ESCAPABLE:
            raise GiftError(f"{char!r} left unescaped in {block[max(0, at - 30):at + 30]!r}")
        out.append(char)
        at += 1
    return "".join(out), at


def _formatted(text: str) -> GiftText:
    text = text.strip()
    found = re.match(r"\[(\w+)\]", text)
    if found and found.group(1) in GIFT_FORMATS:
        return GiftText(found.group(1), text[found.end():].strip())
    return GiftText("moodle", text)


def read_anki_csv(data: bytes) -> tuple[dict[str, str], list[list[str]]]:
    """The file headers and the note rows, as Anki's importer reads them; AssertionError for
    what Anki would misread (a record taken for a comment, a row of the wrong width)."""
    text = data.decode("utf-8")
    headers: dict[str, str] = {}
    lines = text.split("\n")
    while lines and lines[0].startswith("#"):
        key, colon, value = lines.pop(0)[1:].partition(":")
        if colon:
            headers[key.strip().lower()] = value
    named = headers.get("separator", "")
    separator = ANKI_SEPARATORS.get(named.strip().lower(), named if len(named) == 1 else None)
    assert separator, f"no #separator header: {headers}"
    columns = next(csv.reader([headers["columns"]], delimiter=separator))
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=separator)
    rows = []
    starts = [0]
    for row in reader:
        first_line = lines[starts[-1]] if starts[-1] < len(lines) else ""
        starts.append(reader.line_num)
        assert not first_line.startswith("#"), f"Anki skips this record as a comment: {row}"
        assert len(row) == len(columns), f"{len(row)} fields, not {len(columns)}: {row}"
        rows.append(row)
    return headers, rows
