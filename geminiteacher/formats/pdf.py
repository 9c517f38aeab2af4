"""PDF → Markdown with pypdfium2.

PDFium gives each page's text with the spaces it infers from glyph gaps and a line
break per visual line. From there: line boxes come from the first and last glyph of
each line; lines repeated at the top or bottom of many pages (running headers,
footers) and bare page numbers are dropped; lines are re-flowed into paragraphs
using vertical gaps, font size, indents and short lines; words split by a
line-break hyphen are rejoined; bookmarks become `#` headings where their titles
appear (or where they point); without bookmarks, short lines set clearly larger
than the body text become headings. No tables are guessed.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from itertools import accumulate

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from geminiteacher.errors import ConversionError
from geminiteacher.formats import markdown as md

# PDFium is not thread-safe, even across documents: every call into it holds this lock.
# It is the module's one piece of process-wide state.
PDFIUM_LOCK = threading.Lock()
SCANNED_CHARS_PER_PAGE = 5  # fewer text characters per page than this: no text layer
_EDGE_LINES = 2  # how many lines at the top and at the bottom may be page furniture
_HEADING_RATIO = 1.15  # a line this much taller than body text may be a heading
_MAX_HEADING_CHARS = 150
_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st",
                            "ﬆ": "st"})
_HYPHEN_MARKS = re.compile("[\ufffe\u00ad\x02](?=\\w)")  # PDFium's marks for soft hyphens
_LINE_END_HYPHENS = str.maketrans(dict.fromkeys("\ufffe\u00ad\x02", "-"))
_LINE = re.compile(r"[^\r\n]+")
_LEADERS = re.compile(r"(?:\s?\.){4,}\s?")  # the dots of a table of contents
_ROMAN = r"(?=[ivxlcdm])m{0,3}(cm|cd|d?c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})"
_PAGE_NUMBER = re.compile(
    rf"^[-–—(\[]?\s*(page\s+|p\.\s*)?(\d{{1,4}}|{_ROMAN})(\s*(/|of)\s*\d{{1,4}})?\s*[-–—)\]]?$",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^([•◦▪▫■□●○‣⁃∙·➢►▸–—*-])\s+")
_NUMBERED = re.compile(r"^\(?\d{1,3}[.)]\s+")
_TERMINAL = tuple('.!?:;"”’)»。！？')
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


@dataclass
class _Line:
    """One visual line: its text, its box, and the type size of its first glyph."""

    text: str
    left: float
    right: float
    top: float
    bottom: float
    height: float
    furniture: bool = False


@dataclass
class _Heading:
    level: int
    title: str


@dataclass
class _Paragraph:
    lines: list[_Line] = field(default_factory=list)

    @property
    def height(self) -> float:
        return max(line.height for line in self.lines)

    def text(self) -> str:
        out = self.lines[0].text
        for line in self.lines[1:]:
            out = _join(out, line.text)
        return out


def to_markdown(data: bytes, name: str) -> tuple[str, int]:
    """Convert PDF bytes to Markdown; also returns the page count."""
    with PDFIUM_LOCK:
        document = _open(data, name)
        try:
            pages = [_page_lines(document, index) for index in range(len(document))]
            marks = _bookmarks(document)
        finally:
            document.close()
    if not pages:
        raise ConversionError(name, "this PDF has no pages; export or download it again")
    chars = sum(len(line.text) - line.text.count(" ") for page in pages for line in page)
    if chars < SCANNED_CHARS_PER_PAGE * max(len(pages), 1):
        raise ConversionError(
            name, "this PDF has no text layer (it looks scanned or made of images); "
            "run OCR on it first (for example with ocrmypdf) and upload the result"
        )
    _mark_furniture(pages)
    flow = _place_headings(pages, marks)
    return _render(flow, bookmarked=bool(marks)), len(pages)


def _open(data: bytes, name: str) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        code = getattr(error, "err_code", None)
        if code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            problem = ("this PDF is encrypted with a password; open it, remove the password "
                       "(or print it to a new PDF) and upload that copy")
        elif b"%%EOF" not in data[-2048:]:
            problem = "this PDF is cut short (truncated); download or export it again"
        else:
            problem = "this PDF is damaged and cannot be read; export or download it again"
        raise ConversionError(name, problem) from None


def _page_lines(document: pdfium.PdfDocument, index: int) -> list[_Line]:
    """The page's visual lines in content order, each with its box in PDF units."""
    page = document[index]
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range()
        wide = any(ord(ch) > 0xFFFF for ch in text)
        # PDFium counts UTF-16 units; Python counts code points
        offsets = [0, *accumulate(2 if ord(ch) > 0xFFFF else 1 for ch in text)] if wide else None
        lines: list[_Line] = []
        for found in _LINE.finditer(text):
            raw = found.group()
            stripped = raw.strip()
            if not stripped:
                continue
            first = found.start() + len(raw) - len(raw.lstrip())
            last = found.end() - 1 - (len(raw) - len(raw.rstrip()))
            if offsets:
                first, last = offsets[first], offsets[last]
            start, end = _glyph(textpage, first), _glyph(textpage, last)
            clean = _HYPHEN_MARKS.sub("", stripped.translate(_LIGATURES))
            clean = md.squeeze(_LEADERS.sub(" ", clean.translate(_LINE_END_HYPHENS))).strip()
            if not clean:
                continue
            if start is None or end is None:  # no glyph box: keep the previous line's place
                previous = lines[-1] if lines else _Line("", 0.0, 0.0, 0.0, 0.0, 1.0)
                lines.append(_Line(clean, previous.left, previous.right, previous.top,
                                   previous.bottom, previous.height))
                continue
            lines.append(_Line(clean, left=start[0], right=end[2], top=max(start[3], end[3]),
                               bottom=min(start[1], end[1]), height=max(start[4], 1.0)))
        return lines
    finally:
        textpage.close()
        page.close()


def _glyph(textpage: pdfium.PdfTextPage, text_index: int) -> tuple[float, ...] | None:
    """(left, bottom, right, top, type size) of the glyph behind a text index, if it has one."""
    char = pdfium_c.FPDFText_GetCharIndexFromTextIndex(textpage, text_index)
    if char < 0:
        return None
    try:
        box = textpage.get_charbox(char, loose=True)
    except pdfium.PdfiumError:
        return None
    size = pdfium_c.FPDFText_GetFontSize(textpage, char)
    return (*box, size if size > 1 else box[3] - box[1])


def _bookmarks(document: pdfium.PdfDocument) -> dict[int, list[tuple[int, str, float | None]]]:
    """Page index → [(level, title, y or None)] in outline order."""
    marks: dict[int, list[tuple[int, str, float | None]]] = {}
    for bookmark in document.get_toc(max_depth=6):
        title = md.inline(bookmark.get_title())
        dest = bookmark.get_dest()
        if dest is None:
            action = pdfium_c.FPDFBookmark_GetAction(bookmark)
            raw = pdfium_c.FPDFAction_GetDest(document, action) if action else None
            dest = pdfium.PdfDest(raw, document) if raw else None
        page = dest.get_index() if dest is not None else None
        if not title or page is None:
            continue
        mode, view = dest.get_view()
        y = None
        if mode == pdfium_c.PDFDEST_VIEW_XYZ and len(view) >= 2:
            y = view[1]
        elif mode in (pdfium_c.PDFDEST_VIEW_FITH, pdfium_c.PDFDEST_VIEW_FITBH) and view:
            y = view[0]
        marks.setdefault(page, []).append((bookmark.level + 1, title, y or None))
    return marks


def _mark_furniture(pages: list[list[_Line]]) -> None:
    """Flag running headers and footers and bare page numbers.

    A header or footer sits near the top or bottom edge, set apart from the body by
    some space, at the same height on several pages, and either repeats the same text
    or carries the page number (a number that rises with the page, whatever the text
    around it, so chapter names in headers go too). It is never set larger than the
    body text, which keeps titles such as `Chapter 3` at the top of each page.
    """
    needed = max(2, min(3, math.ceil(len(pages) / 2)))
    largest = _body_size([line for lines in pages for line in lines]) * 1.05
    stacks = []  # (edge, page index, lines from that edge inwards)
    for index, lines in enumerate(pages):
        order = sorted(lines, key=lambda line: -line.top)
        stacks.append(("top", index, order[: _EDGE_LINES + 1]))
        stacks.append(("bottom", index, order[::-1][: _EDGE_LINES + 1]))
    counts = Counter(key for edge, index, stack in stacks for line in stack[:_EDGE_LINES]
                     for key in _furniture_keys(edge, index, line))
    for edge, index, stack in stacks:
        run = []
        for line in stack[:_EDGE_LINES]:
            keys = _furniture_keys(edge, index, line)
            if not _PAGE_NUMBER.match(line.text) and (
                max(map(counts.get, keys)) < needed or line.height > largest
            ):
                break
            run.append(line)
        while run and len(run) < len(stack) and _distance(run[-1], stack[len(run)]) < 0.8 * max(
            run[-1].height, stack[len(run)].height
        ):
            run.pop()  # not set apart from the body: it is body text
        for line in run:
            line.furniture = True
        for line in stack[:_EDGE_LINES]:
            line.furniture = line.furniture or bool(_PAGE_NUMBER.match(line.text))


def _furniture_keys(edge: str, index: int, line: _Line) -> list[tuple]:
    """What a header line has in common with its twins on other pages: its text and height,
    or the offset between a number at its start or end and the page index."""
    place = (edge, round(line.top))
    keys: list[tuple] = [(*place, " ".join(line.text.lower().split()))]
    numbers = re.findall(r"\d+", line.text)
    if numbers:
        keys.append((*place, "first", int(numbers[0]) - index))
        keys.append((*place, "last", int(numbers[-1]) - index))
    return keys


def _distance(one: _Line, other: _Line) -> float:
    """Empty vertical space between two line boxes."""
    return max(one.bottom - other.top, other.bottom - one.top)


def _place_headings(pages, marks) -> list[list[_Line | _Heading]]:
    """Each page's body lines, with a heading per bookmark put where its title appears."""
    flow = []
    for index, lines in enumerate(pages):
        items: list[_Line | _Heading] = [line for line in lines if not line.furniture]
        for level, title, y in marks.get(index, []):
            start = max((i + 1 for i, item in enumerate(items) if isinstance(item, _Heading)),
                        default=0)
            found = _find_title(items, start, title)
            if found:  # keep the wording on the page, which may carry a section number
                shown = " ".join(line.text for line in items[found[0] : found[1] + 1])
                items[found[0] : found[1] + 1] = [_Heading(level, shown)]
                continue
            at = start
            if y is not None:
                at = next((i for i in range(start, len(items)) if items[i].top <= y + 1),
                          len(items))
            items.insert(at, _Heading(level, title))
        flow.append(items)
    return flow


def _find_title(items, start: int, title: str) -> tuple[int, int] | None:
    """The run of lines (a title may wrap) from `start` on that spells `title`."""
    want = _words(title)
    if not want:
        return None
    for i in range(start, len(items)):
        if not isinstance(items[i], _Line):
            continue
        got, j = _words(items[i].text), i
        while (got and got != want and want.startswith(got) and j + 1 < len(items)
               and isinstance(items[j + 1], _Line)):
            j += 1
            got = f"{got} {_words(items[j].text)}".strip()
        if got == want or _unnumbered(got) == _unnumbered(want):
            return i, j
    return None


def _words(text: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", text.lower()).split())


def _unnumbered(words: str) -> str:
    return re.sub(r"^(chapter |section |part )?[\d ]+", "", words) or words


def _render(flow, *, bookmarked: bool) -> str:
    blocks: list[_Paragraph | _Heading] = []
    current: _Paragraph | None = None
    for items in flow:
        for position, item in enumerate(items):
            if isinstance(item, _Heading):
                blocks.append(item)
                current = None
                continue
            follows = _continues if position else _continues_on_next_page
            if current is not None and follows(current, item):
                current.lines.append(item)
            else:
                current = _Paragraph([item])
                blocks.append(current)
    levels = {} if bookmarked else _heading_sizes(blocks)
    out = []
    for block in blocks:
        if isinstance(block, _Heading):
            out.append(md.heading(block.level, block.title))
            continue
        text = block.text()
        level = levels.get(_size(block.height)) if _heading_like(block, text) else None
        if level:
            out.append(md.heading(level, text))
        else:
            out.append(_BULLET.sub("- ", text, count=1))
    return md.join_blocks(out)


def _continues(paragraph: _Paragraph | None, line: _Line) -> bool:
    """Whether `line` carries on the paragraph it follows on the same page."""
    if paragraph is None or _BULLET.match(line.text) or _NUMBERED.match(line.text):
        return False
    last = paragraph.lines[-1]
    height = max(last.height, line.height)
    if abs(last.height - line.height) > 0.2 * height:
        return False  # the font size changed: a heading, a caption, a footnote
    if abs(last.bottom - line.bottom) < 0.3 * height and line.left >= last.right:
        return True  # the same visual line, split by PDFium
    if line.top > last.top or last.bottom - line.top > 0.7 * height:
        return False  # moved up (a new column) or a blank line's worth of space
    right = max(max(each.right for each in paragraph.lines), line.right)
    left = min(min(each.left for each in paragraph.lines), line.left)
    short = right - last.right
    if short > 0.35 * (right - left):
        return False
    ended = last.text.endswith(_TERMINAL)
    return not (ended and (short > 2 * height or line.left > last.left + 1.5 * height))


def _continues_on_next_page(paragraph: _Paragraph | None, line: _Line) -> bool:
    """A sentence cut by a page break: no full stop before it, a lower-case word after it."""
    if paragraph is None:
        return False
    last = paragraph.lines[-1]
    same_size = abs(last.height - line.height) <= 0.2 * max(last.height, line.height)
    return same_size and not last.text.endswith(_TERMINAL) and line.text[:1].islower()


def _join(left: str, right: str) -> str:
    if left.endswith("-") and left[-2:-1].isalpha() and right[:1].islower():
        return left[:-1] + right  # a word hyphenated at the line break
    if _CJK.match(left[-1:]) and _CJK.match(right[:1]):
        return left + right
    return f"{left} {right}"


def _size(height: float) -> float:
    return round(height * 2) / 2


def _heading_like(paragraph: _Paragraph, text: str) -> bool:
    return (len(paragraph.lines) <= 2 and len(text) <= _MAX_HEADING_CHARS
            and not text.endswith((".", ",", ";")) and any(ch.isalpha() for ch in text))


def _body_size(lines: list[_Line]) -> float:
    """The type size most of the text is set in."""
    weights: Counter[float] = Counter()
    for line in lines:
        weights[_size(line.height)] += len(line.text)
    return weights.most_common(1)[0][0] if weights else 0.0


def _heading_sizes(blocks) -> dict[float, int]:
    """Font sizes clearly above the body text's, largest first → heading levels 1..3."""
    body = _body_size([line for block in blocks if isinstance(block, _Paragraph)
                       for line in block.lines])
    sizes = set()
    for block in blocks:
        if isinstance(block, _Paragraph) and _heading_like(block, block.text()):
            size = _size(block.height)
            if size >= body * _HEADING_RATIO:
                sizes.add(size)
    return {size: min(rank, 3) for rank, size in enumerate(sorted(sizes, reverse=True), start=1)}
