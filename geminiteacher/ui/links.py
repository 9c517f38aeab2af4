"""The Links box: web pages, PDFs and YouTube videos by their address, one per line, each
listed with its kind or its problem in one line."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geminiteacher.errors import GeminiTeacherError, describe
from geminiteacher.ingest.convert import read_link
from geminiteacher.ingest.links import is_link
from geminiteacher.ingest.media import LABELS
from geminiteacher.models import MediaPart, SourcePart

MAX_LINKS = 20  # per course, so one pasted list cannot keep the page fetching for long
KINDS = {"html": "web page", "pdf": "PDF", "txt": "text", "md": "Markdown"}


@st.cache_data(max_entries=64, ttl=600, show_spinner="Reading your links…")
def fetched(url: str) -> tuple[list[SourcePart], list[MediaPart]]:
    """One link's material, kept ten minutes so reruns do not fetch it again (a failure
    raises, so it is not kept: the next rerun tries again)."""
    return read_link(url)


def links() -> tuple[list[SourcePart], list[MediaPart], list[str]]:
    """The box, and what its links hold: text parts, media parts, and one line per problem."""
    text = st.text_area(
        "Links", key="links", height=80,
        placeholder="https://… one per line: web pages, PDFs, YouTube videos",
        help="Web pages, PDFs and text files are fetched (public addresses only, within the "
             "file size limit); YouTube videos are read by Gemini itself.",
    )
    lines = list(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))
    problems = [f"Only the first {MAX_LINKS} links are read; make a second course for the "
                "rest."] if len(lines) > MAX_LINKS else []
    parts: list[SourcePart] = []
    media: list[MediaPart] = []
    rows = []
    for line in lines[:MAX_LINKS]:
        url = line if is_link(line) else f"https://{line}"
        try:
            text_parts, media_parts = fetched(url)
        except GeminiTeacherError as exc:
            problems.append(describe(exc))
            continue
        parts += text_parts
        media += media_parts
        first = (text_parts or media_parts)[0]
        kind = (LABELS["youtube"] if isinstance(first, MediaPart) and first.kind == "youtube"
                else KINDS.get(getattr(first, "kind", ""), "document"))
        rows.append({"Link": url, "Kind": kind, "Read as": first.name})
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config={
            "Link": st.column_config.LinkColumn("Link", width=160),
            "Kind": st.column_config.TextColumn("Kind", width=80),
            "Read as": st.column_config.TextColumn("Read as", width=140),
        })
    return parts, media, problems
