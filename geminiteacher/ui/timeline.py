"""The timeline: every attempt of every chapter as a bar over time, so waits show as gaps.

The chart has a text equivalent: a summary line and a table of the attempts, and its outcomes
differ by outline as well as colour.
"""

from __future__ import annotations

import time
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from geminiteacher.text.titles import numbered

OUTCOMES = {  # outcome in the manifest -> (word people read, bar colour, outline dash)
    "done": ("written", "#1e7a46", []), "error": ("failed", "#b3261e", [4, 2]),
    "running": ("running", "#1557b0", [1, 2]), "cancelled": ("cancelled", "#5f6368", [6, 3]),
}
ROW_PIXELS = 34


def when(epoch: float) -> pd.Timestamp:
    return pd.Timestamp(epoch, unit="s", tz="UTC")


def outcome_word(outcome: str) -> str:
    return OUTCOMES[outcome][0] if outcome in OUTCOMES else outcome


def attempts(chapters: list[dict[str, Any]], now: float) -> pd.DataFrame:
    """One row per attempt: chapter label, attempt number, start, end and outcome in words."""
    return pd.DataFrame([{
        "Chapter": numbered(c["index"], c["title"])[:44], "Attempt": h.get("attempt"),
        "Start": when(h["start"]), "End": when(h.get("end") or now),
        "Outcome": outcome_word(h.get("outcome") or "running"),
    } for c in chapters for h in c.get("history", []) if h.get("start") is not None])


def summary_line(rows: pd.DataFrame) -> str:
    """The timeline in one sentence: attempts, chapters, time span and outcomes counted."""
    seconds = (rows["End"].max() - rows["Start"].min()).total_seconds()
    counts = rows["Outcome"].value_counts()
    outcomes = ", ".join(f"{counts[word]} {word}" for word, _, _ in OUTCOMES.values()
                         if word in counts)
    return (f"Timeline: {len(rows)} attempt(s) on {rows['Chapter'].nunique()} chapter(s) "
            f"over {seconds:.0f} s: {outcomes}.")


def timeline(chapters: list[dict[str, Any]]) -> None:
    """Each attempt as a bar over time, then the same attempts as a sentence and a table."""
    rows = attempts(chapters, time.time())
    if rows.empty:
        return
    words = [word for word, _, _ in OUTCOMES.values()]
    line = summary_line(rows)
    chart = alt.Chart(rows, description=line).mark_bar(
        cornerRadius=3, stroke="#0b0f14", strokeWidth=1).encode(
        x=alt.X("Start:T", title="Time", axis=alt.Axis(
            format="%H:%M:%S", labelOverlap="greedy", labelSeparation=12, tickCount=5)),
        x2="End:T",
        y=alt.Y("Chapter:N", sort=None, title=None, axis=alt.Axis(labelLimit=260)),
        color=alt.Color("Outcome:N", scale=alt.Scale(
            domain=words, range=[colour for _, colour, _ in OUTCOMES.values()])),
        strokeDash=alt.StrokeDash("Outcome:N", scale=alt.Scale(
            domain=words, range=[dash for _, _, dash in OUTCOMES.values()])),
        tooltip=["Chapter", "Attempt", "Outcome",
                 alt.Tooltip("Start:T", format="%H:%M:%S"),
                 alt.Tooltip("End:T", format="%H:%M:%S")],
    ).properties(height={"step": ROW_PIXELS})
    st.altair_chart(chart, width="stretch")
    st.caption(line)
    with st.expander("Timeline as a table"):
        st.table(rows.assign(
            Start=rows["Start"].dt.strftime("%H:%M:%S"), End=rows["End"].dt.strftime("%H:%M:%S"),
            Seconds=((rows["End"] - rows["Start"]).dt.total_seconds()).round(1),
        ).set_index("Chapter"))
