"""A course's state at a glance: the badge, progress bar, figures and the chapter table."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd
import streamlit as st

from geminiteacher.engine.jobs import JobSnapshot
from geminiteacher.models import EventKind
from geminiteacher.text.titles import numbered
from geminiteacher.ui.common import title_width
from geminiteacher.ui.markdown import plain_text

BADGES = {  # state -> (label, colour); labels are what people (and the browser tests) read
    "queued": ("Waiting in queue", "gray"), "running": ("Writing", "blue"),
    "planning": ("Planning", "blue"), "writing": ("Writing", "blue"),
    "summarizing": ("Writing the summary", "blue"), "done": ("Finished", "green"),
    "failed": ("Failed", "red"), "cancelled": ("Cancelled", "orange"),
}


def state_badge(state: str) -> None:
    label, colour = BADGES.get(state, (state or "Unknown", "gray"))
    st.badge(label, color=colour)


def status_table(chapters: list[dict[str, Any]]) -> None:
    """One row per chapter, its title numbered once and shown whole: the table is as wide as
    its content, and a 60-character title fits beside the figures on a 1024-pixel window
    (the tokens are counted in the figures above it)."""
    titles = [plain_text(numbered(c["index"], c["title"])) for c in chapters]
    table = pd.DataFrame([{
        "Title": title, "Status": c["status"], "Attempts": c.get("attempts", 0),
        "Seconds": round(float(c.get("seconds") or 0.0), 1),
    } for title, c in zip(titles, chapters, strict=True)])
    st.dataframe(table, hide_index=True, width="content", column_config={
        "Title": st.column_config.TextColumn("Chapter", width=title_width(titles)),
        "Status": st.column_config.TextColumn("Status", width=75),
        "Attempts": st.column_config.NumberColumn("Tries", width=50,
                                                  help="Attempts, retries included."),
        "Seconds": st.column_config.NumberColumn("Time", format="%.1f s", width=62,
                                                 help="Seconds spent writing it."),
    })


def run_counts(manifest: dict[str, Any], snap: JobSnapshot | None) -> tuple[int, int, int]:
    """(chapters written, chapters to write, chapters done before) of the run on screen: a
    job's own run as its plan recorded it (see `RunPlan`), else the whole course."""
    chapters = manifest.get("chapters", [])
    run = manifest.get("run") or {}
    if snap is None or snap.started is None or run.get("at", 0) < snap.started \
            or run.get("outline"):
        return sum(c["status"] == "done" for c in chapters), len(chapters), 0
    todo = set(run.get("todo", []))
    written = sum(c["status"] == "done" for c in chapters if c["index"] in todo)
    return written, len(todo), int(run.get("done_before", 0))


def progress(manifest: dict[str, Any], snap: JobSnapshot | None) -> None:
    """The progress bar under a status line that assistive technology reads out as it changes;
    a resumed run counts its own chapters and says how many were done before it."""
    done, todo, before = run_counts(manifest, snap)
    state = snap.state.value if snap and not manifest else manifest.get("state", "")
    texts = {"queued": "Waiting to start…", "running": "Starting…",
             "planning": "Planning the outline…", "summarizing": "Writing the course summary…"}
    if snap and snap.queue_position:
        st.info(f"Waiting for a free slot: number {snap.queue_position} in the queue.")
    earlier = f" ({before} done before this run)" if before else ""
    lines = [texts.get(state) or f"{done} of {todo} chapters written{earlier}."]
    if snap and not snap.finished and snap.last_event and snap.last_event.kind is EventKind.WAITING:
        event = snap.last_event
        lines.append(f"Chapter {event.index}: waiting {event.wait:.0f} s before trying again "
                     f"({event.reason}).")
    st.html(f'<p role="status" aria-live="polite">{html.escape(" ".join(lines))}</p>')
    value = 1.0 if state == "done" else done / todo if todo else 0.0
    st.progress(min(value, 1.0))


def metrics(manifest: dict[str, Any], seconds: float | None) -> None:
    """Chapters done, tokens (or the offline engine), and the time spent over every run."""
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
    if seconds is not None:
        cols[3].metric("Elapsed", f"{seconds:.0f} s")
    else:
        cols[3].metric("Engine", manifest.get("engine", "—"))
