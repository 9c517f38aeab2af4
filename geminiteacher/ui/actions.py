"""Starting work: a new course, and the follow-ups on one (cancel, resume, retry, regenerate,
finish). Follow-ups use the course's recorded engine and model and its saved material."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from geminiteacher.backends.pricing import (
    PRICES_AS_OF,
    dollars,
    estimate_cost,
    has_price,
    work_words,
)
from geminiteacher.course.store import OWNER, SOURCE, CourseStore
from geminiteacher.engine.jobs import Job, JobSnapshot
from geminiteacher.engine.runner import recorded_settings
from geminiteacher.errors import GeminiTeacherError, describe
from geminiteacher.ingest.convert import estimate_tokens
from geminiteacher.models import RunPlan
from geminiteacher.text.titles import numbered
from geminiteacher.ui.common import my_tokens, owner_id, registry
from geminiteacher.ui.markdown import plain_text, safe_label
from geminiteacher.ui.reader import PLACE


def launch(title: str, output_dir: str | Path, api_key: str | None, owner: str | None,
           **params: Any) -> None:
    """Queue `run_course` for this session and point the URL at the new job and its course."""
    try:
        job = registry().submit(owner_id(), title=title, output_dir=output_dir,
                                api_key=api_key, owner_token=owner, **params)
    except GeminiTeacherError as exc:
        st.error(safe_label(f"Could not start the course: {describe(exc)}"))
        return
    st.query_params["job"] = job.id
    if owner:
        my_tokens().add(owner)
        st.query_params["course"] = owner
    st.session_state.pop("folder", None)
    st.rerun()


def resume_choice(manifest: Mapping[str, Any]) -> tuple[str, bool] | None:
    """The follow-up button's label and whether only failed chapters are redone; None if done.

    `retry_failed` redoes only failed chapters; a plain resume also writes the cancelled and
    never-started ones, or plans the outline again when it was stopped before one existed;
    with every chapter written but no summary, it writes just the summary.
    """
    chapters = manifest.get("chapters", [])
    unfinished = [c for c in chapters if c["status"] != "done"]
    if not chapters and manifest.get("state") in ("cancelled", "failed"):
        return "Resume", False
    if not unfinished:
        return ("Finish course", False) if chapters and not manifest.get("summary_file") \
            else None
    if all(c["status"] == "failed" for c in unfinished):
        return "Retry failed chapters", True
    return f"Resume {len(unfinished)} chapter(s)", False


def follow_up(path: Path, manifest: Mapping[str, Any], key: str | None, **changes: Any) -> None:
    """Run the course in `path` again with its recorded engine, model, settings and material.

    A course written with Gemini needs a key here; without one this says so and starts nothing.
    """
    engine = manifest.get("engine", "offline")
    if engine == "gemini" and not key:
        st.error(safe_label(f"This course was written with Gemini "
                            f"({manifest.get('model', 'its model')}); add a Gemini API key in "
                            "the sidebar to continue it. Nothing was changed."))
        return
    source = CourseStore(path).saved_source()
    if source is None:
        st.error(safe_label(f"{path.name} holds no saved material to continue from; generate "
                            "the course again from its documents."))
        return
    if engine == "openai":  # its server's key as typed in this session, else the environment
        key = st.session_state.get("typed_openai_key", "").strip() or None
    launch(manifest.get("title", path.name), path.parent,
           key if engine in ("gemini", "openai") else None, manifest.get(OWNER), source=source,
           settings=recorded_settings(dict(manifest)), **changes)


@st.cache_data(max_entries=64, show_spinner=False)
def saved_text_tokens(folder: str, stamp: int) -> int | None:
    """The estimated tokens of a course's saved material (cached by source.json's mtime);
    None when there is none, or when it holds media, whose tokens depend on the engine."""
    source = CourseStore(folder).saved_source()
    if source is None or source.media:
        return None
    return estimate_tokens(source.markdown)


def follow_up_estimate(path: Path, manifest: Mapping[str, Any], failed_only: bool
                       ) -> str | None:
    """The estimated cost of what a follow-up has left to write ("for the 4 chapter(s) left
    and the course summary"), for a priced engine and a text course; else None."""
    engine, model = str(manifest.get("engine", "")), str(manifest.get("model", ""))
    if manifest.get("extractive") or engine == "offline" or not has_price(engine, model):
        return None
    try:
        tokens = saved_text_tokens(str(path), (path / SOURCE).stat().st_mtime_ns)
    except OSError:
        return None
    if tokens is None:
        return None
    settings = recorded_settings(dict(manifest))
    chapters = manifest.get("chapters", [])
    todo = tuple(c["index"] for c in chapters
                 if (c["status"] == "failed" if failed_only else c["status"] != "done"))
    plan = RunPlan(len(chapters), todo, len(chapters) - len(todo), outline=not chapters) \
        if chapters else RunPlan(settings.max_chapters, outline=True)
    cost = estimate_cost(tokens, settings, model, plan=plan)
    return (f"Estimated cost about {dollars(cost)} for {work_words(plan)} "
            f"(prices as of {PRICES_AS_OF}).")


def action_row() -> DeltaGenerator:
    """One row for a course's follow-ups and downloads, wrapping on a narrow window."""
    return st.container(horizontal=True, vertical_alignment="bottom", gap="small",
                        key="course-actions")


def course_actions(path: Path, manifest: Mapping[str, Any], key: str | None) -> None:
    """Resume / retry / finish, and regenerate one chapter (the one being read, unless
    another is picked), for a course not being written."""
    chapters = manifest.get("chapters", [])
    resume = resume_choice(manifest)
    if resume and st.button(resume[0], icon=":material/refresh:", type="primary"):
        follow_up(path, manifest, key, retry_failed=resume[1])
    estimate = follow_up_estimate(path, manifest, resume[1]) if resume else None
    if estimate:
        st.caption(estimate)
    if chapters:
        indices = [c["index"] for c in chapters]
        reading = str(st.session_state.get(PLACE, ""))
        at = indices.index(int(reading)) if reading.isdigit() and int(reading) in indices \
            else 0
        with st.popover("Regenerate a chapter", icon=":material/edit_note:"):
            pick = st.selectbox("Chapter", indices, index=at,
                                format_func=lambda i: plain_text(
                                    numbered(i, chapters[i - 1]["title"])))
            if st.button("Regenerate chapter"):
                follow_up(path, manifest, key, redo={pick})


def job_actions(job: Job, snap: JobSnapshot, key: str | None) -> None:
    """Cancel while running; afterwards the follow-ups of `course_actions`."""
    if not snap.finished:
        label = "Cancelling…" if snap.cancel_requested else "Cancel"
        if st.button(label, icon=":material/stop_circle:", disabled=snap.cancel_requested):
            registry().cancel(job.id)
            st.rerun()
        return
    course_actions(snap.path, snap.manifest, key)
