"""A whole course through the real SDK against the fake server: files, resume, retry, cancel."""

from __future__ import annotations

import itertools
import json
import threading
import time
from pathlib import Path

import pytest

from geminiteacher.backends.offline import OfflineEngine
from geminiteacher.course.store import CourseStore, chapter_filename
from geminiteacher.engine.runner import run_course
from geminiteacher.errors import (
    CancelledError,
    EngineError,
    ModelAccessError,
    OutlineError,
    QuotaExhaustedError,
    SettingsError,
)
from geminiteacher.exports import export_bytes
from geminiteacher.models import EventKind, Usage
from tests.course_helpers import (
    MATERIAL,
    chapter_titles_requested,
    fast_settings,
    zip_names,
    zip_text,
)
from tests.fakes.plugin import TEST_KEY


def manifest(path: Path) -> dict:
    return json.loads((path / "course.json").read_text(encoding="utf-8"))


def test_a_course_writes_every_file_of_the_contract(gemini_env, tmp_path: Path):
    course = run_course(MATERIAL, fast_settings(), title="Ideas 101", output_dir=tmp_path)
    folder = tmp_path / "Ideas_101"
    assert course.path == folder
    data = manifest(folder)
    assert [c["status"] for c in data["chapters"]] == ["done"] * 4
    assert data["state"] == "done"
    for chapter in data["chapters"]:
        text = (folder / chapter["file"]).read_text(encoding="utf-8")
        assert text.startswith(f"# {chapter['title']}\n")
        assert "## Summary" in text and "## Explanation" in text and "## Extension" in text
        assert chapter["file"].startswith(f"chapter_{chapter['index']:02d}_")
    assert (folder / "summary.md").read_text().startswith("# Course summary")
    index = (folder / "index.md").read_text()
    assert all(f"({c['file']})" in index for c in data["chapters"])
    assert len(course.chapters) == 4 and course.summary


def test_the_manifest_records_tokens_attempts_and_never_the_key(gemini_env, tmp_path: Path):
    course = run_course(MATERIAL, fast_settings(), title="T", output_dir=tmp_path)
    data = manifest(course.path)
    assert all(c["attempts"] == 1 and c["tokens"]["input"] > 0 for c in data["chapters"])
    assert data["usage"]["output"] > 0
    assert TEST_KEY not in (course.path / "course.json").read_text()
    assert TEST_KEY not in zip_text(export_bytes(course.path, "zip"))


def test_the_zip_holds_chapters_summary_index_and_manifest(gemini_env, tmp_path: Path):
    course = run_course(MATERIAL, fast_settings(), title="T", output_dir=tmp_path)
    names = zip_names(export_bytes(course.path, "zip"))
    assert {"T/summary.md", "T/index.md", "T/course.json"} <= set(names)
    assert sum(n.startswith("T/chapter_") and n.endswith(".md") for n in names) == 4


def test_events_report_each_chapter_from_queued_to_done(gemini_env, tmp_path: Path):
    events = []
    run_course(MATERIAL, fast_settings(), title="T", output_dir=tmp_path,
               on_event=events.append)
    kinds = [e.kind for e in events if e.index == 2]
    assert kinds == [EventKind.QUEUED, EventKind.STARTED, EventKind.ATTEMPT, EventKind.DONE]
    assert events[-1].kind is EventKind.FINISHED


def test_running_again_keeps_done_chapters_and_requests_nothing_new(gemini_env, tmp_path):
    run_course(MATERIAL, fast_settings(), title="T", output_dir=tmp_path)
    before = len(gemini_env.requests)
    run_course(MATERIAL, fast_settings(), title="T", output_dir=tmp_path)
    assert len(gemini_env.requests) == before


def test_a_different_source_in_the_same_folder_keeps_the_old_files_aside(gemini_env, tmp_path):
    run_course(MATERIAL, fast_settings(), title="T", output_dir=tmp_path)
    run_course(MATERIAL + "\n\nMore.", fast_settings(), title="T", output_dir=tmp_path)
    previous = list((tmp_path / "T").glob("_previous_*/course.json"))
    assert len(previous) == 1



def test_retry_failed_regenerates_only_the_failed_chapters(gemini_env, tmp_path: Path):
    settings = fast_settings(mode="sequential", max_retries=0)
    outline_done = threading.Event()

    def on_event(event):
        if event.kind is EventKind.OUTLINE and not outline_done.is_set():
            outline_done.set()
            gemini_env.fail_next(1, 500)

    course = run_course(MATERIAL, settings, title="T", output_dir=tmp_path, on_event=on_event)
    data = manifest(course.path)
    assert [c["status"] for c in data["chapters"]] == ["failed", "done", "done", "done"]
    assert data["chapters"][0]["last_error"]
    assert data["state"] == "failed"
    first = data["chapters"][0]["title"]
    gemini_env.requests.clear()
    run_course(MATERIAL, settings, title="T", output_dir=tmp_path, retry_failed=True)
    assert chapter_titles_requested(gemini_env) == [first]
    assert manifest(course.path)["state"] == "done"


def test_redo_regenerates_exactly_the_chapters_asked_for(gemini_env, tmp_path: Path):
    course = run_course(MATERIAL, fast_settings(), title="T", output_dir=tmp_path)
    third = manifest(course.path)["chapters"][2]["title"]
    gemini_env.requests.clear()
    run_course(MATERIAL, fast_settings(), title="T", output_dir=tmp_path, redo=[3])
    assert chapter_titles_requested(gemini_env) == [third]


def test_a_user_outline_replaces_the_planned_one(gemini_env, tmp_path: Path):
    outline = ["Why ideas matter", "Idea {1} in code", "Wrap-up"]
    course = run_course(MATERIAL, fast_settings(), title="T", output_dir=tmp_path,
                        outline=outline)
    assert [c.title for c in course.chapters] == outline
    assert gemini_env.count("outline") == 0
    assert sorted(chapter_titles_requested(gemini_env)) == sorted(outline)


def test_cascade_tells_each_chapter_the_earlier_summaries(gemini_env, tmp_path: Path):
    course = run_course(MATERIAL, fast_settings(mode="cascade"), title="T",
                        output_dir=tmp_path)
    chapter_requests = [r for r in gemini_env.requests if r.kind == "chapter"]
    first_summary = course.chapters[0].summary.strip().splitlines()[0]
    assert first_summary not in chapter_requests[0].instruction
    assert first_summary in chapter_requests[1].instruction


def test_cancel_marks_pending_chapters_cancelled_and_keeps_finished_ones(gemini_env, tmp_path):
    gemini_env.latency = 0.2
    cancel = threading.Event()

    def on_event(event):
        if event.kind is EventKind.DONE:
            cancel.set()

    with pytest.raises(CancelledError):
        run_course(MATERIAL, fast_settings(mode="sequential"), title="T", output_dir=tmp_path,
                   on_event=on_event, cancel=cancel)
    data = manifest(tmp_path / "T")
    statuses = [c["status"] for c in data["chapters"]]
    assert statuses[0] == "done" and set(statuses[1:]) == {"cancelled"}
    assert data["state"] == "cancelled"
    assert (tmp_path / "T" / data["chapters"][0]["file"]).exists()


def test_a_retryable_outline_failure_is_retried_not_fatal(gemini_env, tmp_path: Path):
    gemini_env.fail_next(2, 503)
    course = run_course(MATERIAL, fast_settings(), title="T", output_dir=tmp_path)
    assert len(course.chapters) == 4
    assert gemini_env.count("outline") == 3


def test_an_empty_outline_is_an_error_that_says_so(gemini_env, tmp_path: Path):
    gemini_env.outline_size = 0
    with pytest.raises(OutlineError, match="outline"):
        run_course(MATERIAL, fast_settings(), title="T", output_dir=tmp_path)
    assert manifest(tmp_path / "T")["state"] == "failed"


def test_a_bad_key_stops_the_course_before_any_generation_and_says_so(gemini_env, tmp_path,
                                                                     monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", "bad-key")
    with pytest.raises(ModelAccessError, match=r"(?i)key"):
        run_course(MATERIAL, fast_settings(), title="T", output_dir=tmp_path)
    assert gemini_env.count() == gemini_env.count("list") == 1  # one read of the model's facts


def test_a_spent_daily_quota_stops_the_course_at_once(gemini_env, tmp_path: Path):
    outline_done = threading.Event()

    def on_event(event):
        if event.kind is EventKind.OUTLINE and not outline_done.is_set():
            outline_done.set()
            gemini_env.fail_next(1, 429, daily=True)

    with pytest.raises(QuotaExhaustedError, match=r"(?i)daily"):
        run_course(MATERIAL, fast_settings(mode="sequential"), title="T", output_dir=tmp_path,
                   on_event=on_event)
    assert gemini_env.count("chapter") == 1
    data = manifest(tmp_path / "T")
    assert data["state"] == "failed" and "daily" in data["error"].lower()


def test_a_429_with_retry_info_waits_at_least_the_servers_delay(gemini_env, tmp_path: Path):
    gemini_env.fail_next(1, 429, retry_delay=0.6)
    run_course(MATERIAL, fast_settings(mode="sequential", max_chapters=1), title="T",
               output_dir=tmp_path)
    limited = next(r for r in gemini_env.requests if r.status == 429)
    after = next(r for r in gemini_env.requests  # the retry (the cache is made meanwhile)
                 if r.start > limited.end and r.kind in ("outline", "chapter", "summary"))
    assert after.start - limited.end >= 0.6


def test_empty_and_blocked_answers_are_retried(gemini_env, tmp_path: Path):
    outline_done = threading.Event()

    def on_event(event):
        if event.kind is EventKind.OUTLINE and not outline_done.is_set():
            outline_done.set()
            gemini_env.empty_next(1)
            gemini_env.block_next(1)

    course = run_course(MATERIAL, fast_settings(mode="sequential"), title="T",
                        output_dir=tmp_path, on_event=on_event)
    assert manifest(course.path)["chapters"][0]["attempts"] == 3
    assert manifest(course.path)["state"] == "done"


def test_the_request_cap_holds_across_eight_workers(gemini_env, tmp_path: Path):
    # The first SDK call of a process spends ~0.1 s setting up after its slot is taken, a
    # skew the 60 s windows of real quotas absorb but a 0.5 s test window does not; and a
    # loaded machine delays arrivals by tens of milliseconds, so the server's window is a
    # little shorter than the client's (without a cap, eight workers would still send 4+
    # requests at once and be refused).
    run_course(MATERIAL, fast_settings(max_chapters=1), title="Warm-up", output_dir=tmp_path)
    gemini_env.rate_limit(requests=3, window=0.4, retry_delay=0.5)
    settings = fast_settings(max_workers=8, max_chapters=8, requests_per_minute=3,
                             rate_window=0.5)
    course = run_course(MATERIAL, settings, title="T", output_dir=tmp_path)
    assert len(course.chapters) == 8
    assert gemini_env.count(status=429) == 0


def test_a_source_beyond_the_context_window_is_refused_before_any_call(gemini_env, tmp_path,
                                                                        monkeypatch):
    from geminiteacher.backends.gemini import GeminiEngine
    from geminiteacher.errors import SourceTooLargeError

    monkeypatch.setattr(GeminiEngine, "context_window", lambda self: 2_000)
    with pytest.raises(SourceTooLargeError, match="split the material"):
        run_course(MATERIAL * 20, fast_settings(), title="T", output_dir=tmp_path)
    assert gemini_env.count("outline") == 0 and gemini_env.count("chapter") == 0


def test_the_offline_engine_is_not_slowed_by_request_delays(tmp_path: Path):
    from geminiteacher.models import CourseSettings

    settings = CourseSettings(engine="offline", delay_range=(5.0, 5.0), max_chapters=4)
    events = []
    run_course(MATERIAL, settings, title="T", output_dir=tmp_path, on_event=events.append)
    starts = [e.at for e in events if e.kind is EventKind.STARTED]
    assert len(starts) == 4 and max(starts) - min(starts) < 4.0


def test_a_second_run_on_a_folder_being_written_is_refused(gemini_env, tmp_path: Path):
    from geminiteacher.errors import StoreError

    gemini_env.latency = 0.3
    started = threading.Event()
    first = threading.Thread(target=run_course, args=(MATERIAL, fast_settings()),
                             kwargs={"title": "T", "output_dir": tmp_path,
                                     "on_event": lambda e: started.set()})
    first.start()
    assert started.wait(10)
    with pytest.raises(StoreError, match="being written by another run"):
        run_course(MATERIAL, fast_settings(), title="T", output_dir=tmp_path)
    first.join(30)
    assert manifest(tmp_path / "T")["state"] == "done"
    run_course(MATERIAL, fast_settings(), title="T", output_dir=tmp_path)


def test_a_429_without_retry_info_backs_off_exponentially(gemini_env, tmp_path: Path):
    gemini_env.fail_next(3, 429)
    waits = []
    run_course(MATERIAL, fast_settings(max_chapters=1, retry_delay=0.05), title="T",
               output_dir=tmp_path,
               on_event=lambda e: waits.append(e.wait) if e.kind is EventKind.WAITING else None)
    assert len(waits) == 3
    assert waits[2] > waits[0]


def test_the_material_is_saved_beside_the_course_and_reads_back_identical(tmp_path: Path):
    from geminiteacher.models import CourseSettings, Source, SourcePart

    source = Source([SourcePart("a.pdf", "# A\n\nApples {x}.", pages=2, words=3, kind="pdf"),
                     SourcePart("b.md", "# B\n\nBananas.", words=2, kind="markdown")])
    course = run_course(source, CourseSettings(engine="offline"), title="S",
                        output_dir=tmp_path)
    saved = CourseStore.open(course.path).saved_source()
    assert saved == source and saved.sha256 == source.sha256
    assert "S/source.json" not in zip_names(export_bytes(course.path, "zip"))


class _Flaky(OfflineEngine):
    """The offline engine, except that chapter `broken` raises `error` (once when `once`)."""

    def __init__(self, broken: str, error: Exception, once: bool = False) -> None:
        self.broken, self.error, self.once = broken, error, once

    def write_chapter(self, source, title, settings, **kwargs):
        if title == self.broken:
            error, self.broken = self.error, (None if self.once else self.broken)
            raise error
        return super().write_chapter(source, title, settings, **kwargs)


OUTLINE = ["Alpha", "Beta", "Gamma"]


def test_an_unexpected_error_in_one_chapter_fails_only_that_chapter(tmp_path: Path):
    engine = _Flaky("Beta", ValueError("Expecting value: line 1 column 1\nmore"))
    course = run_course(MATERIAL, fast_settings(engine="offline"), engine=engine, title="T",
                        output_dir=tmp_path, outline=OUTLINE)
    chapters = manifest(course.path)["chapters"]
    assert [c["status"] for c in chapters] == ["done", "failed", "done"]
    assert chapters[1]["last_error"] == "unexpected error: ValueError: Expecting value: " \
                                        "line 1 column 1"


def test_tokens_of_failed_attempts_count_in_the_chapter_and_the_total(tmp_path: Path):
    from geminiteacher.errors import EmptyAnswerError

    error = EmptyAnswerError("STOP")
    error.usage = Usage(input_tokens=1000, output_tokens=7)
    engine = _Flaky("Beta", error, once=True)
    course = run_course(MATERIAL, fast_settings(engine="offline"), engine=engine, title="T",
                        output_dir=tmp_path, outline=OUTLINE)
    data = manifest(course.path)
    beta = data["chapters"][1]
    assert beta["attempts"] == 2 and beta["tokens"]["input"] >= 1000
    assert data["usage"]["input"] >= 1000 + sum(c["tokens"]["input"] for c in data["chapters"]
                                                 if c["title"] != "Beta")


def test_the_total_counts_every_token_the_server_billed_outline_and_retries_included(
        gemini_env, tmp_path):
    from tests.fakes.gemini_server import tokens

    def on_event(event):
        if event.kind is EventKind.OUTLINE:
            gemini_env.empty_next(1)

    course = run_course(MATERIAL, fast_settings(), title="T", output_dir=tmp_path,
                        on_event=on_event)
    assert max(c["attempts"] for c in manifest(course.path)["chapters"]) == 2
    billed = sum(tokens(r.system + "".join(r.parts)) for r in gemini_env.requests
                 if r.kind in ("outline", "chapter", "summary"))
    assert manifest(course.path)["usage"]["input"] == billed


@pytest.mark.parametrize("ending", ["timeout", "empty answer"])
def test_a_cancel_during_a_request_marks_the_chapter_cancelled_not_failed(gemini_env, tmp_path,
                                                                         ending):
    cancel = threading.Event()

    def on_event(event):
        if event.kind is EventKind.OUTLINE and ending == "timeout":
            gemini_env.hang_next(1, seconds=3)
        elif event.kind is EventKind.OUTLINE:
            gemini_env.latency = 0.6
            gemini_env.empty_next(1)
        if event.kind is EventKind.ATTEMPT and event.index == 1:
            threading.Timer(0.3, cancel.set).start()

    settings = fast_settings(mode="sequential", request_timeout=1.0)
    with pytest.raises(CancelledError):
        run_course(MATERIAL, settings, title="T", output_dir=tmp_path, on_event=on_event,
                   cancel=cancel)
    chapters = manifest(tmp_path / "T")["chapters"]
    assert {c["status"] for c in chapters} == {"cancelled"}
    assert chapters[0]["tokens"]["input"] == 0  # abandoned in flight: its cost is unknown


def test_a_server_wait_beyond_max_wait_fails_at_once_saying_how_long(gemini_env, tmp_path):
    from geminiteacher.errors import RateLimitWaitError

    gemini_env.fail_next(1, 429, retry_delay=86_400)
    with pytest.raises(RateLimitWaitError, match="rate-limited for 1440 minutes"):
        run_course(MATERIAL, fast_settings(), title="T", output_dir=tmp_path)
    assert "rate-limited for 1440 minutes" in manifest(tmp_path / "T")["error"]


def test_a_fractional_requests_per_minute_cap_finishes_the_course(gemini_env, tmp_path):
    settings = fast_settings(max_chapters=1, requests_per_minute=0.5, rate_window=0.1)
    events = []
    course = run_course(MATERIAL, settings, title="T", output_dir=tmp_path,
                        on_event=events.append)
    starts = [e.at for e in events if e.kind is EventKind.ATTEMPT]  # each in its slot
    assert len(course.chapters) == 1 and len(starts) == 3
    assert all(b - a >= 0.19 for a, b in itertools.pairwise(starts))  # one per 0.2 s


def test_a_course_whose_summary_failed_is_finished_by_writing_only_the_summary(gemini_env,
                                                                              tmp_path):
    from geminiteacher.engine.runner import finish_course, summary_missing

    def on_event(event):
        if event.kind is EventKind.SUMMARY:
            gemini_env.fail_next(1, 500)

    with pytest.raises(EngineError):
        run_course(MATERIAL, fast_settings(max_retries=0), title="T", output_dir=tmp_path,
                   on_event=on_event)
    assert summary_missing(manifest(tmp_path / "T"))
    gemini_env.requests.clear()
    course = finish_course(tmp_path / "T")
    assert [r.kind for r in gemini_env.requests
            if r.kind in ("outline", "chapter", "summary")] == ["summary"]
    assert course.summary and len(course.chapters) == 4
    assert not summary_missing(manifest(tmp_path / "T"))
    assert manifest(tmp_path / "T")["state"] == "done"


def test_inserting_a_chapter_at_the_front_writes_only_that_chapter(gemini_env, tmp_path):
    course = run_course(MATERIAL, fast_settings(), title="T", output_dir=tmp_path,
                        outline=OUTLINE)
    before = {c.title: c for c in course.chapters}
    gemini_env.requests.clear()
    course = run_course(MATERIAL, fast_settings(), title="T", output_dir=tmp_path,
                        outline=["Intro", *OUTLINE])
    assert chapter_titles_requested(gemini_env) == ["Intro"]
    data = manifest(course.path)
    assert [c["file"] for c in data["chapters"]] == [
        chapter_filename(i, t) for i, t in enumerate(["Intro", *OUTLINE], 1)]
    assert sorted(p.name for p in course.path.glob("chapter_*.md")) == \
        sorted(c["file"] for c in data["chapters"])
    assert all(course.chapters[i] == before[t] for i, t in enumerate(OUTLINE, 1))


def test_reordered_titles_keep_their_text_and_a_renamed_one_is_rewritten(gemini_env, tmp_path):
    course = run_course(MATERIAL, fast_settings(), title="T", output_dir=tmp_path,
                        outline=OUTLINE)
    texts = {c["title"]: (course.path / c["file"]).read_text()
             for c in manifest(course.path)["chapters"]}
    gemini_env.requests.clear()
    course = run_course(MATERIAL, fast_settings(), title="T", output_dir=tmp_path,
                        outline=["Gamma", "Alpha", "Beta two"])
    assert chapter_titles_requested(gemini_env) == ["Beta two"]
    chapters = manifest(course.path)["chapters"]
    assert (course.path / chapters[0]["file"]).read_text() == texts["Gamma"]
    assert (course.path / chapters[1]["file"]).read_text() == texts["Alpha"]
    assert len(list(course.path.glob("chapter_*.md"))) == 3


def test_cascade_lists_only_written_chapters_by_their_chapter_number(gemini_env, tmp_path):
    def on_event(event):
        if event.kind is EventKind.STARTED and event.index == 1:
            gemini_env.fail_next(1, 500)

    run_course(MATERIAL, fast_settings(mode="cascade", max_retries=0), title="T",
               output_dir=tmp_path, on_event=on_event, outline=OUTLINE)
    third = [r for r in gemini_env.requests if r.kind == "chapter"][2].instruction
    assert "- Chapter 2: Beta" in third
    assert "Chapter 1: Alpha" not in third and "could not be generated" not in third


def test_a_cancelled_courses_429_stops_pausing_the_other_courses_on_the_key(gemini_env,
                                                                            tmp_path):
    gemini_env.fail_next(1, 429, retry_delay=30)
    cancel, limited = threading.Event(), threading.Event()
    errors = []

    def first() -> None:
        try:
            run_course(MATERIAL, fast_settings(), title="A", output_dir=tmp_path, cancel=cancel,
                       on_event=lambda e: limited.set() if e.kind is EventKind.WAITING else None)
        except CancelledError as exc:
            errors.append(exc)

    thread = threading.Thread(target=first)
    thread.start()
    assert limited.wait(10)
    cancelled_at = []
    threading.Timer(0.5, lambda: (cancelled_at.append(time.monotonic()), cancel.set())).start()
    course = run_course(MATERIAL + "\n\nB.", fast_settings(), title="B", output_dir=tmp_path)
    thread.join(10)
    assert errors and len(course.chapters) == 4
    first_b = min(r.start for r in gemini_env.requests if "B." in "".join(r.parts))
    assert cancelled_at[0] <= first_b < cancelled_at[0] + 10  # paused, but not for 30 s


def test_finishing_a_gemini_course_without_a_key_fails_instead_of_going_offline(
        gemini_env, tmp_path, monkeypatch):
    from geminiteacher.engine.runner import finish_course

    cancel = threading.Event()
    with pytest.raises(CancelledError):
        run_course(MATERIAL, fast_settings(engine="auto"), title="T", output_dir=tmp_path,
                   on_event=lambda e: e.kind is EventKind.DONE and cancel.set(), cancel=cancel)
    monkeypatch.delenv("GEMINI_API_KEY")
    with pytest.raises(SettingsError, match="needs an API key"):
        finish_course(tmp_path / "T")
    assert manifest(tmp_path / "T")["engine"] == "gemini"
