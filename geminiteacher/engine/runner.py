"""One course run: outline, chapters through the pool, summary, all recorded in the store.

Every mode (sequential, parallel, cascade) and every call (outline, chapter, summary) goes
through the same limiter, retry layer, events and store. Progress flows one way: the pool
emits events, the store records them, readers read the store.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geminiteacher.backends import resolve_engine
from geminiteacher.backends.base import Engine
from geminiteacher.course.store import SUMMARY, CourseStore
from geminiteacher.engine.batch import write_chapters_in_batch
from geminiteacher.engine.pool import make_executor, spaced_submit
from geminiteacher.engine.ratelimit import LIMITERS, Caps, Lease
from geminiteacher.engine.retrying import call_with_retry
from geminiteacher.errors import (
    CancelledError,
    EngineError,
    ModelAccessError,
    OutlineError,
    QuotaExhaustedError,
    SettingsError,
    StoreError,
    describe,
)
from geminiteacher.ingest.convert import check_size, estimate_tokens
from geminiteacher.ingest.media import readable
from geminiteacher.ingest.sources import attribute
from geminiteacher.models import (
    ChapterContent,
    ChapterStatus,
    Course,
    CourseSettings,
    Event,
    EventKind,
    Reply,
    RunPlan,
    Source,
    Usage,
)

EventHandler = Callable[[Event], None]
FATAL = (QuotaExhaustedError, ModelAccessError, StoreError)
log = logging.getLogger(__name__)


def as_source(content: Source | str) -> Source:
    return content if isinstance(content, Source) else Source.from_text(content)


def as_engine(llm: Engine | None, settings: CourseSettings, api_key: str | None = None) -> Engine:
    """The engine to use: the one given, else what the settings and configured key select."""
    if llm is None:
        return resolve_engine(settings, api_key)
    if not isinstance(llm, Engine):
        raise SettingsError(
            "llm must be a geminiteacher engine (GeminiEngine, OpenAIEngine, OfflineEngine) or "
            "None, "
            f"not {type(llm).__name__}"
        )
    return llm


def limiter_for(engine: Engine, settings: CourseSettings) -> Lease:
    """This run's lease on the limiter its engine's quota shares with every other run (and
    every other process, through Redis when configured, if the engine calls a service)."""
    return LIMITERS.join(engine.limiter_key, Caps(settings.max_workers,
                                                  settings.requests_per_minute,
                                                  settings.tokens_per_minute,
                                                  settings.rate_window), shared=engine.remote)


def fallback_chapter(title: str, error: BaseException) -> ChapterContent:
    """What a chapter that could not be written returns: an explanation, not an exception."""
    return ChapterContent(
        title=title,
        summary="This chapter could not be generated.",
        explanation=f"The last attempt failed: {describe(error)}",
        extension="Run the course again, or use 'Retry failed chapters', to generate it; "
                  "finished chapters are kept.",
    )


@dataclass
class CourseRun:
    """The state of one run: its engine, settings, limiter lease, cancel event and event sinks.

    The lease on the shared limiter is given back by `close()` (or when the run is
    garbage-collected), so this run's caps and pauses stop applying to other runs.
    """

    engine: Engine
    settings: CourseSettings
    content: str
    store: CourseStore | None = None
    on_event: EventHandler | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    warned: set[str] = field(default_factory=set)
    source: Source | None = None  # its parts name the file each chapter's sources are in

    def __post_init__(self) -> None:
        self.limiter = limiter_for(self.engine, self.settings)
        self.close = weakref.finalize(self, self.limiter.close)
        self.tokens = self.engine.count_tokens(self.content) if self.settings.tokens_per_minute \
            else 0

    def __enter__(self) -> CourseRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def emit(self, event: Event) -> None:
        if self.store is not None:
            self.store.record(event)
        if self.on_event is not None:
            self.on_event(event)

    def warn(self, notes: Iterable[str]) -> None:
        """Report each setting the model could not take, once per run."""
        for note in notes:
            if note not in self.warned:
                self.warned.add(note)
                self.emit(Event(EventKind.WARNING, None, reason=note))

    def call(self, fn: Callable[[], Reply], index: int | None = None, title: str = "") -> Reply:
        """One model call through the limiter and the retry layer, reporting its attempts."""
        reply = call_with_retry(
            fn,
            max_retries=self.settings.max_retries,
            retry_delay=self.settings.retry_delay,
            limiter=self.limiter,
            tokens=self.tokens,
            max_wait=self.settings.max_wait,
            on_attempt=lambda n: self.emit(Event(EventKind.ATTEMPT, index, title, attempt=n)),
            on_wait=lambda n, s, why: self.emit(
                Event(EventKind.WAITING, index, title, attempt=n, wait=s, reason=why)),
            cancel=self.cancel,
        )
        self.warn(reply.notes)
        return reply

    def plan_outline(self) -> list[str]:
        reply = self.call(lambda: self.engine.plan_outline(self.content, self.settings))
        titles = [str(t).strip() for t in (reply.value or []) if str(t).strip()]
        if not titles:
            raise OutlineError("the outline came back empty: the material may be too short, "
                               "or the model could not read it; check the source text")
        titles = titles[: self.settings.max_chapters]
        if self.store is not None:
            self.store.add_usage("outline", reply.usage)
        self.emit(Event(EventKind.OUTLINE, None, reason=f"{len(titles)} chapters",
                        usage=reply.usage, model=reply.model_version))
        return titles

    def write_chapters(
        self,
        titles: list[str],
        indices: Iterable[int],
        done: dict[int, ChapterContent] | None = None,
    ) -> dict[int, ChapterContent]:
        """Write the chapters `indices` (1-based) of `titles`; returns index -> chapter.

        Parallel mode runs `max_workers` at once; sequential and cascade run one at a time,
        and cascade tells each chapter the summaries of the chapters before it.
        """
        todo = sorted(set(indices))
        results: dict[int, ChapterContent] = dict(done or {})
        written = set(results)  # the chapters with real text (not a fallback)
        fatal: list[BaseException] = []
        for i in todo:
            self.emit(Event(EventKind.QUEUED, i, titles[i - 1]))

        def failed(i: int, exc: BaseException, reason: str, started: float) -> None:
            results[i] = fallback_chapter(titles[i - 1], exc)
            self.emit(Event(EventKind.FAILED, i, titles[i - 1], reason=reason,
                            usage=getattr(exc, "usage", None),
                            seconds=time.monotonic() - started))

        def one(i: int) -> None:
            title = titles[i - 1]
            previous = ([results[j] for j in sorted(written) if j < i]
                        if self.settings.mode == "cascade" else [])
            started = time.monotonic()
            self.emit(Event(EventKind.STARTED, i, title))
            try:
                reply = self.call(lambda: self.engine.write_chapter(
                    self.content, title, self.settings, index=i, outline=titles,
                    previous=previous), i, title)
            except CancelledError:
                self.emit(Event(EventKind.CANCELLED, i, title))
                return
            except FATAL as exc:
                fatal.append(exc)
                self.cancel.set()
                failed(i, exc, describe(exc), started)
                return
            except EngineError as exc:
                if self.cancel.is_set():  # stopped mid-request, not a failure of the chapter
                    self.emit(Event(EventKind.CANCELLED, i, title, usage=exc.usage))
                else:
                    failed(i, exc, describe(exc), started)
                return
            except Exception as exc:  # a bug or an odd SDK answer: this chapter only
                log.exception("chapter %d (%s) failed unexpectedly", i, title)
                failed(i, exc, f"unexpected error: {type(exc).__name__}: {describe(exc)}",
                       started)
                return
            chapter = reply.value
            chapter.title = title
            if self.source is not None:
                chapter.sources = attribute(chapter.sources, self.source)
            results[i] = chapter
            written.add(i)
            self.emit(Event(EventKind.DONE, i, title, usage=reply.usage, chapter=chapter,
                            seconds=time.monotonic() - started, model=reply.model_version))

        ended: set[int] = set()

        def task(i: int) -> None:
            try:
                one(i)
            finally:
                ended.add(i)

        workers = self.settings.max_workers if self.settings.mode == "parallel" else 1
        executor, _ = make_executor("thread", max(1, min(workers, len(todo) or 1)))
        futures: list[Future[None] | None] = []
        interrupted: BaseException | None = None
        try:
            delays = self.settings.delay_range if self.engine.remote else (0.0, 0.0)
            futures = spaced_submit(executor, task, todo, workers, delays, self.cancel)
            executor.shutdown(wait=True)
        except BaseException as exc:  # Ctrl-C: the workers stop waiting on their calls at once
            self.cancel.set()
            executor.shutdown(wait=True, cancel_futures=True)
            interrupted = exc
        for i in todo:
            if i not in ended:  # never started, or stopped before it could say so
                self.emit(Event(EventKind.CANCELLED, i, titles[i - 1]))
        if interrupted is not None:
            raise interrupted
        self._raise_task_bugs(futures)
        if fatal:
            raise fatal[0]
        if self.cancel.is_set():
            raise CancelledError("the course was cancelled; finished chapters are kept")
        return results

    @staticmethod
    def _raise_task_bugs(futures: list[Future[None] | None]) -> None:
        for future in futures:
            if future is not None and future.exception() is not None:
                raise future.exception()  # type: ignore[misc]

    def write_summary(self, chapters: list[ChapterContent]) -> tuple[str, Usage]:
        self.emit(Event(EventKind.SUMMARY, None))
        reply = self.call(lambda: self.engine.write_summary(self.content, chapters,
                                                            self.settings))
        return str(reply.value or "").strip(), reply.usage


def adopt_outline(store: CourseStore, titles: list[str]) -> list[str]:
    """The outline's titles, trimmed, made the course's outline; an empty one is an error."""
    titles = [t.strip() for t in titles if t and t.strip()]
    if not titles:
        raise OutlineError("the outline is empty: add at least one chapter title")
    if titles != store.outline:
        store.set_outline(titles)
    return titles


def chapters_to_write(store: CourseStore, count: int, retry_failed: bool,
                      redo: Iterable[int] | None) -> list[int]:
    """The chapters this run writes: the failed ones (`retry_failed`) or every one not done,
    and the ones to `redo`."""
    if retry_failed:
        todo = store.chapters_with(ChapterStatus.FAILED)
    else:
        already = set(store.chapters_with(ChapterStatus.DONE))
        todo = [i for i in range(1, count + 1) if i not in already]
    return sorted(set(todo) | {i for i in (redo or ()) if 1 <= i <= count})


def run_course(
    source: Source | str,
    settings: CourseSettings | None = None,
    *,
    engine: Engine | None = None,
    api_key: str | None = None,
    title: str | None = None,
    output_dir: str | Path = "output",
    outline: list[str] | None = None,
    redo: Iterable[int] | None = None,
    retry_failed: bool = False,
    on_event: EventHandler | None = None,
    cancel: threading.Event | None = None,
    owner_token: str | None = None,
) -> Course:
    """Make (or resume) a course in `output_dir/<title>/` and return it.

    Re-running with the same source and title keeps finished chapters and the saved
    outline; `outline` replaces the outline; `redo` regenerates those chapters;
    `retry_failed` regenerates only the failed ones; `owner_token` is the page's owner token (see
    `CourseStore.create`). `cancel` stops the run (it is also set
    when the course must stop, e.g. the daily quota is spent); finished chapters are kept.
    """
    settings = settings or CourseSettings()
    engine = as_engine(engine, settings, api_key)
    source, refused, read_notes = readable(as_source(source), engine.media_kinds,
                                           settings.read)
    if not source.parts and not source.media:
        raise SettingsError("nothing of the material can be read by this engine: "
                            + "; ".join(str(error) for error in refused))
    title = (title or default_title(source)).strip()
    check_fits(source, engine, settings)
    store = CourseStore.create(output_dir, title, source, settings, engine, owner_token)
    source = store.source or source
    held = contextlib.ExitStack()
    try:
        run = held.enter_context(CourseRun(engine, settings, source.markdown, store, on_event,
                                           cancel or threading.Event(), source=source))
        run.warn(f"skipped {error}" for error in refused)
        run.warn(read_notes)
        run.warn(engine.notes(settings))
        known = outline or store.outline
        titles = adopt_outline(store, known) if known else []
        todo = chapters_to_write(store, len(titles), retry_failed, redo)
        manifest = store.manifest()
        plan = RunPlan(
            total=len(titles) or settings.max_chapters, todo=tuple(todo),
            done_before=len(set(store.chapters_with(ChapterStatus.DONE)) - set(todo)),
            outline=not known, summary=bool(todo) or not known
            or not manifest.get("summary_file"))
        run.emit(Event(EventKind.PLANNED, None, reason=store.path.as_posix(), plan=plan))
        calls = int(plan.outline) + plan.chapters + int(plan.summary)
        run.warn(held.enter_context(engine.course_context(
            source.markdown, settings, calls=calls,
            saved=manifest.get("cache") or {}, save=store.set_cache, media=source.media,
            saved_files=manifest.get("files") or {}, save_files=store.set_files)))
        if not known:
            titles = adopt_outline(store, run.plan_outline())
            todo = chapters_to_write(store, len(titles), retry_failed, redo)
        store.set_state("writing")
        done = {i: c for i, c in store.done_chapters().items() if i not in todo}
        if todo and (settings.batch or store.batch):  # a saved job is resumed, never lost
            results = write_chapters_in_batch(run, titles, todo, done)
        else:
            results = run.write_chapters(titles, todo, done)
        done_now = set(store.chapters_with(ChapterStatus.DONE))
        finished = [results[i] for i in sorted(results) if i in done_now]
        summary = ""
        if finished and (todo or not store.manifest().get("summary_file")):
            store.set_state("summarizing")
            summary, usage = run.write_summary(finished)
            store.write_summary(summary, usage)
        elif finished:
            summary = (store.path / SUMMARY).read_text(encoding="utf-8").partition("\n")[2]
        failed = store.chapters_with(ChapterStatus.FAILED)
        store.set_state("failed" if failed else "done",
                        f"{len(failed)} chapter(s) failed: retry the failed chapters"
                        if failed else "")
        run.emit(Event(EventKind.FINISHED, None, reason=store.path.as_posix()))
        return Course(source.markdown, [results[i] for i in sorted(results)], summary.strip(),
                      title, store.path, store.manifest().get("model_version", ""))
    except (CancelledError, KeyboardInterrupt):
        store.set_state("cancelled", "cancelled by the user; finished chapters are kept")
        raise
    except Exception as exc:
        store.set_state("failed", describe(exc))
        raise
    finally:
        try:
            held.close()
            store.write_index()
        finally:
            store.close()


def summary_missing(manifest: Mapping[str, Any]) -> bool:
    """True when every chapter is done but the course summary is not written (its call
    failed or was cancelled): `finish_course` then writes only the summary."""
    chapters = manifest.get("chapters") or []
    return bool(chapters) and not manifest.get("summary_file") and all(
        c.get("status") == str(ChapterStatus.DONE) for c in chapters)


def recorded_settings(manifest: dict[str, Any]) -> CourseSettings:
    """The settings a course was made with, pinned to the engine and model it recorded, so a
    follow-up never switches engines (a Gemini course without a key fails, never goes
    offline; an OpenAI-compatible one goes back to its recorded server)."""
    settings = CourseSettings.from_dict(dict(manifest.get("settings") or {}))
    engine = manifest.get("engine", "offline")
    if engine in ("gemini", "openai"):
        return settings.with_(engine=engine,
                              model_name=manifest.get("model") or settings.model_name)
    return settings.with_(engine=engine)


def finish_course(
    path: str | Path,
    *,
    engine: Engine | None = None,
    api_key: str | None = None,
    on_event: EventHandler | None = None,
    cancel: threading.Event | None = None,
) -> Course:
    """Complete the course in folder `path` from its saved material and settings: what is
    not done is written, and when every chapter is done only the summary.

    Raises SettingsError when the folder holds no saved material (nothing to resume from).
    """
    store = CourseStore.open(path)
    source = store.saved_source()
    manifest = store.manifest()
    if source is None or not manifest:
        raise SettingsError(f"{path} holds no saved course material to finish it from; "
                            "generate the course again from its documents")
    return run_course(source, recorded_settings(manifest), engine=engine, api_key=api_key,
                      title=manifest.get("title"), output_dir=Path(path).parent,
                      on_event=on_event, cancel=cancel)


def check_fits(source: Source, engine: Engine, settings: CourseSettings | None = None) -> int:
    """The source's tokens (its text and the media the engine reads natively); raises
    SourceTooLargeError when they exceed the model's window.

    The local estimate decides whether the engine's exact (perhaps remote) count is needed.
    """
    window = engine.context_window()
    resolution = settings.media_resolution if settings else "auto"
    media = [(item.name, engine.media_tokens(item, resolution)) for item in source.media]
    near = estimate_tokens(source.markdown) + sum(n for _, n in media) > window // 2
    return check_size(source, window, engine.count_tokens if near else estimate_tokens,
                      media_tokens=media)


def material_tokens(source: Source, engine: Engine, resolution: str = "auto"
                    ) -> tuple[int, int]:
    """The material's estimated input tokens (its text and the media the engine reads
    natively, at `resolution`) and how many of them are audio (priced apart)."""
    media = [(item, engine.media_tokens(item, resolution)) for item in source.media]
    audio = sum(n for item, n in media if item.kind == "audio")
    return estimate_tokens(source.markdown) + sum(n for _, n in media), audio


def default_title(source: Source) -> str:
    """A course title from the first file's name, or from the first heading of plain text."""
    first = source.parts[0] if source.parts else None
    named = [item.name for item in source.media if not item.within]
    if (first is None or first.name in ("", "content")) and named:
        return named[0].rsplit(".", 1)[0].replace("_", " ").strip() or "course"
    if first is not None and first.name not in ("", "content"):
        return first.name.rsplit(".", 1)[0].replace("_", " ").strip() or "course"
    for line in (first.markdown if first else "").splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip()[:80] or "course"
    return "course"
