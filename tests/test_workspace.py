"""Who sees which saved course, and where a new course goes when its title is taken."""

from __future__ import annotations

import json

import pytest

from geminiteacher.course.workspace import (
    course_for_token,
    place_course,
    shared_workspace,
    visible_courses,
)
from geminiteacher.engine.runner import run_course
from geminiteacher.errors import StoreError
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
