"""Every export opens under its importer's rules with hostile text inside (control
characters, markup, GIFT's reserved characters, formulas, slashes and line breaks in titles),
and none carries the owner token."""

from __future__ import annotations

import glob
import io
import json
import time
import zipfile
from html import unescape
from pathlib import Path

import docx
import pytest
from lxml import etree

from geminiteacher.course.store import MANIFEST, OWNER
from geminiteacher.engine.runner import run_course
from geminiteacher.exports import FORMATS, export_bytes, load_course
from geminiteacher.exports.flashcards import FORMULA_STARTS
from geminiteacher.models import CourseSettings, Source, SourcePart
from geminiteacher.text.controls import strip_controls
from tests.export_helpers import (
    CHAPTER,
    MATERIAL,
    OPTIONS,
    QUESTION,
    TITLE,
    TOKEN,
    WHY,
    hostile_course,
)
from tests.importers import moodle_category, read_anki_csv, read_gift


def one_line(text: str) -> str:
    return " ".join(strip_controls(text).split())


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    return hostile_course(tmp_path_factory.mktemp("out"))


def questions(path: Path) -> int:
    return sum(len(chapter.quiz) for chapter in load_course(path).done)


def test_the_fixture_holds_hostile_quizzes(course):
    assert questions(course) == 4
    assert json.loads((course / MANIFEST).read_text())[OWNER] == TOKEN


def test_flashcards_carry_anki_headers_and_read_as_two_fields_per_row(course):
    headers, rows = read_anki_csv(export_bytes(course, "csv"))
    assert headers == {"separator": "Comma", "html": "false", "columns": "Front,Back"}
    assert len(rows) == questions(course)
    for front, back in rows:
        assert front == "'" + strip_controls(QUESTION)
        assert back == "'" + strip_controls(OPTIONS[1]) + " — " + strip_controls(WHY)


def test_no_flashcard_cell_can_become_a_spreadsheet_formula(course):
    _, rows = read_anki_csv(export_bytes(course, "csv"))
    cells = [cell for row in rows for cell in row]
    assert cells and not any(cell.startswith(FORMULA_STARTS) for cell in cells)


def test_gift_parses_strictly_with_every_text_marked_html_and_escaped(course):
    parsed = read_gift(export_bytes(course, "gift").decode("utf-8"))
    assert len(parsed) == questions(course)  # the title's "::Injected::" made no question
    for question in parsed:
        assert question.text.format == "html"
        assert unescape(question.text.text) == one_line(QUESTION)
        assert [(right, unescape(text.text)) for right, text in question.answers] == [
            (n == 1, one_line(option)) for n, option in enumerate(OPTIONS)]
        assert all(text.format == "html" for _, text in question.answers)
        assert "<script>" not in question.text.text and "&lt;script&gt;" in question.text.text
        assert question.feedback.format == "html"


def test_gift_categories_split_the_way_moodle_splits_them(course):
    parsed = read_gift(export_bytes(course, "gift").decode("utf-8"))
    for number, question in enumerate(parsed[::2], start=1):
        assert moodle_category(question.category) == [
            "$course$", "top", one_line(TITLE), f"{number}. {one_line(CHAPTER)}"]


def test_moodle_xml_is_well_formed_with_category_paths_moodle_splits_back(course):
    root = etree.fromstring(export_bytes(course, "moodle"))  # strict: no recovery
    paths = [q.findtext("category/text") for q in root if q.get("type") == "category"]
    assert [moodle_category(path) for path in paths] == [
        ["$course$", "top", one_line(TITLE), f"{n}. {one_line(CHAPTER)}"] for n in (1, 2)]
    texts = [q.findtext("questiontext/text") for q in root if q.get("type") == "multichoice"]
    assert len(texts) == questions(course)
    for text in texts:
        assert text.startswith("<p>&lt;") is False and "<script>" not in text
        assert unescape(text.removeprefix("<p>").removesuffix("</p>")) == strip_controls(
            QUESTION)


def test_scorm_manifest_and_pages_are_well_formed_without_control_characters(course):
    package = zipfile.ZipFile(io.BytesIO(export_bytes(course, "scorm")))
    manifest = etree.fromstring(package.read("imsmanifest.xml"))
    titles = [element.text for element in manifest.iter("{*}title")]
    assert strip_controls(TITLE) in titles
    for name in package.namelist():
        text = package.read(name).decode("utf-8")
        assert not any(ch in text for ch in "\x01\x02\x1f"), name
        assert "<script>alert(1)" not in text, name


def test_the_word_export_opens_with_the_hostile_text_in_it(course):
    document = docx.Document(io.BytesIO(export_bytes(course, "docx")))
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert "<script>alert(1)</script>" in text and "\x01" not in text


def test_the_html_page_shows_markup_as_text(course):
    page = export_bytes(course, "html").decode("utf-8")
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert "\x01" not in page


def test_the_zip_and_every_export_carry_no_owner_token(course):
    for name in FORMATS:
        data = export_bytes(course, name)
        if name in ("zip", "scorm", "docx"):
            package = zipfile.ZipFile(io.BytesIO(data))
            data = b"".join(package.read(entry) for entry in package.namelist())
        assert TOKEN.encode() not in data, name
    package = zipfile.ZipFile(io.BytesIO(export_bytes(course, "zip")))
    manifest = next(n for n in package.namelist() if n.endswith("/" + MANIFEST))
    saved = json.loads(package.read(manifest))
    assert OWNER not in saved and saved["title"] == TITLE


def test_a_word_export_of_a_60_by_40_table_takes_seconds(tmp_path):
    source = Source([SourcePart("cells.md", MATERIAL)])
    settings = CourseSettings(engine="offline", max_chapters=2, quiz_questions=1)
    path = run_course(source, settings, title="Tables", output_dir=tmp_path).path
    row = "| " + " | ".join(f"c{n}" for n in range(40)) + " |"
    grid = "\n".join([row, "|" + " --- |" * 40, *[row] * 59])
    name = sorted(glob.glob(str(path / "chapter_*.json")))[0]
    data = json.loads(Path(name).read_text(encoding="utf-8"))
    data["explanation"] = "A wide table.\n\n" + grid
    Path(name).write_text(json.dumps(data), encoding="utf-8")
    started = time.perf_counter()
    document = docx.Document(io.BytesIO(export_bytes(path, "docx")))
    assert time.perf_counter() - started < 30  # rebuilding the cell list per cell took 104 s
    table = max(document.tables, key=lambda t: len(t.rows))
    assert (len(table.rows), len(table.columns)) == (60, 40)
    assert table.rows[59].cells[39].text == "c39"
