"""The one safe path for text on the page: everything from course content or user input.

Chapter text, quiz and sources come from a model steered by the documents, titles and file
names from whoever typed them, so any of them may hold Markdown or HTML that would make the
visitor's browser fetch a remote address (`![](https://site/?q=secret)`, a reference-style
image, `<img src=...>`, `style="background:url(...)"`). Two functions render them:

- `safe_markdown` for bodies: images become plain links (nothing is fetched until clicked),
  raw HTML shows as text, code is left as written, and headings move down so a chapter's
  sections sit below the chapter's own title. The result is parsed again as Streamlit would
  parse it; should any image or HTML remain, every image and tag opener is escaped outright.
- `safe_label` for one-line places (expander labels, headers, captions, alerts, radio
  labels): the text shown exactly as typed, with no Markdown at all.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from urllib.parse import quote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

HEADING_SHIFT = 2  # "# x" renders as h3, "## Summary" as h4
LABEL_LIMIT = 300  # characters of a label; the rest is cut with "…"
_PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])  # GFM, as Streamlit
_FETCHING = {"image", "html_inline", "html_block"}  # tokens a browser may fetch from
_HEADING = re.compile(r"^(\s{0,3})(#{1,6})(?=\s|$)")
# In text outside code: an escaped character, a backtick run (a code span opens), an image
# opener, or "<" starting an HTML tag, comment or declaration (an autolink has a ":").
_INLINE = re.compile(r"\\.|(`+)|(!+)\[(\]?)|<(?=[A-Za-z][A-Za-z0-9-]*(?:[\s/>]|$)|[/!?])",
                     re.DOTALL)
# What can start Markdown, HTML or an icon; "_" inside a word (max_chapters) cannot.
_MARKUP = re.compile(r"([\\`*\[\]<>~$|#&]|:(?=\S)|(?<![^\W_])_|_(?![^\W_]))")
_BLOCK_START = re.compile(r"^([-+=>]|\d{1,9}(?=[.)]))")  # a list, quote or heading at the start
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]+")


def _tokens(tokens: list[Token]) -> Iterator[Token]:
    """Every token, its inline children included."""
    for token in tokens:
        yield token
        yield from _tokens(token.children or [])


def _fetches(text: str) -> bool:
    """Whether `text`, parsed as Streamlit parses Markdown, holds an image or raw HTML."""
    return any(t.type in _FETCHING for t in _tokens(_PARSER.parse(text)))


def _code_span_end(text: str, start: int, ticks: str) -> int:
    """Where the code span opened by `ticks` at `start` ends, or -1 when it never closes."""
    closing = re.compile(rf"(?<!`){ticks}(?!`)")
    found = closing.search(text, start + len(ticks))
    return found.end() if found else -1


def _neutralised(text: str) -> str:
    """`text` (no code blocks in it) with images as links and HTML openers escaped; code
    spans left as written."""
    out: list[str] = []
    pos = 0
    while (match := _INLINE.search(text, pos)) is not None:
        out.append(text[pos:match.start()])
        ticks, bangs, empty_alt = match.groups()
        if ticks:
            end = _code_span_end(text, match.start(), ticks)
            out.append(text[match.start():end] if end >= 0 else ticks)
            pos = end if end >= 0 else match.end()
            continue
        if bangs:  # "![a](u)" -> "[Image: a](u)"; earlier "!"s escaped so none opens an image
            out.append("\\!" * (len(bangs) - 1) + ("[Image: image]" if empty_alt else "[Image: "))
        else:
            out.append("\\<" if match.group(0) == "<" else match.group(0))
        pos = match.end()
    out.append(text[pos:])
    return "".join(out)


def _demoted(line: str) -> str:
    return _HEADING.sub(lambda m: m.group(1) + "#" * min(6, len(m.group(2)) + HEADING_SHIFT),
                        line)


def safe_markdown(text: str) -> str:
    """`text` to render with `st.markdown` (or any element that renders Markdown): images as
    links, raw HTML as text, headings two levels down; code blocks and spans as written."""
    lines = text.splitlines()
    # Each line's block: code spans never cross one, so each block is neutralised on its own.
    blocks: list[object] = [("line", n) for n in range(len(lines))]
    for token in _PARSER.parse(text):
        if not token.map:
            continue
        if token.type in ("fence", "code_block"):
            blocks[token.map[0]:token.map[1]] = [None] * (token.map[1] - token.map[0])
        elif token.type == "inline":
            blocks[token.map[0]:token.map[1]] = [tuple(token.map)] * (token.map[1] - token.map[0])
        elif token.type == "heading_open" and token.markup.startswith("#"):
            lines[token.map[0]] = _demoted(lines[token.map[0]])
    out: list[str] = []
    for block, numbers in itertools.groupby(range(len(lines)), key=blocks.__getitem__):
        chunk = "\n".join(lines[n] for n in numbers)
        out.append(chunk if block is None else _neutralised(chunk))
    safe = "\n".join(out)
    if _fetches(safe):  # the scan above misjudged something: escape every opener outright
        safe = "\n".join(lines).replace("![", "!\\[").replace("<", "\\<")
    return safe


def plain_text(text: object, limit: int = LABEL_LIMIT) -> str:
    """`text` on one line: whitespace and control characters as single spaces, cut to
    `limit` characters. For places that show text as is (tables, select boxes)."""
    line = _SPACE_OR_CONTROL.sub(" ", str(text)).strip()
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def safe_label(text: object, limit: int = LABEL_LIMIT) -> str:
    """`text` as a one-line label shown exactly as typed: every character that could start
    Markdown or HTML escaped, so no link, image, icon, colour or formatting comes from it."""
    escaped = _MARKUP.sub(r"\\\1", plain_text(text, limit))
    return _BLOCK_START.sub(lambda m: m.group(1) + "\\" if m.group(1)[0].isdigit()
                            else "\\" + m.group(1), escaped)


def markdown_link(label: object, url: str | None) -> str:
    """`label` as a one-line label (see `safe_label`) linking to `url`, when that is an
    http(s) address: its characters outside a URL's own are %-escaped, so neither the
    label nor the address can close the link early or add markup. No link otherwise."""
    text = safe_label(label)
    if not url or urlsplit(url).scheme not in ("http", "https"):
        return text
    return f"[{text}]({quote(url, safe=':/?=&%#@+,;~.-_')})"
