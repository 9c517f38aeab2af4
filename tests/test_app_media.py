"""Media on the page through Streamlit's AppTest: the uploader takes pictures, recordings and
scans; each is listed with its kind, pages or length and tokens; offline refuses them in one
line each and keeps the rest; with Gemini a scan becomes a course."""

from __future__ import annotations

import json

from tests.media_files import long_wav_header, picture, scanned_pdf
from tests.test_app import NOTES, button, gemini_page, page, texts, wait_until_finished

__all__ = ["gemini_page", "page"]  # the fixtures, shared with tests/test_app.py


def files_table(at):
    return next(f.value for f in at.dataframe if "Length" in f.value.columns)


def test_media_are_listed_with_kind_pages_length_and_tokens(page):
    page.file_uploader[0].set_value([
        ("volcanoes.md", NOTES.encode(), "text/markdown"),
        ("scan.pdf", scanned_pdf(3), "application/pdf"),
        ("lecture.wav", long_wav_header(600), "audio/wav"),
    ]).run()
    table = files_table(page)
    assert list(table["File"]) == ["volcanoes.md", "scan.pdf", "lecture.wav"]
    assert list(table["Kind"]) == ["Markdown", "PDF", "Recording"]
    assert table["Pages"][1] == 3 and table["Length"][2] == "10:00"
    assert table["Tokens"][1] == 3 * 258 and table["Tokens"][2] == 600 * 32


def test_offline_refuses_each_media_file_in_one_line_and_keeps_the_rest(page, tmp_path):
    page.file_uploader[0].set_value([
        ("volcanoes.md", NOTES.encode(), "text/markdown"),
        ("scan.pdf", scanned_pdf(1), "application/pdf"),
        ("lecture.wav", long_wav_header(5), "audio/wav"),
    ]).run()
    errors = [e.value for e in page.error]
    assert [e.split(": ")[0] for e in errors] == ["scan.pdf", "lecture.wav"]
    assert all("\n" not in e and "Gemini" in e for e in errors)
    page.text_input(key="title").input("Volcanoes").run()
    button(page, "Generate course").click().run()
    wait_until_finished(page)
    data = json.loads((tmp_path / "Volcanoes" / "course.json").read_text())
    assert data["chapters"] and [f["name"] for f in data["source_files"]] == ["volcanoes.md"]


def test_with_gemini_a_scan_becomes_a_course_that_cites_its_pages(gemini_page, gemini_env,
                                                                  tmp_path):
    gemini_page.file_uploader[0].set_value([("scan.pdf", scanned_pdf(2),
                                             "application/pdf")]).run()
    assert not gemini_page.error
    assert "pictures, pages and recordings" in texts(gemini_page.caption)
    next(s for s in gemini_page.sidebar.selectbox if s.label == "Media resolution") \
        .set_value("low").run()
    gemini_page.text_input(key="title").input("Scan").run()
    button(gemini_page, "Generate course").click().run()
    wait_until_finished(gemini_page)
    chapter = json.loads(next((tmp_path / "Scan").glob("chapter_01_*.json")).read_text())
    assert "Media seen: scan.pdf" in chapter["explanation"]
    assert chapter["sources"][0]["pages"] == [1, 2]
    assert gemini_env.files.live() == []


def test_a_course_lists_its_sources_with_geminis_own_count_of_each_upload(
        gemini_page, gemini_env, tmp_path):
    gemini_page.file_uploader[0].set_value([("board.png", picture(), "image/png")]).run()
    assert files_table(gemini_page)["Counted by"][0] == "estimate"
    gemini_page.text_input(key="title").input("Board").run()
    button(gemini_page, "Generate course").click().run()
    wait_until_finished(gemini_page)
    data = json.loads((tmp_path / "Board" / "course.json").read_text())
    assert data["files"] == {}  # the upload is gone; Gemini's count of it is kept
    [counted] = data["media_tokens"].values()
    gemini_page.run()
    tables = [f.value for f in gemini_page.dataframe if "Counted by" in f.value.columns]
    listed = [t for t in tables if list(t["Counted by"]) == ["Gemini"]]
    assert listed and listed[0]["Tokens"][0] == counted == 258  # the fake's count, not 1,120
