"""Take docs/screenshot.png: the page in the middle of a course written through the fake Gemini.

Run from the repository root: `python -m tests.browser.screenshot`. A few scripted server
errors make retries (and their waits) show in the timeline.
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

TARGET = ROOT / "docs" / "screenshot.png"


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        files = []
        for name, text in SAMPLES.items():
            (folder / name).write_text(text * 8, encoding="utf-8")
            files.append(folder / name)
        with FakeGemini(latency=2.5, jitter=1.5, seed=3) as fake, streamlit_server(
            folder / "output", {"GOOGLE_GEMINI_BASE_URL": fake.url, "GEMINI_API_KEY": "demo"}
        ) as url, sync_playwright() as playwright:
            fake.outline_size = 8
            browser = launch(playwright)
            page = browser.new_page(viewport={"width": 1500, "height": 1250})
            page.goto(url)
            page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(files)
            title = page.get_by_role("textbox", name="Course title")
            expect(title).to_have_value("rivers")  # the uploads have been read
            title.fill("Rivers and lakes")
            title.press("Enter")
            page.get_by_role("button", name=re.compile("Generate course")).click()
            page.wait_for_url(re.compile(r"[?&]job="))
            chapter = page.locator("summary").filter(has_text=re.compile(r"\d+\. \w"))
            chapter.first.wait_for(timeout=60_000)
            fake.fail_next(2, 503)
            page.wait_for_timeout(3_000)
            TARGET.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(TARGET), full_page=True)
            browser.close()
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
