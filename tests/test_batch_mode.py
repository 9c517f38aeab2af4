"""Batch mode: the chapters as one Gemini batch job, saved at once, resumed, retried, cancelled."""

from __future__ import annotations

import itertools
import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from geminiteacher.backends.gemini import batch as gemini_batch
from geminiteacher.backends.pricing import BATCH_DISCOUNT, course_cost
from geminiteacher.engine import batch
from geminiteacher.engine.runner import run_course
from geminiteacher.errors import BatchJobError, CancelledError, ModelAccessError, SettingsError
from geminiteacher.models import CourseSettings, EventKind
from tests.course_helpers import MATERIAL, fast_settings
from tests.fakes.plugin import TEST_KEY
from tests.test_drills import ROOT, _cli_env
from tests.test_explicit_cache import DOCUMENT


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch):
    monkeypatch.setattr(batch, "FIRST_POLL", 0.02)
    monkeypatch.setattr(batch, "MAX_POLL", 0.1)


def manifest(folder: Path) -> dict:
    return json.loads((folder / "course.json").read_text(encoding="utf-8"))


def batch_settings(**changes) -> CourseSettings:
    return fast_settings(batch=True, **changes)


def test_a_batch_course_is_complete_with_one_job_and_no_online_chapter_calls(
        gemini_env, tmp_path):
    course = run_course(MATERIAL, batch_settings(), title="B", output_dir=tmp_path)
    data = manifest(tmp_path / "B")
    assert len(course.chapters) == 4 and data["state"] == "done"
    assert gemini_env.count("batch") == 1 and gemini_env.count("chapter") == 0
    assert gemini_env.count("outline") == 1 and gemini_env.count("summary") == 1
    assert [c["status"] for c in data["chapters"]] == ["done"] * 4
    assert all(c["batch"] for c in data["chapters"]) and data["batch"] is None
    assert len(gemini_env.batch_items) == 4 and gemini_env.batches.jobs == {}  # deleted


def test_a_batch_course_has_the_same_files_and_manifest_shape_as_an_online_one(
        gemini_env, tmp_path):
    run_course(MATERIAL, batch_settings(), title="B", output_dir=tmp_path)
    run_course(MATERIAL, fast_settings(), title="O", output_dir=tmp_path)
    batched, online = manifest(tmp_path / "B"), manifest(tmp_path / "O")
    assert [sorted(c) for c in batched["chapters"]] == [sorted(c) for c in online["chapters"]]
    assert sorted(p.name for p in (tmp_path / "B").iterdir()) == \
        sorted(p.name for p in (tmp_path / "O").iterdir())
    assert (tmp_path / "B" / "chapter_01_Topic_1.md").read_text() == \
        (tmp_path / "O" / "chapter_01_Topic_1.md").read_text()


def test_the_batch_requests_use_the_courses_explicit_cache(gemini_env, tmp_path):
    run_course(DOCUMENT, batch_settings(), title="Heat", output_dir=tmp_path)
    items = gemini_env.batch_items
    assert {r.body.get("cachedContent") for r in items} == {"cachedContents/fake0001"}
    assert not [r for r in items if r.body.get("systemInstruction")]
    assert all(c["tokens"]["cached"] > 0 for c in manifest(tmp_path / "Heat")["chapters"])
    assert gemini_env.caches.live() == []


def test_requests_above_the_inline_limit_go_as_a_jsonl_file(gemini_env, tmp_path,
                                                             monkeypatch):
    monkeypatch.setattr(gemini_batch, "INLINE_LIMIT", 100)
    course = run_course(MATERIAL, batch_settings(), title="F", output_dir=tmp_path)
    created = next(r for r in gemini_env.requests if r.kind == "batch")
    assert created.body["batch"]["inputConfig"]["fileName"].startswith("files/")
    paths = [r.path.split("?")[0] for r in gemini_env.requests if r.kind == "files"]
    assert paths[:2] == ["/upload/v1beta/files"] * 2 and len(paths) == 3
    assert paths[2].startswith("/v1beta/files/") and paths[2].endswith(":download")
    assert len(course.chapters) == 4 and gemini_env.count("chapter") == 0
    assert [c["status"] for c in manifest(tmp_path / "F")["chapters"]] == ["done"] * 4


def test_the_job_is_in_course_json_before_its_chapters_start(gemini_env, tmp_path):
    seen: list[str | None] = []

    def on_event(event):
        if event.kind is EventKind.STARTED:
            seen.append((manifest(tmp_path / "J").get("batch") or {}).get("name"))

    run_course(MATERIAL, batch_settings(), title="J", output_dir=tmp_path, on_event=on_event)
    assert seen == ["batches/fake0001"] * 4


def test_a_run_killed_while_waiting_resumes_the_same_job_and_never_submits_another(
        gemini_env, tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text(MATERIAL, encoding="utf-8")
    gemini_env.batches.delay = 60
    args = [sys.executable, "-m", "geminiteacher", "--input", str(notes), "--title", "K",
            "--output-dir", str(tmp_path), "--batch", "--max-chapters", "4",
            "--fixed-chapter-count"]
    process = subprocess.Popen(args, env=_cli_env(gemini_env.url), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, cwd=ROOT)
    deadline = time.monotonic() + 60
    while not (manifest(tmp_path / "K").get("batch") if (tmp_path / "K" / "course.json")
               .exists() else None) and time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    assert manifest(tmp_path / "K")["batch"]["name"] == "batches/fake0001"
    gemini_env.batches.delay = 0.2

    course = run_course(MATERIAL, batch_settings(), title="K", output_dir=tmp_path)

    assert gemini_env.count("batch") == 1 and gemini_env.count("chapter") == 0
    assert gemini_env.count("outline") == 1  # the killed run's; the resume kept its outline
    assert len(course.chapters) == 4 and manifest(tmp_path / "K")["state"] == "done"


def test_a_saved_job_is_resumed_even_without_the_batch_setting(gemini_env, tmp_path):
    gemini_env.batches.delay = 60

    def stop_after_submitting(event):
        if event.kind is EventKind.BATCH and "submitted" in event.reason:
            raise KeyboardInterrupt  # stands in for a process that dies here

    with pytest.raises(KeyboardInterrupt):
        run_course(MATERIAL, batch_settings(), title="R", output_dir=tmp_path,
                   on_event=stop_after_submitting)
    assert manifest(tmp_path / "R")["batch"]["name"] == "batches/fake0001"
    gemini_env.batches.delay = 0
    run_course(MATERIAL, fast_settings(), title="R", output_dir=tmp_path)
    assert gemini_env.count("batch") == 1 and gemini_env.count("chapter") == 0


def test_failed_requests_are_written_again_online_by_default(gemini_env, tmp_path):
    gemini_env.batches.fail_keys = {"chapter-002"}
    course = run_course(MATERIAL, batch_settings(), title="B", output_dir=tmp_path)
    chapters = manifest(tmp_path / "B")["chapters"]
    assert len(course.chapters) == 4 and [c["status"] for c in chapters] == ["done"] * 4
    assert gemini_env.count("batch") == 1 and gemini_env.count("chapter") == 1
    assert [c["batch"] for c in chapters] == [True, False, True, True]
    assert chapters[1]["attempts"] == 2


def test_failed_requests_go_to_one_follow_up_batch_when_asked(gemini_env, tmp_path):
    gemini_env.batches.fail_keys = {"chapter-002"}  # fails in the follow-up too
    run_course(MATERIAL, batch_settings(batch_retry="batch"), title="B", output_dir=tmp_path)
    data = manifest(tmp_path / "B")
    assert gemini_env.count("batch") == 2 and gemini_env.count("chapter") == 0
    second = [r for r in gemini_env.requests if r.kind == "batch"][1]
    assert len(second.body["batch"]["inputConfig"]["requests"]["requests"]) == 1
    assert [c["status"] for c in data["chapters"]] == ["done", "failed", "done", "done"]
    assert "batch request failed" in data["chapters"][1]["last_error"]
    assert data["state"] == "failed"


@pytest.mark.parametrize("ending, words", [("FAILED", "failed"), ("EXPIRED", "expired")])
def test_a_job_that_ends_without_results_fails_the_course_with_one_line(
        gemini_env, tmp_path, ending, words):
    gemini_env.batches.end_next(ending)
    with pytest.raises(BatchJobError) as caught:
        run_course(MATERIAL, batch_settings(), title="E", output_dir=tmp_path)
    data = manifest(tmp_path / "E")
    assert f"batch job batches/fake0001 {words}" in str(caught.value)
    assert "\n" not in str(caught.value) and data["error"] == str(caught.value)
    assert data["state"] == "failed" and data["batch"] is None
    assert [c["status"] for c in data["chapters"]] == ["failed"] * 4
    run_course(MATERIAL, batch_settings(), title="E", output_dir=tmp_path)  # a new job
    assert gemini_env.count("batch") == 2 and manifest(tmp_path / "E")["state"] == "done"


def test_a_job_cancelled_elsewhere_cancels_the_course(gemini_env, tmp_path):
    gemini_env.batches.delay = 60

    def cancel_at_gemini(event):
        if event.kind is EventKind.BATCH and "pending" in event.reason:
            gemini_env.batches.cancel("batches/fake0001")

    with pytest.raises(CancelledError, match="cancelled outside this run"):
        run_course(MATERIAL, batch_settings(), title="C", output_dir=tmp_path,
                   on_event=cancel_at_gemini)
    data = manifest(tmp_path / "C")
    assert data["state"] == "cancelled" and data["batch"] is None
    assert [c["status"] for c in data["chapters"]] == ["cancelled"] * 4


def test_cancelling_the_course_cancels_the_batch_job(gemini_env, tmp_path):
    gemini_env.batches.delay = 60
    cancel = threading.Event()

    def cancel_while_pending(event):
        if event.kind is EventKind.BATCH and "pending" in event.reason:
            cancel.set()

    with pytest.raises(CancelledError):
        run_course(MATERIAL, batch_settings(), title="C", output_dir=tmp_path,
                   on_event=cancel_while_pending, cancel=cancel)
    assert gemini_env.batches.cancelled == 1
    assert [r.path for r in gemini_env.requests if r.path.endswith(":cancel")] == [
        "/v1beta/batches/fake0001:cancel"]
    data = manifest(tmp_path / "C")
    assert data["state"] == "cancelled" and data["batch"] is None
    assert [c["status"] for c in data["chapters"]] == ["cancelled"] * 4


def test_ctrl_c_in_the_cli_cancels_the_batch_job(gemini_env, tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text(MATERIAL, encoding="utf-8")
    gemini_env.batches.delay = 60
    process = subprocess.Popen(
        [sys.executable, "-m", "geminiteacher", "--input", str(notes), "--title", "I",
         "--output-dir", str(tmp_path), "--batch"],
        env=_cli_env(gemini_env.url), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True, cwd=ROOT)
    deadline = time.monotonic() + 60
    while not gemini_env.batches.jobs and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert gemini_env.batches.cancelled == 1 and "Traceback" not in stderr
    assert manifest(tmp_path / "I")["state"] == "cancelled"


def test_a_model_without_batches_writes_online_with_a_note(gemini_env, tmp_path):
    course = run_course(MATERIAL, batch_settings(model_name="gemma-3-27b-it"), title="G",
                        output_dir=tmp_path)
    assert len(course.chapters) == 4 and gemini_env.count("batch") == 0
    assert gemini_env.count("chapter") == 4
    assert any("cannot run batch jobs" in w for w in manifest(tmp_path / "G")["warnings"])


def test_batch_and_cascade_mode_are_refused_with_one_line():
    with pytest.raises(SettingsError, match="cascade"):
        CourseSettings(batch=True, mode="cascade")
    with pytest.raises(SettingsError, match="batch_retry"):
        CourseSettings(batch_retry="later")


def test_batch_chapters_cost_the_batch_discount(gemini_env, tmp_path):
    run_course(MATERIAL, batch_settings(), title="B", output_dir=tmp_path)
    batched = manifest(tmp_path / "B")
    online = json.loads(json.dumps(batched))
    for chapter in online["chapters"]:
        chapter["batch"] = False
    usage = online["usage"]
    no_chapters = {**online, "usage": {
        k: usage[k] - sum(c["tokens"][k] for c in online["chapters"]) for k in usage}}
    chapters = course_cost(online) - course_cost(no_chapters)
    assert chapters > 0
    assert course_cost(online) - course_cost(batched) == \
        pytest.approx(chapters * (1 - BATCH_DISCOUNT))


def test_the_cli_says_batch_in_the_estimate_and_shows_the_jobs_state(fake_gemini, tmp_path):
    from tests.test_gemini_today import gemini_cli

    notes = tmp_path / "notes.md"
    notes.write_text(MATERIAL, encoding="utf-8")
    result = gemini_cli(fake_gemini, "--input", str(notes), "--output-dir", str(tmp_path),
                        "--max-chapters", "3", "--batch")
    assert result.returncode == 0, result.stderr
    assert "as a batch job (chapters at half price)" in result.stderr
    assert "geminiteacher: batch job batches/fake0001: succeeded" in result.stderr
    assert fake_gemini.count("chapter") == 0 and fake_gemini.count("batch") == 1


def test_the_yaml_config_turns_batch_mode_on(fake_gemini, tmp_path):
    from tests.test_gemini_today import gemini_cli

    notes = tmp_path / "notes.md"
    notes.write_text(MATERIAL, encoding="utf-8")
    config = tmp_path / "course.yaml"
    config.write_text("batch: true\nbatch_retry: batch\nmax_chapters: 2\n", encoding="utf-8")
    result = gemini_cli(fake_gemini, "--input", str(notes), "--output-dir", str(tmp_path),
                        "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert fake_gemini.count("batch") == 1 and fake_gemini.count("chapter") == 0


def test_the_fake_serves_batches_and_files_on_v1beta_only(fake_gemini):
    client = genai.Client(api_key=TEST_KEY, http_options=types.HttpOptions(
        base_url=fake_gemini.url, api_version="v1"))
    with pytest.raises(genai_errors.APIError) as caught:
        client.batches.get(name="batches/fake0001")
    assert caught.value.code == 404


def test_the_offline_engine_writes_a_batch_course_locally_without_a_note(tmp_path):
    course = run_course(MATERIAL, CourseSettings(engine="offline", batch=True), title="L",
                        output_dir=tmp_path)
    assert course.chapters and manifest(tmp_path / "L")["state"] == "done"
    # (its chapters of two short sentences each may say they are too thin to quiz)
    assert not [w for w in manifest(tmp_path / "L").get("warnings", []) if "batch" in w.lower()]


def test_course_json_holds_the_jobs_last_state_while_it_waits(gemini_env, tmp_path):
    gemini_env.batches.delay = 0.3
    seen: list[tuple[str, str]] = []

    def on_event(event):
        if event.kind is EventKind.BATCH and "pending" in event.reason:
            seen.append((manifest(tmp_path / "W")["batch"]["status"], event.reason))

    run_course(MATERIAL, batch_settings(), title="W", output_dir=tmp_path, on_event=on_event)
    assert seen and all(on_disk == said for on_disk, said in seen)


def test_polls_start_short_and_grow_to_a_cap(monkeypatch):
    monkeypatch.setattr(batch, "FIRST_POLL", 2.0)
    monkeypatch.setattr(batch, "MAX_POLL", 60.0)
    waits = list(itertools.islice(batch.poll_intervals(), 15))
    assert waits[:3] == [2.0, 3.0, 4.5]
    assert waits == sorted(waits) and max(waits) == waits[-1] == 60.0


def test_an_api_version_without_batches_stops_with_one_line_saying_so(gemini_env, tmp_path,
                                                                      monkeypatch):
    monkeypatch.setenv("GOOGLE_GENAI_API_VERSION", "v1")
    with pytest.raises(ModelAccessError) as caught:
        run_course(MATERIAL, batch_settings(), title="V", output_dir=tmp_path)
    assert "has no batch jobs (HTTP 404)" in str(caught.value)
    assert "v1beta" in str(caught.value) and "\n" not in str(caught.value)
    assert not manifest(tmp_path / "V").get("batch")


def test_a_saved_job_that_gemini_no_longer_has_is_submitted_again_with_a_note(
        gemini_env, tmp_path):
    gemini_env.batches.delay = 60

    def stop_after_submitting(event):
        if event.kind is EventKind.BATCH and "submitted" in event.reason:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_course(MATERIAL, batch_settings(), title="G", output_dir=tmp_path,
                   on_event=stop_after_submitting)
    gemini_env.batches.jobs.clear()
    gemini_env.batches.delay = 0
    course = run_course(MATERIAL, batch_settings(), title="G", output_dir=tmp_path)
    assert len(course.chapters) == 4 and gemini_env.count("batch") == 2
    assert any("batch job batches/fake0001 no longer exists" in w
               for w in manifest(tmp_path / "G")["warnings"])
