"""The page's flows through Streamlit's AppTest: settings, upload, generate, outline, reconnect."""

from __future__ import annotations

import csv
import io
import json
import re
import time
import zipfile
from pathlib import Path

import docx
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from geminiteacher.models import DEFAULT_MODEL

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


def heading(at: AppTest) -> str:
    """The course stage's heading: the course's title, or "Course" while there is none."""
    return at.main.header[-1].value


def contents(at: AppTest):
    """The reader's table of contents (a radio group of the chapters and the summary)."""
    return at.radio(key="chapter")


def shown(label: str) -> str:
    """A label as the page shows it (its Markdown escapes removed)."""
    return re.sub(r"\\(.)", r"\1", label)


def reading(at: AppTest) -> str:
    """The title of the chapter (or summary) the reader shows."""
    return shown(at.main.subheader[0].value)


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
    assert heading(page) == "volcanoes" and badge(page) == "Finished"
    table = page.dataframe[-1].value
    assert set(table["Status"]) == {"done"} and len(table) >= 1
    assert any("zip" in b.label for b in page.download_button)
    assert contents(page).options[-1] == "Course summary"
    assert (tmp_path / "volcanoes" / "course.json").exists()


def test_pasted_text_is_enough_to_make_a_course(page):
    page.text_area(key="pasted").input(NOTES).run()
    page.text_input(key="title").input("Pasted volcanoes").run()
    button(page, "Generate course").click().run()
    wait_until_finished(page)
    assert heading(page) == "Pasted volcanoes"


def test_a_job_link_reconnects_from_a_new_session(page):
    page.file_uploader[0].set_value(("volcanoes.md", NOTES.encode(), "text/markdown")).run()
    button(page, "Generate course").click().run()
    job_id = page.query_params["job"]
    other = AppTest.from_file(APP, default_timeout=30)
    other.query_params["job"] = job_id
    wait_until_finished(other.run())
    assert heading(other) == "volcanoes" and badge(other) == "Finished"
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
    assert titles == ["1. Before everything", "2. Fire mountains"]


def make_course(at: AppTest, title: str, text: str = NOTES) -> str:
    """Generate a course from pasted text in `at`; its link's owner token."""
    at.text_area(key="pasted").input(text).run()
    at.text_input(key="title").input(title).run()
    button(at, "Generate course").click().run()
    wait_until_finished(at)
    return at.query_params["course"]


def opened(query: dict[str, str]) -> AppTest:
    """A new browser session opening the page at ?key=value..."""
    at = AppTest.from_file(APP, default_timeout=30)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def test_a_course_link_opens_the_saved_course_in_a_new_session_with_its_downloads(page):
    token = make_course(page, "Saved volcanoes")
    fresh = opened({"course": token})
    assert heading(fresh) == "Saved volcanoes"
    assert "Saved course" in texts(fresh.caption)
    assert any("zip" in b.label for b in fresh.download_button)
    assert not [b for b in fresh.button if b.label.startswith(("Resume", "Retry", "Finish"))]
    assert next(s for s in fresh.selectbox if s.label == "Course").options == ["Saved volcanoes"]


def test_a_new_session_sees_none_of_another_sessions_saved_courses(page):
    make_course(page, "Private volcanoes")
    stranger = AppTest.from_file(APP, default_timeout=30).run()
    assert not [s for s in stranger.selectbox if s.label == "Course"]
    assert "Courses you make, or open from their link" in texts(stranger.caption)


def test_the_shared_workspace_lists_every_course(page, monkeypatch):
    make_course(page, "Shared volcanoes")
    monkeypatch.setenv("GEMINITEACHER_SHARED_WORKSPACE", "1")
    colleague = AppTest.from_file(APP, default_timeout=30).run()
    course = next(s for s in colleague.selectbox if s.label == "Course")
    assert course.options == ["Shared volcanoes"]


def test_a_link_still_opens_its_course_after_a_server_restart(page):
    token = make_course(page, "Lasting volcanoes")
    job = page.query_params["job"]
    st.cache_resource.clear()  # a new job registry: what a restarted server has
    back = opened({"job": job, "course": token})
    assert heading(back) == "Lasting volcanoes" and badge(back) == "Finished"
    assert not back.error


def test_a_course_link_opened_while_it_is_written_shows_it_live(gemini_page, gemini_env):
    gemini_env.latency = 0.5
    one_at_a_time_without_retries(gemini_page)
    button(gemini_page, "Generate course").click().run()
    live = opened({"course": gemini_page.query_params["course"]})
    assert badge(live) in ("Planning", "Writing") and button(live, "Cancel")
    assert badge(wait_until_finished(live)) == "Finished"


def test_reusing_another_visitors_title_makes_a_separate_course(page, tmp_path):
    make_course(page, "Volcanoes")
    first = json.loads((tmp_path / "Volcanoes" / "course.json").read_text())
    other = AppTest.from_file(APP, default_timeout=30).run()
    make_course(other, "Volcanoes", NOTES.replace("Volcanoes", "Geysers"))
    assert heading(other) == "Volcanoes (2)"
    assert json.loads((tmp_path / "Volcanoes" / "course.json").read_text()) == first
    assert not list(tmp_path.glob("Volcanoes/_previous_*"))


def test_key_from_secrets_selects_gemini_and_lists_models(gemini_page, monkeypatch):
    monkeypatch.delenv("GEMINI_API_KEY")
    gemini_page.secrets["GEMINI_API_KEY"] = "test-key"
    gemini_page.run()
    assert "Writing with Gemini, key from the app's secrets." in texts(gemini_page.sidebar.caption)
    model = next(s for s in gemini_page.sidebar.selectbox if s.label == "Model")
    assert "gemini-flash-latest" in model.options


def test_a_bad_typed_key_is_reported_and_the_model_can_still_be_typed(gemini_page):
    gemini_page.sidebar.text_input(key="typed_key").input("bad-key").run()
    assert "API key is invalid" in texts(gemini_page.sidebar.error)
    assert any(t.label == "Model" for t in gemini_page.sidebar.text_input)


def test_an_unlisted_model_list_is_a_grey_note_not_an_error(gemini_env, monkeypatch, tmp_path):
    gemini_env.serve_models = False  # a gateway without /models
    monkeypatch.setenv("GEMINITEACHER_OUTPUT_DIR", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.sidebar.error
    assert "type a model name" in texts(at.sidebar.caption)
    assert any(t.label == "Model" and t.value == DEFAULT_MODEL for t in at.sidebar.text_input)


def test_the_models_rules_show_as_notes_beside_the_settings(gemini_page):
    pick = next(s for s in gemini_page.sidebar.selectbox if s.label == "Model")
    pick.set_value("gemini-3.1-pro-preview")
    next(s for s in gemini_page.sidebar.selectbox if s.label == "Thinking").set_value("off")
    gemini_page.run()
    assert "cannot turn thinking off" in texts(gemini_page.sidebar.caption)
    next(c for c in gemini_page.sidebar.checkbox if c.label == "Set a temperature").check()
    gemini_page.run()
    next(s for s in gemini_page.sidebar.slider if s.label == "Temperature").set_value(0.2).run()
    assert "Google advises" in texts(gemini_page.sidebar.caption)
    assert not gemini_page.sidebar.error


def test_a_gemini_course_says_which_model_wrote_it_and_what_it_cost(gemini_page):
    one_at_a_time_without_retries(gemini_page)
    assert "Estimated cost about $" in texts(gemini_page.caption)
    button(gemini_page, "Generate course").click().run()
    assert badge(wait_until_finished(gemini_page)) == "Finished"
    captions = texts(gemini_page.caption)
    assert "Written by gemini-3.8-flash (you chose gemini-flash-latest)." in captions
    assert re.search(r"Cost about \$[\d.]+ \(prices as of", captions)


def test_a_failed_chapter_shows_its_reason_and_retry_writes_it(gemini_page, gemini_env):
    one_at_a_time_without_retries(gemini_page)
    button(gemini_page, "Plan outline").click().run()
    gemini_env.fail_next(1, 500)
    button(gemini_page, "Generate course").click().run()
    assert badge(wait_until_finished(gemini_page)) == "Failed"
    assert re.search(r"^This chapter failed: .*500", texts(gemini_page.error), re.MULTILINE)
    for message in (e.value for e in gemini_page.error):
        phrases = [p.strip(" .") for p in re.split(r"[;:(),]", message) if p.strip(" .")]
        assert len(phrases) == len(set(phrases)), f"a phrase is doubled in {message!r}"
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


@pytest.fixture
def capped(gemini_env, monkeypatch, tmp_path):
    """Set caps in the environment, then give a fresh job registry that reads them."""
    monkeypatch.setenv("GEMINITEACHER_OUTPUT_DIR", str(tmp_path))
    gemini_env.latency = 0.3

    def with_caps(**env: str) -> None:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        st.cache_resource.clear()

    yield with_caps
    st.cache_resource.clear()


def test_jobs_beyond_the_cap_show_their_place_in_the_queue(capped):
    capped(GEMINITEACHER_MAX_JOBS="1")
    first, second = (AppTest.from_file(APP, default_timeout=30).run() for _ in range(2))
    for at, title in ((first, "First"), (second, "Second")):
        at.text_area(key="pasted").input(NOTES).run()
        at.text_input(key="title").input(title).run()
        button(at, "Generate course").click().run()
    assert "number 1 in the queue" in texts(second.info)
    assert badge(second) == "Waiting in queue"
    assert badge(wait_until_finished(second)) == "Finished"


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


def test_an_unfinished_saved_course_resumes_from_the_shared_workspace(page, tmp_path,
                                                                    monkeypatch):
    import threading

    from geminiteacher.engine.runner import run_course
    from geminiteacher.errors import CancelledError
    from geminiteacher.models import CourseSettings, EventKind

    cancel = threading.Event()
    with pytest.raises(CancelledError):
        run_course(NOTES, CourseSettings(engine="offline", mode="sequential"), title="Halfway",
                   output_dir=tmp_path, cancel=cancel,
                   on_event=lambda e: cancel.set() if e.kind is EventKind.DONE else None)
    monkeypatch.setenv("GEMINITEACHER_SHARED_WORKSPACE", "1")  # a CLI course has no owner
    page.run()
    button(page, "Open course").click().run()
    resume = next(b for b in page.button if b.label.startswith("Resume"))
    resume.click().run()
    wait_until_finished(page)
    data = json.loads((tmp_path / "Halfway" / "course.json").read_text())
    assert data["state"] == "done" and data["engine"] == "offline"
    assert all(c["status"] == "done" for c in data["chapters"])


def fail_first_chapter(at: AppTest, fake) -> str:
    """Generate "Volcanoes" through the fake Gemini with chapter 1 failing; the course token."""
    one_at_a_time_without_retries(at)
    button(at, "Plan outline").click().run()
    fake.fail_next(1, 500)
    button(at, "Generate course").click().run()
    assert badge(wait_until_finished(at)) == "Failed"
    return at.query_params["course"]


def test_a_gemini_course_is_not_continued_without_a_key(gemini_page, gemini_env, monkeypatch,
                                                         tmp_path):
    token = fail_first_chapter(gemini_page, gemini_env)
    before = (tmp_path / "Volcanoes" / "course.json").read_text(encoding="utf-8")
    monkeypatch.delenv("GEMINI_API_KEY")  # after a reload a typed key is gone too
    later = opened({"course": token})
    button(later, "Retry failed chapters").click().run()
    assert "add a Gemini API key in the sidebar" in texts(later.error)
    assert "job" not in later.query_params
    assert (tmp_path / "Volcanoes" / "course.json").read_text(encoding="utf-8") == before


def test_retry_keeps_the_recorded_engine_and_model_whatever_the_sidebar_says(
        gemini_page, gemini_env, tmp_path):
    fail_first_chapter(gemini_page, gemini_env)
    model = json.loads((tmp_path / "Volcanoes" / "course.json").read_text())["model"]
    gemini_page.sidebar.radio[0].set_value("offline").run()
    button(gemini_page, "Retry failed chapters").click().run()
    assert badge(wait_until_finished(gemini_page)) == "Finished"
    data = json.loads((tmp_path / "Volcanoes" / "course.json").read_text())
    assert (data["engine"], data["model"], data["extractive"]) == ("gemini", model, False)


def test_finish_course_writes_only_the_missing_summary(page, tmp_path):
    token = make_course(page, "Volcanoes")
    folder = tmp_path / "Volcanoes"
    data = json.loads((folder / "course.json").read_text())
    attempts = [c["attempts"] for c in data["chapters"]]
    data.update(summary_file=None, state="cancelled")
    (folder / "course.json").write_text(json.dumps(data))
    (folder / "summary.md").unlink()
    later = opened({"course": token})
    button(later, "Finish course").click().run()
    assert badge(wait_until_finished(later)) == "Finished"
    after = json.loads((folder / "course.json").read_text())
    assert after["summary_file"] == "summary.md" and (folder / "summary.md").exists()
    assert [c["attempts"] for c in after["chapters"]] == attempts


def test_a_course_beyond_the_session_cap_is_refused_in_words(capped, tmp_path):
    capped(GEMINITEACHER_SESSION_JOBS="1")
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.text_area(key="pasted").input(NOTES).run()
    button(at, "Generate course").click().run()
    at.text_input(key="title").input("Another").run()
    button(at, "Generate course").click().run()
    assert "you already have 1 course(s) queued or being written" in texts(at.error)
    assert not (tmp_path / "Another").exists()
    wait_until_finished(at)


def test_the_title_never_comes_from_a_rejected_file(page):
    picture = ("picture.pdf", b"an image, not a pdf", "application/pdf")
    page.file_uploader[0].set_value([picture]).run()
    assert page.text_input(key="title").value == ""
    page.file_uploader[0].set_value([picture, ("volcanoes.md", NOTES.encode(), "text/markdown")])
    page.run()
    assert page.text_input(key="title").value == "volcanoes"


def test_the_temperature_shows_only_when_gemini_writes_and_is_unset_by_default(page):
    assert not [c for c in page.sidebar.checkbox if c.label == "Set a temperature"]
    page.sidebar.radio[0].set_value("gemini").run()
    assert not [s for s in page.sidebar.slider if s.label == "Temperature"]
    next(c for c in page.sidebar.checkbox if c.label == "Set a temperature").check().run()
    assert [s for s in page.sidebar.slider if s.label == "Temperature"]


def test_a_resumed_course_is_listed_once_and_its_time_counts_every_run(gemini_page, gemini_env,
                                                                       tmp_path):
    from geminiteacher.ui.common import registry

    gemini_env.latency = 0.5
    one_at_a_time_without_retries(gemini_page)
    button(gemini_page, "Generate course").click().run()
    button(gemini_page, "Cancel").click().run()
    wait_until_finished(gemini_page)
    next(b for b in gemini_page.button if b.label.startswith("Resume")).click().run()
    assert badge(wait_until_finished(gemini_page)) == "Finished"
    listed = [m.value for m in gemini_page.markdown if m.value.startswith("Volcanoes · ")]
    assert listed == ["Volcanoes · done"]
    runs = registry().runs_of(tmp_path / "Volcanoes")
    assert len(runs) == 2
    elapsed = next(m for m in gemini_page.metric if m.label == "Elapsed").value
    assert elapsed == f"{sum(j.ended - j.started for j in runs):.0f} s"


def test_chapter_text_loads_no_remote_image_and_sits_below_the_chapter_title(page, tmp_path):
    make_course(page, "Volcanoes")
    data = next((tmp_path / "Volcanoes").glob("chapter_01_*.json"))
    chapter = json.loads(data.read_text(encoding="utf-8"))
    chapter["explanation"] += "\n![](https://evil.example/?q=secret)\n"
    data.write_text(json.dumps(chapter), encoding="utf-8")
    page.run()
    rendered = texts(page.markdown)
    assert "[Image: image](https://evil.example/?q=secret)" in rendered
    assert "![" not in rendered
    assert "#### Summary" in rendered and not re.search(r"^#{1,2} ", rendered, re.MULTILINE)


def saved_chapter(folder: Path, index: int = 1) -> dict:
    """Chapter `index` as the store saved it (its data file)."""
    return json.loads(next(folder.glob(f"chapter_{index:02d}_*.json")).read_text("utf-8"))


def open_chapter(at: AppTest, course: str, index: int = 1) -> AppTest:
    """Read chapter `index`, as a click on it in the table of contents does."""
    at.session_state["chapter"] = str(index)
    return at.run()


def quizzed(folder: Path, questions: int = 1) -> list[int]:
    """The chapters of the course in `folder` with at least `questions` quiz questions."""
    return [i for i in range(1, 20) if list(folder.glob(f"chapter_{i:02d}_*.json"))
            and len(saved_chapter(folder, i)["quiz"]) >= questions]


def test_only_the_chapter_being_read_has_quiz_widgets(page, tmp_path):
    make_course(page, "Volcanoes")
    first, *_, last = quizzed(tmp_path / "Volcanoes")
    keys = {r.key for r in open_chapter(page, "Volcanoes", first).main.radio}
    assert f"Volcanoes-{first}-q1" in keys and f"Volcanoes-{last}-q1" not in keys
    keys = {r.key for r in open_chapter(page, "Volcanoes", last).main.radio}
    assert f"Volcanoes-{last}-q1" in keys and f"Volcanoes-{first}-q1" not in keys


def test_each_chapter_shows_its_quiz_and_checking_marks_the_answers_and_scores(page, tmp_path):
    make_course(page, "Volcanoes")
    index = quizzed(tmp_path / "Volcanoes", questions=2)[0]
    open_chapter(page, "Volcanoes", index)
    quiz = saved_chapter(tmp_path / "Volcanoes", index)["quiz"]
    first, second = (page.radio(key=f"Volcanoes-{index}-q{n}") for n in (1, 2))
    assert first.label.startswith("1. ") and quiz[0]["question"] in first.label
    assert len(first.options) == 4 and first.value is None
    first.set_value(quiz[0]["answer"])
    second.set_value((quiz[1]["answer"] + 1) % 4)
    button(page, "Check answers").click().run()
    assert quiz[0]["explanation"] in texts(page.success)
    assert "Not quite" in texts(page.error) and quiz[1]["explanation"] in texts(page.error)
    assert next(m for m in page.metric if m.label == "Score").value == f"1 of {len(quiz)}"


def test_each_chapter_lists_its_sources(page, tmp_path):
    make_course(page, "Volcanoes")
    listed = []
    for index in range(1, len(contents(page).options)):
        listed.append(texts(open_chapter(page, "Volcanoes", index).markdown))
    assert any("- Pasted text, Kinds of volcano" in text for text in listed)


def test_quiz_and_sources_load_no_remote_image(page, tmp_path):
    make_course(page, "Volcanoes")
    data = next((tmp_path / "Volcanoes").glob("chapter_01_*.json"))
    chapter = json.loads(data.read_text(encoding="utf-8"))
    image = "![x](https://evil.example/?q=secret)"
    chapter["quiz"][0].update(question=f"Which? {image}", options=[image] * 4,
                              explanation=image)
    chapter["sources"][0]["heading"] = image
    data.write_text(json.dumps(chapter), encoding="utf-8")
    quiz = open_chapter(page, "Volcanoes").radio(key="Volcanoes-1-q1")
    button(page, "Check answers").click().run()
    rendered = [quiz.label, *quiz.options, texts(page.markdown), texts(page.warning)]
    assert all("![" not in text for text in rendered)
    assert "[Image: x](https://evil.example/?q=secret)" in texts(page.warning)


class Downloads:
    """Spies on the page's deferred downloads: each button's file name, type and builder."""

    def __init__(self, monkeypatch) -> None:
        from streamlit.runtime.media_file_manager import MediaFileManager

        self.made: dict[str, tuple[str | None, object]] = {}
        original = MediaFileManager.add_deferred

        def add_deferred(manager, data, mimetype, coordinates, file_name=None, **kw):
            self.made[file_name] = (mimetype, data)
            return original(manager, data, mimetype, coordinates, file_name, **kw)

        monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)

    def bytes_of(self, file_name: str) -> bytes:
        return self.made[file_name][1]()


def test_the_export_choice_offers_every_format_and_downloads_the_chosen_one(page, tmp_path,
                                                                           monkeypatch):
    make_course(page, "Volcanoes")
    spy = Downloads(monkeypatch)
    choice = next(s for s in page.selectbox if s.label == "Export format")
    assert choice.options == ["HTML page", "Word (.docx)", "SCORM 1.2 package",
                              "Moodle XML questions", "GIFT questions", "Flashcards (CSV)",
                              "Markdown (one file)"]
    choice.set_value("docx").run()
    assert [b.label for b in page.download_button] == ["Download zip",
                                                        "Download Word (.docx)"]
    assert spy.made["Volcanoes.docx"][0].endswith("wordprocessingml.document")
    document = docx.Document(io.BytesIO(spy.bytes_of("Volcanoes.docx")))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "Kinds of volcano" in " ".join(headings)
    assert zipfile.ZipFile(io.BytesIO(spy.bytes_of("Volcanoes.zip"))).namelist()


def test_a_partly_finished_course_exports_its_finished_chapters(page, tmp_path, monkeypatch):
    make_course(page, "Volcanoes")
    folder = tmp_path / "Volcanoes"
    manifest = json.loads((folder / "course.json").read_text(encoding="utf-8"))
    manifest["chapters"][1].update(status="failed", file=None, last_error="quota")
    (folder / "course.json").write_text(json.dumps(manifest), encoding="utf-8")
    spy = Downloads(monkeypatch)
    next(s for s in page.selectbox if s.label == "Export format").set_value("csv").run()
    cards = list(csv.reader(io.StringIO(spy.bytes_of("Volcanoes.csv").decode("utf-8"))))
    assert cards and not any("Cinder" in card[0] for card in cards)


def test_the_timeline_has_a_summary_line_and_a_table_of_attempts(gemini_page, gemini_env):
    fail_first_chapter(gemini_page, gemini_env)
    assert re.search(r"Timeline: \d+ attempt\(s\) on \d+ chapter\(s\) over \d+ s: \d+ written, "
                     r"1 failed\.", texts(gemini_page.caption))
    attempts = gemini_page.table[0].value
    assert list(attempts.columns) == ["Attempt", "Start", "End", "Outcome", "Seconds"]
    assert "failed" in set(attempts["Outcome"])


def test_the_timeline_gives_every_row_its_own_height_and_thins_its_time_labels(gemini_page,
                                                                              gemini_env):
    from geminiteacher.ui.timeline import ROW_PIXELS

    fail_first_chapter(gemini_page, gemini_env)
    charts = gemini_page.get("vega_lite_chart")
    spec = json.loads(charts[0].proto.spec)
    assert spec["height"] == {"step": ROW_PIXELS}  # three or four rows are never squashed
    axis = spec["encoding"]["x"]["axis"]
    assert axis["labelOverlap"] and axis["labelSeparation"] > 0  # labels never overlap


def test_a_resumed_course_counts_this_runs_chapters_after_those_done_before(page, tmp_path,
                                                                           monkeypatch):
    import threading

    from geminiteacher.engine.runner import run_course
    from geminiteacher.errors import CancelledError
    from geminiteacher.models import CourseSettings, EventKind

    cancel = threading.Event()
    done = []
    settings = CourseSettings(engine="offline", mode="sequential", max_chapters=3,
                              fixed_chapter_count=True)

    def on_event(event):
        if event.kind is EventKind.DONE:
            done.append(event.index)
            if len(done) == 2:
                cancel.set()

    with pytest.raises(CancelledError):
        run_course(NOTES, settings, title="Halfway", output_dir=tmp_path, cancel=cancel,
                   on_event=on_event)
    monkeypatch.setenv("GEMINITEACHER_SHARED_WORKSPACE", "1")
    page.run()
    button(page, "Open course").click().run()
    next(b for b in page.button if b.label.startswith("Resume")).click().run()
    wait_until_finished(page)
    status = [h.proto.body for h in page.get("html") if 'role="status"' in h.proto.body]
    assert status and "1 of 1 chapters written (2 done before this run)." in status[0]


def test_the_reader_shows_one_chapter_and_moves_to_the_next_and_back(page, tmp_path):
    make_course(page, "Volcanoes")
    titles = json.loads((tmp_path / "Volcanoes" / "course.json").read_text())["chapters"]
    assert reading(page) == f"1. {titles[0]['title']}"
    assert not [b for b in page.button if b.label.startswith("Previous")]
    next(b for b in page.button if shown(b.label).startswith("Next: 2. ")).click().run()
    assert reading(page) == f"2. {titles[1]['title']}" and page.query_params["chapter"] == "2"
    next(b for b in page.button if shown(b.label).startswith("Previous: 1. ")).click().run()
    assert reading(page) == f"1. {titles[0]['title']}"


def test_the_reader_ends_with_the_course_summary(page):
    make_course(page, "Volcanoes")
    last = len(contents(page).options)
    open_chapter(page, "Volcanoes", last - 1)
    next(b for b in page.button if b.label == "Next: Course summary").click().run()
    assert reading(page) == "Course summary" and "Volcano" in texts(page.main.markdown)
    assert not [b for b in page.button if b.label.startswith("Next")]


def test_a_link_with_a_chapter_opens_the_reader_there(page, tmp_path):
    token = make_course(page, "Volcanoes")
    second = json.loads((tmp_path / "Volcanoes" / "course.json").read_text())["chapters"][1]
    fresh = opened({"course": token, "chapter": "2"})
    assert reading(fresh) == f"2. {second['title']}"


def test_the_table_of_contents_says_each_chapters_state_and_a_failed_ones_reason(page,
                                                                                tmp_path):
    make_course(page, "Volcanoes")
    folder = tmp_path / "Volcanoes"
    manifest = json.loads((folder / "course.json").read_text(encoding="utf-8"))
    manifest["chapters"][1].update(status="failed", file=None, last_error="quota spent")
    (folder / "course.json").write_text(json.dumps(manifest), encoding="utf-8")
    page.run()
    captions = list(contents(page).proto.captions)
    assert captions[:2] == ["Written", "Failed"]
    open_chapter(page, "Volcanoes", 2)
    assert "This chapter failed: quota spent" in texts(page.error)


def test_a_chapter_title_with_its_own_number_is_not_numbered_again(page, tmp_path):
    page.text_area(key="pasted").input(NOTES).run()
    button(page, "Plan outline").click().run()
    editor = page.data_editor[0]
    page.session_state[editor.key] = {"edited_rows": {0: {"Chapter": "2. How to use bzip2"}},
                                      "added_rows": [], "deleted_rows": []}
    page.run()
    button(page, "Generate course").click().run()
    wait_until_finished(page)
    labels = [contents(page).options[0], reading(page), page.dataframe[-1].value["Title"][0],
              *next(s for s in page.selectbox if s.label == "Chapter").options[:1]]
    assert [shown(label) for label in labels] == ["2. How to use bzip2"] * 4


def test_the_table_of_contents_follows_the_chapters_as_they_land(gemini_page, gemini_env):
    gemini_env.latency = 0.4
    one_at_a_time_without_retries(gemini_page)
    button(gemini_page, "Generate course").click().run()
    seen = set()
    deadline = time.monotonic() + 30
    while badge(gemini_page) != "Finished":
        assert time.monotonic() < deadline
        radios = [r for r in gemini_page.main.radio if r.key == "chapter"]
        if radios:
            seen.add(tuple(radios[0].proto.captions))
        time.sleep(0.1)
        gemini_page.run()
    assert any("Written" in states and "Waiting" in states for states in seen), seen
    assert set(contents(gemini_page).proto.captions) <= {"Written", ""}


def test_a_follow_up_estimates_only_what_it_has_left_to_write(gemini_page, gemini_env):
    fail_first_chapter(gemini_page, gemini_env)
    assert button(gemini_page, "Retry failed chapters")
    assert re.search(r"Estimated cost about \$[\d.]+ for the 1 chapter\(s\) left and the "
                     r"course summary \(prices as of", texts(gemini_page.caption))
    assert "over all of this course's runs" in texts(gemini_page.caption)
