"""The chapters themselves, rendered from their files as they land."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from geminiteacher.ui.markdown import safe_markdown


@st.cache_data(max_entries=2000, show_spinner=False)
def read_text(path: str, mtime_ns: int) -> str:
    """A file's text, cached by (path, mtime) so unchanged chapters are not re-read."""
    return Path(path).read_text(encoding="utf-8")


def file_text(path: Path) -> str | None:
    try:
        return read_text(str(path), path.stat().st_mtime_ns)
    except OSError:
        return None


def chapters_view(path: Path, manifest: dict[str, Any]) -> None:
    """The finished chapters, rendered from their files as they land (safely: see
    `geminiteacher.ui.markdown`); failures with reasons."""
    for chapter in manifest.get("chapters", []):
        label = f"{chapter['index']}. {chapter['title']}"
        if chapter["status"] == "failed":
            st.error(f"{label} failed: {chapter.get('last_error') or 'no reason recorded'}")
            continue
        text = file_text(path / chapter["file"]) if chapter.get("file") else None
        if text is None:
            continue
        with st.expander(label):
            st.markdown(safe_markdown(text.partition("\n")[2]))
    summary = file_text(path / manifest["summary_file"]) if manifest.get("summary_file") else None
    if summary:
        with st.expander("Course summary"):
            st.markdown(safe_markdown(summary.partition("\n")[2]))
