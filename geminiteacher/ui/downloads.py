"""The course's downloads: the zip and the one-file Markdown, built only when clicked."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from geminiteacher.exports import export_bytes


def downloads(path: Path) -> None:
    """Zip and single-file downloads, built only when clicked."""
    left, right = st.columns(2)
    left.download_button("Download zip", data=lambda: export_bytes(path, "zip"),
                         file_name=f"{path.name}.zip", mime="application/zip", on_click="ignore",
                         icon=":material/folder_zip:", key=f"zip-{path.name}", width="stretch")
    right.download_button("Download as one Markdown file",
                          data=lambda: export_bytes(path, "markdown"), file_name=f"{path.name}.md",
                          mime="text/markdown", on_click="ignore", icon=":material/description:",
                          key=f"md-{path.name}", width="stretch")
