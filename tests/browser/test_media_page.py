"""The page in Chromium with Gemini (the fake): a scanned PDF and a recording are uploaded,
listed with their kind, pages and length, written into a course whose chapters cite pages
and time ranges, and no upload is left at Gemini afterwards."""

from __future__ import annotations

import re

import pytest

from tests.browser.harness import streamlit_server
from tests.browser.test_e2e import generate
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.plugin import TEST_KEY
from tests.media_files import long_wav_header, scanned_pdf

pytestmark = pytest.mark.browser


def test_a_scan_and_a_recording_become_a_course_that_cites_pages_and_times(browser,
                                                                          tmp_path):
    (tmp_path / "scan.pdf").write_bytes(scanned_pdf(2))
    (tmp_path / "lecture.wav").write_bytes(long_wav_header(120))
    with FakeGemini() as fake, streamlit_server(tmp_path / "output", {
            "GEMINI_API_KEY": TEST_KEY, "GOOGLE_GEMINI_BASE_URL": fake.url}) as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        try:
            generate(page, url, [tmp_path / "scan.pdf", tmp_path / "lecture.wav"])
            page.get_by_role("heading", name="Sources").first.wait_for()  # chapter 1 shows
            page.get_by_text(re.compile(r"scan\.pdf, pp\. 1\u20132")).first.wait_for()
            page.get_by_text(re.compile(r"lecture\.wav, 0:30\u20131:00")).first.wait_for()
        finally:
            context.close()
        assert sorted(fake.files.uploaded) == ["lecture.wav", "scan.pdf"]
        assert fake.files.live() == []
