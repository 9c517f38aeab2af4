"""The SCORM package in Chromium, inside a page that plays the platform (window.API)."""

from __future__ import annotations

import functools
import http.server
import io
import threading
import zipfile
from pathlib import Path

import pytest

from geminiteacher.exports import export_bytes, load_course
from tests.export_helpers import MARKUP, hostile_course, offline_course

pytestmark = pytest.mark.browser

PLATFORM = """<!DOCTYPE html><html><head><meta charset="utf-8"><script>
window.calls = [];
window.values = {"cmi.core.lesson_status": "not attempted"};
function record(name, result) {
  return function (key, value) {
    window.calls.push([name, key, value === undefined ? null : String(value)]);
    if (name === "LMSSetValue") { window.values[key] = String(value); }
    if (name === "LMSGetValue") { return window.values[key] || ""; }
    return result;
  };
}
window.API = {
  LMSInitialize: record("LMSInitialize", "true"), LMSFinish: record("LMSFinish", "true"),
  LMSGetValue: record("LMSGetValue", ""), LMSSetValue: record("LMSSetValue", "true"),
  LMSCommit: record("LMSCommit", "true"), LMSGetLastError: record("LMSGetLastError", "0"),
  LMSGetErrorString: record("LMSGetErrorString", ""),
  LMSGetDiagnostic: record("LMSGetDiagnostic", "")
};
</script></head><body><iframe id="sco" name="sco" src="about:blank"></iframe></body></html>
"""


def serve(course: Path, tmp_path: Path):
    """The course's unpacked package and the platform page over HTTP on 127.0.0.1."""
    folder = tmp_path / "lms"
    zipfile.ZipFile(io.BytesIO(export_bytes(course, "scorm"))).extractall(folder)
    (folder / "platform.html").write_text(PLATFORM, encoding="utf-8")
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", load_course(course)
    server.shutdown()
    server.server_close()


@pytest.fixture
def served(tmp_path: Path):
    yield from serve(offline_course(tmp_path / "out"), tmp_path)


@pytest.fixture
def served_hostile(tmp_path: Path):
    yield from serve(hostile_course(tmp_path / "out"), tmp_path)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def open_chapter(page, url: str):
    """The platform page with the first chapter's SCO in its frame, its quiz ready."""
    page.goto(f"{url}/platform.html")
    frame_element = page.wait_for_selector("#sco")
    page.evaluate("url => { document.getElementById('sco').src = url; }",
                  f"{url}/chapter_01.html")
    frame = frame_element.content_frame()
    frame.wait_for_selector("#check")
    return frame


def test_the_quiz_reports_its_score_to_the_platform(browser, served):
    url, course = served
    chapter = course.chapters[0].content
    page = browser.new_page()
    try:
        frame = open_chapter(page, url)
        page.wait_for_function("window.calls.some(c => c[0] === 'LMSInitialize')")
        # answer every question right except the first
        for n, question in enumerate(chapter.quiz, 1):
            choice = question.answer if n > 1 else (question.answer + 1) % 4
            frame.check(f"input[name=q{n}][value='{choice}']")
        frame.click("#check")
        total = len(chapter.quiz)
        expected = str(round(100 * (total - 1) / total))
        assert frame.inner_text("#score") == f"{total - 1} of {total} right ({expected}%)"
        page.evaluate("document.getElementById('sco').src = 'about:blank'")
        page.wait_for_function("window.calls.some(c => c[0] === 'LMSFinish')")
        calls = page.evaluate("window.calls")
    finally:
        page.close()
    names = [c[0] for c in calls]
    assert names[0] == "LMSInitialize" and names[-1] == "LMSFinish"
    assert ["LMSSetValue", "cmi.core.score.raw", expected] in calls
    assert names.index("LMSCommit") > calls.index(["LMSSetValue", "cmi.core.score.raw", expected])
    assert ["LMSSetValue", "cmi.core.lesson_status", "completed"] in calls


def test_a_page_without_a_quiz_counts_as_completed_when_opened(browser, served):
    url, _ = served
    page = browser.new_page()
    try:
        page.goto(f"{url}/platform.html")
        page.evaluate("url => { document.getElementById('sco').src = url; }", f"{url}/index.html")
        page.wait_for_function("window.calls.some(c => c[0] === 'LMSCommit')")
        calls = page.evaluate("window.calls")
    finally:
        page.close()
    assert calls[0][0] == "LMSInitialize"
    assert ["LMSSetValue", "cmi.core.lesson_status", "completed"] in calls


def test_hostile_text_shows_as_text_and_the_quiz_still_reports(browser, served_hostile):
    url, course = served_hostile
    quiz = course.chapters[0].content.quiz
    page = browser.new_page()
    dialogs, remote = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: None if request.url.startswith(url)
            or request.url == "about:blank" else remote.append(request.url))
    try:
        frame = open_chapter(page, url)
        for n, question in enumerate(quiz, 1):
            frame.check(f"input[name=q{n}][value='{question.answer}']")
        frame.click("#check")
        score = frame.inner_text("#score")
        legend = frame.inner_text("#q1 legend")
        page.evaluate("document.getElementById('sco').src = 'about:blank'")
        page.wait_for_function("window.calls.some(c => c[0] === 'LMSFinish')")
        calls = page.evaluate("window.calls")
    finally:
        page.close()
    assert score.startswith(f"{len(quiz)} of {len(quiz)} right")
    assert ["LMSSetValue", "cmi.core.score.raw", "100"] in calls
    assert "<script>alert(1)</script>" in legend and MARKUP.split("\x01")[0] in legend
    assert dialogs == [] and remote == []
