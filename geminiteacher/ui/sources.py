"""The material: uploads, links and pasted text as one `Source`, its size, and the course
title."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from geminiteacher.backends import chosen_engine, resolve_engine
from geminiteacher.backends.base import Engine
from geminiteacher.backends.gemini.media_tokens import estimate_media_tokens
from geminiteacher.backends.pricing import PRICES_AS_OF, dollars, estimate_cost, has_price
from geminiteacher.course.store import SOURCE, CourseStore
from geminiteacher.engine.runner import default_title, material_tokens
from geminiteacher.errors import GeminiTeacherError, describe
from geminiteacher.ingest.convert import check_size, estimate_tokens, load_bytes
from geminiteacher.ingest.media import LABELS, readable
from geminiteacher.models import MediaPart, Source, SourcePart, clock
from geminiteacher.ui.links import links
from geminiteacher.ui.markdown import safe_label
from geminiteacher.ui.settings import Choices

DOCUMENT_TYPES = ["pdf", "docx", "pptx", "html", "htm", "epub", "md", "markdown", "txt"]
MEDIA_TYPES = ["png", "jpg", "jpeg", "webp", "heic", "heif", "wav", "mp3", "m4a", "aac", "ogg",
               "flac", "mp4", "webm", "mov", "mpeg", "mpg"]
FILE_TYPES = DOCUMENT_TYPES + MEDIA_TYPES
KINDS = {"pdf": "PDF", "docx": "Word", "pptx": "PowerPoint", "epub": "EPUB", "html": "HTML",
         "md": "Markdown", "txt": "Text", "text": "Text"}


@st.cache_data(max_entries=64, show_spinner="Reading your documents…")
def convert_upload(data: bytes, name: str
                   ) -> tuple[list[SourcePart], list[MediaPart], str]:
    """One uploaded file as its text part and its media parts, or the problem in words."""
    try:
        parts, media = load_bytes(data, name)
        return parts, media, ""
    except GeminiTeacherError as exc:
        return [], [], describe(exc)


def material() -> tuple[Source | None, str]:
    """Uploads, links and pasted text as one `Source`, listed with their size or their
    problem.

    Also returns the title the course would get by default: the first readable file's name,
    else the pasted text's first heading.
    """
    uploads = st.file_uploader(
        "Documents", type=FILE_TYPES, accept_multiple_files=True,
        help="PDF, Word, PowerPoint, HTML, EPUB, Markdown or text; with Gemini also pictures "
             "(PNG, JPEG, WebP, HEIC), recordings (WAV, MP3, M4A, OGG, FLAC) and videos (MP4, "
             "WebM, MOV, MPEG). They become one course, in this order.",
    )
    link_parts, media, link_problems = links()
    with st.expander("…or paste text"):
        pasted = st.text_area("Text", key="pasted", height=140,
                              placeholder="Paste notes, an article, a transcript…")
    parts: list[SourcePart] = []
    found: list[MediaPart] = []
    problems: list[str] = []
    for upload in uploads or []:
        text, more, problem = convert_upload(upload.getvalue(), upload.name)
        if problem:
            problems.append(problem)
        parts += text
        found += more
    media = found + media
    parts += link_parts
    problems += link_problems
    # never a rejected file's name
    first = default_title(Source(parts[:1], media[:1])) if parts or media else ""
    if pasted.strip():
        parts.append(SourcePart(name="Pasted text", markdown=pasted, words=len(pasted.split()),
                                kind="text"))
    if parts or media:
        sources_table(source_rows(parts, media))
    for problem in problems:
        st.error(safe_label(problem))
    if not first and pasted.strip():
        first = default_title(Source.from_text(pasted))
    return (Source(parts, media) if parts or media else None), first


def sources_table(rows: list[dict]) -> None:
    """The source list: one row per file (see `source_rows`)."""
    st.dataframe(pd.DataFrame(rows), hide_index=True, placeholder="—", width="stretch",
                 column_config={
        "File": st.column_config.TextColumn("File", width=130),
        "Kind": st.column_config.TextColumn("Kind", width=80),
        "Pages": st.column_config.NumberColumn("Pages", width=50),
        "Length": st.column_config.TextColumn("Length", width=60),
        "Words": st.column_config.NumberColumn("Words", width=60),
        "Tokens": st.column_config.NumberColumn("Tokens", format="%d", width=70),
        "Counted by": st.column_config.TextColumn("Counted by", width=80),
    })


def source_rows(parts: list[SourcePart], media: list[MediaPart],
                counted: Mapping[str, Any] | None = None) -> list[dict]:
    """One row per file: its kind, pages or length, words and tokens. A PDF Gemini can read
    natively shows its text's tokens (what the offline engine reads); the pictures inside
    a document are one row beside it; tokens of media are Gemini's own count where
    `counted` (media hash -> tokens, from course.json) has it, else Gemini's rates."""
    counted = counted or {}

    def tokens(items: list[MediaPart]) -> tuple[int, str]:
        known = [counted.get(item.sha256) for item in items]
        if all(isinstance(n, int) for n in known):
            return sum(known), "Gemini"  # type: ignore[arg-type]
        return sum(estimate_media_tokens(item) for item in items), "estimate"

    rows = [{"File": p.name, "Kind": KINDS.get(p.kind, p.kind or "Text"), "Pages": p.pages,
             "Length": None, "Words": p.words, "Tokens": estimate_tokens(p.markdown),
             "Counted by": "estimate"} for p in parts]
    texts = {p.name for p in parts}
    pictures: dict[str, list[MediaPart]] = {}
    for item in media:
        if item.within:
            pictures.setdefault(item.within, []).append(item)
        elif item.name not in texts:
            count, how = tokens([item])
            rows.append({"File": item.name, "Kind": _capital(LABELS[item.kind]),
                         "Pages": item.pages, "Words": None,
                         "Length": clock(item.seconds) if item.seconds else None,
                         "Tokens": count, "Counted by": how})
    for within, found in pictures.items():
        count, how = tokens(found)
        rows.append({"File": f"{within}: {len(found)} picture{'s' * (len(found) != 1)}",
                     "Kind": "Pictures", "Pages": None, "Length": None, "Words": None,
                     "Tokens": count, "Counted by": how})
    return rows


@st.cache_data(max_entries=64, show_spinner=False)
def saved_source(folder: str, stamp: int) -> Source | None:
    """A course's saved material (cached by source.json's mtime `stamp`)."""
    return CourseStore(folder).saved_source()


def course_sources(path: Path, manifest: Mapping[str, Any]) -> None:
    """A course's sources, for a course that read media: each file with Gemini's own count
    of its tokens once Gemini has counted it (course.json keeps it), else the estimate."""
    try:
        source = saved_source(str(path), (path / SOURCE).stat().st_mtime_ns)
    except OSError:
        return
    if source is None or not source.media:
        return
    counted = manifest.get("media_tokens")
    with st.expander("Sources"):
        sources_table(source_rows(source.parts, source.media,
                                  counted if isinstance(counted, Mapping) else None))


def fitted(source: Source, choices: Choices) -> Source | None:
    """What the chosen engine reads of `source` (see `ingest.media.readable`); each file it
    cannot read is one line on the page. None when nothing is left."""
    engine = resolve_engine(choices.settings, choices.api_key)
    kept, refused, notes = readable(source, engine.media_kinds, choices.settings.read)
    for note in notes:
        st.caption(safe_label(note))
    for problem in refused:
        st.error(safe_label(describe(problem)))
    return kept if kept.parts or kept.media else None


@st.cache_data(max_entries=64, show_spinner="Counting tokens…")
def source_tokens(sha: str, engine_id: str, resolution: str, _source: Source,
                  _engine: Engine) -> int:
    """The whole source's tokens by the engine's own count (Gemini's API, or the estimate).

    Cached per source and engine; raises SourceTooLargeError when it cannot fit.
    """
    media = [(item.name, _engine.media_tokens(item, resolution)) for item in _source.media]
    return check_size(_source, _engine.context_window(), _engine.count_tokens,
                      media_tokens=media)


def source_size(source: Source, choices: Choices) -> str:
    """A line with the source's size against the model's window; raises if it cannot fit."""
    engine = resolve_engine(choices.settings, choices.api_key)
    resolution = choices.settings.media_resolution
    tokens = source_tokens(source.sha256, engine.limiter_key, resolution, source, engine)
    if engine.extractive:
        return f"Whole source: about {tokens:,} tokens (estimated)."
    counted = "counted by Gemini" if engine.name == "gemini" else "estimated"
    media = sum(engine.media_tokens(item, resolution) for item in source.media)
    how = (f"; {media:,} of them for pictures, pages and recordings at "
           f"{resolution} resolution, estimated" if media else "")
    return (f"Whole source: {tokens:,} tokens ({counted}{how}), "
            f"{tokens / engine.context_window():.1%} of what {safe_label(engine.model)} reads at "
            "once.")


def course_title(default: str) -> str:
    """The title box, following the default title until the user types their own."""
    if st.session_state.get("title_default") != default:
        if st.session_state.get("title", "") in ("", st.session_state.get("title_default")):
            st.session_state["title"] = default
        st.session_state["title_default"] = default
    return st.text_input("Course title", key="title", placeholder="Named after your first file")


def cost_estimate(source: Source, choices: Choices) -> str | None:
    """The estimated cost of a course of this source (None offline, or for a model the price
    table does not name)."""
    settings = choices.settings
    if settings is None:
        return None
    engine = chosen_engine(settings, choices.api_key)
    if engine == "offline" or (engine == "gemini" and choices.api_key is None) \
            or not has_price(engine, settings.model_name):
        return None
    engine = resolve_engine(settings, choices.api_key)
    tokens, audio = material_tokens(source, engine, settings.media_resolution)
    estimate = estimate_cost(tokens, settings, settings.model_name, audio_tokens=audio)
    how = " as a batch job" if settings.batch else ""
    return (f"Estimated cost about {dollars(estimate)} for up to {settings.max_chapters} "
            f"chapters on {safe_label(settings.model_name)}{how} (prices as of {PRICES_AS_OF}).")


def _capital(label: str) -> str:
    return label[:1].upper() + label[1:]
