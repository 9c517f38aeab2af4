"""The job registry: background courses, the running cap and queue, owners, cancel, errors."""

from __future__ import annotations

import gc
import json
import logging
import threading
import weakref

import pytest

from geminiteacher.backends.base import Engine
from geminiteacher.engine.jobs import Job, JobRegistry, JobState, max_jobs_from_env
from geminiteacher.errors import ModelAccessError, QueueFullError, SettingsError, StoreError
from geminiteacher.models import ChapterContent, CourseSettings, Reply, Source

SETTINGS = CourseSettings(engine="offline", max_chapters=2, delay_range=(0.0, 0.0),
                          max_retries=0, retry_delay=0.0)
TEXT = "Photosynthesis turns light into sugar. Plants store the sugar as starch."


class GatedEngine(Engine):
    """An engine that holds its outline call until the test opens the gate."""

    name = "gated"
    model = "gate-1"

    def __init__(self, fail: Exception | None = None) -> None:
        self.gate = threading.Event()
        self.fail = fail

    def plan_outline(self, source, settings):
        if not self.gate.wait(10):
            raise AssertionError("the gate was never opened")
        if self.fail is not None:
            raise self.fail
        return Reply(["Light", "Sugar"])

    def write_chapter(self, source, title, settings, *, index=1, outline=(), previous=()):
        return Reply(ChapterContent(title, "s", "e", "x"))

    def write_summary(self, source, chapters, settings):
        return Reply("All about plants.")

    def count_tokens(self, text):
        return len(text) // 4


def submit(reg: JobRegistry, tmp_path, owner="alice", title="Plants", engine=None, **extra):
    return reg.submit(owner, title=title, output_dir=tmp_path, source=Source.from_text(TEXT),
                      settings=SETTINGS, engine=engine or GatedEngine(), **extra)


def finish(job, engine) -> None:
    engine.gate.set()
    assert job.wait(10), "the job did not finish"


def test_job_writes_the_course_and_records_events(tmp_path):
    reg = JobRegistry(max_running=2)
    engine = GatedEngine()
    job = submit(reg, tmp_path, engine=engine)
    finish(job, engine)
    snap = job.snapshot()
    assert snap.state is JobState.DONE and snap.error == ""
    assert snap.events > 0 and snap.manifest["state"] == "done"
    assert [c["status"] for c in snap.manifest["chapters"]] == ["done", "done"]
    assert (tmp_path / "Plants" / "summary.md").exists()


def test_jobs_beyond_the_cap_wait_in_a_visible_queue(tmp_path):
    reg = JobRegistry(max_running=1)
    first_engine, second_engine = GatedEngine(), GatedEngine()
    first = submit(reg, tmp_path, title="One", engine=first_engine)
    second = submit(reg, tmp_path, title="Two", engine=second_engine)
    assert first.state is JobState.RUNNING
    assert second.state is JobState.QUEUED and second.snapshot().queue_position == 1
    second_engine.gate.set()
    finish(first, first_engine)
    assert second.wait(10) and second.state is JobState.DONE
    assert second.snapshot().queue_position is None


def test_each_owner_sees_only_their_jobs(tmp_path):
    reg = JobRegistry(max_running=2)
    engines = [GatedEngine(), GatedEngine()]
    mine = submit(reg, tmp_path, owner="alice", title="Mine", engine=engines[0])
    theirs = submit(reg, tmp_path, owner="bob", title="Theirs", engine=engines[1])
    assert reg.jobs_for("alice") == [mine]
    assert reg.jobs_for("bob") == [theirs]
    assert reg.get(theirs.id) is theirs and reg.get("no-such-id") is None
    for job, engine in zip([mine, theirs], engines, strict=True):
        finish(job, engine)


def test_job_ids_are_long_random_tokens(tmp_path):
    reg = JobRegistry(max_running=2)
    engines = [GatedEngine(), GatedEngine()]
    jobs = [submit(reg, tmp_path, title=t, engine=e) for t, e in zip("AB", engines, strict=True)]
    assert jobs[0].id != jobs[1].id and all(len(j.id) >= 20 for j in jobs)
    for job, engine in zip(jobs, engines, strict=True):
        finish(job, engine)


def test_cancelling_a_queued_job_means_it_never_starts(tmp_path):
    reg = JobRegistry(max_running=1)
    first_engine = GatedEngine()
    first = submit(reg, tmp_path, title="One", engine=first_engine)
    second = submit(reg, tmp_path, title="Two")
    reg.cancel(second.id)
    assert second.state is JobState.CANCELLED and second.started is None
    finish(first, first_engine)
    assert second.started is None and not (tmp_path / "Two").exists()


def test_cancelling_a_running_job_stops_it(tmp_path):
    reg = JobRegistry(max_running=1)
    engine = GatedEngine()
    job = submit(reg, tmp_path, engine=engine)
    reg.cancel(job.id)
    assert job.snapshot().cancel_requested
    finish(job, engine)
    assert job.state is JobState.CANCELLED
    assert job.snapshot().manifest["state"] == "cancelled"


def test_an_engine_error_becomes_a_one_line_message(tmp_path):
    reg = JobRegistry(max_running=1)
    engine = GatedEngine(fail=ModelAccessError("model 'x' not found: pick another\ndetails"))
    job = submit(reg, tmp_path, engine=engine)
    finish(job, engine)
    assert job.state is JobState.FAILED
    assert "model 'x' not found" in job.error and "\n" not in job.error


def test_an_unexpected_error_is_logged_with_traceback_and_shown_in_one_line(tmp_path, caplog):
    reg = JobRegistry(max_running=1)
    engine = GatedEngine(fail=ZeroDivisionError("boom"))
    with caplog.at_level(logging.ERROR, logger="geminiteacher.engine.jobs"):
        job = submit(reg, tmp_path, engine=engine)
        finish(job, engine)
    assert job.state is JobState.FAILED
    assert "ZeroDivisionError" in job.error and "\n" not in job.error
    assert any(r.exc_info for r in caplog.records)


def test_the_api_key_stays_out_of_job_params_repr_and_files(tmp_path):
    reg = JobRegistry(max_running=1)
    engine = GatedEngine()
    job = submit(reg, tmp_path, engine=engine, api_key="sk-very-secret-123")
    finish(job, engine)
    assert "sk-very-secret-123" not in repr(job) + repr(dict(job.params)) + repr(job.snapshot())
    for path in (tmp_path / "Plants").iterdir():
        assert "sk-very-secret-123" not in path.read_text(encoding="utf-8")


def test_a_folder_being_written_refuses_a_second_job(tmp_path):
    reg = JobRegistry(max_running=2)
    engine = GatedEngine()
    job = submit(reg, tmp_path, engine=engine)
    with pytest.raises(StoreError, match="already being written"):
        submit(reg, tmp_path)
    finish(job, engine)


def test_retry_on_the_same_folder_runs_after_the_first_job(tmp_path):
    reg = JobRegistry(max_running=1)
    engine = GatedEngine()
    finish(submit(reg, tmp_path, engine=engine), engine)
    again = submit(reg, tmp_path, engine=engine, redo={2})
    assert again.wait(10) and again.state is JobState.DONE
    manifest = json.loads((tmp_path / "Plants" / "course.json").read_text(encoding="utf-8"))
    assert [c["attempts"] for c in manifest["chapters"]] == [1, 2]


@pytest.mark.parametrize("value", ["0", "two"])
def test_max_jobs_env_must_be_a_positive_number(monkeypatch, value):
    monkeypatch.setenv("GEMINITEACHER_MAX_JOBS", value)
    with pytest.raises(SettingsError, match="GEMINITEACHER_MAX_JOBS"):
        max_jobs_from_env()


def test_max_jobs_env_sets_the_cap(monkeypatch):
    monkeypatch.setenv("GEMINITEACHER_MAX_JOBS", "5")
    assert JobRegistry().max_running == 5


def test_an_owner_may_have_only_so_many_unfinished_jobs(tmp_path):
    reg = JobRegistry(max_running=1, per_owner=2)
    engines = [GatedEngine(), GatedEngine()]
    jobs = [submit(reg, tmp_path, title=t, engine=e) for t, e in zip("AB", engines, strict=True)]
    with pytest.raises(QueueFullError, match="GEMINITEACHER_SESSION_JOBS"):
        submit(reg, tmp_path, title="C")
    other = submit(reg, tmp_path, owner="bob", title="D")  # another owner has room
    reg.cancel(other.id)
    for job, engine in zip(jobs, engines, strict=True):
        finish(job, engine)
    finish(submit(reg, tmp_path, title="C", engine=engines[0]), engines[0])


def test_session_jobs_env_sets_the_per_owner_cap(monkeypatch):
    monkeypatch.setenv("GEMINITEACHER_SESSION_JOBS", "7")
    assert JobRegistry().per_owner == 7


def test_a_slot_for_planning_waits_while_the_running_cap_is_full(tmp_path):
    reg = JobRegistry(max_running=1)
    engine = GatedEngine()
    job = submit(reg, tmp_path, engine=engine)
    entered = threading.Event()

    def plan() -> None:
        with reg.slot("bob"):
            entered.set()

    planner = threading.Thread(target=plan)
    planner.start()
    assert not entered.wait(0.3), "planning ran beside a job although the cap is 1"
    finish(job, engine)
    assert entered.wait(10)
    planner.join(10)


def test_a_job_waits_while_a_planning_slot_is_held(tmp_path):
    reg = JobRegistry(max_running=1)
    engine = GatedEngine()
    with reg.slot("bob"):
        job = submit(reg, tmp_path, engine=engine)
        assert job.state is JobState.QUEUED
    engine.gate.set()
    assert job.wait(10) and job.state is JobState.DONE


def test_a_finished_job_lets_go_of_its_source_and_key(tmp_path):
    reg = JobRegistry(max_running=1)
    engine = GatedEngine()
    source = Source.from_text(TEXT * 3)
    key = "".join(["sk-", "held-only-while-running"])  # a string object of this test's own
    job = reg.submit("alice", title="Plants", output_dir=tmp_path, source=source,
                     settings=SETTINGS, engine=engine, api_key=key)
    finished_source = weakref.ref(source)
    del source
    finish(job, engine)
    gc.collect()
    assert finished_source() is None, "the finished job still holds the source text"
    assert not [r for r in gc.get_referrers(key) if type(r).__name__ == "cell"], \
        "a closure still holds the key"
    assert "source" not in job.params


def test_a_job_that_failed_shows_no_chapter_running_even_if_its_last_write_failed(tmp_path):
    """The run could not write its final state (disk full): the manifest on disk still says
    chapter 1 is running, but the job's view of the course does not."""
    folder = tmp_path / "Plants"
    folder.mkdir()

    def call(on_event, cancel):
        chapter = {"index": 1, "title": "Light", "status": "running", "attempts": 1,
                   "history": [{"attempt": 1, "start": 1.0, "end": None, "outcome": "running"}]}
        (folder / "course.json").write_text(json.dumps(
            {"title": "Plants", "state": "writing", "chapters": [chapter]}), encoding="utf-8")
        raise StoreError("could not write Plants/course.json: No space left on device")

    job = Job("alice", "Plants", folder, {}, call, lambda text: text)
    job._run()
    snap = job.snapshot()
    chapter = snap.manifest["chapters"][0]
    assert snap.state is JobState.FAILED
    assert chapter["status"] == "failed" and "No space left" in chapter["last_error"]
    assert chapter["history"][0]["outcome"] == "error"
