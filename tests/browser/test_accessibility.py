"""WCAG 2 A/AA in a real browser: axe-core finds nothing in the page's four states, and the
whole flow (add a document, start, cancel, resume, download) works from the keyboard alone.

axe-core comes bundled in `axe-playwright-python`; nothing is downloaded at run time. The
course is written through the fake Gemini server, slowed down so it can be seen running.
"""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser.harness import streamlit_server
from tests.fakes.gemini_server import FakeGemini

pytestmark = pytest.mark.browser

LONG = 60_000  # ms: a whole course in the slowest CI
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
           "resultTypes": ["violations"]}


@pytest.fixture(scope="module")
def slow_gemini(tmp_path_factory):
    """The page writing through the fake Gemini (its pace set by `moderate_pace`)."""
    output = tmp_path_factory.mktemp("a11y") / "output"
    with FakeGemini(latency=0.6) as fake, streamlit_server(
        output, {"GOOGLE_GEMINI_BASE_URL": fake.url, "GEMINI_API_KEY": "a11y-test-key"}
    ) as url:
        yield url, fake


@pytest.fixture(autouse=True)
def moderate_pace(slow_gemini):
    """Each test starts from the same pace: a moment per call, four chapters."""
    _, fake = slow_gemini
    fake.latency, fake.outline_size = 0.6, 4


@pytest.fixture
def page(browser):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


def assert_no_violations(page, state: str) -> None:
    results = Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, f"{state}: {results.generate_report()}"


def test_axe_finds_no_wcag_violation_in_any_state(page, slow_gemini, sample_files, tmp_path):
    url, _ = slow_gemini
    page.goto(url)
    page.get_by_text("No course yet").wait_for()
    assert_no_violations(page, "empty page")

    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"not a pdf at all")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([*sample_files, broken])
    page.get_by_text(re.compile(r"Whole source: \d+")).wait_for()
    page.get_by_role("alert").filter(has_text="broken.pdf").wait_for()
    assert_no_violations(page, "files listed, one refused")

    page.get_by_role("button", name=re.compile("^Generate course$")).click()
    page.get_by_role("button", name="Cancel").wait_for(timeout=LONG)
    page.get_by_text(re.compile(r"\d+ of \d+ chapters written")).wait_for(timeout=LONG)
    assert_no_violations(page, "course running")

    page.get_by_text("Finished", exact=True).wait_for(timeout=LONG)
    contents(page).get_by_text("Course summary").wait_for()
    for summary in page.locator("summary").all():  # open every expander: the timeline's table
        summary.click()
    page.get_by_role("table").first.wait_for()
    quiz = page.get_by_test_id("stForm").first  # the quiz of the chapter being read
    quiz.get_by_role("radiogroup").first.locator("label").filter(has_text="A) ").click()
    page.get_by_role("button", name="Check answers").click()  # answered and unanswered, a score
    page.get_by_text("Score", exact=True).wait_for()
    page.get_by_role("alert").filter(has_text=re.compile(r"Right|Not quite")).first.wait_for()
    assert_no_violations(page, "finished course in the reader, its quiz checked")
    page.get_by_role("button", name=re.compile(r"^Next: ")).click()
    page.get_by_role("button", name=re.compile(r"^Previous: ")).wait_for()
    contents(page).get_by_text("Course summary").click()
    page.get_by_role("heading", name="Course summary", level=3).wait_for()
    assert_no_violations(page, "the reader on the course summary")


def contents(page):
    """The reader's table of contents."""
    return page.get_by_test_id("stRadio").filter(has_text="Contents")


def focused(page) -> str:
    """The label of the element that has the keyboard focus (its text's last line: the first
    lines of a button's text are the name of its icon)."""
    return page.evaluate("""() => { const e = document.activeElement;
        if (e.tagName === 'MAIN') return '[main]';  // the skip link's target
        const text = (e.getAttribute('aria-label') || e.innerText || '').trim();
        return text.split('\\n').pop().trim(); }""")


def tab_to(page, name: re.Pattern[str], limit: int = 150) -> None:
    """Press Tab until the focus is on an element whose label matches; it must show a focus ring."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        seen.append(focused(page))
        if name.search(seen[-1]):
            ring = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
                return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)
                       || s.boxShadow !== 'none'; }""")
            assert ring, f"{focused(page)!r} has the focus but shows no focus indicator"
            return
    raise AssertionError(f"Tab never reached {name.pattern!r}; it went through {seen}")


def open_chooser(page, presses: int = 4):
    """Press Enter on the Upload button until the file chooser opens.

    Headless Chromium now and then drops a chooser request, and a rerun of the page can
    redraw the button under the focus; a person would wait, find the button again and press
    again, and so does this (a few times at most).
    """
    upload = re.compile(r"^Upload$")
    for attempt in range(presses):
        page.get_by_test_id("stStatusWidget").wait_for(state="detached")
        if not upload.search(focused(page)):
            tab_to(page, upload)
        last = attempt == presses - 1
        try:
            with page.expect_file_chooser(timeout=30_000 if last else 10_000) as chooser:
                page.keyboard.press("Enter")
            return chooser.value
        except PlaywrightTimeoutError:
            if last:
                raise
    return None


def test_keyboard_alone_adds_starts_cancels_resumes_and_downloads(page, slow_gemini,
                                                                  sample_files, tmp_path):
    url, fake = slow_gemini
    page.goto(url)
    page.get_by_role("combobox", name="Model").wait_for()  # the page is drawn to the end
    page.get_by_test_id("stStatusWidget").wait_for(state="detached")
    tab_to(page, re.compile(r"^Upload$"))
    open_chooser(page).set_files(sample_files[:1])
    page.get_by_text(re.compile(r"Whole source: \d+")).wait_for()

    tab_to(page, re.compile("^Generate course$"))
    fake.latency, fake.outline_size = 3.0, 10  # chapters are left to write after the cancel
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Cancel").wait_for(timeout=LONG)
    page.get_by_text(re.compile(r"\d+ of \d+ chapters written")).wait_for(timeout=LONG)
    tab_to(page, re.compile(r"^Cancel$"))
    page.keyboard.press("Enter")
    page.locator(".stMarkdownBadge").filter(has_text=re.compile("^Cancelled$")).wait_for(
        timeout=LONG)  # the badge, not a chapter's state in the contents

    fake.latency = 0.1
    tab_to(page, re.compile(r"^Resume"))
    page.keyboard.press("Enter")
    page.get_by_text("Finished", exact=True).wait_for(timeout=LONG)

    tab_to(page, re.compile("^Download zip$"))
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.endswith(".zip")


def test_the_focus_order_follows_the_page(page, slow_gemini, sample_files):
    url, _ = slow_gemini
    page.goto(url)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(sample_files[:1])
    page.get_by_role("button", name=re.compile("^Generate course$")).click()
    page.get_by_text("Finished", exact=True).wait_for(timeout=LONG)
    contents(page).get_by_text("Course summary").wait_for()
    tab_to(page, re.compile("^Skip to main content$"))
    order = [focused(page)]
    while len(order) < 200:
        page.keyboard.press("Tab")
        if focused(page) == order[0]:
            break
        order.append(focused(page))
    landmarks = ["Gemini API key", "Add files", "Course title", "Generate course",
                 "Download zip", "Check answers"]  # sidebar, material, course: top to bottom
    assert [order.index(label) for label in landmarks] == sorted(
        order.index(label) for label in landmarks), " | ".join(order)


def test_progress_and_errors_reach_assistive_technology(page, slow_gemini, sample_files,
                                                        tmp_path):
    url, _ = slow_gemini
    page.goto(url)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"not a pdf at all")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([sample_files[0], broken])
    page.get_by_role("alert").filter(has_text="broken.pdf").wait_for()
    page.get_by_role("button", name=re.compile("^Generate course$")).click()
    status = page.get_by_role("status").filter(has_text=re.compile(r"chapters written"))
    status.wait_for(timeout=LONG)
    assert status.get_attribute("aria-live") == "polite"
    page.get_by_role("status").filter(has_text=re.compile(r"^(\d+) of \1 chapters written")
                                      ).wait_for(timeout=LONG)
