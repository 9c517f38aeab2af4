"""The one small interface every engine implements."""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from geminiteacher.models import ChapterContent, CourseSettings, MediaPart, Reply


class Engine(ABC):
    """Writes the three kinds of text a course needs from one source document.

    Implementations are thread-safe: many workers call one engine at once.
    They raise the `geminiteacher.errors.EngineError` family; retrying and rate
    limiting are the caller's job (see `geminiteacher.parallel`).
    """

    name: str = "engine"
    model: str = ""
    extractive: bool = False
    remote: bool = True  # calls a service, so its requests are spaced out (`delay_range`)
    media_kinds: frozenset[str] = frozenset()  # media (MEDIA_KINDS) its model reads natively

    @property
    def limiter_key(self) -> str:
        """Identity of the quota this engine draws on (never the key itself)."""
        return f"{self.name}:{self.model}"

    @abstractmethod
    def plan_outline(self, source: str, settings: CourseSettings) -> Reply:
        """Reply.value: list[str] of chapter titles, 1..max_chapters (exactly N if fixed)."""

    @abstractmethod
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
        """Reply.value: ChapterContent. `previous` holds earlier chapters in cascade mode."""

    @abstractmethod
    def write_summary(
        self, source: str, chapters: Sequence[ChapterContent], settings: CourseSettings
    ) -> Reply:
        """Reply.value: str, the course summary in Markdown."""

    @abstractmethod
    def count_tokens(self, text: str) -> int:
        """Tokens `text` costs as input for this engine's model (an estimate where offline)."""

    def context_window(self) -> int:
        """Input tokens the model accepts; sources beyond it are refused or split."""
        return 1_000_000

    def notes(self, settings: CourseSettings) -> list[str]:
        """Warnings about `settings` for this engine's model, known before any call."""
        return []

    def media_tokens(self, item: MediaPart, resolution: str = "auto") -> int:
        """Input tokens one natively read media part costs (0 for an engine without media)."""
        return 0

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
        """What the engine holds while one course runs (Gemini: an explicit cache).

        `calls` is how many calls the course expects; `saved` is what `save` stored for the
        previous run of this course, so a resume can reuse it. `media` are read natively by
        every call (Gemini uploads them once; `saved_files`/`save_files` keep the uploads
        while they live). Yields notes for the course.
        """
        yield []
