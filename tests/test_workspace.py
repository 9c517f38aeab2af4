"""Who sees which saved course, and where a new course goes when its title is taken."""

from __future__ import annotations

import json

import pytest

from geminiteacher.course.store import FREE_NAME_TRIES, list_courses, safe_name
from geminiteacher.course.workspace import (
    course_for_token,
    place_course,
    shared_workspace,
    visible_courses,
)
from geminiteacher.engine.runner import run_course
from geminiteacher.errors import ManifestError, StoreError
from geminiteacher.models import CourseSettings

SETTINGS = CourseSettings(engine="offline", max_chapters=2, delay_range=(0.0, 0.0))
TEXT = "# Tides\n\nThe moon pulls the sea. High tide follows the moon around the earth.\n"


def course(tmp_path, title: str, token: str | None, text: str = TEXT) -> None:
    run_course(text, SETTINGS, title=title, output_dir=tmp_path, owner_token=token)


def manifest(tmp_path, folder: str) -> dict:
    return json.loads((tmp_path / folder / "course.json").read_text(encoding="utf-8"))


def test_a_page_course_keeps_its_owner_token_in_the_manifest(tmp_path):
    course(tmp_path, "Tides", "token-a")
    assert manifest(tmp_path, "Tides")["owner_token"] == "token-a"
    assert course_for_token(tmp_path, "token-a") == (tmp_path / "Tides").absolute()
    assert course_for_token(tmp_path, "token-b") is None


def test_a_visitor_sees_only_the_courses_whose_tokens_they_hold(tmp_path):
    course(tmp_path, "Mine", "token-a")
    course(tmp_path, "Theirs", "token-b")
    course(tmp_path, "From the CLI", None)
    assert [c["title"] for c in visible_courses(tmp_path, {"token-a"})] == ["Mine"]
    assert visible_courses(tmp_path, set()) == []
    assert {c["title"] for c in visible_courses(tmp_path, set(), everyone=True)} == {
        "Mine", "Theirs", "From the CLI"}


def test_a_title_keeps_its_folder_when_free_or_the_visitors_own(tmp_path):
    assert place_course(tmp_path, "Tides", set())[0] == "Tides"
    course(tmp_path, "Tides", "token-a")
    assert place_course(tmp_path, "Tides", {"token-a"}) == ("Tides", "token-a")


def test_a_title_taken_by_another_owner_or_the_cli_goes_to_a_numbered_folder(tmp_path):
    course(tmp_path, "Tides", "token-a")
    title, token = place_course(tmp_path, "Tides", {"token-b"})
    assert title == "Tides (2)" and token not in ("token-a", "token-b") and len(token) >= 32
    course(tmp_path, "Cli", None)
    assert place_course(tmp_path, "Cli", {"token-b"})[0] == "Cli (2)"


def test_a_run_never_takes_over_another_owners_course(tmp_path):
    course(tmp_path, "Tides", "token-a")
    before = manifest(tmp_path, "Tides")
    with pytest.raises(StoreError, match="made by someone else"):
        course(tmp_path, "Tides", "token-b", TEXT + "\nOther material entirely.\n")
    assert manifest(tmp_path, "Tides") == before
    assert not list((tmp_path / "Tides").glob("_previous_*"))


@pytest.mark.parametrize(("value", "shared"), [("1", True), ("", False), ("0", False)])
def test_the_shared_workspace_setting(monkeypatch, value, shared):
    monkeypatch.setenv("GEMINITEACHER_SHARED_WORKSPACE", value)
    assert shared_workspace() is shared


LONG = "A very long course title about the tides of the North Sea and their causes, " \
       "effects and history"


@pytest.mark.timeout(10)
def test_a_long_title_taken_by_others_gets_a_numbered_folder_of_its_own(tmp_path):
    course(tmp_path, LONG, "token-a")
    first = place_course(tmp_path, LONG, {"token-b"})[0]
    course(tmp_path, first, "token-b")
    second = place_course(tmp_path, LONG, {"token-c"})[0]
    assert (first, second) == (f"{LONG} (2)", f"{LONG} (3)")
    folders = {safe_name(t) for t in (LONG, first, second)}
    assert len(folders) == 3 and all(len(f) <= 80 for f in folders)
    assert safe_name(second).endswith("_3")


@pytest.mark.timeout(10)
def test_the_search_for_a_free_folder_gives_up_with_a_clear_error(tmp_path):
    (tmp_path / "Tides").mkdir()
    (tmp_path / "Tides" / "course.json").write_text('{"owner_token": "token-a"}')
    for n in range(2, FREE_NAME_TRIES + 1):
        (tmp_path / f"Tides_{n}").mkdir()
        (tmp_path / f"Tides_{n}" / "course.json").write_text('{"owner_token": "token-a"}')
    with pytest.raises(StoreError, match=r"first 1000 folders .* all taken; choose another"):
        place_course(tmp_path, "Tides", {"token-b"})


DAMAGED = ["[1, 2]", '"a string"', "{not json", '{"chapters": 3}', '{"title": ["x"]}',
           '{"chapters": [{"title": "a", "status": "done"}]}',
           '{"chapters": [{"index": 1, "title": "a", "status": "done", "history": [1]}]}',
           '{"chapters": [{"index": 1, "title": "a", "status": "lost"}]}',
           '{"usage": {"input": "many"}}']


@pytest.mark.parametrize("text", DAMAGED)
def test_a_damaged_manifest_is_skipped_and_the_other_courses_stay_listed(tmp_path, text):
    course(tmp_path, "Tides", "token-a")
    (tmp_path / "Broken").mkdir()
    (tmp_path / "Broken" / "course.json").write_text(text)
    skipped: list[ManifestError] = []
    assert [c["title"] for c in list_courses(tmp_path, skipped)] == ["Tides"]
    assert [str(e) for e in skipped] == [str(skipped[0])]
    assert str(skipped[0]).startswith("Broken/course.json is damaged (")
    assert course_for_token(tmp_path, "token-a") == (tmp_path / "Tides").absolute()
    assert place_course(tmp_path, "Broken", set())[0] == "Broken (2)"


def test_the_link_of_a_course_whose_manifest_is_damaged_says_so(tmp_path):
    course(tmp_path, "Tides", "token-a")
    path = tmp_path / "Tides" / "course.json"
    path.write_text(path.read_text().replace('"chapters": [', '"chapters": [7, '))
    with pytest.raises(ManifestError, match=r"Tides/course.json is damaged \(chapter 1 is a"):
        course_for_token(tmp_path, "token-a")
    assert course_for_token(tmp_path, "token-b") is None


def test_a_page_course_never_takes_over_a_damaged_folder_but_the_cli_keeps_it_aside(tmp_path):
    (tmp_path / "Tides").mkdir()
    (tmp_path / "Tides" / "course.json").write_text("[1, 2]")
    with pytest.raises(ManifestError):
        course(tmp_path, "Tides", "token-a")
    assert (tmp_path / "Tides" / "course.json").read_text() == "[1, 2]"
    course(tmp_path, "Tides", None)
    assert manifest(tmp_path, "Tides")["state"] == "done"
    kept = list((tmp_path / "Tides").glob("_previous_*/course.json"))
    assert [p.read_text() for p in kept] == ["[1, 2]"]
