"""Every export opens in the parser made for it and holds the course, quizzes and sources."""

from __future__ import annotations

import io
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from html import escape, unescape
from html.parser import HTMLParser
from pathlib import Path

import docx
import pytest

from geminiteacher.backends.offline import OfflineEngine
from geminiteacher.course.store import CourseStore
from geminiteacher.errors import SettingsError
from geminiteacher.exports import FORMATS, export_bytes, export_course, load_course
from geminiteacher.exports.gift import escape as gift_escape
from geminiteacher.models import ChapterContent, CourseSettings, Event, EventKind, Source
from tests.export_helpers import MATERIAL, offline_course
from tests.importers import read_anki_csv, read_gift

ROOT = Path(__file__).resolve().parents[1]
CP = "{http://www.imsproject.org/xsd/imscp_rootv1p1p2}"
ADLCP = "{http://www.adlnet.org/xsd/adlcp_rootv1p2}"


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    return offline_course(tmp_path_factory.mktemp("out"))


def quizzes(path: Path) -> list[ChapterContent]:
    return [c for c in load_course(path).done if c.quiz]


def all_questions(path: Path):
    return [q for chapter in quizzes(path) for q in chapter.quiz]


def test_the_course_has_quizzes_to_export(course):
    assert len(quizzes(course)) == 4 and all(len(c.quiz) == 3 for c in quizzes(course))


def test_export_course_writes_each_format_into_the_exports_folder(course):
    paths = export_course(course, "html, docx,scorm,moodle,gift,csv")
    names = [p.name for p in paths]
    assert names == [f"Cell_Biology_101{s}" for s in (".html", ".docx", ".scorm.zip",
                                                      ".moodle.xml", ".gift.txt", ".csv")]
    assert all(p.parent == course / "exports" and p.stat().st_size > 0 for p in paths)


def test_an_unknown_format_is_a_settings_error_naming_it(course):
    with pytest.raises(SettingsError, match="'pdf'"):
        export_course(course, "html,pdf")
    assert not (course / "exports" / "Cell_Biology_101.pdf").exists()


class Collector(HTMLParser):
    """Tags and the text inside them, and any address the page would load by itself."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.loads: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        if (tag in ("img", "script", "iframe") and attrs.get("src")) or \
                (tag == "link" and attrs.get("href")):
            self.loads.append(attrs.get("src") or attrs.get("href"))

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_one_self_contained_page_with_outline_answers_on_demand_and_sources(course):
    page = Collector()
    page.feed(export_bytes(course, "html").decode())
    text = " ".join(page.text)
    assert page.loads == [] and page.tags.count("nav") == 1
    assert page.tags.count("details") == len(all_questions(course))
    assert "cells.md, The membrane" in text and "Course summary" in text
    assert "# count the genes: {braces} and <tags> stay as they are" in text
    assert "table" in page.tags and "Show answer" in text


def test_html_of_a_partly_finished_course_lists_the_missing_chapters(tmp_path):
    store = CourseStore.create(tmp_path, "Half", Source.from_text(MATERIAL),
                               CourseSettings(engine="offline"), OfflineEngine())
    store.set_outline(["One", "Two"])
    store.record(Event(EventKind.DONE, 1, "One", chapter=ChapterContent("One", "S", "E", "X")))
    store.close()
    written = export_course(store.path, list(FORMATS))
    assert len(written) == len(FORMATS)
    page = export_bytes(store.path, "html").decode()
    assert 'href="#chapter-1"' in page and "2. Two (pending)" in page


def test_docx_has_headings_lists_a_table_and_monospace_code(course):
    document = docx.Document(io.BytesIO(export_bytes(course, "docx")))
    styles = [p.style.name for p in document.paragraphs]
    texts = [p.text for p in document.paragraphs]
    assert styles[0] == "Title" and texts[0] == "Cell Biology: 101"
    assert {"Heading 1", "Heading 2", "List Bullet", "List Bullet 2"} <= set(styles)
    assert len(document.tables) >= 1
    assert document.tables[0].cell(1, 0).text == "membrane"
    code = [r for p in document.paragraphs for r in p.runs if r.text.startswith("# count")]
    assert code and code[0].font.name == "Consolas"
    assert texts.count("Quiz") == 4 and any(t.startswith("cells.md, ") for t in texts)


def test_scorm_manifest_lists_one_sco_per_page_and_every_file_is_in_the_package(course):
    package = zipfile.ZipFile(io.BytesIO(export_bytes(course, "scorm")))
    root = ET.fromstring(package.read("imsmanifest.xml"))
    assert root.tag == f"{CP}manifest"
    assert root.find(f"{CP}metadata/{CP}schemaversion").text == "1.2"
    items = root.findall(f"{CP}organizations/{CP}organization/{CP}item")
    resources = {r.get("identifier"): r for r in root.iter(f"{CP}resource")}
    assert len(items) == 5  # the overview and four chapters
    for item in items:
        resource = resources[item.get("identifierref")]
        assert resource.get(f"{ADLCP}scormtype") == "sco"
        for file in resource.iter(f"{CP}file"):
            assert file.get("href") in package.namelist()
    assert b'xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2"' in \
        package.read("imsmanifest.xml")


def test_moodle_xml_has_a_category_per_chapter_and_one_right_answer_per_question(course):
    root = ET.fromstring(export_bytes(course, "moodle"))
    categories = [q for q in root if q.get("type") == "category"]
    questions = [q for q in root if q.get("type") == "multichoice"]
    assert root.tag == "quiz" and len(categories) == 4
    assert categories[0].find("category/text").text.startswith("$course$/top/Cell Biology: 101/1.")
    expected = all_questions(course)
    assert len(questions) == len(expected)
    for element, question in zip(questions, expected, strict=True):
        answers = element.findall("answer")
        assert [a.get("fraction") for a in answers].count("100") == 1
        right = next(a for a in answers if a.get("fraction") == "100")
        assert right.find("text").text == f"<p>{escape(question.correct)}</p>"
        assert element.find("single").text == "true"


def test_gift_follows_the_grammar_with_one_right_answer_per_question(course):
    parsed = read_gift(export_bytes(course, "gift").decode())
    assert all(q.category.startswith("$course$/top/") for q in parsed)
    answers = [[right for right, _ in q.answers] for q in parsed]
    assert all(len(marks) == 4 and marks.count(True) == 1 for marks in answers)
    right = [next(unescape(t.text) for ok, t in q.answers if ok) for q in parsed]
    assert [(unescape(q.text.text), r) for q, r in zip(parsed, right, strict=True)] == [
        (q.question, q.correct) for q in all_questions(course)]


def test_gift_escapes_the_characters_it_reserves():
    assert gift_escape("a=b {c} ~d #e: \\f") == "a\\=b \\{c\\} \\~d \\#e\\: \\\\f"


def test_csv_has_a_front_and_back_row_per_question(course):
    _, rows = read_anki_csv(export_bytes(course, "csv"))
    questions = all_questions(course)
    assert [r[0] for r in rows] == [q.question for q in questions]
    assert all(row[1].startswith(q.correct) for row, q in zip(rows, questions, strict=True))


def run_cli(*args: str):
    return subprocess.run([sys.executable, "-m", "geminiteacher", *args], capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": ""},
                          cwd=ROOT)


def test_the_cli_exports_a_course_to_all_six_formats(tmp_path):
    notes = tmp_path / "cells.md"
    notes.write_text(MATERIAL, encoding="utf-8")
    result = run_cli("--input", str(notes), "--title", "Cells", "--output-dir", str(tmp_path),
                     "--engine", "offline", "--export", "html,docx,scorm,moodle,gift,csv")
    assert result.returncode == 0, result.stderr
    exports = sorted(p.name for p in (tmp_path / "Cells" / "exports").iterdir())
    assert exports == sorted(f"Cells{s}" for s in (".html", ".docx", ".scorm.zip",
                                                   ".moodle.xml", ".gift.txt", ".csv"))


def test_the_cli_refuses_an_unknown_export_format_in_one_line_before_any_work(tmp_path):
    notes = tmp_path / "cells.md"
    notes.write_text(MATERIAL, encoding="utf-8")
    result = run_cli("--input", str(notes), "--output-dir", str(tmp_path / "o"),
                     "--engine", "offline", "--export", "html,pptx")
    assert result.returncode == 2 and not (tmp_path / "o").exists()
    assert result.stderr.strip().splitlines() == [
        "geminiteacher: error: unknown export format 'pptx': choose from html, docx, scorm, "
        "moodle, gift, csv, markdown, zip"]


def test_the_exports_own_words_follow_the_course_language(tmp_path):
    from geminiteacher.exports.words import WORDS

    spanish = WORDS["es"]
    path = offline_course(tmp_path, language="Español")
    page = export_bytes(path, "html").decode("utf-8")
    assert '<html lang="es">' in page
    for word in ("quiz", "show_answer", "outline", "summary", "sources"):
        assert escape(spanish[word]) in page, word
    assert "Show answer" not in page
    headings = {p.text for p in docx.Document(io.BytesIO(export_bytes(path, "docx"))).paragraphs
                if p.style.name.startswith("Heading")}
    assert {spanish["quiz"], spanish["summary"], spanish["outline"]} <= headings
    with zipfile.ZipFile(io.BytesIO(export_bytes(path, "scorm"))) as package:
        pages = [package.read(n).decode("utf-8") for n in package.namelist()
                 if n.endswith(".html")]
    assert any(escape(spanish["check_answers"]) in p and spanish["score"] in p for p in pages)


def test_an_untranslated_course_language_keeps_english_words(tmp_path):
    path = offline_course(tmp_path, language="Klingon")
    page = export_bytes(path, "html").decode("utf-8")
    assert '<html lang="en">' in page and "Show answer" in page
