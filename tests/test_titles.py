"""Titles once: a chapter title that carries its own number is never numbered again, on the
page, in the CLI, in index.md or in any export."""

from __future__ import annotations

import io
import re
import zipfile

import docx
import pytest

from geminiteacher.backends.offline import OfflineEngine
from geminiteacher.course.store import CourseStore
from geminiteacher.exports import export_bytes
from geminiteacher.models import (
    ChapterContent,
    CourseSettings,
    Event,
    EventKind,
    QuizQuestion,
    Source,
)
from geminiteacher.text.titles import has_own_number, markdown_line, numbered

OWN = ["2. How to use bzip2", "Chapter 2", "chapter 2: Pipes", "II. Streams", "2.3 Pipes",
       "2.3. Pipes", "iv) Odds", "Part II", "Lesson 10 — Review", "3) Tools", "4: Ends"]
PLAIN = ["Introduction", "100 Years of Solitude", "3D printing", "Mixing colours", "I think so",
         "Did: a question", "Chapter", "Unit testing", "2.5D graphics", "I/O", "1984"]


@pytest.mark.parametrize("title", OWN)
def test_a_title_with_its_own_number_keeps_it_alone(title):
    assert has_own_number(title) and numbered(7, title) == title


@pytest.mark.parametrize("title", PLAIN)
def test_a_title_without_a_number_gets_its_index(title):
    assert not has_own_number(title) and numbered(7, title) == f"7. {title}"


def test_a_markdown_line_shows_a_leading_number_as_written():
    assert markdown_line("2. How to use bzip2") == "2\\. How to use bzip2"
    assert markdown_line("2.3 Pipes") == "2.3 Pipes" and markdown_line("Intro") == "Intro"


TITLES = ["1. Getting bzip2", "2. How to use bzip2", "Chapter 3", "Limits"]


@pytest.fixture
def course(tmp_path):
    """A saved course whose first three titles carry their own numbers; the fourth pending."""
    store = CourseStore.create(tmp_path, "Bzip2", Source.from_text("bzip2 compresses files."),
                               CourseSettings(engine="offline"), OfflineEngine())
    store.set_outline(TITLES)
    for i, title in enumerate(TITLES[:3], 1):
        quiz = [QuizQuestion("What does bzip2 do?", ["Compress", "Copy", "Move", "Print"], 0)]
        store.record(Event(EventKind.DONE, i, title, chapter=ChapterContent(
            title, "Sum.", "Expl.", "Ext.", quiz=quiz)))
    store.write_index()
    store.close()
    return store.path


DOUBLED = re.compile(r"\b(\d+)\. (?:\d+\. |Chapter \d)")


def test_index_md_numbers_each_title_once(course):
    index = (course / "index.md").read_text(encoding="utf-8")
    assert "[2. How to use bzip2](" in index and "[Chapter 3](" in index
    assert "- 4\\. Limits (pending)" in index and not DOUBLED.search(index)


@pytest.mark.parametrize("fmt", ["html", "scorm", "moodle", "gift", "markdown"])
def test_text_exports_number_each_title_once(course, fmt):
    data = export_bytes(course, fmt)
    if fmt == "scorm":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            text = "\n".join(archive.read(n).decode() for n in archive.namelist())
    else:
        text = data.decode("utf-8")
    assert "2. How to use bzip2" in text and not DOUBLED.search(text), fmt
    if fmt in ("html", "scorm"):
        assert 'class="chapters"' in text  # the list draws no numbers of its own


def test_word_export_numbers_each_title_once(course):
    document = docx.Document(io.BytesIO(export_bytes(course, "docx")))
    texts = [p.text for p in document.paragraphs]
    assert {"2. How to use bzip2", "Chapter 3", "4. Limits (pending)"} <= set(texts)
    assert not any(DOUBLED.search(t) for t in texts)
