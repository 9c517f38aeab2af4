"""Course tasks written once for every model provider: outline, chapter and summary prompts
sent through a `Transport`, and the answers parsed into course parts."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from geminiteacher.backends.base import Engine
from geminiteacher.backends.prompts import (
    chapter_prompt,
    document_part,
    outline_prompt,
    parse_chapter,
    parse_outline_text,
    summary_prompt,
    system_instruction,
)
from geminiteacher.backends.transport import Answer, BatchJobs, Transport
from geminiteacher.errors import OutlineError
from geminiteacher.models import ChapterContent, CourseSettings, MediaPart, Reply


def _prefix(source: str, settings: CourseSettings,
            media: Sequence[MediaPart] = ()) -> tuple[str, str]:
    """What every call of a course starts with: the system instruction and the document
    (after the media, which the transport sends first)."""
    return system_instruction(settings), document_part(source, media)


def _reply(value: object, answer: Answer) -> Reply:
    return Reply(value, answer.usage, answer.model_version, answer.notes)


class PromptedEngine(Engine):
    """An engine that writes a course by prompting a language model through `transport`."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.name = transport.name
        self.model = transport.model
        self._media: dict[str, tuple[MediaPart, ...]] = {}  # document -> its course's media

    def media_of(self, source: str) -> tuple[MediaPart, ...]:
        """The media read natively beside `source` while its course runs (see
        `course_context`); none for a document outside a course."""
        return self._media.get(source, ())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.transport!r})"

    @property
    def limiter_key(self) -> str:
        return self.transport.limiter_key

    def plan_outline(self, source: str, settings: CourseSettings) -> Reply:
        answer = self.transport.generate(outline_prompt(source, settings,
                                                        self.media_of(source)), settings)
        titles = parse_outline_text(answer.text)[: settings.max_chapters]
        if not titles:
            raise OutlineError(
                f"model {self.model} answered an outline without chapter titles; "
                "try again or choose another model"
            )
        return _reply(titles, answer)

    def write_chapter(
        self,
        source: str,
        title: str,
        settings: CourseSettings,
        *,
        index: int = 1,
        outline: Sequence[str] = (),
        previous: Sequence[ChapterContent] = (),
    ) -> Reply:
        prompt = chapter_prompt(
            source, title, settings, index=index, outline=outline, previous=previous,
            media=self.media_of(source),
        )
        return self.read_chapter(self.transport.generate(prompt, settings), title, source)

    def read_chapter(self, answer: Answer, title: str, source: str) -> Reply:
        """The chapter in `answer`, however it was asked for (one call, or a batch job)."""
        return _reply(parse_chapter(answer.text, title, source, self.media_of(source)), answer)

    def write_summary(
        self, source: str, chapters: Sequence[ChapterContent], settings: CourseSettings
    ) -> Reply:
        answer = self.transport.generate(
            summary_prompt(source, chapters, settings, self.media_of(source)), settings)
        return _reply(answer.text.strip(), answer)

    def count_tokens(self, text: str) -> int:
        return self.transport.count_tokens(text)

    def context_window(self) -> int:
        return self.transport.context_window()

    def notes(self, settings: CourseSettings) -> list[str]:
        return self.transport.notes(settings)

    @property
    def media_kinds(self) -> frozenset[str]:  # type: ignore[override]
        return self.transport.media_kinds

    def media_tokens(self, item: MediaPart, resolution: str = "auto") -> int:
        return self.transport.media_tokens(item, resolution)

    def batch_jobs(self, source: str, settings: CourseSettings) -> BatchJobs | None:
        """The transport's batch service for this course's calls, or None without one."""
        return self.transport.batch_jobs(_prefix(source, settings, self.media_of(source)))

    @contextlib.contextmanager
    def course_context(
        self,
        source: str,
        settings: CourseSettings,
        *,
        calls: int,
        saved: Mapping[str, Any],
        save: Callable[[dict[str, Any]], None],
        media: Sequence[MediaPart] = (),
        saved_files: Mapping[str, Any] | None = None,
        save_files: Callable[[dict[str, Any]], None] | None = None,
    ) -> Iterator[list[str]]:
        media = tuple(media) if self.media_kinds else ()
        if media:
            self._media[source] = media
        try:
            with self.transport.course_context(_prefix(source, settings, media), settings,
                                               calls=calls, saved=saved, save=save, media=media,
                                               saved_files=saved_files,
                                               save_files=save_files) as notes:
                yield notes
        finally:
            if media:
                self._media.pop(source, None)
