"""The course's downloads: the zip, and an export in the format chosen beside it; each built
only when clicked, from whatever chapters are finished."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

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


def download(path: Path, fmt: str, label: str, icon: str) -> None:
    """A button that builds format `fmt` of the course in `path` when clicked, named as the
    exports name it (the folder's name is the course's file-safe title)."""
    st.download_button(label, data=lambda: export_bytes(path, fmt),
                       file_name=file_name(ExportCourse(path, path.name), fmt),
                       mime=exporter(fmt).MIME, on_click="ignore", icon=icon,
                       key=f"{fmt}-{path.name}", wrap=True)


def downloads(path: Path) -> None:
    """*Download zip*, then a format choice and its download button (in the row they are
    drawn in)."""
    download(path, "zip", "Download zip", ":material/folder_zip:")
    fmt = st.selectbox("Export format", list(EXPORTS), format_func=EXPORTS.__getitem__,
                       key=f"format-{path.name}", width=230)
    download(path, fmt, f"Download {EXPORTS[fmt]}", ":material/download:")
