"""The Links box: web pages, PDFs and YouTube videos by their address, one per line, each
listed with its kind or its problem in one line."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd
import streamlit as st

from geminiteacher.errors import GeminiTeacherError, describe
from geminiteacher.ingest.convert import read_link
from geminiteacher.ingest.links import is_link
from geminiteacher.ingest.media import LABELS
from geminiteacher.models import MediaPart, SourcePart

MAX_LINKS = 20  # per course, so one pasted list cannot keep the page fetching for long
KINDS = {"html": "web page", "pdf": "PDF", "txt": "text", "md": "Markdown"}


KEEP_SECONDS = 600.0  # a fetched link is read again after this long
FETCHERS = 4  # links fetched at once


def fetched(urls: list[str], kept: dict[str, tuple[float, Any]]
            ) -> dict[str, tuple[list[SourcePart], list[MediaPart]] | GeminiTeacherError]:
    """Each link's material or its problem. Links are fetched FETCHERS at a time; what was
    read is kept in this session for ten minutes, so reruns do not fetch it again (a failure
    is not kept: the next rerun tries again)."""
    now = time.monotonic()
    stale = [url for url in urls if url not in kept or now - kept[url][0] > KEEP_SECONDS]
    failed: dict[str, GeminiTeacherError] = {}
    if stale:
        with st.spinner(f"Reading {len(stale)} link(s)…"), \
                ThreadPoolExecutor(FETCHERS, thread_name_prefix="geminiteacher-link") as pool:
            for url, outcome in zip(stale, pool.map(_attempt, stale), strict=True):
                if isinstance(outcome, GeminiTeacherError):
                    failed[url] = outcome
                else:
                    kept[url] = (now, outcome)
    return {url: failed[url] if url in failed else kept[url][1] for url in urls}


def _attempt(url: str) -> tuple[list[SourcePart], list[MediaPart]] | GeminiTeacherError:
    try:
        return read_link(url)
    except GeminiTeacherError as exc:
        return exc


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
    urls = [line if is_link(line) else f"https://{line}" for line in lines[:MAX_LINKS]]
    # only the links in the box stay kept: a session holds at most MAX_LINKS downloads
    kept = {url: found for url, found in st.session_state.get("links_kept", {}).items()
            if url in urls}
    st.session_state["links_kept"] = kept
    parts: list[SourcePart] = []
    media: list[MediaPart] = []
    rows = []
    for url, outcome in fetched(urls, kept).items():
        if isinstance(outcome, GeminiTeacherError):
            problems.append(describe(outcome))
            continue
        text_parts, media_parts = outcome
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
