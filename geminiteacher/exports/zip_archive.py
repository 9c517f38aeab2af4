"""The course folder as a zip: chapter files and their data, summary, index and manifest.

The manifest goes in without its owner token (`store.shareable_manifest`): the zip is
handed on, the token opens, resumes and regenerates the course on the server.
"""

from __future__ import annotations

import io
import zipfile

from geminiteacher.course.store import MANIFEST, shareable_manifest
from geminiteacher.exports.course import ExportCourse

SUFFIX = ".zip"
MIME = "application/zip"


def render(course: ExportCourse) -> bytes:
    """The course's own files, in one folder named like the course folder."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in course.files:
            target = f"{course.path.name}/{name}"
            if name == MANIFEST:
                archive.writestr(target, shareable_manifest(course.path / name))
            else:
                archive.write(course.path / name, target)
    return buffer.getvalue()
