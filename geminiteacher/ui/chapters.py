"""The chapters themselves, read back from the store as they land (cached by the files'
mtimes, so a rerun re-reads only what changed); `reader` shows them."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import streamlit as st

from geminiteacher.course.store import CourseStore, data_filename
from geminiteacher.models import ChapterContent


@st.cache_data(max_entries=2000, show_spinner=False)
def read_chapter(folder: str, file: str, title: str,
                 stamps: tuple[int | None, int | None]) -> ChapterContent | None:
    """A chapter exactly as the store saved it, cached by its files' mtimes (`stamps`) so a
    rerun re-reads only the chapters that changed."""
    return CourseStore(folder).read_chapter({"file": file, "title": title})


@st.cache_data(max_entries=2000, show_spinner=False)
def read_text(path: str, mtime_ns: int) -> str:
    """A file's text, cached by (path, mtime) so an unchanged summary is not re-read."""
    return Path(path).read_text(encoding="utf-8")


def mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def chapter_content(path: Path, entry: dict[str, Any]) -> ChapterContent | None:
    """The chapter of manifest `entry` as last written (a chapter being rewritten keeps
    showing its old text), or None while it has no files."""
    file = entry.get("file")
    if not file:
        return None
    stamps = (mtime(path / file), mtime(path / data_filename(file)))
    if stamps == (None, None):
        return None
    return read_chapter(str(path), file, entry.get("title") or "", stamps)


def file_text(path: Path) -> str | None:
    try:
        return read_text(str(path), path.stat().st_mtime_ns)
    except OSError:
        return None


def chapter_text(chapter: ChapterContent) -> str:
    """The chapter's Summary, Explanation and Extension as Markdown, without its title line
    (the reader shows it) and without the quiz and sources (shown by their own views)."""
    body = dataclasses.replace(chapter, quiz=[], sources=[])
    return body.to_markdown().partition("\n")[2]
