"""The timeline: every attempt of every chapter as a bar over time, so waits show as gaps."""

from __future__ import annotations

import time
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

OUTCOME_COLOURS = {"done": "#2e9e5b", "error": "#d64545", "running": "#3b7dd8",
                   "cancelled": "#9aa0a6"}


def when(epoch: float) -> pd.Timestamp:
    return pd.Timestamp(epoch, unit="s", tz="UTC")


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
