"""PPTX → Markdown with python-pptx: a `##` section per slide, bullets, tables, pictures,
speaker notes.

A slide the presentation lists more than once is read once, so a deck's text is never larger
than the slides it holds.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

import pptx
from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.oxml.ns import qn

from geminiteacher.ingest.budget import Budget
from geminiteacher.ingest.formats import markdown as md
from geminiteacher.ingest.formats.pictures import Pictures

_TITLES = {PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE, PP_PLACEHOLDER.VERTICAL_TITLE}
_FURNITURE = {PP_PLACEHOLDER.DATE, PP_PLACEHOLDER.FOOTER, PP_PLACEHOLDER.SLIDE_NUMBER,
              PP_PLACEHOLDER.HEADER}
_BULLETED = {PP_PLACEHOLDER.BODY, PP_PLACEHOLDER.OBJECT, PP_PLACEHOLDER.VERTICAL_BODY,
             PP_PLACEHOLDER.VERTICAL_OBJECT}


def to_markdown(data: bytes, budget: Budget,
                pictures: Pictures | None = None) -> tuple[str, int]:
    """Convert a .pptx file's bytes to Markdown; also returns the number of slides. Tables
    draw on `budget`. With `pictures`, the slides' pictures are kept there and marked where
    they stand."""
    deck = pptx.Presentation(io.BytesIO(data))
    blocks: list[str] = []
    count = 0
    read: set[str] = set()
    for slide in deck.slides:
        if slide.part.partname in read:
            continue
        read.add(slide.part.partname)
        count += 1
        title = slide.shapes.title.text if slide.shapes.title is not None else ""
        blocks.append(md.heading(2, title) or f"## Slide {count}")
        blocks.extend(_shapes(slide.shapes, budget, pictures))
        notes = _notes(slide)
        if notes:
            blocks.append("\n".join(["> **Notes:**", *(f"> {line}" for line in notes)]))
    return md.join_blocks(blocks), count


def _shapes(shapes: Iterable, budget: Budget, pictures: Pictures | None) -> list[str]:
    """Blocks of every shape but the title, top-to-bottom then left-to-right."""
    blocks: list[str] = []
    for shape in sorted(shapes, key=lambda s: (s.top or 0, s.left or 0)):
        kind = shape.placeholder_format.type if shape.is_placeholder else None
        if kind in _TITLES or kind in _FURNITURE:
            continue
        if getattr(shape, "shapes", None) is not None:  # a group
            blocks.extend(_shapes(shape.shapes, budget, pictures))
        elif getattr(shape, "has_table", False) and shape.has_table:
            rows = [[cell.text for cell in row.cells] for row in shape.table.rows]
            blocks.append(md.table(rows, budget))
        elif pictures is not None and hasattr(type(shape), "image"):  # a picture (placeholder)
            blocks.append(_picture(shape, pictures) or "")
        elif shape.has_text_frame:
            blocks.append(_text_frame(shape.text_frame, bulleted=kind in _BULLETED))
    return blocks


def _picture(shape, pictures: Pictures) -> str | None:
    """The marker of a picture shape kept for the model (None when left out or linked)."""
    try:
        blob = shape.image.blob
    except (AttributeError, KeyError, ValueError):  # linked, empty placeholder, broken part
        return None
    described = shape._element.find(f".//{qn('p:cNvPr')}")
    alt = "" if described is None else described.get("descr") or described.get("title") or ""
    return pictures.add(blob, alt)


def _text_frame(frame, *, bulleted: bool) -> str:
    lines: list[str] = []
    numbers: dict[int, int] = {}
    for paragraph in frame.paragraphs:
        text = md.inline(paragraph.text)
        if not text:
            continue
        level = paragraph.level
        ppr = paragraph._p.pPr
        marks = {child.tag for child in ppr} if ppr is not None else set()
        for deeper in [lvl for lvl in numbers if lvl > level]:
            del numbers[deeper]
        if qn("a:buAutoNum") in marks:
            numbers[level] = numbers.get(level, 0) + 1
            lines.append(f"{'   ' * level}{numbers[level]}. {text}")
        elif qn("a:buChar") in marks or (bulleted and qn("a:buNone") not in marks):
            lines.append(f"{'   ' * level}- {text}")
        else:
            lines.append(f"\n{md.prose(text)}\n")
    return "\n".join(lines).strip()


def _notes(slide) -> list[str]:
    if not slide.has_notes_slide:
        return []
    frame = slide.notes_slide.notes_text_frame
    text = frame.text if frame is not None else ""
    return [line.strip() for line in text.splitlines() if line.strip()]
