"""The page in Chromium with a local OpenAI-compatible server (the fake, as Ollama): the
server's section says nothing leaves the machine, and a whole course is written by it."""

from __future__ import annotations

import re

import pytest

from tests.browser.harness import streamlit_server
from tests.browser.test_e2e import contents, generate
from tests.fakes.openai_server import FakeOpenAI

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def ollama_page(tmp_path_factory):
    output = tmp_path_factory.mktemp("openai") / "output"
    with FakeOpenAI("ollama", models=("llama3.2:latest",), window=8192, latency=0.05) as fake, \
            streamlit_server(output, {"OPENAI_BASE_URL": fake.base_url}) as url:
        yield url, fake


def test_a_local_server_writes_the_whole_course_and_nothing_leaves_the_machine(
        browser, ollama_page, sample_files):
    url, fake = ollama_page
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(url)
        page.get_by_text("nothing leaves it").wait_for()
        page.get_by_role("combobox", name="Model").wait_for()
        generate(page, url, sample_files[:1])
        assert fake.count("chapter") >= 1 and fake.count("summary") == 1
        page.get_by_text(re.compile("no price is known")).wait_for()
        labels = contents(page).get_by_test_id("stRadioOption").all_inner_texts()
        assert labels[0].startswith("1. ")  # the reader opens on the first chapter
        page.get_by_role("button", name="Check answers").wait_for()
        page.get_by_role("heading", name="Sources").first.wait_for()
    finally:
        context.close()
