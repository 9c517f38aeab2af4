"""Take the README's pictures of the page's three stages through the fake Gemini:
docs/material.png (documents read and sized), docs/outline.png (the planned outline being
edited) and docs/course.png (the reader while chapters are still landing).

Run from the repository root: `python -m tests.browser.screenshot`. A few scripted server
errors make a retry show in the table of contents and the timeline.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from tests.browser.conftest import SAMPLES
from tests.browser.harness import ROOT, launch, streamlit_server
from tests.fakes.gemini_server import FakeGemini

DOCS = ROOT / "docs"
VIEWPORT = {"width": 1440, "height": 1000}
LONG = 90_000  # ms
LANDING = """() => { const s = [...document.querySelectorAll(
    '[data-testid=stRadio] [data-testid=stCaptionContainer]')].map(e => e.innerText);
    return s.filter(t => t === 'Written').length >= 3 && s.some(t => t !== 'Written'); }"""


def shoot(page, top, name: str) -> None:
    """The window with `top` scrolled to its upper edge, saved as docs/<name>.png."""
    top.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(600)
    page.screenshot(path=str(DOCS / f"{name}.png"))
    print(f"wrote {DOCS / f'{name}.png'}")


def main() -> int:
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        files = []
        for name, text in SAMPLES.items():
            (folder / name).write_text(text * 8, encoding="utf-8")
            files.append(folder / name)
        with FakeGemini(latency=0.3, seed=3) as fake, streamlit_server(
            folder / "output", {"GOOGLE_GEMINI_BASE_URL": fake.url, "GEMINI_API_KEY": "demo"}
        ) as url, sync_playwright() as playwright:
            fake.outline_size = 8
            browser = launch(playwright)
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(url)
            page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(files)
            title = page.get_by_role("textbox", name="Course title")
            expect(title).to_have_value("rivers", timeout=LONG)  # the uploads have been read
            title.fill("Rivers and lakes")
            title.press("Enter")
            page.get_by_text(re.compile(r"Whole source: \d+")).wait_for(timeout=LONG)
            shoot(page, page.get_by_role("heading", name="GeminiTeacher"), "material")

            page.get_by_role("button", name="Plan outline").click()
            page.get_by_text("Rename chapters").wait_for(timeout=LONG)
            shoot(page, page.get_by_role("heading", name="Outline"), "outline")

            fake.latency, fake.jitter = 2.5, 1.5
            page.get_by_role("button", name=re.compile("^Generate course$")).click()
            page.wait_for_url(re.compile(r"[?&]job="))
            page.get_by_role("radiogroup", name="Contents").wait_for(timeout=LONG)
            fake.fail_next(2, 503)
            page.wait_for_function(LANDING, timeout=LONG)
            page.set_viewport_size({"width": VIEWPORT["width"], "height": 1800})  # to the reader
            shoot(page, page.get_by_role("heading", name="Rivers and lakes", exact=True),
                  "course")
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
