"""Parallel chapter generation: the documented `parallel` module of GeminiTeacher.

`parallel_map_with_delay` maps any function over items with spaced starts and returns the
results in input order. `generate_chapter_with_retry` writes one chapter through the shared
limiter and retry layer. `parallel_generate_chapters` writes many chapters at once, saving
each to `<output_dir>/<course_title>/` the moment it is done.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from geminiteacher.backends.base import Engine
from geminiteacher.course.store import CourseStore
from geminiteacher.engine.pool import ExecutorChoice, default_workers, make_executor, spaced_submit
from geminiteacher.engine.runner import CourseRun, as_engine, fallback_chapter
from geminiteacher.errors import EngineError, ModelAccessError, QuotaExhaustedError
from geminiteacher.models import UPSTREAM_TEMPERATURE, ChapterContent, CourseSettings, Source

T = TypeVar("T")


def parallel_map_with_delay(
    func: Callable[..., T],
    items: Sequence[Any],
    max_workers: int | None = None,
    delay_range: tuple[float, float] = (0.1, 0.5),
    *,
    executor: ExecutorChoice = None,
    **kwargs: Any,
) -> list[T]:
    """Apply `func(item, **kwargs)` to every item in parallel; results come in input order.

    Submissions are spaced by a random gap from `delay_range`, as documented upstream (one
    that had to wait for a free worker goes at once). `executor` is "thread" (default,
    for work that waits on the network), "process" (CPU work; `func` must be picklable), or
    any `concurrent.futures.Executor`. The first exception an item raises propagates.
    """
    items = list(items)
    kind = executor if isinstance(executor, str) else "thread"
    workers = max_workers or default_workers(kind)
    pool, owned = make_executor(executor, workers)
    call = functools.partial(func, **kwargs) if kwargs else func
    stop = threading.Event()
    try:
        futures = spaced_submit(pool, call, items, workers, delay_range, stop,
                                every_start=True)
        return [future.result() for future in futures if future is not None]
    finally:
        if owned:
            pool.shutdown(wait=True, cancel_futures=True)


def generate_chapter_with_retry(
    chapter_title: str,
    content: str,
    llm: Engine | None = None,
    temperature: float = UPSTREAM_TEMPERATURE,
    custom_prompt: str | None = None,
    max_retries: int = 3,
    retry_delay: float = 1.0,
) -> ChapterContent:
    """Write one chapter, retrying transient failures with exponential backoff.

    After `max_retries` failed attempts it returns a fallback chapter that explains the
    error. A wrong key or model, or a spent daily quota, raises at once instead.
    """
    settings = CourseSettings(temperature=temperature, custom_prompt=custom_prompt,
                              max_retries=max_retries, retry_delay=retry_delay)
    engine = as_engine(llm, settings)
    try:
        with CourseRun(engine, settings, content) as run:
            reply = run.call(lambda: engine.write_chapter(content, chapter_title, settings),
                             1, chapter_title)
    except (ModelAccessError, QuotaExhaustedError):
        raise
    except EngineError as exc:
        return fallback_chapter(chapter_title, exc)
    return reply.value


def parallel_generate_chapters(
    chapter_titles: list[str],
    content: str,
    llm: Engine | None = None,
    temperature: float = UPSTREAM_TEMPERATURE,
    custom_prompt: str | None = None,
    max_workers: int | None = None,
    delay_range: tuple[float, float] = (0.1, 0.5),
    max_retries: int = 3,
    course_title: str = "course",
    output_dir: str = "output",
    **options: Any,
) -> list[ChapterContent]:
    """Write the chapters in parallel, each saved as it finishes; returns them in input order.

    Like the whole-course calls it resumes: chapters already saved in
    `<output_dir>/<course_title>/` for the same content and titles are read back, not
    requested again, so a run that was killed asks only for the missing chapters.
    Chapters that still fail after `max_retries` come back as fallback chapters and are
    marked `failed` in `course.json`. Extra `options` are `CourseSettings` fields
    (e.g. `requests_per_minute`).
    """
    settings = CourseSettings(temperature=temperature, custom_prompt=custom_prompt,
                              max_workers=max_workers or 4, delay_range=tuple(delay_range),
                              max_retries=max_retries, mode="parallel", **options)
    engine = as_engine(llm, settings)
    source = Source.from_text(content)
    titles = list(chapter_titles)
    store = CourseStore.create(output_dir, course_title, source, settings, engine)
    try:
        store.set_outline(titles)
        done = store.done_chapters()
        todo = [i for i in range(1, len(titles) + 1) if i not in done]
        with CourseRun(engine, settings, content, store) as run:
            results = run.write_chapters(titles, todo, done)
        store.set_state("done")
    finally:
        try:
            store.write_index()
        finally:
            store.close()
    return [results[i] for i in range(1, len(chapter_titles) + 1)]
