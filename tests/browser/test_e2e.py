"""The page in a real browser: upload, generate, watch, download, reconnect, stay private.

Each module-scoped server is a real `streamlit run streamlit_app.py` on 127.0.0.1; Chromium
is the system one. The Gemini case goes through the fake Gemini server.
"""

from __future__ import annotations

import json
import re
import zipfile

import pytest
from playwright.sync_api import expect

from tests.browser.harness import streamlit_server
from tests.fakes.gemini_server import FakeGemini

pytestmark = pytest.mark.browser

SECRET = "AIza-browser-test-secret-0123456789"
LONG = 60_000  # ms: a whole course in the slowest CI


@pytest.fixture(scope="module")
def offline_url(tmp_path_factory):
    output = tmp_path_factory.mktemp("offline") / "output"
    with streamlit_server(output) as url:
        yield url


@pytest.fixture(scope="module")
def gemini_server(tmp_path_factory):
    output = tmp_path_factory.mktemp("gemini") / "output"
    with FakeGemini(latency=0.05) as fake, streamlit_server(
        output, {"GOOGLE_GEMINI_BASE_URL": fake.url, "GEMINI_API_KEY": SECRET}
    ) as url:
        yield url, fake


def generate(page, url: str, files) -> None:
    """Open the page, upload `files`, press Generate course and wait until the course is done."""
    page.goto(url)
    page.get_by_text("No course yet").wait_for()
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(files)
    page.get_by_role("button", name=re.compile("Generate course")).click()
    page.wait_for_url(re.compile(r"[?&]job="))
    page.get_by_text("Finished", exact=True).wait_for(timeout=LONG)
    contents(page).get_by_text("Course summary").wait_for()  # there once the course is done


def contents(page):
    """The reader's table of contents."""
    return page.get_by_test_id("stRadio").filter(has_text="Contents")


def download_zip(page, tmp_path) -> zipfile.ZipFile:
    with page.expect_download() as info:
        page.get_by_role("button", name=re.compile("Download zip")).click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    return zipfile.ZipFile(target)


@pytest.fixture(scope="module")
def offline_course(browser, offline_url, sample_files):
    """One session that generated a course from two uploads with the offline engine."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    generate(page, offline_url, sample_files)
    yield page
    context.close()


def test_generated_course_shows_its_chapters_with_quiz_and_sources(offline_course):
    page = offline_course
    assert page.get_by_role("heading", name="rivers", exact=True).is_visible()
    labels = contents(page).get_by_test_id("stRadioOption").all_inner_texts()
    assert labels[0].startswith("1. ") and labels[-1].startswith("Course summary")
    first = page.get_by_role("heading", level=3).first
    assert first.inner_text() == labels[0].split("\n")[0]
    page.get_by_role("heading", name="Explanation").first.wait_for()
    page.get_by_role("heading", name="Sources").first.wait_for()
    quizzed = []  # the offline engine quizzes a chapter only when it has enough to ask
    for label in labels[:-1]:
        contents(page).get_by_test_id("stRadioOption").filter(has_text=label.split("\n")[0]) \
            .click()
        expect(first).to_have_text(label.split("\n")[0])
        page.get_by_test_id("stStatusWidget").wait_for(state="detached")  # drawn to the end
        quizzed.append(page.get_by_role("button", name="Check answers").count())
    assert any(quizzed), "no chapter drew its quiz"


def test_zip_download_holds_chapters_summary_index_and_manifest(offline_course, tmp_path):
    archive = download_zip(offline_course, tmp_path)
    names = [n.split("/", 1)[1] for n in archive.namelist()]
    assert {"summary.md", "index.md", "course.json"} <= set(names)
    assert any(re.fullmatch(r"chapter_01_\w+\.md", n) for n in names)
    manifest = json.loads(archive.read(next(n for n in archive.namelist()
                                            if n.endswith("course.json"))))
    assert manifest["engine"] == "offline" and manifest["state"] == "done"


def test_reload_and_second_tab_find_the_job_by_its_link(offline_course):
    url = offline_course.url
    offline_course.reload()
    offline_course.get_by_text("Finished", exact=True).wait_for()
    tab = offline_course.context.new_page()
    tab.goto(url)
    tab.get_by_role("heading", name="rivers", exact=True).wait_for()
    tab.get_by_text("Finished", exact=True).wait_for()
    tab.close()


def test_two_browser_contexts_stay_apart(browser, offline_url, offline_course, sample_files):
    other = browser.new_context()
    page = other.new_page()
    try:
        generate(page, offline_url, sample_files[1:])
        assert page.get_by_role("heading", name="lakes", exact=True).is_visible()
        page.get_by_text("lakes · done").wait_for()  # the whole page redrawn after the run
        session_list = page.get_by_text(re.compile(r"· (done|running|queued)$"))
        assert session_list.all_inner_texts() == ["lakes · done"]
        page.locator("summary", has_text="Workspace").click()
        titles = page.get_by_test_id("stExpander").filter(has_text="Workspace").locator(
            "table tbody tr td:first-child")  # the grid's cells, as assistive technology reads
        titles.first.wait_for(state="attached")
        assert titles.all_text_contents() == ["lakes"]
        assert page.get_by_text(re.compile("rivers", re.IGNORECASE)).count() == 0
    finally:
        other.close()


def test_a_new_context_sees_none_of_the_first_contexts_courses(browser, offline_url,
                                                               offline_course):
    stranger = browser.new_context()
    page = stranger.new_page()
    try:
        page.goto(offline_url)
        page.get_by_text("No course yet").wait_for()
        page.locator("summary", has_text="Workspace").click()
        page.get_by_text("Courses you make, or open from their link").wait_for()
        assert page.get_by_text(re.compile("rivers", re.IGNORECASE)).count() == 0
        page.goto(offline_course.url)  # the first context's link opens its course here too
        page.get_by_role("heading", name="rivers", exact=True).wait_for()
    finally:
        stranger.close()


def test_gemini_course_through_the_fake_server_never_leaks_the_key(browser, gemini_server,
                                                                   sample_files, tmp_path):
    url, fake = gemini_server
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    try:
        generate(page, url, sample_files)
        archive = download_zip(page, tmp_path)
        assert "?job=" in page.url and SECRET not in page.url
    finally:
        context.close()
    names = [n.split("/", 1)[1] for n in archive.namelist()]
    assert {"summary.md", "index.md", "course.json"} <= set(names)
    assert any(n.startswith("chapter_01_") for n in names)
    for name in archive.namelist():
        assert SECRET.encode() not in archive.read(name), f"{name} holds the key"
    manifest = json.loads(archive.read(next(n for n in archive.namelist()
                                            if n.endswith("course.json"))))
    assert manifest["engine"] == "gemini"
    assert fake.count("chapter") >= 1
