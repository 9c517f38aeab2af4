"""The page with an OpenAI-compatible server, through Streamlit's AppTest and the fake server:
the server's section, its model picker, where the material goes, a course, a follow-up."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from tests.fakes.openai_server import FakeOpenAI
from tests.test_app import APP, NOTES, badge, button, texts, wait_until_finished

CLEARED = ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL", "OPENAI_API_KEY",
           "OPENAI_BASE_URL")


@pytest.fixture
def server():
    with FakeOpenAI("ollama", models=("qwen3:8b", "llama3.2:latest"), window=8192) as fake:
        yield fake


@pytest.fixture
def page(server, monkeypatch, tmp_path) -> AppTest:
    """The page with OPENAI_BASE_URL at the fake and no Gemini key: `auto` picks the server."""
    monkeypatch.setenv("GEMINITEACHER_OUTPUT_DIR", str(tmp_path))
    for name in CLEARED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    return AppTest.from_file(APP, default_timeout=30).run()


def model_box(at: AppTest):
    return next(s for s in at.sidebar.selectbox if s.label == "Model")


def test_auto_with_a_base_url_shows_the_server_and_lists_its_models(page, server):
    assert not page.exception
    assert page.sidebar.text_input(key="base_url").value == server.base_url
    assert model_box(page).options == ["qwen3:8b", "llama3.2:latest"]
    assert "nothing leaves it" in texts(page.sidebar.caption)


def test_a_remote_base_url_says_where_the_material_goes(page):
    page.sidebar.text_input(key="base_url").input("https://models.example.org/v1").run()
    assert "sent to models.example.org" in texts(page.sidebar.caption)
    assert any(t.label == "Model" for t in page.sidebar.text_input)  # it lists nothing


def test_a_base_url_with_a_password_is_refused_in_words(page):
    page.sidebar.text_input(key="base_url").input("http://me:pw@localhost:11434/v1").run()
    assert "must not carry a user, password" in texts(page.sidebar.error)
    assert button(page, "Generate course").disabled


def test_a_course_is_written_by_the_server_and_shows_tokens_not_a_price(page, server,
                                                                       tmp_path):
    next(s for s in page.sidebar.selectbox if s.label == "Mode").set_value("parallel")
    page.sidebar.number_input[0].set_value(2)
    page.sidebar.checkbox[0].check()
    page.text_area(key="pasted").input(NOTES)
    page.run()
    page.text_input(key="title").input("Volcanoes").run()
    assert "estimated" in texts(page.caption)  # the size line: no remote token count
    button(page, "Generate course").click().run()
    wait_until_finished(page)
    manifest = json.loads((tmp_path / "Volcanoes" / "course.json").read_text())
    assert manifest["engine"] == "openai" and manifest["model"] == "qwen3:8b"
    assert manifest["settings"]["base_url"] == server.base_url
    assert server.count("chapter") == 2
    assert "no price is known" in texts(page.caption)


def test_a_typed_key_is_sent_to_the_server_and_never_saved(page, server, tmp_path):
    server.key = "typed-secret-1234"
    page.sidebar.text_input(key="typed_openai_key").input("typed-secret-1234").run()
    assert model_box(page).options  # the list needed the key
    page.sidebar.number_input[0].set_value(1)
    page.text_area(key="pasted").input(NOTES)
    page.run()
    page.text_input(key="title").input("Volcanoes").run()
    button(page, "Generate course").click().run()
    wait_until_finished(page)
    saved = "".join(p.read_text(errors="ignore") for p in tmp_path.rglob("*") if p.is_file())
    assert "typed-secret-1234" not in saved and server.count("summary") == 1


def test_a_cancelled_course_resumes_on_its_recorded_server_with_the_typed_key(page, server,
                                                                            tmp_path):
    server.key, server.latency = "typed-secret-5678", 0.5
    page.sidebar.text_input(key="typed_openai_key").input("typed-secret-5678").run()
    next(s for s in page.sidebar.selectbox if s.label == "Mode").set_value("sequential")
    page.text_area(key="pasted").input(NOTES)
    page.run()
    page.text_input(key="title").input("Volcanoes").run()
    button(page, "Generate course").click().run()
    button(page, "Cancel").click().run()
    assert badge(wait_until_finished(page)) == "Cancelled"
    before = len(server.chats())
    next(b for b in page.button if b.label.startswith("Resume")).click().run()
    assert badge(wait_until_finished(page)) == "Finished"
    resumed = server.chats()[before:]
    assert resumed and all(r.status == 200 for r in resumed)
    assert json.loads((tmp_path / "Volcanoes" / "course.json").read_text())["state"] == "done"
