"""The page as a teacher's workspace, at 1024, 1280 and 1920 pixels: the outline editor and
the status table show whole titles without scrolling sideways, the table of contents follows
the chapters as they land, the reader goes to the next chapter and back, and no title is
numbered twice.

The course is written through the fake Gemini server, whose outline is the document's
headings: 60-character titles, one of them carrying its own number.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.harness import streamlit_server
from tests.fakes.gemini_server import FakeGemini

pytestmark = pytest.mark.browser

LONG = 60_000  # ms
TITLES = [
    "How the membrane keeps water in and lets the right salts out",
    "2. How to use bzip2 to compress a folder of large log files.",
    "Comparing membrane proteins across the whole animal kingdom",
    "Deltas, meanders and the slow work of rivers on open plains",
    "Glaciers, moraines and the valleys that the ice left behind",
    "Tides and the pull of the moon on every coast of the oceans",
    "Storms at sea: how warm water feeds a hurricane on its path",
    "Dunes, winds and sand that moves across the deserts of Asia",
]  # more chapters than the page writes at once, so some land while others wait
SENTENCE = "Rivers carry water from the hills to the sea and shape the land as they go. "
DOUBLED = re.compile(r"(?<![\d.])\d+\. \d+\. ")
ORDER_PIXELS = 70  # the outline editor's Order column
FIGURES_PIXELS = 75 + 50 + 62  # the status table's Status, Tries and Time columns


@pytest.fixture(scope="module")
def writing(tmp_path_factory):
    """The page writing through the fake Gemini, a moment per call."""
    output = tmp_path_factory.mktemp("reader") / "output"
    with FakeGemini(latency=0.05) as fake, streamlit_server(
        output, {"GOOGLE_GEMINI_BASE_URL": fake.url, "GEMINI_API_KEY": "reader-test-key"}
    ) as url:
        fake.outline_size = len(TITLES)
        yield url, fake


@pytest.fixture(scope="module")
def document(tmp_path_factory):
    path = tmp_path_factory.mktemp("docs") / "long-titles.md"
    path.write_text("\n\n".join(
        f"## {title}\n\n{SENTENCE * 5}" for title in TITLES), encoding="utf-8")
    return path


MEASURE = """(el, other) => {
    const scroller = el.querySelector('.dvn-scroller');
    const canvas = document.createElement('canvas').getContext('2d');
    canvas.font = `14px ${getComputedStyle(document.body).fontFamily}`;
    const cells = [...el.querySelectorAll('table tbody tr td')].map(td => td.innerText.trim());
    const text = Math.max(...cells.map(t => canvas.measureText(t).width));
    return {width: el.getBoundingClientRect().width,
            room: el.parentElement.getBoundingClientRect().width,
            sideways: scroller.scrollWidth - scroller.clientWidth, text, other, cells};
}"""


def assert_whole_titles(grid, other: int) -> None:
    """The grid is wide enough for its longest cell beside `other` pixels of columns, fits
    its place on the page and does not scroll sideways."""
    grid.locator("table tbody tr td").first.wait_for(state="attached")
    found = grid.evaluate(MEASURE, other)
    assert found["sideways"] <= 1, found
    assert found["width"] <= found["room"] + 1, found
    assert found["width"] >= found["text"] + other + 16, found


def toc_states(page) -> list[str]:
    """The table of contents' state under each chapter, as shown."""
    return page.get_by_test_id("stRadio").filter(has_text="Contents").get_by_test_id(
        "stCaptionContainer").all_inner_texts()


@pytest.mark.parametrize("width", [1024, 1280, 1920])
def test_outline_status_table_and_reader_at_a_window_width(browser, writing, document, width):
    url, fake = writing
    context = browser.new_context(viewport={"width": width, "height": 1000})
    page = context.new_page()
    try:
        fake.latency = 0.05
        page.goto(url)
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(document)
        page.get_by_text(re.compile(r"Whole source: \d+")).wait_for(timeout=LONG)
        page.get_by_role("button", name="Plan outline").click()
        editor = page.get_by_test_id("stDataFrame").filter(has_text=TITLES[0])
        editor.wait_for(timeout=LONG)
        assert_whole_titles(editor, ORDER_PIXELS)

        fake.latency = 1.5  # the chapters land one after another, seconds apart
        page.get_by_role("button", name=re.compile("^Generate course$")).click()
        page.wait_for_url(re.compile(r"[?&]job="))
        expect(page.get_by_test_id("stRadio").filter(has_text="Contents")).to_be_visible(
            timeout=LONG)
        page.wait_for_function(  # live: one chapter written while another is not yet
            """() => { const s = [...document.querySelectorAll(
                '[data-testid=stRadio] [data-testid=stCaptionContainer]')].map(e => e.innerText);
                return s.includes('Written') && s.some(t => t !== 'Written' && t !== ''); }""",
            timeout=LONG)
        table = page.get_by_test_id("stDataFrame").filter(has_text="Tries")
        assert_whole_titles(table, FIGURES_PIXELS)

        fake.latency = 0.05
        page.get_by_text("Finished", exact=True).wait_for(timeout=LONG)
        expect(page.get_by_test_id("stRadio").filter(has_text="Contents")
               .get_by_test_id("stCaptionContainer").first).to_have_text("Written")
        assert set(toc_states(page)) <= {"Written", ""}
        assert_whole_titles(page.get_by_test_id("stDataFrame").filter(has_text="Tries"),
                            FIGURES_PIXELS)

        reading = page.get_by_role("heading", level=3)
        expect(reading.first).to_have_text(f"1. {TITLES[0]}")
        page.get_by_role("button", name=re.compile(r"^Next: ")).click()
        expect(reading.first).to_have_text(TITLES[1])  # its own number, not "2. 2."
        assert "chapter=2" in page.url
        page.get_by_role("button", name=re.compile(r"^Previous: ")).click()
        expect(reading.first).to_have_text(f"1. {TITLES[0]}")
        assert not DOUBLED.search(page.locator("body").inner_text())
    finally:
        context.close()
