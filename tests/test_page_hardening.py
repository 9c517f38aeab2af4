"""The page holds up against damaged course folders and hostile course text."""

from __future__ import annotations

import json

from tests import test_app
from tests.test_app import NOTES, badge, contents, heading, make_course, opened, texts
from tests.test_page_key import everything_shown
from tests.test_ui_markdown import fetches

page = test_app.page  # the page fixture: an AppTest writing into tmp_path, with no key


def damage(folder, text: str = "[1, 2]") -> None:
    (folder / "course.json").write_text(text, encoding="utf-8")


def test_a_damaged_course_is_a_warning_in_the_workspace_and_the_others_stay_listed(
        page, tmp_path, monkeypatch):
    make_course(page, "Good volcanoes")
    (tmp_path / "Broken").mkdir()
    damage(tmp_path / "Broken")
    monkeypatch.setenv("GEMINITEACHER_SHARED_WORKSPACE", "1")
    colleague = opened({})
    assert not colleague.exception
    assert next(s for s in colleague.selectbox if s.label == "Course").options == [
        "Good volcanoes"]
    assert "Broken/course.json is damaged (it holds a list, not an object)" in texts(
        colleague.warning)


def test_a_link_to_a_damaged_course_says_what_is_wrong_and_other_links_still_open(
        page, tmp_path):
    token = make_course(page, "Damaged volcanoes")
    other = make_course(page, "Intact volcanoes", NOTES + "\nAnother paragraph.\n")
    manifest = json.loads((tmp_path / "Damaged_volcanoes" / "course.json").read_text())
    damage(tmp_path / "Damaged_volcanoes", json.dumps({**manifest, "chapters": "all"}))
    fresh = opened({"course": token})
    assert not fresh.exception
    assert "Damaged_volcanoes/course.json is damaged (chapters is text)" in texts(fresh.error)
    intact = opened({"course": other})
    assert not intact.exception and not intact.error
    assert heading(intact) == "Intact volcanoes" and badge(intact) == "Finished"


def test_a_link_to_a_course_whose_manifest_is_not_even_an_object_is_unknown_not_fatal(
        page, tmp_path):
    token = make_course(page, "Damaged volcanoes")
    damage(tmp_path / "Damaged_volcanoes", "[1, 2]")
    fresh = opened({"course": token})
    assert not fresh.exception
    assert "This course link is not known here" in texts(fresh.error)


HOSTILE = "![logo](https://evil.example/t.png) <img src=https://evil.example/i.png> :red[x]"


def test_the_page_never_shows_the_servers_folder_path(page, tmp_path):
    make_course(page, "Volcanoes")
    shown = everything_shown(page.main) + everything_shown(page.sidebar)
    assert "Volcanoes" in shown and str(tmp_path) not in shown


def test_titles_from_people_and_models_render_as_text_everywhere_on_the_page(page, tmp_path):
    make_course(page, HOSTILE)
    folder = next(p for p in tmp_path.iterdir() if (p / "course.json").exists())
    manifest = json.loads((folder / "course.json").read_text(encoding="utf-8"))
    manifest["chapters"][0]["title"] = HOSTILE
    manifest["warnings"] = [HOSTILE]
    (folder / "course.json").write_text(json.dumps(manifest), encoding="utf-8")
    page.run()
    labels = [heading(page), *(s.value for s in page.main.subheader), *contents(page).options,
              *(b.label for b in page.button), *(e.label for e in page.expander),
              *(c.value for c in page.caption), *(m.value for m in page.markdown)]
    assert any("logo" in label for label in labels[:1])
    for label in labels:
        assert not fetches(label) and ":red[" not in label, label
