"""The command line: `python -m geminiteacher --input FILE --title T --output-dir D`.

Flags follow GeminiTeacher 1.0; a YAML `--config` fills in what the command line leaves
out. Errors are one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import yaml

from geminiteacher.errors import CancelledError, GeminiTeacherError, SettingsError, describe
from geminiteacher.models import (
    BATCH_RETRY,
    CACHING,
    DEFAULT_MODEL,
    ENGINES,
    MAX_WAIT,
    MAX_WORKERS,
    MODES,
    READING,
    RESOLUTIONS,
    THINKING,
    CourseSettings,
    Event,
    EventKind,
    RunPlan,
)
from geminiteacher.text.titles import numbered

log = logging.getLogger("geminiteacher")

DEFAULTS: dict[str, Any] = {
    "input": [], "output_dir": "output", "title": None, "mode": "sequential",
    "max_chapters": 10, "fixed_chapter_count": False, "include_front_back_matter": False,
    "max_workers": 4, "delay_min": 0.1,
    "delay_max": 0.5, "max_retries": 3, "model_name": DEFAULT_MODEL, "temperature": None,
    "custom_prompt": None, "language": "English", "verbose": False, "log_file": None,
    "engine": "auto", "requests_per_minute": None, "max_wait": MAX_WAIT, "thinking": "auto",
    "thinking_budget": None, "cache": "auto", "api_key": None, "quiz_questions": 5,
    "export": None, "batch": False, "batch_retry": "online", "rate_window": 60.0,
    "read": "auto", "media_resolution": "auto", "base_url": None, "context_window": None,
}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="geminiteacher",
        description="Turn documents into a structured course (Gemini with a key, any "
                    "OpenAI-compatible server, else offline).",
        argument_default=argparse.SUPPRESS,
    )
    p.add_argument("--input", "-i", action="append", metavar="FILE|URL",
                   help="a document or link to learn from (repeat for several; PDF, DOCX, PPTX, "
                        "HTML, EPUB, MD, TXT; a web page, PDF or YouTube video by its address; "
                        "with Gemini also pictures (PNG, JPEG, WebP, HEIC), recordings (WAV, "
                        "MP3, M4A/AAC, OGG, FLAC) and videos (MP4, WebM, MOV, MPEG))")
    p.add_argument("--output-dir", "-o", help="folder for courses (default: output)")
    p.add_argument("--title", "-t", help="course title (default: the first file's name)")
    p.add_argument("--mode", choices=MODES, help="how chapters are written (default: sequential)")
    p.add_argument("--max-chapters", type=int, help="most chapters (default: 10)")
    p.add_argument("--fixed-chapter-count", action="store_true",
                   help="write exactly --max-chapters chapters")
    p.add_argument("--include-front-back-matter", action="store_true",
                   help="also make chapters of the title page, contents, licences, index, "
                        "references and changelogs (left out by default)")
    p.add_argument("--max-workers", type=int,
                   help=f"chapters written at once in parallel mode (1-{MAX_WORKERS})")
    p.add_argument("--delay-min", type=float, help="least gap between request starts (s)")
    p.add_argument("--delay-max", type=float, help="largest gap between request starts (s)")
    p.add_argument("--max-retries", type=int, help="retries per call after a failure")
    p.add_argument("--requests-per-minute", type=float, help="cap on requests per minute")
    p.add_argument("--rate-window", type=float,
                   help="seconds the request cap counts over (default: 60, a minute)")
    p.add_argument("--max-wait", type=float,
                   help="longest wait a rate limit may ask for before the course stops "
                        f"(s, default: {MAX_WAIT:g})")
    p.add_argument("--model-name",
                   help=f"model name (Gemini default: {DEFAULT_MODEL}; with --engine openai "
                        "and no name, the server's first listed model)")
    p.add_argument("--temperature", type=float,
                   help="sampling temperature 0..2 (default: none sent, the model's own; "
                        "Google advises 1.0 for Gemini 3)")
    p.add_argument("--thinking", choices=THINKING,
                   help="how much Gemini thinks before answering: auto (the model decides, "
                        "default), off (its lowest where it cannot stop), low, medium, high")
    p.add_argument("--thinking-budget", type=int,
                   help="Gemini 2.5-era thinking budget in tokens (0 off, -1 the model "
                        "decides); on Gemini 3 it maps to a level. Prefer --thinking")
    p.add_argument("--cache", choices=CACHING,
                   help="explicit Gemini context cache of the document: auto (when it pays, "
                        "default), on, off")
    p.add_argument("--read", choices=READING,
                   help="how documents are read: auto (Gemini reads PDFs natively, pages as "
                        "images, so scans, figures and formulas count; text elsewhere; "
                        "default), text, native")
    p.add_argument("--media-resolution", choices=RESOLUTIONS,
                   help="Gemini's media resolution for pages, pictures and video frames: "
                        "auto (the model's default), low (fewest tokens), medium, high")
    p.add_argument("--batch", action="store_true",
                   help="write the chapters as one Gemini batch job: half price, results "
                        "within hours (the outline and the summary run online)")
    p.add_argument("--batch-retry", choices=BATCH_RETRY,
                   help="how a batch's failed chapters are written again: online (default) "
                        "or in one follow-up batch")
    p.add_argument("--custom-prompt", help="extra instructions for every chapter, or a file")
    p.add_argument("--language", help="language the course is written in (default: English)")
    p.add_argument("--quiz-questions", type=int,
                   help="multiple-choice questions per chapter, 0 to 20 (default: 5)")
    p.add_argument("--engine", choices=ENGINES,
                   help="auto (Gemini when a Gemini key is set, else openai when "
                        "OPENAI_BASE_URL is set, else offline), gemini, openai or offline")
    p.add_argument("--base-url", metavar="URL",
                   help="OpenAI-compatible server for --engine openai, e.g. "
                        "http://localhost:11434/v1 (default: OPENAI_BASE_URL, else OpenAI); "
                        "its key comes from OPENAI_API_KEY")
    p.add_argument("--context-window", type=int, metavar="TOKENS",
                   help="input tokens the openai engine's model accepts (default: what the "
                        "server says, else 128000)")
    p.add_argument("--export", metavar="FORMATS",
                   help="also write the course as html,docx,scorm,moodle,gift,csv (any of them, "
                        "comma-separated; also markdown, zip) into <course folder>/exports/")
    p.add_argument("--config", "-c", help="YAML file of these settings; flags win over it")
    p.add_argument("--verbose", "-v", action="store_true", help="print every event")
    p.add_argument("--log-file", help="also write the log to this file")
    return p


def load_options(argv: list[str] | None) -> dict[str, Any]:
    """Defaults, then the YAML config, then the flags actually given."""
    given = vars(build_parser().parse_args(argv))
    options = dict(DEFAULTS)
    config_path = given.pop("config", None)
    if config_path:
        try:
            loaded = yaml.safe_load(Path(config_path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise SettingsError(f"--config {config_path}: cannot read it ({describe(exc)})")\
                from exc
        if not isinstance(loaded, dict):
            raise SettingsError(f"--config {config_path}: expected key: value pairs")
        unknown = sorted(set(k.replace("-", "_") for k in loaded) - set(DEFAULTS))
        if unknown:
            raise SettingsError(f"--config {config_path}: unknown setting(s) {', '.join(unknown)}")
        options.update({k.replace("-", "_"): v for k, v in loaded.items()})
    options.update(given)
    if isinstance(options["input"], str):
        options["input"] = [options["input"]]
    return options


def settings_from(options: dict[str, Any]) -> CourseSettings:
    prompt = options["custom_prompt"]
    if prompt and Path(prompt).is_file():
        prompt = Path(prompt).read_text(encoding="utf-8")
    return CourseSettings(
        engine=options["engine"], model_name=options["model_name"],
        temperature=None if options["temperature"] is None else float(options["temperature"]),
        language=options["language"],
        max_chapters=int(options["max_chapters"]),
        fixed_chapter_count=bool(options["fixed_chapter_count"]), custom_prompt=prompt,
        include_front_back_matter=bool(options["include_front_back_matter"]),
        mode=options["mode"], max_workers=int(options["max_workers"]),
        delay_range=(float(options["delay_min"]), float(options["delay_max"])),
        max_retries=int(options["max_retries"]),
        requests_per_minute=options["requests_per_minute"],
        rate_window=float(options["rate_window"]),
        max_wait=options["max_wait"],
        thinking=options["thinking"], thinking_budget=options["thinking_budget"],
        cache=options["cache"],
        quiz_questions=int(options["quiz_questions"]),
        batch=bool(options["batch"]), batch_retry=options["batch_retry"],
        read=options["read"], media_resolution=options["media_resolution"],
        base_url=options["base_url"],
        context_window=None if options["context_window"] is None
        else int(options["context_window"]),
    )


def plan_line(plan: RunPlan) -> str | None:
    """What a resumed run does, in words ("6 of 10 chapters done before; this run writes
    4 and the course summary"); None for a new course."""
    if plan.outline or not plan.done_before:
        return None
    parts = [f"{len(plan.todo)}"] if plan.todo else []
    if plan.summary:
        parts.append("the course summary")
    return (f"{plan.done_before} of {plan.total} chapters done before; this run writes "
            + (" and ".join(parts) or "nothing"))


class Progress:
    """A progress bar on stderr (one line per event when not a terminal) that counts this
    run's chapters, after the ones done before it (see `RunPlan`)."""

    def __init__(self, stream: TextIO, verbose: bool,
                 on_plan: Callable[[RunPlan, Path], None] | None = None) -> None:
        self.stream = stream
        self.verbose = verbose
        self.on_plan = on_plan
        self.total = 0
        self.before = 0
        self.done = 0
        self.failed = 0
        self.live = stream.isatty()
        self.lock = threading.Lock()
        self.batch_state = ""

    def __call__(self, event: Event) -> None:
        with self.lock:
            if event.kind is EventKind.PLANNED and event.plan is not None:
                self._plan(event.plan, Path(event.reason))
                return
            if event.kind is EventKind.OUTLINE:
                self.total = int(event.reason.split()[0])
            elif event.kind is EventKind.DONE:
                self.done += 1
            elif event.kind is EventKind.FAILED:
                self.failed += 1
            log.info("%s %s %s %s", event.kind.value, event.index or "", event.title,
                     event.reason)
            if event.kind is EventKind.WARNING:
                clear = "\r\x1b[2K" if self.live else ""
                self.stream.write(f"{clear}geminiteacher: note: {event.reason}\n")
                return
            if event.kind is EventKind.BATCH:
                self._batch(event.reason)
                return
            if self.verbose or event.kind in (EventKind.DONE, EventKind.FAILED,
                                              EventKind.WAITING, EventKind.OUTLINE):
                self._show(event)

    def _plan(self, plan: RunPlan, folder: Path) -> None:
        self.total, self.before = plan.chapters, plan.done_before
        line = plan_line(plan)
        if line:
            self.stream.write(f"geminiteacher: {line}\n")
        if self.on_plan is not None:
            self.on_plan(plan, folder)

    def _batch(self, line: str) -> None:
        """The batch job's state: each poll on a terminal (one line, rewritten), and in a log
        only when the state changes (`batch job NAME: STATE, ...`)."""
        state = line.split(",")[0]
        if self.live:
            self.stream.write(f"\r\x1b[2Kgeminiteacher: {line}"[:160])
        elif self.verbose or state != self.batch_state:
            self.stream.write(f"geminiteacher: {line}\n")
        self.batch_state = state
        self.stream.flush()

    def _show(self, event: Event) -> None:
        width = 24
        filled = int(width * self.done / self.total) if self.total else 0
        before = f"{self.before} done before, " if self.before else ""
        bar = (f"[{'#' * filled}{'.' * (width - filled)}] {before}"
               f"{self.done}/{self.total or '?'}")
        label = numbered(event.index, event.title) if event.index else event.title
        what = f"{event.kind.value} {label}".strip()
        if event.kind is EventKind.WAITING:
            what += f" - waiting {event.wait:.1f}s: {event.reason}"
        elif event.kind is EventKind.FAILED:
            what += f" - {event.reason}"
        line = f"{bar} {what}"[:160]
        self.stream.write(f"\r\x1b[2K{line}" if self.live else f"{line}\n")
        self.stream.flush()


def configure_logging(verbose: bool, log_file: str | None) -> None:
    log.setLevel(logging.INFO)
    if log_file:
        handler = logging.FileHandler(log_file, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)


def run(options: dict[str, Any], stderr: TextIO) -> int:
    from geminiteacher.backends import chosen_engine, prewarm, resolve_engine
    from geminiteacher.backends.pricing import (
        PRICES_AS_OF,
        course_cost,
        dollars,
        estimate_cost,
        has_price,
        token_line,
        work_words,
    )
    from geminiteacher.course.store import CourseStore
    from geminiteacher.engine.runner import material_tokens, run_course
    from geminiteacher.exports import export_course, parse_formats
    from geminiteacher.ingest.convert import load_sources
    from geminiteacher.ingest.media import readable

    if not options["input"]:
        raise SettingsError("no --input given: name at least one document or link "
                            "(--input FILE or --input URL)")
    settings = settings_from(options)
    if chosen_engine(settings, options["api_key"]) == "gemini":
        prewarm(options["api_key"], settings.model_name)  # facts read while the input loads
    engine = resolve_engine(settings, options["api_key"])
    source, problems = load_sources([str(p) for p in options["input"]])
    source, refused, notes = readable(source, engine.media_kinds, settings.read)
    for note in notes:
        stderr.write(f"geminiteacher: note: {note}\n")
    for problem in [*problems, *refused]:
        stderr.write(f"geminiteacher: skipped {problem}\n")
    if not source.parts and not source.media:
        raise SettingsError("none of the --input files or links could be read; see the lines "
                            "above")
    formats = parse_formats(options["export"] or [])
    configure_logging(options["verbose"], options["log_file"])
    cancel = threading.Event()
    priced = not engine.extractive and has_price(engine.name, engine.model)
    spent_before: list[float] = []

    def estimate(plan: RunPlan, folder: Path) -> None:
        """The cost of what this run has left to do, told once the source is known to fit
        and before the first billable call; what the course cost before, to tell this run's
        own cost at the end."""
        if not priced:
            return
        if not plan.outline:
            spent_before.append(course_cost(CourseStore(folder).manifest()))
        if not (plan.chapters or plan.outline or plan.summary):
            return
        tokens, audio = material_tokens(source, engine, settings.media_resolution)
        cost = estimate_cost(tokens, settings, engine.model, plan=plan, audio_tokens=audio)
        how = " as a batch job (chapters at half price)" if settings.batch else ""
        stderr.write(f"geminiteacher: estimated cost about {dollars(cost)} for "
                     f"{work_words(plan)} on {engine.model}{how} (prices as of "
                     f"{PRICES_AS_OF})\n")

    progress = Progress(stderr, options["verbose"], estimate)
    try:
        course = run_course(source, settings, engine=engine, title=options["title"],
                            output_dir=options["output_dir"], on_event=progress, cancel=cancel)
    except KeyboardInterrupt:
        cancel.set()
        raise CancelledError("interrupted; finished chapters are kept - run again to resume")\
            from None
    if progress.live:
        stderr.write("\n")
    for path in export_course(course.path, formats) if formats else []:
        stderr.write(f"geminiteacher: exported {path}\n")
    failed = progress.failed
    if priced and course.path is not None:
        spent = course_cost(CourseStore.open(course.path).manifest())
        earlier = sum(spent_before)
        what = (f"{dollars(spent - earlier)} this run, {dollars(spent)} for the course over "
                "all its runs" if earlier else dollars(spent))
        stderr.write(f"geminiteacher: cost about {what} (prices as of {PRICES_AS_OF})\n")
    if not engine.extractive and not priced and course.path is not None:
        stderr.write(f"geminiteacher: {token_line(CourseStore.open(course.path).manifest())}; "
                     f"no price is known for {engine.model} (add one with "
                     "GEMINITEACHER_PRICES)\n")
    answered = f" (model {course.model})" if course.model else ""
    print(f"Course written to {course.path}: {len(course.chapters) - failed} chapter(s) done, "
          f"{failed} failed{answered}")
    if failed:
        stderr.write(f"geminiteacher: {failed} chapter(s) failed; run the same command again "
                     "to retry them (finished chapters are kept)\n")
        return 1
    return 0


def _stopping(signum: int, frame: object) -> None:
    """Ctrl-C: say so at once, then stop (no new request starts; those in flight are left)."""
    sys.stderr.write("\ngeminiteacher: stopping - no new requests; those in flight are "
                     "abandoned\n")
    raise KeyboardInterrupt


@contextlib.contextmanager
def _announce_interrupt():
    """While the CLI runs in the main thread, Ctrl-C is announced the moment it arrives."""
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() \
            or previous is signal.SIG_IGN:  # signals are not ours to handle
        yield
        return
    signal.signal(signal.SIGINT, _stopping)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def main(argv: list[str] | None = None) -> int:
    """Entry point of `geminiteacher` and `python -m geminiteacher`; returns the exit code."""
    try:
        with _announce_interrupt():
            options = load_options(argv)
            return run(options, sys.stderr)
    except CancelledError as exc:
        sys.stderr.write(f"\ngeminiteacher: {exc}\n")
        return 130
    except GeminiTeacherError as exc:
        sys.stderr.write(f"geminiteacher: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("\ngeminiteacher: interrupted\n")
        return 130
    except Exception as exc:  # the edge: never show a traceback to a user
        log.exception("unexpected error")
        sys.stderr.write(f"geminiteacher: unexpected error: {describe(exc)}\n")
        return 3
    finally:
        if argv is None:  # the process exits next: spare it a last full collection of the
            gc.freeze()  # SDK's objects (half a second on a busy machine, e.g. after Ctrl-C)
