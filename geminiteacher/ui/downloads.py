"""The course's downloads: the zip, and an export in the format chosen beside it; each built
only when clicked, from whatever chapters are finished."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from geminiteacher.exports import ExportCourse, export_bytes, exporter, file_name

EXPORTS = {
    "html": "HTML page",
    "docx": "Word (.docx)",
    "scorm": "SCORM 1.2 package",
    "moodle": "Moodle XML questions",
    "gift": "GIFT questions",
    "csv": "Flashcards (CSV)",
    "markdown": "Markdown (one file)",
}


def download(where: DeltaGenerator, path: Path, fmt: str, label: str, icon: str) -> None:
    """A button that builds format `fmt` of the course in `path` when clicked, named as the
    exports name it (the folder's name is the course's file-safe title)."""
    where.download_button(label, data=lambda: export_bytes(path, fmt),
                          file_name=file_name(ExportCourse(path, path.name), fmt),
                          mime=exporter(fmt).MIME, on_click="ignore", icon=icon,
                          key=f"{fmt}-{path.name}", width="stretch", wrap=True)


def downloads(path: Path) -> None:
    """*Download zip*, then a format choice and its download button."""
    left, middle, right = st.columns(3, vertical_alignment="bottom")
    download(left, path, "zip", "Download zip", ":material/folder_zip:")
    fmt = middle.selectbox("Export format", list(EXPORTS), format_func=EXPORTS.__getitem__,
                           key=f"format-{path.name}")
    download(right, path, fmt, f"Download {EXPORTS[fmt]}", ":material/download:")
