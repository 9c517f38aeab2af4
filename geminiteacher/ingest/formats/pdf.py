"""PDF → Markdown with pypdfium2.

PDFium gives each page's text with the spaces it infers from glyph gaps and a line
break per visual line. From there: line boxes come from the first and last glyph of
each line; lines repeated at the top or bottom of many pages (running headers,
footers) and bare page numbers are dropped; lines are re-flowed into paragraphs
using vertical gaps, font size, indents and short lines; words split by a
line-break hyphen are rejoined; bookmarks become `#` headings where their titles
appear (or where they point); without bookmarks, short lines set clearly larger
than the body text become headings. Runs of lines set in a monospaced font are code:
they become fenced blocks that keep their line breaks and indents, and never headings.
No tables are guessed. Each heading's section keeps the pages it spans.

Every step is linear in the text: each page's text is drawn from the budget as it is read
(pages can repeat shared content), and a paragraph keeps its running left and right edges
instead of measuring all its lines again for each line it gains.
"""

from __future__ import annotations

import ctypes
import heapq
import math
import re
import threading
from bisect import bisect_left
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import accumulate

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from geminiteacher.errors import ConversionError, NoTextError
from geminiteacher.ingest.budget import Budget
from geminiteacher.ingest.formats import markdown as md

# PDFium is not thread-safe, even across documents: every call into it holds this lock.
# It is the module's one piece of process-wide state.
PDFIUM_LOCK = threading.Lock()
SCANNED_CHARS_PER_PAGE = 5  # fewer text characters per page than this: no text layer
_EDGE_LINES = 2  # how many lines at the top and at the bottom may be page furniture
_HEADING_RATIO = 1.15  # a line this much taller than body text may be a heading
_MAX_HEADING_CHARS = 150
_MAX_TITLE_CHARS = 500  # a bookmark title is cut here: no heading is longer
_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st",
                            "ﬆ": "st"})
_HYPHEN_MARKS = re.compile("[\ufffe\u00ad\x02](?=\\w)")  # PDFium's marks for soft hyphens
_LINE_END_HYPHENS = str.maketrans(dict.fromkeys("\ufffe\u00ad\x02", "-"))
_LINE = re.compile(r"[^\r\n]+")
_LEADERS = re.compile(r"(?:\s?\.){4,}\s?")  # the dots of a table of contents
_FIXED_PITCH = 1  # the PDF font descriptor flag of monospaced fonts
_MONOSPACED_NAME = re.compile(r"courier|mono|nimbusmon|monaco|lettergothic|cmtt|consol|menlo|"
                              r"typewriter|inconsolata|"
                              r"fixed|sourcecode|firacode|lucidatypewriter|\btt\d", re.IGNORECASE)
_CODE_GAP = 2.5  # more empty lines' worth of space than this ends a code block
_ROMAN = r"(?=[ivxlcdm])m{0,3}(cm|cd|d?c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})"
_PAGE_NUMBER = re.compile(
    rf"^[-–—(\[]?\s*(page\s+|p\.\s*)?(\d{{1,4}}|{_ROMAN})(\s*(/|of)\s*\d{{1,4}})?\s*[-–—)\]]?$",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^([•◦▪▫■□●○‣⁃∙·➢►▸–—*-])\s+")
_NUMBERED = re.compile(r"^\(?\d{1,3}[.)]\s+")
_TERMINAL = tuple('.!?:;"”’)»。！？')
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")  # two UTF-16 units each in PDFium's count
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
    mono: bool = False
    page: int = 0  # 1-based


@dataclass
class _Code:
    """Consecutive monospaced lines: a code example, kept line by line."""

    lines: list[_Line]

    def text(self) -> str:
        """The lines with the indents their left edges imply (in character widths)."""
        left = min(line.left for line in self.lines)
        widths = [(line.right - line.left) / len(line.text) for line in self.lines
                  if len(line.text) > 3]
        width = sorted(widths)[len(widths) // 2] if widths else 0.0
        if width <= 0:
            return "\n".join(line.text for line in self.lines)
        return "\n".join(" " * round((line.left - left) / width) + line.text
                         for line in self.lines)


@dataclass
class _Heading:
    level: int
    title: str
    page: int = 0


@dataclass
class _Paragraph:
    """Lines re-flowed into one paragraph, with the left and right edges of all of them."""

    lines: list[_Line] = field(default_factory=list)
    left: float = math.inf
    right: float = -math.inf

    def __post_init__(self) -> None:
        for line in self.lines:
            self.left, self.right = min(self.left, line.left), max(self.right, line.right)

    def add(self, line: _Line) -> None:
        self.lines.append(line)
        self.left, self.right = min(self.left, line.left), max(self.right, line.right)

    @property
    def height(self) -> float:
        return max(line.height for line in self.lines)

    def text(self) -> str:
        parts = [self.lines[0].text]
        for line in self.lines[1:]:
            parts[-1], between = _join(parts[-1], line.text)
            parts += [between, line.text]
        return "".join(parts)


def to_markdown(data: bytes, name: str,
                budget: Budget) -> tuple[str, int, dict[str, tuple[int, int]]]:
    """Convert PDF bytes to Markdown; also returns the page count and, per heading, the
    first and last page (1-based) of its section. Each page's text draws on `budget`."""
    with PDFIUM_LOCK:
        document = _open(data, name)
        try:
            pages = [_page_lines(document, index, budget) for index in range(len(document))]
            marks = _bookmarks(document)
        finally:
            document.close()
    if not pages:
        raise ConversionError(name, "this PDF has no pages; export or download it again")
    chars = sum(len(line.text) - line.text.count(" ") for page in pages for line in page)
    if chars < SCANNED_CHARS_PER_PAGE * max(len(pages), 1):
        raise NoTextError(
            name, "this PDF has no text layer (it looks scanned or made of images); "
            "let Gemini read it (a Gemini API key, --read auto), or run OCR on it first "
            "(for example with ocrmypdf) and upload the result"
        )
    _mark_furniture(pages)
    flow = _place_headings(pages, marks)
    markdown, sections = _render(flow, bookmarked=bool(marks))
    return markdown, len(pages), sections


def page_count(data: bytes, name: str) -> int:
    """How many pages the PDF has (ConversionError when it cannot be opened)."""
    with PDFIUM_LOCK:
        document = _open(data, name)
        try:
            return len(document)
        finally:
            document.close()


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


def _page_lines(document: pdfium.PdfDocument, index: int, budget: Budget) -> list[_Line]:
    """The page's visual lines in content order, each with its box in PDF units."""
    page = document[index]
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range()
        budget.spend(len(text))
        wide = _ASTRAL.search(text) is not None
        # PDFium counts UTF-16 units; Python counts code points
        offsets = [0, *accumulate(2 if ord(ch) > 0xFFFF else 1 for ch in text)] if wide else None
        lines: list[_Line] = []
        fonts: dict[int, bool] = {}
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
            # first, middle and last glyph: prose that opens and ends with inline code is not code
            middle = pdfium_c.FPDFText_GetCharIndexFromTextIndex(textpage, (first + last) // 2)
            mono = (start is not None and end is not None
                    and all(_monospaced(textpage, char, fonts)
                            for char in (int(start[5]), middle, int(end[5])) if char >= 0))
            clean = _HYPHEN_MARKS.sub("", stripped.translate(_LIGATURES))
            if mono:  # code: its spacing is meaningful, and its hyphens are not line breaks
                clean = clean.rstrip()
            else:
                clean = md.squeeze(_LEADERS.sub(" ", clean.translate(_LINE_END_HYPHENS))).strip()
            if not clean:
                continue
            if start is None or end is None:  # no glyph box: keep the previous line's place
                previous = lines[-1] if lines else _Line("", 0.0, 0.0, 0.0, 0.0, 1.0)
                lines.append(_Line(clean, previous.left, previous.right, previous.top,
                                   previous.bottom, previous.height, page=index + 1))
                continue
            lines.append(_Line(clean, left=start[0], right=end[2], top=max(start[3], end[3]),
                               bottom=min(start[1], end[1]), height=max(start[4], 1.0),
                               mono=bool(mono), page=index + 1))
        return lines
    finally:
        textpage.close()
        page.close()


def _glyph(textpage: pdfium.PdfTextPage, text_index: int) -> tuple[float, ...] | None:
    """(left, bottom, right, top, type size, char index) of the glyph behind a text index."""
    char = pdfium_c.FPDFText_GetCharIndexFromTextIndex(textpage, text_index)
    if char < 0:
        return None
    try:
        box = textpage.get_charbox(char, loose=True)
    except pdfium.PdfiumError:
        return None
    size = pdfium_c.FPDFText_GetFontSize(textpage, char)
    return (*box, size if size > 1 else box[3] - box[1], char)


def _monospaced(textpage: pdfium.PdfTextPage, char: int, fonts: dict[int, bool]) -> bool:
    """Whether the glyph's font is fixed-pitch (by its descriptor flag or its name);
    `fonts` remembers the answer per font of the page."""
    font = pdfium_c.FPDFTextObj_GetFont(pdfium_c.FPDFText_GetTextObject(textpage, char))
    key = ctypes.cast(font, ctypes.c_void_p).value or 0
    if key not in fonts:
        flags = ctypes.c_int(0)
        name = ctypes.create_string_buffer(128)
        pdfium_c.FPDFText_GetFontInfo(textpage, char, name, len(name), ctypes.byref(flags))
        fonts[key] = bool(flags.value & _FIXED_PITCH) or bool(
            _MONOSPACED_NAME.search(name.value.decode("latin-1"))
        )
    return fonts[key]


def _bookmarks(document: pdfium.PdfDocument) -> dict[int, list[tuple[int, str, float | None]]]:
    """Page index → [(level, title, y or None)] in outline order."""
    marks: dict[int, list[tuple[int, str, float | None]]] = {}
    for bookmark in document.get_toc(max_depth=6):
        title = md.inline(bookmark.get_title()[:_MAX_TITLE_CHARS])
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
        body = [line for line in lines if not line.furniture]
        flow.append(_placed(body, marks[index], index + 1) if index in marks else body)
    return flow


def _placed(lines: list[_Line], marks, page: int) -> list[_Line | _Heading]:
    """`lines` with a heading per bookmark, in outline order: each heading replaces the lines
    that spell its title, else goes where its bookmark points (or after the previous one).

    Linear in lines and bookmarks: titles are looked up in an index of the lines, and each
    search starts after the heading placed before it.
    """
    finder = _TitleFinder(lines)
    inserted: defaultdict[int, list[_Heading]] = defaultdict(list)  # headings before line i
    replaced: dict[int, tuple[int, _Heading]] = {}  # lines i..j replaced by a heading
    start = 0
    for level, title, y in marks:
        found = finder.find(title, start)
        if found:  # keep the wording on the page, which may carry a section number
            first, last = found
            shown = " ".join(line.text for line in lines[first : last + 1])
            replaced[first] = (last, _Heading(level, shown, page))
            start = last + 1
            continue
        at = start
        if y is not None:
            at = next((i for i in range(start, len(lines)) if lines[i].top <= y + 1),
                      len(lines))
        inserted[at].append(_Heading(level, title, page))
        start = at
    items: list[_Line | _Heading] = []
    i = 0
    while i <= len(lines):
        items.extend(inserted.get(i, ()))
        if i in replaced:
            last, heading = replaced[i]
            items.append(heading)
            i = last + 1
            continue
        if i < len(lines):
            items.append(lines[i])
        i += 1
    return items


class _TitleFinder:
    """Finds the run of lines (a title may wrap) that spells a bookmark's title.

    Lines are indexed by their words and by their words without a leading number, so a
    title is matched against only the lines that could start it. Code lines never match.
    """

    def __init__(self, lines: list[_Line]) -> None:
        self.words = [_words(line.text) for line in lines]
        self.mono = [line.mono for line in lines]
        self.exact: defaultdict[str, list[int]] = defaultdict(list)
        self.unnumbered: defaultdict[str, list[int]] = defaultdict(list)
        for i, words in enumerate(self.words):
            if words and not lines[i].mono:
                self.exact[words].append(i)
                self.unnumbered[_unnumbered(words)].append(i)

    def find(self, title: str, start: int) -> tuple[int, int] | None:
        want = _words(title)
        if not want:
            return None
        parts = want.split(" ")
        found = [self.exact.get(" ".join(parts[:n]), []) for n in range(1, len(parts) + 1)]
        found.append(self.unnumbered.get(_unnumbered(want), []))
        heap = [(positions[k], n, k) for n, positions in enumerate(found)
                if (k := bisect_left(positions, start)) < len(positions)]
        heapq.heapify(heap)
        while heap:
            i, n, k = heapq.heappop(heap)
            run = self._run(i, want)
            if run:
                return run
            if k + 1 < len(found[n]):
                heapq.heappush(heap, (found[n][k + 1], n, k + 1))
        return None

    def _run(self, i: int, want: str) -> tuple[int, int] | None:
        got, j = self.words[i], i
        while (got and got != want and want.startswith(got) and j + 1 < len(self.words)
               and not self.mono[j + 1]):
            j += 1
            got = f"{got} {self.words[j]}".strip()
        if got and (got == want or _unnumbered(got) == _unnumbered(want)):
            return i, j
        return None


def _words(text: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", text.lower()).split())


def _unnumbered(words: str) -> str:
    return re.sub(r"^(chapter |section |part )?[\d ]+", "", words) or words


def _render(flow, *, bookmarked: bool) -> tuple[str, dict[str, tuple[int, int]]]:
    blocks: list[_Paragraph | _Code | _Heading] = []
    current: _Paragraph | _Code | None = None
    for items in flow:
        for position, item in enumerate(items):
            if isinstance(item, _Heading):
                blocks.append(item)
                current = None
                continue
            if item.mono:
                if not (isinstance(current, _Code) and _code_continues(current, item, position)):
                    current = _Code([])
                    blocks.append(current)
                current.lines.append(item)
                continue
            follows = _continues if position else _continues_on_next_page
            if isinstance(current, _Paragraph) and follows(current, item):
                current.add(item)
            else:
                current = _Paragraph([item])
                blocks.append(current)
    levels = {} if bookmarked else _heading_sizes(blocks)
    out = []
    sections = _Sections()
    for block in blocks:
        if isinstance(block, _Heading):
            out.append(md.heading(block.level, block.title))
            sections.open(block.level, out[-1], block.page)
            continue
        if isinstance(block, _Code):
            out.append(md.fence(block.text()))
        else:
            text = block.text()
            level = levels.get(_size(block.height)) if _heading_like(block, text) else None
            if level:
                out.append(md.heading(level, text))
                sections.open(level, out[-1], block.lines[0].page)
                continue
            out.append(md.prose(_BULLET.sub("- ", text, count=1)))
        sections.reach(block.lines[-1].page)
    return md.join_blocks(out), sections.spans


class _Sections:
    """The pages each heading's section spans: from the heading's page to the last page of
    text before the next heading of its level or higher. A repeated heading keeps its first."""

    def __init__(self) -> None:
        self.spans: dict[str, tuple[int, int]] = {}
        self._open: list[tuple[int, str]] = []  # (level, heading) of sections still growing

    def open(self, level: int, line: str, page: int) -> None:
        while self._open and self._open[-1][0] >= level:
            self._open.pop()
        title = line.lstrip("#").strip()
        if title and title not in self.spans:
            self.spans[title] = (page, page)
            self._open.append((level, title))

    def reach(self, page: int) -> None:
        for _, title in self._open:
            self.spans[title] = (self.spans[title][0], page)


def _code_continues(code: _Code, line: _Line, position: int) -> bool:
    """Whether a monospaced line carries on the code block before it: the next line below
    (blank lines inside the example allowed), or the top of the next page."""
    if not position:
        return True
    last = code.lines[-1]
    return line.top <= last.top and last.bottom - line.top <= _CODE_GAP * last.height


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
    right = max(paragraph.right, line.right)
    left = min(paragraph.left, line.left)
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


def _join(left: str, right: str) -> tuple[str, str]:
    """How two re-flowed lines meet: `left` as kept, and what goes between it and `right`."""
    if left.endswith("-") and left[-2:-1].isalpha() and right[:1].islower():
        return left[:-1], ""  # a word hyphenated at the line break
    if _CJK.match(left[-1:]) and _CJK.match(right[:1]):
        return left, ""
    return left, " "


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
