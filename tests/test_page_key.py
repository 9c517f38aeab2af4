"""The page checks a key before it is used, and never shows it, even one the server quotes
back in an error message."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from streamlit.testing.v1 import AppTest

from tests.fakes.gemini_server import BAD_KEY
from tests.fakes.plugin import TEST_KEY
from tests.test_app import (
    APP,
    NOTES,
    badge,
    button,
    one_at_a_time_without_retries,
    texts,
    wait_until_finished,
)


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
    assert "sent with key ***" in shown.replace("\\", "")  # on the page, scrubbed
    assert TEST_KEY not in shown


def unescaped(markdown: str) -> str:
    """Markdown's backslash escapes removed: the text a reader sees."""
    return re.sub(r"\\(.)", r"\1", markdown)


def model_lists(fake) -> int:
    """The models.list calls the fake served (models.get asks for one model by name)."""
    return sum(r.kind == "list" and urlsplit(r.path).path.endswith("/models")
               for r in fake.requests)


def paste_notes(at: AppTest) -> AppTest:
    at.text_area(key="pasted").input(NOTES).run()
    return at.text_input(key="title").input("Volcanoes").run()


def test_a_bad_typed_key_is_one_red_line_by_the_key_and_generate_stays_disabled(
        gemini_env, monkeypatch, tmp_path):
    monkeypatch.setenv("GEMINITEACHER_OUTPUT_DIR", str(tmp_path))
    at = paste_notes(AppTest.from_file(APP, default_timeout=30).run())
    assert not button(at, "Generate course").disabled
    at.sidebar.text_input(key="typed_key").input(BAD_KEY).run()
    assert [unescaped(e.value) for e in at.sidebar.error] == [
        "The Gemini API key is invalid (HTTP 400 INVALID_ARGUMENT): check GEMINI_API_KEY or the "
        "key you entered."]
    assert "could not be listed" not in texts(at.sidebar.caption)
    assert button(at, "Generate course").disabled
    assert "{" not in texts(at.error) + texts(at.sidebar.error)


def test_a_key_is_checked_once_not_on_every_rerun(gemini_env, monkeypatch, tmp_path):
    monkeypatch.setenv("GEMINITEACHER_OUTPUT_DIR", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.sidebar.text_input(key="typed_key").input("another-good-key").run()
    listed = model_lists(gemini_env)
    paste_notes(at).run()
    assert model_lists(gemini_env) == listed and listed >= 1
    assert not button(at, "Generate course").disabled and not at.sidebar.error


def test_a_server_that_cannot_list_models_is_a_grey_note_and_generate_stays_enabled(
        gemini_env, monkeypatch, tmp_path):
    gemini_env.serve_models = False  # a gateway without /models
    monkeypatch.setenv("GEMINITEACHER_OUTPUT_DIR", str(tmp_path))
    at = paste_notes(AppTest.from_file(APP, default_timeout=30).run())
    assert not at.sidebar.error
    assert "Your models could not be listed" in texts(at.sidebar.caption)
    assert not button(at, "Generate course").disabled
