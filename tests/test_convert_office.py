"""Word and PowerPoint conversion: headings, lists, tables, code, slides and speaker notes."""

from __future__ import annotations

import io

import docx
import pptx
import pytest
from pptx.util import Inches

from geminiteacher.errors import ConversionError
from geminiteacher.ingest.convert import convert_bytes


def saved(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def word_markdown() -> str:
    document = docx.Document()
    document.add_heading("Cell Biology", 0)
    document.add_heading("Membranes", 1)
    document.add_paragraph("A membrane separates the cell from its surroundings.")
    document.add_paragraph("Lipids", style="List Bullet")
    document.add_paragraph("Phospholipids", style="List Bullet 2")
    document.add_paragraph("Proteins", style="List Bullet")
    document.add_heading("Transport", 2)
    document.add_paragraph("Diffusion", style="List Number")
    document.add_paragraph("Osmosis", style="List Number")
    table = document.add_table(rows=3, cols=2)
    for row, values in enumerate([["Process", "Energy"], ["Diffusion", "none"],
                                  ["Pump", "ATP"]]):
        for column, value in enumerate(values):
            table.cell(row, column).text = value
    document.add_paragraph("Text after the table.")
    for line in ("def rate(area, gradient):", "    return area * gradient"):
        document.add_paragraph().add_run(line).font.name = "Courier New"
    document.add_heading("Further reading", 3)
    return convert_bytes(saved(document), "cells.docx").markdown


def test_docx_heading_styles_become_markdown_headings(word_markdown):
    headings = [line for line in word_markdown.splitlines() if line.startswith("#")]
    assert headings == ["# Cell Biology", "# Membranes", "## Transport", "### Further reading"]


def test_docx_bullet_and_numbered_lists_keep_their_levels(word_markdown):
    assert "- Lipids\n   - Phospholipids\n- Proteins" in word_markdown
    assert "1. Diffusion\n2. Osmosis" in word_markdown


def test_docx_table_is_a_markdown_table_in_its_place(word_markdown):
    table = "| Process | Energy |\n| --- | --- |\n| Diffusion | none |\n| Pump | ATP |"
    assert table in word_markdown
    assert word_markdown.index("2. Osmosis") < word_markdown.index(table)
    assert word_markdown.index(table) < word_markdown.index("Text after the table.")


def test_docx_monospace_paragraphs_become_a_code_block(word_markdown):
    assert "```\ndef rate(area, gradient):\n    return area * gradient\n```" in word_markdown


def test_docx_reports_its_kind_and_words():
    document = docx.Document()
    document.add_paragraph("one two three")
    part = convert_bytes(saved(document), "short.docx")
    assert (part.kind, part.words, part.pages) == ("docx", 3, None)


def test_docx_with_no_text_is_refused():
    with pytest.raises(ConversionError, match=r"blank\.docx: no text found .*upload"):
        convert_bytes(saved(docx.Document()), "blank.docx")


@pytest.fixture(scope="module")
def deck() -> bytes:
    presentation = pptx.Presentation()
    cover = presentation.slides.add_slide(presentation.slide_layouts[0])
    cover.shapes.title.text = "Photosynthesis"
    cover.placeholders[1].text = "An introduction"
    content = presentation.slides.add_slide(presentation.slide_layouts[1])
    content.shapes.title.text = "Two stages"
    body = content.placeholders[1].text_frame
    body.text = "Light reactions"
    detail = body.add_paragraph()
    detail.text = "Happen in the thylakoids"
    detail.level = 1
    body.add_paragraph().text = "Calvin cycle"
    content.notes_slide.notes_text_frame.text = "Ask who has seen a leaf under a microscope."
    blank = presentation.slides.add_slide(presentation.slide_layouts[6])
    blank.shapes.add_textbox(Inches(1), Inches(1), Inches(4), Inches(1)).text_frame.text = (
        "Inputs and outputs"
    )
    grid = blank.shapes.add_table(2, 2, Inches(1), Inches(3), Inches(4), Inches(1)).table
    for (row, column), value in zip([(0, 0), (0, 1), (1, 0), (1, 1)],
                                    ["In", "Out", "CO2 and water", "Sugar and oxygen"],
                                    strict=True):
        grid.cell(row, column).text = value
    return saved(presentation)


def test_pptx_each_slide_is_a_section_titled_by_the_slide(deck):
    part = convert_bytes(deck, "leaf.pptx")
    headings = [line for line in part.markdown.splitlines() if line.startswith("#")]
    assert headings == ["## Photosynthesis", "## Two stages", "## Slide 3"]
    assert (part.kind, part.pages) == ("pptx", 3)


def test_pptx_bullets_keep_their_indentation(deck):
    markdown = convert_bytes(deck, "leaf.pptx").markdown
    assert "- Light reactions\n   - Happen in the thylakoids\n- Calvin cycle" in markdown
    assert "An introduction" in markdown


def test_pptx_speaker_notes_are_a_quoted_block(deck):
    markdown = convert_bytes(deck, "leaf.pptx").markdown
    assert "> Ask who has seen a leaf under a microscope." in markdown
    assert markdown.index("Calvin cycle") < markdown.index("> Ask who")


def test_pptx_text_boxes_and_tables_are_kept(deck):
    markdown = convert_bytes(deck, "leaf.pptx").markdown
    assert "Inputs and outputs" in markdown
    assert "| In | Out |\n| --- | --- |\n| CO2 and water | Sugar and oxygen |" in markdown
