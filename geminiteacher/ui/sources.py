"""The material: uploads, links and pasted text as one `Source`, its size, and the course
title."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geminiteacher.backends import chosen_engine, resolve_engine
from geminiteacher.backends.base import Engine
from geminiteacher.backends.pricing import PRICES_AS_OF, dollars, estimate_cost, has_price
from geminiteacher.engine.runner import default_title
from geminiteacher.errors import GeminiTeacherError, describe
from geminiteacher.ingest.convert import check_size, convert_bytes, estimate_tokens
from geminiteacher.models import Source, SourcePart
from geminiteacher.ui.links import links
from geminiteacher.ui.markdown import safe_label
from geminiteacher.ui.settings import Choices

FILE_TYPES = ["pdf", "docx", "pptx", "html", "htm", "epub", "md", "markdown", "txt"]


@st.cache_data(max_entries=64, show_spinner="Reading your documents…")
def convert_upload(data: bytes, name: str) -> tuple[SourcePart | None, str]:
    """One uploaded file as Markdown, or (None, the problem in words)."""
    try:
        return convert_bytes(data, name), ""
    except GeminiTeacherError as exc:
        return None, describe(exc)


def material() -> tuple[Source | None, str]:
    """Uploads, links and pasted text as one `Source`, listed with their size or their
    problem.

    Also returns the title the course would get by default: the first readable file's name,
    else the pasted text's first heading.
    """
    uploads = st.file_uploader(
        "Documents", type=FILE_TYPES, accept_multiple_files=True,
        help="PDF, Word, PowerPoint, HTML, EPUB, Markdown or text. They become one course, "
             "in this order.",
    )
    link_parts, media, link_problems = links()
    with st.expander("…or paste text"):
        pasted = st.text_area("Text", key="pasted", height=140,
                              placeholder="Paste notes, an article, a transcript…")
    parts: list[SourcePart] = []
    problems: list[str] = []
    for upload in uploads or []:
        part, problem = convert_upload(upload.getvalue(), upload.name)
        if part is None:
            problems.append(problem)
        else:
            parts.append(part)
    parts += link_parts
    problems += link_problems
    # never a rejected file's name
    first = default_title(Source(parts[:1], media[:1])) if parts or media else ""
    if pasted.strip():
        parts.append(SourcePart(name="Pasted text", markdown=pasted, words=len(pasted.split()),
                                kind="text"))
    if parts:
        st.dataframe(pd.DataFrame([{
            "File": p.name, "Pages": p.pages, "Words": p.words,
            "Tokens": estimate_tokens(p.markdown),
        } for p in parts]), hide_index=True, placeholder="—", width="stretch", column_config={
            "File": st.column_config.TextColumn("File", width=130),
            "Pages": st.column_config.NumberColumn("Pages", width=50),
            "Words": st.column_config.NumberColumn("Words", width=60),
            "Tokens": st.column_config.NumberColumn("Tokens (est.)", format="%d", width=90),
        })
    for problem in problems:
        st.error(safe_label(problem))
    if not first and pasted.strip():
        first = default_title(Source.from_text(pasted))
    return (Source(parts, media) if parts or media else None), first


@st.cache_data(max_entries=64, show_spinner="Counting tokens…")
def source_tokens(sha: str, engine_id: str, _source: Source, _engine: Engine) -> int:
    """The whole source's tokens by the engine's own count (Gemini's API, or the estimate).

    Cached per source and engine; raises SourceTooLargeError when it cannot fit.
    """
    return check_size(_source, _engine.context_window(), _engine.count_tokens)


def source_size(source: Source, choices: Choices) -> str:
    """A line with the source's size against the model's window; raises if it cannot fit."""
    engine = resolve_engine(choices.settings, choices.api_key)
    tokens = source_tokens(source.sha256, engine.limiter_key, source, engine)
    if engine.extractive:
        return f"Whole source: about {tokens:,} tokens (estimated)."
    counted = "counted by Gemini" if engine.name == "gemini" else "estimated"
    return (f"Whole source: {tokens:,} tokens ({counted}), "
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
    estimate = estimate_cost(estimate_tokens(source.markdown), settings, settings.model_name)
    how = " as a batch job" if settings.batch else ""
    return (f"Estimated cost about {dollars(estimate)} for up to {settings.max_chapters} "
            f"chapters on {safe_label(settings.model_name)}{how} (prices as of {PRICES_AS_OF}).")
