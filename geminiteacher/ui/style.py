"""The few layout rules Streamlit's own options do not give: narrower side margins on windows
under 1400 pixels (so tables and the reader keep their width beside the sidebar) and a
readable line length for the chapter being read."""

from __future__ import annotations

import streamlit as st

CSS = """<style>
@media (max-width: 1400px) {
  [data-testid="stMainBlockContainer"] { padding-left: 2rem; padding-right: 2rem; }
}
.st-key-reader-page { max-width: 48rem; }
</style>"""


def page_style() -> None:
    """Add the rules to the page (a style-only block takes no room)."""
    st.html(CSS)
