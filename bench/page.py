"""The page: how soon it is drawn, how soon the first chapter shows, and what one refresh
costs the server.

Runs the real `streamlit run streamlit_app.py` on 127.0.0.1 (the offline engine: no key is
visible to the server) and the system Chromium through Playwright.
- first paint: from opening the page to its *Generate course* button on screen, in a fresh
  tab (median of 3).
- first chapter: from the click on `Generate course` to the first chapter marked written in
  the reader's table of contents, for a small Markdown upload with default settings. The live
  view refreshes every `REFRESH_SECONDS`, which bounds how soon a finished chapter can appear.
- refresh: a saved 50-chapter course opened from the workspace; a full rerun is triggered
  by toggling a sidebar checkbox, and the server time is read off the websocket, from the
  browser's `rerun_script` message to the server's `script_finished` (median of 3).
"""

from __future__ import annotations

import re
import statistics
import tempfile
import time
from pathlib import Path

from bench.harness import material
from bench.report import Figure
from geminiteacher.engine.runner import run_course
from geminiteacher.models import CourseSettings

NAME = "page"
ROOT = Path(__file__).resolve().parents[1]
FIFTY = "Fifty chapters"
LONG = 60_000  # ms
_CHAPTERS_SHOWN = ("n => [...document.querySelectorAll("
                   "'[data-testid=stRadio] [data-testid=stCaptionContainer]')]"
                   ".filter(c => c.innerText === 'Written').length >= n")


def _skip(reason: str) -> list[Figure]:
    return [Figure(NAME, "page", f"skipped: {reason}")]


class Frames:
    """Times of the rerun requests sent and the script-finished messages received."""

    def __init__(self) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self._back, self._forward = BackMsg, ForwardMsg
        self.sent: list[float] = []
        self.finished: list[float] = []

    def attach(self, websocket) -> None:
        websocket.on("framesent", self._on_sent)
        websocket.on("framereceived", self._on_received)

    def _on_sent(self, payload) -> None:
        if isinstance(payload, bytes):
            message = self._back.FromString(payload)
            if message.WhichOneof("type") == "rerun_script":
                self.sent.append(time.perf_counter())

    def _on_received(self, payload) -> None:
        if isinstance(payload, bytes):
            message = self._forward.FromString(payload)
            if message.WhichOneof("type") == "script_finished":
                self.finished.append(time.perf_counter())


def refresh_seconds(browser, url: str, runs: int = 3) -> float:
    """Median server time of a full rerun with the saved 50-chapter course on screen."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    frames = Frames()
    page.on("websocket", frames.attach)
    page.goto(url)
    page.get_by_text("No course yet").wait_for(timeout=LONG)
    page.locator("summary", has_text="Workspace").click()
    page.get_by_role("button", name="Open course").click()
    page.wait_for_function(_CHAPTERS_SHOWN, arg=50, timeout=LONG)
    times = []
    for _ in range(runs):
        page.wait_for_timeout(300)
        sent, done = len(frames.sent), len(frames.finished)
        page.get_by_text("Exactly this many chapters").click()
        deadline = time.monotonic() + LONG / 1000
        while (len(frames.sent) == sent or len(frames.finished) == done) \
                and time.monotonic() < deadline:
            page.wait_for_timeout(5)
        times.append(frames.finished[-1] - frames.sent[-1])
    page.close()
    return statistics.median(times)


def first_paint_seconds(browser, url: str, runs: int = 3) -> float:
    """Median seconds from opening the page to its *Generate course* button on screen."""
    times = []
    for _ in range(runs):
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        started = time.perf_counter()
        page.goto(url)
        page.get_by_role("button", name=re.compile("Generate course")).wait_for(timeout=LONG)
        times.append(time.perf_counter() - started)
        page.close()
    return statistics.median(times)


def first_chapter_seconds(browser, url: str, upload: Path) -> float:
    """Seconds from clicking `Generate course` until a chapter is on screen."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.get_by_text("No course yet").wait_for(timeout=LONG)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(upload))
    button = page.get_by_role("button", name=re.compile("Generate course"))
    expect(button).to_be_enabled(timeout=LONG)
    started = time.perf_counter()
    button.click()
    page.wait_for_function(_CHAPTERS_SHOWN, arg=1, timeout=LONG)
    seconds = time.perf_counter() - started
    page.close()
    return seconds


def run_scenario(quick: bool) -> list[Figure]:
    if not (ROOT / "streamlit_app.py").exists():
        return _skip("page not ready (no streamlit_app.py)")
    from tests.browser.harness import CHROMIUM, launch, streamlit_server

    if not CHROMIUM.exists():
        return _skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    view = ROOT / "geminiteacher" / "ui" / "course.py"
    found = re.search(r"^REFRESH_SECONDS = ([\d.]+)", view.read_text(), re.MULTILINE)
    every = f", live view refreshes every {float(found.group(1)):g} s" if found else ""
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "output"
        settings = CourseSettings(engine="offline", max_chapters=50, fixed_chapter_count=True,
                                  delay_range=(0.0, 0.0))
        run_course(material(50, 50 * 800), settings, title=FIFTY, output_dir=str(output))
        upload = Path(tmp) / "notes.md"
        upload.write_text(material(6, 6000), encoding="utf-8")
        with streamlit_server(output, {"GEMINITEACHER_SHARED_WORKSPACE": "1"}) as url, \
                sync_playwright() as playwright:
            browser = launch(playwright)
            try:
                paint = first_paint_seconds(browser, url)
                refresh = refresh_seconds(browser, url)
                first = first_chapter_seconds(browser, url, upload)
            finally:
                browser.close()
    return [
        Figure(NAME, "open the page -> drawn (Generate course on screen)", paint, "s"),
        Figure(NAME, f"Generate course -> first chapter visible{every}", first, "s"),
        Figure(NAME, "server time of one full rerun, 50 chapters on screen", refresh, "s"),
    ]
