"""The page's flows through Streamlit's AppTest: settings, upload, generate, outline, reconnect."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")
KEY_VARIABLES = ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL")
NOTES = (
    "# Volcanoes\n\nA volcano is an opening in the crust where molten rock escapes. "
    "Magma rises because it is lighter than the rock around it. When pressure builds, "
    "gas bubbles expand and the eruption begins.\n\n## Kinds of volcano\n\n"
    "Shield volcanoes have gentle slopes built by runny lava. Stratovolcanoes are steep "
    "cones of ash and sticky lava. Cinder cones are small and short-lived.\n\n"
    "## Living near volcanoes\n\nVolcanic soil is fertile, so farms crowd the slopes. "
    "Monitoring gas and ground swelling warns people before many eruptions.\n"
)


@pytest.fixture
def page(monkeypatch, tmp_path) -> AppTest:
    """The page, run once, writing into tmp_path, with no API key anywhere."""
    monkeypatch.setenv("GEMINITEACHER_OUTPUT_DIR", str(tmp_path))
    for name in KEY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return AppTest.from_file(APP, default_timeout=30).run()


@pytest.fixture
def gemini_page(gemini_env, monkeypatch, tmp_path) -> AppTest:
    """The page with a Gemini key in the environment, talking to the fake server."""
    monkeypatch.setenv("GEMINITEACHER_OUTPUT_DIR", str(tmp_path))
    return AppTest.from_file(APP, default_timeout=30).run()


def one_at_a_time_without_retries(at: AppTest) -> None:
    next(n for n in at.sidebar.number_input if n.label == "Retries per chapter").set_value(0)
    next(s for s in at.sidebar.selectbox if s.label == "Mode").set_value("sequential")
    at.text_area(key="pasted").input(NOTES)
    at.run()
    at.text_input(key="title").input("Volcanoes").run()


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def badge(at: AppTest) -> str:
    """The course's state badge, e.g. "Finished"."""
    found = [m.value for m in at.markdown if "-badge[" in m.value]
    return found[0].partition("[")[2].rstrip("]") if found else ""


def wait_until_finished(at: AppTest, timeout: float = 30) -> AppTest:
    """Rerun the page (as run_every does in a browser) until the job's badge says it ended."""
    deadline = time.monotonic() + timeout
    while badge(at) not in ("Finished", "Failed", "Cancelled"):
        assert time.monotonic() < deadline, f"job did not finish: {badge(at)!r}"
        time.sleep(0.2)
        at.run()
    return at


def test_empty_page_explains_what_to_do(page):
    assert not page.exception
    assert page.title[0].value.endswith("GeminiTeacher")
    assert "No course yet" in texts(page.info)
    assert button(page, "Generate course").disabled
    assert "Add a document" in texts(page.caption)


def test_out_of_range_setting_is_explained_in_words(page):
    page.sidebar.number_input[0].set_value(150).run()
    assert "max_chapters must be between 1 and 100" in texts(page.error)
    assert not page.exception


def test_gemini_engine_without_a_key_asks_for_one(page):
    page.sidebar.radio[0].set_value("gemini").run()
    assert "needs an API key" in texts(page.error)


def test_uploaded_files_are_listed_with_their_size_or_their_problem(page):
    page.file_uploader[0].set_value([
        ("volcanoes.md", NOTES.encode(), "text/markdown"),
        ("broken.pdf", b"this is not a pdf", "application/pdf"),
    ]).run()
    table = page.dataframe[0].value
    assert list(table["File"]) == ["volcanoes.md"]
    assert table["Words"][0] > 50 and table["Tokens"][0] > 0
    assert texts(page.error).startswith("broken.pdf: ")
    assert page.text_input(key="title").value == "volcanoes"


def test_generate_offline_from_an_upload_shows_the_course(page, tmp_path):
    page.file_uploader[0].set_value(("volcanoes.md", NOTES.encode(), "text/markdown")).run()
    button(page, "Generate course").click().run()
    assert page.query_params["job"]
    wait_until_finished(page)
    assert page.subheader[0].value == "volcanoes" and badge(page) == "Finished"
    table = page.dataframe[-1].value
    assert set(table["Status"]) == {"done"} and len(table) >= 1
    assert any("zip" in b.label for b in page.download_button)
    assert any(e.label == "Course summary" for e in page.expander)
    assert (tmp_path / "volcanoes" / "course.json").exists()


def test_pasted_text_is_enough_to_make_a_course(page):
    page.text_area(key="pasted").input(NOTES).run()
    page.text_input(key="title").input("Pasted volcanoes").run()
    button(page, "Generate course").click().run()
    wait_until_finished(page)
    assert page.subheader[0].value == "Pasted volcanoes"


def test_a_job_link_reconnects_from_a_new_session(page):
    page.file_uploader[0].set_value(("volcanoes.md", NOTES.encode(), "text/markdown")).run()
    button(page, "Generate course").click().run()
    job_id = page.query_params["job"]
    other = AppTest.from_file(APP, default_timeout=30)
    other.query_params["job"] = job_id
    wait_until_finished(other.run())
    assert other.subheader[0].value == "volcanoes" and badge(other) == "Finished"
    assert "No course yet" not in texts(other.info)


def test_an_unknown_job_link_says_so(page):
    page.query_params["job"] = "no-such-job"
    page.run()
    assert "not known here" in texts(page.error)


def test_a_new_session_does_not_list_another_sessions_jobs(page):
    page.file_uploader[0].set_value(("volcanoes.md", NOTES.encode(), "text/markdown")).run()
    button(page, "Generate course").click().run()
    stranger = AppTest.from_file(APP, default_timeout=30).run()
    assert "No course yet" in texts(stranger.info)
    assert not any(b.label == "Open" for b in stranger.button)


def test_edited_outline_is_the_one_generated(page, tmp_path):
    page.file_uploader[0].set_value(("volcanoes.md", NOTES.encode(), "text/markdown")).run()
    button(page, "Plan outline").click().run()
    editor = page.data_editor[0]
    planned = list(editor.value["Chapter"])
    page.session_state[editor.key] = {
        "edited_rows": {0: {"Chapter": "Fire mountains"}},
        "added_rows": [{"Order": 0, "Chapter": "Before everything"}],
        "deleted_rows": list(range(1, len(planned))),
    }
    page.run()
    button(page, "Generate course").click().run()
    wait_until_finished(page)
    titles = list(page.dataframe[-1].value["Title"])
    assert titles == ["Before everything", "Fire mountains"]


def test_saved_courses_are_listed_and_open_with_their_downloads(page):
    page.text_area(key="pasted").input(NOTES).run()
    page.text_input(key="title").input("Saved volcanoes").run()
    button(page, "Generate course").click().run()
    wait_until_finished(page)
    fresh = AppTest.from_file(APP, default_timeout=30).run()
    course = next(s for s in fresh.selectbox if s.label == "Course")
    assert course.options == ["Saved volcanoes"]
    button(fresh, "Open course").click().run()
    assert "Saved course" in texts(fresh.caption)
    assert any("zip" in b.label for b in fresh.download_button)
    assert not [b for b in fresh.button if b.label.startswith(("Resume", "Retry"))]


def test_key_from_secrets_selects_gemini_and_lists_models(gemini_page, monkeypatch):
    monkeypatch.delenv("GEMINI_API_KEY")
    gemini_page.secrets["GEMINI_API_KEY"] = "test-key"
    gemini_page.run()
    assert "Writing with Gemini, key from the app's secrets." in texts(gemini_page.sidebar.caption)
    model = next(s for s in gemini_page.sidebar.selectbox if s.label == "Model")
    assert "gemini-flash-latest" in model.options


def test_a_bad_typed_key_is_reported_and_the_model_can_still_be_typed(gemini_page):
    gemini_page.sidebar.text_input(key="typed_key").input("bad-key").run()
    assert "Could not list your models" in texts(gemini_page.sidebar.error)
    assert any(t.label == "Model" for t in gemini_page.sidebar.text_input)


def test_a_failed_chapter_shows_its_reason_and_retry_writes_it(gemini_page, gemini_env):
    one_at_a_time_without_retries(gemini_page)
    button(gemini_page, "Plan outline").click().run()
    gemini_env.fail_next(1, 500)
    button(gemini_page, "Generate course").click().run()
    assert badge(wait_until_finished(gemini_page)) == "Failed"
    assert re.search(r"^1\. .+ failed: .*500", texts(gemini_page.error), re.MULTILINE)
    button(gemini_page, "Retry failed chapters").click().run()
    assert badge(wait_until_finished(gemini_page)) == "Finished"
    assert set(gemini_page.dataframe[-1].value["Status"]) == {"done"}


def test_cancel_stops_a_running_course(gemini_page, gemini_env):
    gemini_env.latency = 0.5
    one_at_a_time_without_retries(gemini_page)
    button(gemini_page, "Generate course").click().run()
    button(gemini_page, "Cancel").click().run()
    assert badge(wait_until_finished(gemini_page)) == "Cancelled"
    assert next(b for b in gemini_page.button if b.label.startswith("Resume"))


def test_jobs_beyond_the_cap_show_their_place_in_the_queue(gemini_env, monkeypatch, tmp_path):
    monkeypatch.setenv("GEMINITEACHER_OUTPUT_DIR", str(tmp_path))
    monkeypatch.setenv("GEMINITEACHER_MAX_JOBS", "1")
    st.cache_resource.clear()  # a registry that reads the cap of 1
    gemini_env.latency = 0.3
    try:
        first, second = (AppTest.from_file(APP, default_timeout=30).run() for _ in range(2))
        for at, title in ((first, "First"), (second, "Second")):
            at.text_area(key="pasted").input(NOTES).run()
            at.text_input(key="title").input(title).run()
            button(at, "Generate course").click().run()
        assert "number 1 in the queue" in texts(second.info)
        assert badge(second) == "Waiting in queue"
        assert badge(wait_until_finished(second)) == "Finished"
    finally:
        st.cache_resource.clear()


def test_regenerate_rewrites_just_that_chapter(page, tmp_path):
    page.text_area(key="pasted").input(NOTES).run()
    button(page, "Generate course").click().run()
    first_job = page.query_params["job"]
    wait_until_finished(page)
    next(s for s in page.selectbox if s.label == "Chapter").set_value(1)
    button(page, "Regenerate chapter").click().run()
    assert page.query_params["job"] != first_job
    wait_until_finished(page)
    manifest = json.loads((tmp_path / "Volcanoes" / "course.json").read_text(encoding="utf-8"))
    attempts = [c["attempts"] for c in manifest["chapters"]]
    assert attempts[0] == 2 and set(attempts[1:]) <= {1}


def test_the_source_size_is_counted_by_gemini_when_a_key_is_configured(gemini_page, gemini_env):
    gemini_page.text_area(key="pasted").input(NOTES + "\nCounted once.").run()
    assert "counted by Gemini" in texts(gemini_page.caption)
    assert gemini_env.count("count") == 1


def test_a_source_too_large_for_the_model_is_refused_before_generating(page, monkeypatch):
    from geminiteacher.backends.offline import OfflineEngine

    monkeypatch.setattr(OfflineEngine, "context_window", lambda self: 9_000)
    page.text_area(key="pasted").input(NOTES * 60).run()
    assert "split the material" in texts(page.error)
    assert button(page, "Generate course").disabled


def test_an_unfinished_saved_course_resumes_from_the_workspace(page, tmp_path):
    import threading

    from geminiteacher.errors import CancelledError
    from geminiteacher.models import CourseSettings, EventKind
    from geminiteacher.runner import run_course

    cancel = threading.Event()
    with pytest.raises(CancelledError):
        run_course(NOTES, CourseSettings(engine="offline", mode="sequential"), title="Halfway",
                   output_dir=tmp_path, cancel=cancel,
                   on_event=lambda e: cancel.set() if e.kind is EventKind.DONE else None)
    page.run()
    button(page, "Open course").click().run()
    resume = next(b for b in page.button if b.label.startswith("Resume"))
    resume.click().run()
    wait_until_finished(page)
    data = json.loads((tmp_path / "Halfway" / "course.json").read_text())
    assert data["state"] == "done" and data["engine"] == "offline"
    assert all(c["status"] == "done" for c in data["chapters"])
