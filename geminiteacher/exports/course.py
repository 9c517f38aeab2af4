"""What every export reads: a course as the store saved it, read once.

Every text is read through `strip_controls`, so no export receives a character its format
cannot hold (XML 1.0 refuses control characters outright: one from a model or a document
would break the Word, Moodle XML and SCORM files).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from geminiteacher.course.store import CourseStore, safe_name
from geminiteacher.exports.words import words_for
from geminiteacher.models import ChapterContent
from geminiteacher.text.controls import strip_controls
from geminiteacher.text.languages import language_code

T = TypeVar("T")


@dataclass
class ExportChapter:
    """One chapter of the outline: its number, title, status and, once done, its content."""

    index: int
    title: str
    status: str
    content: ChapterContent | None = None


@dataclass
class ExportCourse:
    """A course folder's title, note, chapters, summary and files, for the exports."""

    path: Path
    title: str
    note: str = ""
    chapters: list[ExportChapter] = field(default_factory=list)
    summary: str = ""
    files: list[str] = field(default_factory=list)
    language: str = "English"

    @property
    def done(self) -> list[ChapterContent]:
        """The finished chapters in order (a partly finished course exports these)."""
        return [c.content for c in self.chapters if c.content is not None]

    @property
    def words(self) -> dict[str, str]:
        """The exports' own words in the course language."""
        return words_for(self.language)

    @property
    def lang(self) -> str:
        """The course language's code, for `<html lang>` (English when untranslated)."""
        return language_code(self.language)

    @property
    def file_stem(self) -> str:
        """The file-safe title the export files are named after."""
        return safe_name(self.title)


def load_course(path: str | Path) -> ExportCourse:
    """The course in folder `path`, finished or not, as the store saved it."""
    store = CourseStore.open(path)
    manifest = store.manifest()
    chapters = [ExportChapter(entry["index"], entry["title"], entry["status"], content)
                for entry, content in store.read_chapters()]
    language = (manifest.get("settings") or {}).get("language") or "English"
    return ExportCourse(store.path, cleaned(manifest.get("title") or store.path.name),
                        cleaned(manifest.get("note", "")), cleaned(chapters),
                        cleaned(store.summary_text()), store.course_files(), language)


def cleaned(value: T) -> T:
    """`value` with every string in it (through lists, tuples and dataclasses) stripped of
    the characters no export format can hold."""
    if isinstance(value, str):
        return strip_controls(value)  # type: ignore[return-value]
    if isinstance(value, (list, tuple)):
        return type(value)(cleaned(item) for item in value)  # type: ignore[return-value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: cleaned(getattr(value, f.name))
                                             for f in dataclasses.fields(value) if f.init})
    return value
