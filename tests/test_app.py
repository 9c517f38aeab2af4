"""The page's flows through Streamlit's AppTest: settings, upload, generate, outline, reconnect."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
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
    assert list(table["File"]) == ["volcanoes.md", "broken.pdf"]
    assert table["Words"][0] > 50 and table["Tokens"][0] > 0
    assert "broken.pdf" in texts(page.error)
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


def test_saved_courses_are_listed_and_open_read_only(page):
    page.text_area(key="pasted").input(NOTES).run()
    page.text_input(key="title").input("Saved volcanoes").run()
    button(page, "Generate course").click().run()
    wait_until_finished(page)
    fresh = AppTest.from_file(APP, default_timeout=30).run()
    course = next(s for s in fresh.selectbox if s.label == "Course")
    assert course.options == ["Saved volcanoes"]
    button(fresh, "Open course").click().run()
    assert "read-only" in texts(fresh.caption)
    assert any("zip" in b.label for b in fresh.download_button)


def test_key_from_secrets_selects_gemini(page, gemini_env, monkeypatch):
    monkeypatch.delenv("GEMINI_API_KEY")
    page.secrets["GEMINI_API_KEY"] = "test-key"
    page.run()
    assert "Writing with Gemini, key from the app's secrets." in texts(page.sidebar.caption)
    model = next(s for s in page.sidebar.selectbox if s.label == "Model")
    assert "gemini-2.5-flash" in model.options
