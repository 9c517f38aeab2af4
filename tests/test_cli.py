"""The command line, end to end in a subprocess: both engines, config files and errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from geminiteacher.cli import load_options, settings_from
from geminiteacher.engine.runner import run_course
from geminiteacher.errors import CancelledError, EngineError
from geminiteacher.ingest.convert import load_sources
from geminiteacher.models import MAX_WAIT, MAX_WORKERS, EventKind
from tests.course_helpers import MATERIAL, fast_settings
from tests.fakes.plugin import TEST_KEY

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    base = {k: v for k, v in os.environ.items()
            if k not in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL")}
    base["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "geminiteacher", *args], capture_output=True,
                          text=True, timeout=120, env={**base, **(env or {})}, cwd=cwd)


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    path = tmp_path / "notes.md"
    path.write_text(MATERIAL, encoding="utf-8")
    return path


def test_without_a_key_the_offline_engine_writes_a_complete_course(notes, tmp_path):
    result = cli("--input", str(notes), "--title", "Ideas", "--output-dir", str(tmp_path / "o"))
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "o" / "Ideas"
    data = json.loads((folder / "course.json").read_text())
    assert data["engine"] == "offline" and data["extractive"]
    assert all(c["status"] == "done" for c in data["chapters"])
    assert "extracted" in (folder / "index.md").read_text()
    assert result.stdout.strip().splitlines()[-1].startswith(f"Course written to {folder}")


def test_with_a_key_gemini_writes_the_course_through_the_sdk(notes, tmp_path, fake_gemini):
    env = {"GEMINI_API_KEY": TEST_KEY, "GOOGLE_GEMINI_BASE_URL": fake_gemini.url}
    log = tmp_path / "run.log"
    result = cli("--input", str(notes), "--title", "Ideas", "--output-dir", str(tmp_path / "o"),
                 "--mode", "parallel", "--max-chapters", "3", "--fixed-chapter-count",
                 "--delay-min", "0", "--delay-max", "0", "--log-file", str(log), env=env)
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "o" / "Ideas" / "course.json").read_text())
    assert data["engine"] == "gemini" and len(data["chapters"]) == 3
    assert fake_gemini.count("chapter") == 3
    for text in (result.stdout, result.stderr, log.read_text(),
                 (tmp_path / "o" / "Ideas" / "course.json").read_text()):
        assert TEST_KEY not in text


def test_a_missing_input_file_is_one_line_and_a_non_zero_exit(tmp_path):
    result = cli("--input", str(tmp_path / "nope.pdf"), "--output-dir", str(tmp_path))
    assert result.returncode != 0
    assert "nope.pdf" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_key_exits_non_zero_saying_the_key_is_wrong(notes, tmp_path, fake_gemini):
    env = {"GEMINI_API_KEY": "bad-key", "GOOGLE_GEMINI_BASE_URL": fake_gemini.url}
    result = cli("--input", str(notes), "--output-dir", str(tmp_path), env=env)
    assert result.returncode == 2
    assert "key" in result.stderr.lower() and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_out_of_range_setting_names_the_setting(notes, tmp_path):
    result = cli("--input", str(notes), "--temperature", "5", "--output-dir", str(tmp_path))
    assert result.returncode == 2
    assert "temperature" in result.stderr


def test_flags_win_over_the_config_file_and_absent_flags_do_not(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("temperature: 0.7\nmax_chapters: 5\nmode: cascade\nlanguage: French\n")
    options = load_options(["--config", str(config), "--max-chapters", "8", "--input", "a.md"])
    settings = settings_from(options)
    assert settings.max_chapters == 8
    assert settings.temperature == 0.7
    assert settings.mode == "cascade" and settings.language == "French"


def test_an_unknown_config_key_is_named(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("temprature: 0.7\n")
    result = cli("--config", str(config), "--input", "x.md")
    assert result.returncode == 2 and "temprature" in result.stderr


def test_custom_prompt_may_be_a_file(tmp_path):
    prompt = tmp_path / "p.txt"
    prompt.write_text("Use {braces} and examples.")
    settings = settings_from(load_options(["--custom-prompt", str(prompt), "--input", "a"]))
    assert settings.custom_prompt == "Use {braces} and examples."


def test_thinking_budget_flag_becomes_the_setting():
    assert settings_from(load_options(["--thinking-budget", "0", "--input", "a"])) \
        .thinking_budget == 0
    assert settings_from(load_options(["--input", "a"])).thinking_budget is None


def gemini_cli_env(fake) -> dict[str, str]:
    return {"GEMINI_API_KEY": TEST_KEY, "GOOGLE_GEMINI_BASE_URL": fake.url}


def plan_only(notes: Path, out: Path) -> None:
    """A course for `notes` in `out/Ideas` with its outline saved and no chapter written,
    as the CLI would resume it (the same source, read the same way)."""
    source, _ = load_sources([notes])
    cancel = threading.Event()
    with pytest.raises(CancelledError):
        run_course(source, fast_settings(), title="Ideas", output_dir=out, cancel=cancel,
                   on_event=lambda e: cancel.set() if e.kind is EventKind.OUTLINE else None)


def test_exit_status_is_1_when_a_chapter_failed_and_0_once_all_are_done(notes, tmp_path,
                                                                        gemini_env):
    plan_only(notes, tmp_path)
    gemini_env.fail_next(1, 500)
    args = ("--input", str(notes), "--title", "Ideas", "--output-dir", str(tmp_path),
            "--mode", "sequential", "--max-retries", "0")
    failed = cli(*args, env=gemini_cli_env(gemini_env))
    assert failed.returncode == 1, failed.stderr
    assert "1 failed" in failed.stdout and "run the same command again" in failed.stderr
    again = cli(*args, env=gemini_cli_env(gemini_env))
    assert again.returncode == 0, again.stderr
    assert "0 failed" in again.stdout


def test_a_course_whose_summary_failed_is_finished_by_running_the_cli_again(notes, tmp_path,
                                                                           gemini_env):
    source, _ = load_sources([notes])

    def on_event(event):
        if event.kind is EventKind.SUMMARY:
            gemini_env.fail_next(1, 500)

    with pytest.raises(EngineError):
        run_course(source, fast_settings(max_retries=0), title="Ideas", output_dir=tmp_path,
                   on_event=on_event)
    gemini_env.requests.clear()
    result = cli("--input", str(notes), "--title", "Ideas", "--output-dir", str(tmp_path),
                 env=gemini_cli_env(gemini_env))
    assert result.returncode == 0, result.stderr
    assert [r.kind for r in gemini_env.requests
            if r.kind in ("outline", "chapter", "summary")] == ["summary"]
    assert (tmp_path / "Ideas" / "summary.md").exists()


def test_too_many_workers_is_one_line_naming_the_setting_and_its_maximum(notes, tmp_path):
    result = cli("--input", str(notes), "--max-workers", str(MAX_WORKERS + 1),
                 "--output-dir", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"geminiteacher: error: max_workers must be between 1 and {MAX_WORKERS}, "
        f"not {MAX_WORKERS + 1}"]


def test_max_wait_flag_becomes_the_setting():
    assert settings_from(load_options(["--max-wait", "30", "--input", "a"])).max_wait == 30
    assert settings_from(load_options(["--input", "a"])).max_wait == MAX_WAIT


def test_a_key_the_server_echoes_in_an_error_reaches_no_output_log_manifest_or_zip(
        notes, tmp_path, gemini_env):
    from geminiteacher.exports import export_bytes
    from tests.course_helpers import zip_text

    plan_only(notes, tmp_path)
    gemini_env.echo_key = True
    gemini_env.fail_next(1, 500)
    log = tmp_path / "run.log"
    result = cli("--input", str(notes), "--title", "Ideas", "--output-dir", str(tmp_path),
                 "--mode", "sequential", "--max-retries", "0", "--verbose", "--log-file",
                 str(log), env=gemini_cli_env(gemini_env))
    assert result.returncode == 1
    assert "sent with key ***" in log.read_text()  # the echoed message did reach the user
    folder = tmp_path / "Ideas"
    for text in (result.stdout, result.stderr, log.read_text(),
                 (folder / "course.json").read_text(),
                 zip_text(export_bytes(folder, "zip"))):
        assert TEST_KEY not in text
