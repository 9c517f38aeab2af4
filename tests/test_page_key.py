"""The page never shows an API key, even one the server quotes back in an error message."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.fakes.plugin import TEST_KEY
from tests.test_app import APP, badge, button, one_at_a_time_without_retries, wait_until_finished


def everything_shown(node) -> str:
    """The text of every element under `node`, as Streamlit sent it to the browser."""
    children = getattr(node, "children", {}) or {}
    return "\n".join([str(getattr(node, "proto", "")),
                      *(everything_shown(child) for child in children.values())])


def test_a_key_the_server_echoes_never_appears_on_the_page(gemini_env, monkeypatch, tmp_path):
    monkeypatch.setenv("GEMINITEACHER_OUTPUT_DIR", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=30).run()
    one_at_a_time_without_retries(at)
    button(at, "Plan outline").click().run()
    gemini_env.echo_key = True
    gemini_env.fail_next(1, 500)
    button(at, "Generate course").click().run()
    assert badge(wait_until_finished(at)) == "Failed"
    shown = everything_shown(at.main) + everything_shown(at.sidebar)
    assert "sent with key ***" in shown  # the echoed message is on the page, scrubbed
    assert TEST_KEY not in shown
