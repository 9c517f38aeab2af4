"""GeminiTeacher's web page: upload documents, shape the outline, watch the course being written.

UI only. Conversion, course writing, storage and background jobs live in `geminiteacher`;
this file draws widgets, starts jobs through the process-wide `JobRegistry` and reads
course folders back. Run it with `streamlit run streamlit_app.py`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from geminiteacher.backends import KEY_VARIABLES, configured_api_key, resolve_engine
from geminiteacher.backends.base import Engine
from geminiteacher.backends.gemini import GeminiEngine
from geminiteacher.converter import check_size, convert_bytes, estimate_tokens
from geminiteacher.coursemaker import plan_outline
from geminiteacher.errors import (
    GeminiTeacherError,
    SettingsError,
    SourceTooLargeError,
    describe,
)
from geminiteacher.exports import export_bytes
from geminiteacher.jobs import Job, JobRegistry, JobSnapshot
from geminiteacher.models import DEFAULT_MODEL, CourseSettings, EventKind, Source, SourcePart
from geminiteacher.runner import default_title
from geminiteacher.store import CourseStore, list_courses

logger = logging.getLogger("geminiteacher.page")

OUTPUT_DIR = os.environ.get("GEMINITEACHER_OUTPUT_DIR", "output")
REFRESH_SECONDS = 1.0
FILE_TYPES = ["pdf", "docx", "pptx", "html", "htm", "epub", "md", "markdown", "txt"]
THINKING = {  # label -> thinking budget in tokens (None: the model's default)
    "Model default": None, "Off (fastest, cheapest)": 0, "Light (1,024 tokens)": 1024,
    "Deep (8,192 tokens)": 8192,
}
MODES = {
    "parallel": "Parallel: several chapters at once (fastest)",
    "sequential": "Sequential: one chapter after another",
    "cascade": "Cascade: each chapter sees the ones before it",
}
BADGES = {  # state -> (label, colour); labels are what people (and the browser tests) read
    "queued": ("Waiting in queue", "gray"), "running": ("Writing", "blue"),
    "planning": ("Planning", "blue"), "writing": ("Writing", "blue"),
    "summarizing": ("Writing the summary", "blue"), "done": ("Finished", "green"),
    "failed": ("Failed", "red"), "cancelled": ("Cancelled", "orange"),
}
OUTCOME_COLOURS = {"done": "#2e9e5b", "error": "#d64545", "running": "#3b7dd8",
                   "cancelled": "#9aa0a6"}


@contextmanager
def errors_shown(doing: str) -> Iterator[None]:
    """Show any error raised inside as a one-line `st.error`; log unexpected ones in full."""
    try:
        yield
    except GeminiTeacherError as exc:
        st.error(describe(exc))
    except Exception as exc:
        logger.exception("%s failed", doing)
        st.error(f"{doing} failed unexpectedly ({type(exc).__name__}); the server log has "
                 "the details.")


@st.cache_resource
def registry() -> JobRegistry:
    """The process-wide job registry: every session's jobs, each under an unguessable id."""
    return JobRegistry()


def owner_id() -> str:
    """This browser session's id; jobs are listed only to the session that started them."""
    if "owner" not in st.session_state:
        st.session_state["owner"] = secrets.token_urlsafe(16)
    return st.session_state["owner"]


# ---- settings ---------------------------------------------------------------------------


@dataclass
class Choices:
    """What the sidebar produced: settings (None while invalid) and the key to use."""

    settings: CourseSettings | None
    api_key: str | None


def secrets_key() -> str | None:
    """A key from `.streamlit/secrets.toml`, if the file exists and holds one."""
    try:
        return next((str(st.secrets[n]) for n in KEY_VARIABLES if n in st.secrets), None)
    except FileNotFoundError:
        return None


def key_origin(typed: str) -> tuple[str | None, str]:
    """The API key to use and where it came from: typed, environment, then secrets."""
    if typed.strip():
        return typed.strip(), "typed above"
    from_env = configured_api_key(None)
    if from_env:
        return from_env, "from the server's environment"
    from_secrets = secrets_key()
    return from_secrets, "from the app's secrets" if from_secrets else ""


@st.cache_data(ttl=900, show_spinner="Listing your models…")
def account_models(key_digest: str, base_url: str, _api_key: str) -> tuple[list[str], str]:
    """The models this key may use; ([], reason) when listing fails.

    Cached per key hash and base URL (the engine reads GOOGLE_GEMINI_BASE_URL itself).
    """
    try:
        return GeminiEngine(_api_key, DEFAULT_MODEL).list_models(), ""
    except GeminiTeacherError as exc:
        return [], describe(exc)


def model_picker(api_key: str) -> str:
    """A selectbox of the account's models, or a text box when they cannot be listed."""
    digest = hashlib.sha256(api_key.encode()).hexdigest()
    names, problem = account_models(digest, os.environ.get("GOOGLE_GEMINI_BASE_URL", ""), api_key)
    if problem:
        st.error(f"Could not list your models: {problem}")
    if not names:
        return st.text_input("Model", value=DEFAULT_MODEL, help="A Gemini model name.")
    index = names.index(DEFAULT_MODEL) if DEFAULT_MODEL in names else 0
    return st.selectbox("Model", names, index=index, help="Models your API key may use.")


def sidebar_settings() -> Choices:
    """Draw the settings and build `CourseSettings` from them; problems are shown in words."""
    with st.sidebar:
        st.header("Settings")
        engine = st.radio(
            "Engine", ["auto", "gemini", "offline"], horizontal=True,
            format_func=str.capitalize,
            help="Auto uses Gemini when an API key is configured, else the offline engine, "
                 "which extracts sentences from your documents without any network.",
        )
        typed = st.text_input(
            "Gemini API key", type="password", key="typed_key",
            help="Kept in this browser session only: never saved, logged or put in a course.",
        )
        api_key, origin = key_origin(typed)
        uses_gemini = engine == "gemini" or (engine == "auto" and api_key is not None)
        if engine == "gemini" and api_key is None:
            st.error("The Gemini engine needs an API key: type one above or set GEMINI_API_KEY.")
        elif uses_gemini:
            st.caption(f"Writing with Gemini, key {origin}.")
        else:
            st.caption("Writing offline: chapters are extracted from your documents.")
        model = model_picker(api_key) if uses_gemini and api_key else DEFAULT_MODEL
        temperature = st.slider("Temperature", 0.0, 2.0, 0.0, 0.1,
                                help="Higher values make Gemini's wording more varied.")
        language = st.text_input("Language", value="English", help="The language of the course.")
        max_chapters = st.number_input("Max chapters", min_value=1, value=10, step=1,
                                       help="The outline has at most this many chapters (1–100).")
        exact = st.checkbox("Exactly this many chapters")
        mode = st.selectbox("Mode", list(MODES), format_func=MODES.get)
        with st.expander("Speed and limits"):
            workers = st.number_input("Workers", min_value=1, value=4, step=1,
                                      help="Chapters written at the same time in parallel mode.")
            delay = st.slider("Delay between requests (s)", 0.0, 10.0, (0.1, 0.5), 0.1,
                              help="A random pause in this range before each request.")
            retries = st.number_input("Retries per chapter", min_value=0, value=3, step=1)
            rpm = st.number_input("Requests per minute (0 = no cap)", min_value=0, value=0,
                                  step=1, help="Stay under your plan's per-minute quota.")
            thinking = st.selectbox(
                "Thinking", list(THINKING),
                help="How much Gemini may think before writing each chapter. Off is faster "
                     "and cheaper on Flash models; Pro models always think a little.")
        custom = st.text_area("Custom instructions",
                              help="Extra guidance for every chapter, e.g. the audience.")
        try:
            settings = CourseSettings(
                engine=engine, model_name=model.strip() or DEFAULT_MODEL,
                temperature=float(temperature), language=language.strip() or "English",
                max_chapters=int(max_chapters), fixed_chapter_count=exact,
                custom_prompt=custom.strip() or None, mode=mode, max_workers=int(workers),
                delay_range=(float(delay[0]), float(delay[1])), max_retries=int(retries),
                requests_per_minute=float(rpm) if rpm else None,
                thinking_budget=THINKING[thinking],
            )
        except SettingsError as exc:
            st.error(f"Please fix a setting: {exc}.")
            settings = None
        if engine == "gemini" and api_key is None:
            settings = None
    return Choices(settings, api_key if uses_gemini else None)


# ---- material ---------------------------------------------------------------------------


@st.cache_data(max_entries=64, show_spinner="Reading your documents…")
def convert_upload(data: bytes, name: str) -> tuple[SourcePart | None, str]:
    """One uploaded file as Markdown, or (None, the problem in words)."""
    try:
        return convert_bytes(data, name), ""
    except GeminiTeacherError as exc:
        return None, describe(exc)


def material() -> tuple[Source | None, str]:
    """Uploads and pasted text as one `Source`, listed with their size or their problem.

    Also returns the title the course would get by default (from the first file's name).
    """
    uploads = st.file_uploader(
        "Documents", type=FILE_TYPES, accept_multiple_files=True,
        help="PDF, Word, PowerPoint, HTML, EPUB, Markdown or text. They become one course, "
             "in this order.",
    )
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
    if pasted.strip():
        parts.append(SourcePart(name="Pasted text", markdown=pasted, words=len(pasted.split()),
                                kind="text"))
    if parts:
        st.dataframe(pd.DataFrame([{
            "File": p.name, "Pages": p.pages, "Words": p.words,
            "Tokens": estimate_tokens(p.markdown),
        } for p in parts]), hide_index=True, placeholder="—", column_config={
            "Tokens": st.column_config.NumberColumn("Tokens (est.)", format="%d"),
        })
    for problem in problems:
        st.error(problem)
    if uploads:
        first = default_title(Source.from_text("", name=uploads[0].name))
    else:
        first = default_title(Source.from_text(pasted)) if pasted.strip() else ""
    return (Source(parts) if parts else None), first


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
    return (f"Whole source: {tokens:,} tokens (counted by Gemini), "
            f"{tokens / engine.context_window():.1%} of what {engine.model} reads at once.")


def course_title(default: str) -> str:
    """The title box, following the default title until the user types their own."""
    if st.session_state.get("title_default") != default:
        if st.session_state.get("title", "") in ("", st.session_state.get("title_default")):
            st.session_state["title"] = default
        st.session_state["title_default"] = default
    return st.text_input("Course title", key="title", placeholder="Named after your first file")


def outline_editor(source: Source | None, choices: Choices) -> list[str] | None:
    """Optional: plan the outline, edit it in a table; the edited titles, or None."""
    planned = st.session_state.get("outline")
    if planned and (source is None or planned["sha"] != source.sha256):
        planned = st.session_state["outline"] = None
    ready = source is not None and choices.settings is not None
    if planned is None:
        if st.button("Plan outline", disabled=not ready,
                     help="See the chapters first and edit them before writing."):
            try:
                with st.spinner("Planning the outline…"):
                    titles = plan_outline(source, choices.settings, api_key=choices.api_key)
            except GeminiTeacherError as exc:
                st.error(f"Could not plan the outline: {describe(exc)}")
                return None
            st.session_state["outline"] = {
                "sha": source.sha256, "version": time.time_ns(),
                "table": pd.DataFrame({"Order": range(1, len(titles) + 1), "Chapter": titles}),
            }
            st.rerun()
        return None
    st.caption("Rename chapters, change the numbers to reorder, add or delete rows.")
    edited = st.data_editor(
        planned["table"], key=f"outline_{planned['version']}", num_rows="dynamic",
        hide_index=True, column_config={
            "Order": st.column_config.NumberColumn("Order", min_value=1, step=1, width="small"),
            "Chapter": st.column_config.TextColumn("Chapter title", required=True),
        },
    )
    if st.button("Discard outline"):
        st.session_state["outline"] = None
        st.rerun()
    ordered = edited.sort_values("Order", kind="stable", na_position="last")
    return [str(t).strip() for t in ordered["Chapter"] if pd.notna(t) and str(t).strip()]


def launch(title: str, output_dir: str | Path, api_key: str | None, **params: Any) -> None:
    """Queue `run_course` for this session and point the URL at the new job."""
    try:
        job = registry().submit(owner_id(), title=title, output_dir=output_dir,
                                api_key=api_key, **params)
    except GeminiTeacherError as exc:
        st.error(f"Could not start the course: {describe(exc)}")
        return
    st.query_params["job"] = job.id
    st.session_state.pop("folder", None)
    st.rerun()


# ---- the course view --------------------------------------------------------------------


@st.cache_data(max_entries=2000, show_spinner=False)
def read_text(path: str, mtime_ns: int) -> str:
    """A file's text, cached by (path, mtime) so unchanged chapters are not re-read."""
    return Path(path).read_text(encoding="utf-8")


def file_text(path: Path) -> str | None:
    try:
        return read_text(str(path), path.stat().st_mtime_ns)
    except OSError:
        return None


def when(epoch: float) -> pd.Timestamp:
    return pd.Timestamp(epoch, unit="s", tz="UTC")


def state_badge(state: str) -> None:
    label, colour = BADGES.get(state, (state or "Unknown", "gray"))
    st.badge(label, color=colour)


def status_table(chapters: list[dict[str, Any]]) -> None:
    longest = max([c.get("seconds") or 0.0 for c in chapters] + [1.0])
    table = pd.DataFrame([{
        "Chapter": c["index"], "Title": c["title"], "Status": c["status"],
        "Attempts": c.get("attempts", 0),
        "Tokens": sum((c.get("tokens") or {}).get(k, 0) for k in ("input", "output", "thinking")),
        "Seconds": round(float(c.get("seconds") or 0.0), 1),
    } for c in chapters])
    st.dataframe(table, hide_index=True, column_config={
        "Chapter": st.column_config.NumberColumn("Chapter", width="small"),
        "Title": st.column_config.TextColumn("Title", width="medium"),
        "Attempts": st.column_config.NumberColumn("Attempts", width="small"),
        "Tokens": st.column_config.NumberColumn("Tokens", format="%d",
                                                help="Input, output and thinking tokens."),
        "Seconds": st.column_config.ProgressColumn("Seconds", format="%.1f s", min_value=0.0,
                                                   max_value=float(longest)),
    })


def timeline(chapters: list[dict[str, Any]]) -> None:
    """Each attempt as a bar over time, so waits between retries show as gaps."""
    now = time.time()
    rows = [{
        "Chapter": f"{c['index']:02d} · {c['title'][:40]}", "Attempt": h.get("attempt"),
        "Start": when(h["start"]), "End": when(h.get("end") or now),
        "Outcome": h.get("outcome") or "running",
    } for c in chapters for h in c.get("history", []) if h.get("start") is not None]
    if not rows:
        return
    chart = alt.Chart(pd.DataFrame(rows)).mark_bar(cornerRadius=3).encode(
        x=alt.X("Start:T", title="Time", axis=alt.Axis(format="%H:%M:%S")), x2="End:T",
        y=alt.Y("Chapter:N", sort=None, title=None, axis=alt.Axis(labelOverlap=False)),
        color=alt.Color("Outcome:N", scale=alt.Scale(domain=list(OUTCOME_COLOURS),
                                                     range=list(OUTCOME_COLOURS.values()))),
        tooltip=["Chapter", "Attempt", "Outcome",
                 alt.Tooltip("Start:T", format="%H:%M:%S"),
                 alt.Tooltip("End:T", format="%H:%M:%S")],
    ).properties(height=max(120, 30 * len({r["Chapter"] for r in rows})))
    st.altair_chart(chart, width="stretch")


def progress(manifest: dict[str, Any], snap: JobSnapshot | None) -> None:
    chapters = manifest.get("chapters", [])
    done = sum(c["status"] == "done" for c in chapters)
    state = snap.state.value if snap and not manifest else manifest.get("state", "")
    if snap and snap.queue_position:
        st.info(f"Waiting for a free slot: number {snap.queue_position} in the queue.")
    texts = {"queued": "Waiting to start…", "running": "Starting…",
             "planning": "Planning the outline…", "summarizing": "Writing the course summary…"}
    text = texts.get(state) or f"{done} of {len(chapters)} chapters written"
    value = 1.0 if state == "done" else done / len(chapters) if chapters else 0.0
    st.progress(min(value, 1.0), text=text)
    if snap and not snap.finished and snap.last_event and snap.last_event.kind is EventKind.WAITING:
        event = snap.last_event
        st.caption(f"Chapter {event.index}: waiting {event.wait:.0f} s before trying again "
                   f"({event.reason}).")


def metrics(manifest: dict[str, Any], snap: JobSnapshot | None) -> None:
    usage = manifest.get("usage") or {}
    chapters = manifest.get("chapters", [])
    cols = st.columns(4)
    cols[0].metric("Chapters", f"{sum(c['status'] == 'done' for c in chapters)}/{len(chapters)}")
    if manifest.get("extractive"):
        cols[1].metric("Engine", "Offline")
        cols[2].metric("Tokens billed", "none")
    else:
        cols[1].metric("Tokens",
                       f"{sum(usage.get(k, 0) for k in ('input', 'output', 'thinking')):,}")
        cols[2].metric("Cached input", f"{usage.get('cached', 0):,}")
    if snap and snap.started:
        cols[3].metric("Elapsed", f"{(snap.ended or time.time()) - snap.started:.0f} s")
    else:
        cols[3].metric("Engine", manifest.get("engine", "—"))


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


def chapters_view(path: Path, manifest: dict[str, Any]) -> None:
    """The finished chapters, rendered from their files as they land; failures with reasons."""
    for chapter in manifest.get("chapters", []):
        label = f"{chapter['index']}. {chapter['title']}"
        if chapter["status"] == "failed":
            st.error(f"{label} failed: {chapter.get('last_error') or 'no reason recorded'}")
            continue
        text = file_text(path / chapter["file"]) if chapter.get("file") else None
        if text is None:
            continue
        with st.expander(label):
            st.markdown(text.partition("\n")[2])
    summary = file_text(path / manifest["summary_file"]) if manifest.get("summary_file") else None
    if summary:
        with st.expander("Course summary"):
            st.markdown(summary.partition("\n")[2])


def course_body(path: Path, manifest: dict[str, Any], snap: JobSnapshot | None) -> None:
    """What every course view shows: progress, figures, table, timeline, downloads, chapters."""
    if manifest.get("note"):
        st.caption(manifest["note"])
    progress(manifest, snap)
    chapters = manifest.get("chapters", [])
    if chapters:
        metrics(manifest, snap)
        status_table(chapters)
        timeline(chapters)
    downloads(path)
    chapters_view(path, manifest)


def job_actions(job: Job, snap: JobSnapshot, api_key: str | None) -> None:
    """Cancel while running; afterwards retry the failed chapters or redo one chapter."""
    if not snap.finished:
        if st.button("Cancel", icon=":material/stop_circle:", disabled=snap.cancel_requested):
            registry().cancel(job.id)
            st.rerun()
        return
    chapters = snap.manifest.get("chapters", [])
    resume = resume_choice(snap.manifest)
    left, right = st.columns(2)
    if resume and left.button(resume[0], icon=":material/refresh:"):
        follow_up(job, api_key, retry_failed=resume[1], redo=None)
    if chapters:
        with right.popover("Regenerate a chapter", icon=":material/edit_note:"):
            pick = st.selectbox("Chapter", [c["index"] for c in chapters],
                                format_func=lambda i: f"{i}. {chapters[i - 1]['title']}")
            if st.button("Regenerate chapter"):
                follow_up(job, api_key, redo={pick}, retry_failed=False)


def resume_choice(manifest: Mapping[str, Any]) -> tuple[str, bool] | None:
    """The resume button's label and whether only failed chapters are redone; None if done.

    `retry_failed` redoes only failed chapters; a plain resume also writes the cancelled and
    never-started ones, or plans the outline again when it was stopped before one existed.
    """
    chapters = manifest.get("chapters", [])
    unfinished = [c for c in chapters if c["status"] != "done"]
    if not chapters and manifest.get("state") in ("cancelled", "failed"):
        return "Resume", False
    if not unfinished:
        return None
    if all(c["status"] == "failed" for c in unfinished):
        return "Retry failed chapters", True
    return f"Resume {len(unfinished)} chapter(s)", False


def follow_up(job: Job, api_key: str | None, **changes: Any) -> None:
    """Start a new job on the same course folder (retry or regenerate) and show it."""
    params = {k: v for k, v in job.params.items() if k not in ("title", "output_dir")}
    launch(job.title, job.params["output_dir"], api_key, **{**params, **changes})


def job_panel(job: Job, live: bool, api_key: str | None) -> None:
    """The live view of one job; refreshed by `run_every` while the job is unfinished."""
    with errors_shown("Showing the course"):
        snap = job.snapshot()
        if live and snap.finished:
            st.rerun()  # a full run redraws this fragment without run_every
        st.subheader(snap.title)
        state_badge(snap.state.value)
        st.caption(f"Folder `{snap.path}` · keep this page's link to come back to it")
        if snap.error:
            st.error(snap.error)
        job_actions(job, snap, api_key)
        course_body(snap.path, dict(snap.manifest), snap)


def folder_panel(path: Path, api_key: str | None) -> None:
    """A course from the workspace: no job is attached to it, but an unfinished one resumes
    from the material saved beside it, with the engine and settings it was made with."""
    store = CourseStore(path)
    manifest = store.manifest()
    title = manifest.get("title", path.name)
    st.subheader(title)
    state_badge(manifest.get("state", ""))
    st.caption(f"Saved course · folder `{path}`")
    if manifest.get("error"):
        st.error(manifest["error"])
    resume = resume_choice(manifest)
    source = store.saved_source() if resume else None
    if resume and source is not None and st.button(resume[0], icon=":material/refresh:"):
        settings = CourseSettings.from_dict(manifest.get("settings", {}))
        launch(title, path.parent, api_key, source=source, retry_failed=resume[1],
               settings=settings.with_(engine=manifest.get("engine", settings.engine)))
    course_body(path, manifest, None)


def course_view(api_key: str | None) -> None:
    """The right-hand side: the job in the URL, an opened saved course, or an empty state."""
    job_id = st.query_params.get("job")
    if job_id:
        job = registry().get(job_id)
        if job is None:
            st.error("This course link is not known here (the server may have restarted). "
                     "Finished courses are listed under Workspace.")
            return
        live = not job.state.finished
        st.fragment(run_every=REFRESH_SECONDS if live else None)(job_panel)(job, live, api_key)
    elif st.session_state.get("folder"):
        folder_panel(Path(st.session_state["folder"]), api_key)
    else:
        st.info("No course yet. Add documents on the left and press **Generate course**: "
                "chapters appear here as soon as each one is written.",
                icon=":material/menu_book:")


def session_jobs() -> None:
    jobs = registry().jobs_for(owner_id())
    if not jobs:
        return
    st.markdown("**Your courses in this session**")
    current = st.query_params.get("job")
    for job in reversed(jobs):
        left, right = st.columns([4, 1])
        left.write(f"{job.title} · {job.state.value}")
        if job.id != current and right.button("Open", key=f"open-{job.id}"):
            st.query_params["job"] = job.id
            st.session_state.pop("folder", None)
            st.rerun()


def workspace() -> None:
    """Earlier courses in the output folder, to reopen read-only and download."""
    with st.expander("Workspace: earlier courses"):
        courses = list_courses(OUTPUT_DIR)
        if not courses:
            st.caption("No saved courses yet.")
            return
        st.dataframe(pd.DataFrame([{
            "Title": c["title"], "Chapters": f"{c['done']}/{c['total']}", "State": c["state"],
            "Updated": c["updated"],
        } for c in courses]), hide_index=True)
        paths = {str(c["path"]): c["title"] for c in courses}
        pick = st.selectbox("Course", list(paths), format_func=paths.get)
        if st.button("Open course"):
            st.session_state["folder"] = pick
            st.query_params.pop("job", None)
            st.rerun()


def main() -> None:
    st.set_page_config(page_title="GeminiTeacher", page_icon=":material/school:", layout="wide")
    st.title(":material/school: GeminiTeacher")
    st.caption("Turn your documents into a structured course, chapter by chapter, with "
               "Google Gemini or offline without a key.")
    choices = Choices(None, None)
    with errors_shown("Reading the settings"):
        choices = sidebar_settings()
    left, right = st.columns([2, 3], gap="large")
    with left, errors_shown("Preparing the course"):
        source, first = material()
        too_large = ""
        if source is not None and choices.settings is not None:
            try:
                st.caption(source_size(source, choices))
            except SourceTooLargeError as exc:
                too_large = describe(exc)
                st.error(too_large)
            except GeminiTeacherError as exc:
                st.caption(f"Size unknown: {describe(exc)}")
        title = course_title(first)
        outline = outline_editor(source, choices)
        problem = ("Add a document or paste text to begin." if source is None
                   else "The material is too large for the model; see above." if too_large
                   else "Give the course a title." if not title.strip()
                   else "Fix the settings in the sidebar." if choices.settings is None
                   else "The outline is empty: add a chapter or discard it."
                   if outline == [] else "")
        if st.button("Generate course", type="primary", disabled=bool(problem),
                     width="stretch", icon=":material/auto_stories:"):
            launch(title.strip(), OUTPUT_DIR, choices.api_key, source=source,
                   settings=choices.settings, outline=outline)
        if problem:
            st.caption(problem)
        session_jobs()
        workspace()
    with right, errors_shown("Showing the course"):
        course_view(choices.api_key)


main()
