"""The seam between course logic and a model provider: one call, prompt in, text and usage out.

A provider is one small module with a `Transport`: it knows how to send a `Prompt` (system
instruction, user parts, optional JSON schema) to its service and how to turn the service's
failures into `geminiteacher.errors` types. Everything about courses (which prompts, how
answers are parsed) lives once, above every transport, in `PromptedEngine`.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from geminiteacher.backends.prompts import Prompt
from geminiteacher.errors import EngineError
from geminiteacher.models import CourseSettings, MediaPart, Usage


@dataclass
class Answer:
    """What one model call returned: its text, what it cost, who answered, and any notes."""

    text: str
    usage: Usage = field(default_factory=Usage)
    model_version: str = ""
    notes: tuple[str, ...] = ()


@dataclass
class BatchStatus:
    """A batch job as last polled: `state` is pending, running, succeeded, failed, cancelled
    or expired; `job` is the provider's own object, for reading its results."""

    name: str
    state: str
    job: Any = None

    @property
    def done(self) -> bool:
        return self.state not in ("pending", "running")


class BatchJobs(ABC):
    """A provider's batch service for the calls of one course (one model, one prefix)."""

    @abstractmethod
    def submit(self, prompts: Mapping[str, Prompt], settings: CourseSettings) -> str:
        """Create one job holding every prompt under its key; returns the job's name."""

    @abstractmethod
    def status(self, name: str) -> BatchStatus:
        """Poll the job (and keep what the job relies on, such as a cache, alive)."""

    @abstractmethod
    def results(self, status: BatchStatus, keys: Sequence[str]
                ) -> Iterator[tuple[str, Answer | EngineError]]:
        """A finished job's results by key (`keys`: the keys as submitted, in order): an
        answer, or the error of that one request."""

    @abstractmethod
    def cancel(self, name: str) -> None:
        """Ask the provider to stop the job."""

    @abstractmethod
    def delete(self, name: str) -> None:
        """Forget a job whose results were read (best effort)."""


class Transport(ABC):
    """One provider's model call. Thread-safe: many workers share one transport."""

    name: str = "transport"
    model: str = ""
    media_kinds: frozenset[str] = frozenset()  # media its model reads natively

    @property
    def limiter_key(self) -> str:
        """Identity of the quota the calls draw on (never a key itself)."""
        return f"{self.name}:{self.model}"

    @abstractmethod
    def generate(self, prompt: Prompt, settings: CourseSettings) -> Answer:
        """Send one prompt; raise the `geminiteacher.errors.EngineError` family on failure."""

    @abstractmethod
    def count_tokens(self, text: str) -> int:
        """Input tokens `text` costs for this model (an estimate when the service can't say)."""

    @abstractmethod
    def context_window(self) -> int:
        """Input tokens the model accepts."""

    def notes(self, settings: CourseSettings) -> list[str]:
        """Warnings about `settings` for this model, known before any call (none by default)."""
        return []

    def media_tokens(self, item: MediaPart, resolution: str = "auto") -> int:
        """Input tokens one media part costs this model (0 without media input)."""
        return 0

    def batch_jobs(self, prefix: tuple[str, str]) -> BatchJobs | None:
        """The batch service for calls that start with `prefix`, or None when this provider
        or model has none."""
        return None

    @contextlib.contextmanager
    def course_context(
        self,
        prefix: tuple[str, str],
        settings: CourseSettings,
        *,
        calls: int,
        saved: Mapping[str, Any],
        save: Callable[[dict[str, Any]], None],
        media: Sequence[MediaPart] = (),
        saved_files: Mapping[str, Any] | None = None,
        save_files: Callable[[dict[str, Any]], None] | None = None,
    ) -> Iterator[list[str]]:
        """Resources for one course whose calls all start with `prefix` (system instruction,
        document part); see `Engine.course_context`. None by default."""
        yield []
