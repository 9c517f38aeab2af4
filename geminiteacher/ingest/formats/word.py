"""DOCX → Markdown with python-docx: headings, lists, tables, code and pictures, in body order.

Tables are read from their XML row by row: a horizontally merged cell (gridSpan, capped at
MAX_SPAN) keeps its text in its first column and a vertically merged one (vMerge) in its
first row, the places it covers stay empty, and the grid is checked against the budget as
it grows.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import docx
from docx.document import Document
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from geminiteacher.ingest.budget import Budget, span
from geminiteacher.ingest.formats import markdown as md
from geminiteacher.ingest.formats.pictures import Pictures

MONOSPACE = frozenset({
    "courier", "courier new", "consolas", "menlo", "monaco", "lucida console",
    "source code pro", "dejavu sans mono", "liberation mono", "cascadia code", "cascadia mono",
    "fira code", "jetbrains mono", "roboto mono", "sf mono", "andale mono", "inconsolata"
})
_HEADING_STYLE = re.compile(r"^heading (\d)$", re.IGNORECASE)
_LIST_STYLE = re.compile(r"^list (bullet|number|continue)?\s*(\d)?$", re.IGNORECASE)
_CODE_STYLE = re.compile(r"code|preformatted|verbatim|listing|macro text", re.IGNORECASE)
_MAX_STYLE_DEPTH = 10


def to_markdown(data: bytes, budget: Budget, pictures: Pictures | None = None) -> str:
    """Convert a .docx file's bytes to Markdown; tables draw on `budget`. With `pictures`,
    the pictures in its body are kept there and marked where they stand."""
    document = docx.Document(io.BytesIO(data))
    return _Writer(document, budget, pictures).render()


class _Writer:
    def __init__(self, document: Document, budget: Budget, pictures: Pictures | None) -> None:
        self.document = document
        self.budget = budget
        self.pictures = pictures
        self.formats = _list_formats(document)
        self.counters: dict[str, list[int]] = {}
        self.blocks: list[str] = []
        self.code: list[str] = []
        self.items: list[str] = []

    def render(self) -> str:
        for block in _body_blocks(self.document.element.body, self.document):
            if isinstance(block, Table):
                self._flush()
                self.blocks.extend(self.table(block))
                self.figures(block._tbl)
            else:
                self.paragraph(block)
                self.figures(block._p)
        self._flush()
        return md.join_blocks(self.blocks)

    def paragraph(self, paragraph: Paragraph) -> None:
        styles = list(_style_chain(paragraph))
        names = [style.name or "" for style in styles]
        if names and names[0].startswith("TOC "):
            return  # a generated table of contents: page numbers, no content
        text = paragraph.text
        if _is_code(paragraph, names):
            self._flush_items()
            self.code.append(text)
            return
        if not text.strip():
            return
        level = _heading_level(paragraph, styles)
        if level:
            self._flush()
            self.blocks.append(md.heading(level, text))
            return
        numbering = _numbering(paragraph, styles)
        if numbering is not None:
            self._flush_code()
            self.items.append(self._item(numbering, md.inline(text)))
            return
        self._flush()
        self.blocks.append(md.prose(md.inline(text)))

    def figures(self, element) -> None:
        """The markers of the pictures drawn inside `element`, each as its own block."""
        if self.pictures is None:
            return
        for blip in element.iter(qn("a:blip")):
            part = self.document.part.related_parts.get(blip.get(qn("r:embed")) or "")
            if part is None or not hasattr(part, "blob"):
                continue  # a linked (remote) picture, or a broken reference
            holder = next(blip.iterancestors(qn("wp:inline"), qn("wp:anchor")), None)
            described = holder.find(qn("wp:docPr")) if holder is not None else None
            alt = "" if described is None else (described.get("descr") or
                                                 described.get("title") or "")
            found = self.pictures.add(part.blob, alt)
            if found:
                self._flush()
                self.blocks.append(found)

    def _item(self, numbering: tuple[str, int, int, bool], text: str) -> str:
        key, level, depth, numbered = numbering
        kind, start = self.formats.get((key, level), ("decimal" if numbered else "bullet", 1))
        counts = self.counters.setdefault(key, [])
        del counts[level + 1 :]
        counts.extend([0] * (level + 1 - len(counts)))
        counts[level] += 1
        marker = "-" if kind in ("bullet", "none") else f"{start + counts[level] - 1}."
        return f"{'   ' * depth}{marker} {text}"

    def table(self, table: Table) -> list[str]:
        grid: list[list[str]] = []
        width = 0
        for row in table._tbl.tr_lst:
            cells: list[str] = []
            for cell in row.tc_lst:
                merged = cell.vMerge == "continue"  # covered by the cell above
                cells.append("" if merged else " ".join(
                    Paragraph(p, table).text for p in cell.p_lst))
                cells.extend([""] * (span(cell.grid_span) - 1))
            grid.append(cells)
            width = max(width, len(cells))
            self.budget.cells(len(grid), width)
        if width <= 1:
            return [md.inline(cell) for row in grid for cell in row]  # a one-column box
        return [md.table(grid, self.budget)]

    def _flush(self) -> None:
        self._flush_items()
        self._flush_code()

    def _flush_items(self) -> None:
        if self.items:
            self.blocks.append("\n".join(self.items))
            self.items = []

    def _flush_code(self) -> None:
        if self.code:
            self.blocks.append(md.fence("\n".join(self.code)))
            self.code = []


def _body_blocks(parent: object, document: Document) -> Iterator[Paragraph | Table]:
    """Paragraphs and tables in document order, looking inside content controls."""
    for element in parent.iterchildren():
        if element.tag == qn("w:p"):
            yield Paragraph(element, document)
        elif element.tag == qn("w:tbl"):
            yield Table(element, document)
        elif element.tag == qn("w:sdt"):
            content = element.find(qn("w:sdtContent"))
            if content is not None:
                yield from _body_blocks(content, document)


def _style_chain(paragraph: Paragraph) -> Iterator:
    style = paragraph.style
    for _ in range(_MAX_STYLE_DEPTH):
        if style is None:
            return
        yield style
        style = style.base_style


def _ppr_values(paragraph: Paragraph, styles: list) -> Iterator:
    """The paragraph's own properties, then each style's, nearest first."""
    yield paragraph._p.pPr
    for style in styles:
        yield style.element.pPr


def _heading_level(paragraph: Paragraph, styles: list) -> int:
    for style in styles:
        name = style.name or ""
        if name.lower() == "title":
            return 1
        found = _HEADING_STYLE.match(name)
        if found:
            return min(int(found.group(1)), 6)
    for ppr in _ppr_values(paragraph, styles):
        outline = ppr.find(qn("w:outlineLvl")) if ppr is not None else None
        if outline is not None:
            value = int(outline.get(qn("w:val"), "9"))
            return min(value + 1, 6) if value < 9 else 0
    return 0


def _numbering(paragraph: Paragraph, styles: list) -> tuple[str, int, int, bool] | None:
    """(list key, numbering level, indent depth, numbered by style name), or None."""
    names = [(style.name or "").strip() for style in styles]
    style_match = next(filter(None, map(_LIST_STYLE.match, names)), None)
    num_id, level = None, None
    for ppr in _ppr_values(paragraph, styles):
        num = ppr.find(qn("w:numPr")) if ppr is not None else None
        if num is None:
            continue
        id_el, lvl_el = num.find(qn("w:numId")), num.find(qn("w:ilvl"))
        if num_id is None and id_el is not None:
            num_id = id_el.get(qn("w:val"))
        if level is None and lvl_el is not None:
            level = min(int(lvl_el.get(qn("w:val"), "0")), 8)
    style_depth = int(style_match.group(2) or 1) - 1 if style_match else 0
    numbered = bool(style_match and (style_match.group(1) or "").lower() == "number")
    if num_id not in (None, "0"):
        return num_id, level or 0, max(level or 0, style_depth), numbered
    if style_match and style_match.group(1) and style_match.group(1).lower() != "continue":
        return names[0], 0, style_depth, numbered
    return None


def _list_formats(document: Document) -> dict[tuple[str, int], tuple[str, int]]:
    """(numId, level) → (numFmt, start) from the numbering part, if there is one."""
    try:
        numbering = document.part.numbering_part.element
    except (KeyError, NotImplementedError):
        return {}
    abstract = {}
    for node in numbering.findall(qn("w:abstractNum")):
        levels = {}
        for lvl in node.findall(qn("w:lvl")):
            fmt = lvl.find(qn("w:numFmt"))
            start = lvl.find(qn("w:start"))
            levels[int(lvl.get(qn("w:ilvl"), "0"))] = (
                fmt.get(qn("w:val"), "decimal") if fmt is not None else "decimal",
                int(start.get(qn("w:val"), "1")) if start is not None else 1,
            )
        abstract[node.get(qn("w:abstractNumId"))] = levels
    formats = {}
    for num in numbering.findall(qn("w:num")):
        ref = num.find(qn("w:abstractNumId"))
        levels = abstract.get(ref.get(qn("w:val")) if ref is not None else None, {})
        for level, value in levels.items():
            formats[(num.get(qn("w:numId")), level)] = value
    return formats


def _is_code(paragraph: Paragraph, names: list[str]) -> bool:
    if any(_CODE_STYLE.search(name) for name in names[:1]):
        return True
    runs = [run for run in paragraph.runs if run.text.strip()]
    if not runs:
        return False
    style_font = paragraph.style.font.name if paragraph.style is not None else None
    return all((run.font.name or style_font or "").lower() in MONOSPACE for run in runs)
