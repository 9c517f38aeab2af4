"""The page's Links box through Streamlit's AppTest: links listed with their kind, refusals one
line each, private addresses refused, and a course made from a web page link."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geminiteacher.ingest.links import ALLOW_PRIVATE_ENV
from tests.test_app import KEY_VARIABLES, button, shown, texts, wait_until_finished

APP = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")


@pytest.fixture
def page(fake_web, monkeypatch, tmp_path) -> AppTest:
    """The page with no API key, writing into tmp_path; the fake web server is reachable."""
    monkeypatch.setenv("GEMINITEACHER_OUTPUT_DIR", str(tmp_path))
    for name in KEY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return AppTest.from_file(APP, default_timeout=30).run()


def links_table(at: AppTest):
    return next(frame.value for frame in at.dataframe if "Kind" in frame.value.columns)


def test_links_are_listed_with_their_kind_and_refusals_in_one_line_each(page, fake_web):
    page.text_area(key="links").input("\n".join([
        fake_web.url("tides.html"), "", fake_web.url("glaciers.pdf"),
        "https://youtu.be/9hE5-98ZeCg", fake_web.url("photo.png"), fake_web.url("loop"),
    ])).run()
    table = links_table(page)
    assert list(table["Kind"]) == ["web page", "PDF", "YouTube video"]
    assert list(table["Read as"])[:2] == ["Tides (127.0.0.1).html", "glaciers (127.0.0.1).pdf"]
    errors = [shown(e.value) for e in page.error]
    assert [e.split(": ")[0] for e in errors] == [fake_web.url("photo.png"),
                                                 fake_web.url("loop"), "YouTube 9hE5-98ZeCg"]
    assert "only Gemini reads it" in errors[2]  # no key here: the offline engine cannot
    assert all("\n" not in e for e in errors)
    files = page.dataframe[-1].value
    assert "Tides (127.0.0.1).html" in list(files["File"])
    assert page.text_input(key="title").value == "Tides (127.0.0.1)"


def test_a_private_link_is_refused_on_the_page_without_connecting(page, fake_web, monkeypatch):
    monkeypatch.delenv(ALLOW_PRIVATE_ENV)
    page.text_area(key="links").input(fake_web.url("tides.html")).run()
    assert "only public addresses are fetched" in texts(page.error)
    assert fake_web.requests == []


def test_a_course_from_a_web_page_link(page, fake_web, tmp_path):
    page.text_area(key="links").input(fake_web.url("tides.html")).run()
    page.text_input(key="title").input("Tides").run()
    button(page, "Generate course").click().run()
    wait_until_finished(page)
    data = json.loads((tmp_path / "Tides" / "course.json").read_text())
    assert data["chapters"] and all(c["status"] == "done" for c in data["chapters"])
    assert fake_web.requests.count("/tides.html") == 1  # fetched once, not on every rerun


def test_several_links_are_fetched_at_once(page, fake_web):
    page.text_area(key="links").input("\n".join(fake_web.url(f"slow?n={n}")
                                                for n in range(3))).run()
    assert len(links_table(page)) == 3
    assert fake_web.peak >= 2
