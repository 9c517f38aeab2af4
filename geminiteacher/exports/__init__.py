"""Exports: a course folder, finished or not, in the formats teachers and platforms use.

One module per format, each with `SUFFIX`, `MIME` and `render(course) -> bytes`; all of
them read the course through `load_course` (the store), never the engines.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

from geminiteacher.course.store import EXPORTS, atomic_write
from geminiteacher.errors import SettingsError
from geminiteacher.exports.course import ExportCourse, load_course

FORMATS = {
    "html": "html_page",
    "docx": "word",
    "scorm": "scorm",
    "moodle": "moodle",
    "gift": "gift",
    "csv": "flashcards",
    "markdown": "markdown",
    "zip": "zip_archive",
}


def exporter(name: str) -> ModuleType:
    """The module that writes format `name`; a SettingsError names an unknown one."""
    if name not in FORMATS:
        raise SettingsError(f"unknown export format {name!r}: choose from {', '.join(FORMATS)}")
    return importlib.import_module(f"geminiteacher.exports.{FORMATS[name]}")


def parse_formats(formats: str | Iterable[str]) -> list[str]:
    """Format names from `"html,docx"` or a list, checked, without repeats."""
    names = formats.split(",") if isinstance(formats, str) else list(formats)
    wanted = list(dict.fromkeys(n.strip().lower() for n in names if n.strip()))
    for name in wanted:
        exporter(name)
    return wanted


def file_name(course: ExportCourse, name: str) -> str:
    """`<Course_Title><suffix>`, e.g. `Cell_Biology.scorm.zip`."""
    return course.file_stem + exporter(name).SUFFIX


def export_bytes(path: str | Path, name: str) -> bytes:
    """The course in folder `path` as format `name` (for a download button)."""
    module = exporter(name)
    return module.render(load_course(path))


def export_course(path: str | Path, formats: str | Iterable[str]) -> list[Path]:
    """Write the course in folder `path` to `<path>/exports/<Course_Title>.<suffix>` for
    each format; returns the files written."""
    names = parse_formats(formats)
    course = load_course(path)
    target = course.path / EXPORTS
    target.mkdir(exist_ok=True)
    written = []
    for name in names:
        out = target / file_name(course, name)
        atomic_write(out, exporter(name).render(course))
        written.append(out)
    return written


__all__ = ["FORMATS", "ExportCourse", "export_bytes", "export_course", "load_course",
           "parse_formats"]
