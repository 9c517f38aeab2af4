"""In a real browser, a course full of hostile images and markup makes no request to any
other site: chapter text, titles, notes and sources all go through the page's safe path."""

from __future__ import annotations

import http.server
import json
import re
import threading

import pytest

from geminiteacher.engine.runner import run_course
from geminiteacher.models import CourseSettings
from tests.browser.harness import streamlit_server
from tests.test_ui_markdown import IMAGE_FORMS, URL

pytestmark = pytest.mark.browser

TEXT = "# Tides\n\nThe moon pulls the sea. High tide follows the moon around the earth.\n"


class Counting(http.server.BaseHTTPRequestHandler):
    """A stand-in for the attacker's site: counts every request it gets."""

    def do_GET(self) -> None:
        self.server.hits.append(self.path)  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def evil_site():
    """The counting site's image address, and the list of requests it got."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    server.hits = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/x.png?q=secret", server.hits
    server.shutdown()
    server.server_close()


def hostile_course(output, evil: str) -> str:
    """A saved course whose title, chapter and note hold every image form; its link token."""
    settings = CourseSettings(engine="offline", max_chapters=1, quiz_questions=1,
                              delay_range=(0.0, 0.0))
    run_course(TEXT, settings, title="Tides", output_dir=output, owner_token="t" * 32)
    forms = "\n\n".join(form.replace(URL, evil) for form in IMAGE_FORMS)
    folder = output / "Tides"
    data = next(folder.glob("chapter_01_*.json"))
    chapter = json.loads(data.read_text(encoding="utf-8"))
    chapter["explanation"] += "\n\n" + forms
    data.write_text(json.dumps(chapter), encoding="utf-8")
    manifest = json.loads((folder / "course.json").read_text(encoding="utf-8"))
    manifest["title"] = f"Tides ![t]({evil}) <img src=\"{evil}\">"
    manifest["warnings"] = [f"![w]({evil})"]
    (folder / "course.json").write_text(json.dumps(manifest), encoding="utf-8")
    return "t" * 32


def test_a_hostile_course_makes_the_browser_fetch_nothing_from_another_site(
        browser, tmp_path, evil_site):
    evil, hits = evil_site
    output = tmp_path / "output"
    token = hostile_course(output, evil)
    with streamlit_server(output) as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(f"{url}/?course={token}")
        page.get_by_role("heading", name=re.compile("Tides")).first.wait_for(timeout=30_000)
        # the reader opens on chapter 1: its images are there, as links
        page.get_by_text("Image: chart").first.wait_for()
        page.wait_for_timeout(1500)
        context.close()
    assert hits == []
