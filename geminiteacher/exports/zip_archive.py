"""The course folder as a zip: chapter files and their data, summary, index and manifest."""

from __future__ import annotations

import io
import zipfile

from geminiteacher.exports.course import ExportCourse

SUFFIX = ".zip"
MIME = "application/zip"


def render(course: ExportCourse) -> bytes:
    """The course's own files, in one folder named like the course folder."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in course.files:
            archive.write(course.path / name, f"{course.path.name}/{name}")
    return buffer.getvalue()
