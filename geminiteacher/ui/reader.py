"""The course reader: a table of contents with each chapter's state, one chapter at a time
(summary, explanation, extension, quiz, sources) with previous and next, and the course
summary. It is redrawn from the store as chapters land and keeps its place in the URL
(`?chapter=`), so a reload or a shared link opens the same chapter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from geminiteacher.models import ChapterStatus
from geminiteacher.text.titles import numbered
from geminiteacher.ui.chapters import chapter_content, chapter_text, file_text
from geminiteacher.ui.markdown import safe_label, safe_markdown
from geminiteacher.ui.quiz import quiz_view, sources_view

PLACE = "chapter"  # the reader's session_state key and query parameter
SUMMARY = "summary"
STATES = {  # chapter status -> its state in the table of contents, in words
    str(ChapterStatus.DONE): "Written", str(ChapterStatus.PENDING): "Waiting",
    str(ChapterStatus.RUNNING): "Being written…", str(ChapterStatus.RETRYING): "Retrying…",
    str(ChapterStatus.FAILED): "Failed", str(ChapterStatus.CANCELLED): "Cancelled",
}
SCROLL_AFTER = 14  # chapters; a longer table of contents scrolls inside its own box


def title_label(entry: dict[str, Any]) -> str:
    """A chapter's title as a label: numbered once and shown exactly as written (no Markdown
    from it, a leading "2." kept as text)."""
    return safe_label(numbered(entry["index"], entry["title"]))


def places(chapters: list[dict[str, Any]], summary: bool) -> list[str]:
    """The reader's places: every chapter by its number, then the course summary."""
    return [str(c["index"]) for c in chapters] + ([SUMMARY] if summary else [])


def go(place: str) -> None:
    """Move the reader and the URL with it (a callback: it runs before the page is drawn)."""
    st.session_state[PLACE] = place
    st.query_params[PLACE] = place


def remember() -> None:
    """Put the place picked in the table of contents into the URL."""
    st.query_params[PLACE] = st.session_state[PLACE]


def start_over() -> None:
    """Open the next course at its beginning (a new course, or another one opened)."""
    st.session_state.pop(PLACE, None)
    st.query_params.pop(PLACE, None)


def contents(chapters: list[dict[str, Any]], options: list[str]) -> str:
    """The table of contents as one radio group; the place chosen. A session starts where
    the URL's `?chapter=` says."""
    by_place = {str(c["index"]): c for c in chapters}
    if st.session_state.get(PLACE) not in options:
        linked = st.query_params.get(PLACE)  # a reload, or a link to a chapter
        st.session_state[PLACE] = linked if linked in options else options[0]
    box = st.container(height=560 if len(options) > SCROLL_AFTER else "content", border=False)
    return box.radio(
        "Contents", options, key=PLACE, on_change=remember,
        format_func=lambda p: title_label(by_place[p]) if p in by_place else "Course summary",
        captions=[STATES.get(by_place[p]["status"], by_place[p]["status"]) if p in by_place
                  else "" for p in options])


def chapter_page(path: Path, entry: dict[str, Any]) -> None:
    """One chapter: its title, then Summary, Explanation and Extension, its quiz and sources;
    a failed chapter's reason; a note while it is still to be written."""
    st.subheader(title_label(entry), anchor=False)
    if entry["status"] == str(ChapterStatus.FAILED):
        reason = safe_label(entry.get("last_error") or "no reason recorded")
        st.error(f"This chapter failed: {reason}", icon=":material/error:")
        return
    chapter = chapter_content(path, entry)
    if chapter is None:
        st.info("This chapter is being written; it appears here as soon as it is done.",
                icon=":material/hourglass_top:")
        return
    if entry["status"] != str(ChapterStatus.DONE):
        st.caption("Being written again; this is the text from before.")
    st.markdown(safe_markdown(chapter_text(chapter)))
    quiz_view(chapter, key=f"{path.name}-{entry['index']}")
    sources_view(chapter)


def summary_page(path: Path, manifest: dict[str, Any]) -> None:
    st.subheader("Course summary", anchor=False)
    text = file_text(path / manifest["summary_file"]) if manifest.get("summary_file") else None
    if text:
        st.markdown(safe_markdown(text.partition("\n")[2]))
    else:
        st.info("The course summary is written once the chapters are done.",
                icon=":material/hourglass_top:")


def neighbours(options: list[str], place: str, labels: dict[str, str]) -> None:
    """*Previous* and *Next* buttons naming the chapter they lead to."""
    at = options.index(place)
    back, forward = st.columns(2)
    if at > 0:
        back.button(f"Previous: {labels[options[at - 1]]}", key="reader-previous",
                    icon=":material/arrow_back:", on_click=go, args=(options[at - 1],),
                    width="stretch")
    if at < len(options) - 1:
        forward.button(f"Next: {labels[options[at + 1]]}", key="reader-next",
                       icon=":material/arrow_forward:", icon_position="right", on_click=go,
                       args=(options[at + 1],), width="stretch", type="primary")


def reader(path: Path, manifest: dict[str, Any]) -> None:
    """The table of contents beside the chapter being read."""
    chapters = manifest.get("chapters", [])
    if not chapters:
        return
    options = places(chapters, bool(manifest.get("summary_file"))
                     or manifest.get("state") in ("summarizing", "done"))
    toc, page = st.columns([1, 2.6], gap="large")
    with toc:
        place = contents(chapters, options)
    labels = {str(c["index"]): title_label(c) for c in chapters} | {SUMMARY: "Course summary"}
    with page:
        with st.container(key="reader-page"):
            if place == SUMMARY:
                summary_page(path, manifest)
            else:
                chapter_page(path, next(c for c in chapters if str(c["index"]) == place))
        neighbours(options, place, labels)
