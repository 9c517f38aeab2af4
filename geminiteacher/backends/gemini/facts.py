"""What a Gemini model is, as the API describes it: limits, thinking support, generation.

`models.get` and `models.list` give the input and output token limits, whether the model
thinks and which actions it supports; the name (or the API's `version`) gives its generation,
which decides how thinking is set. Where the API cannot be asked (a gateway without
`/models`), the facts are unknown and the engine falls back to documented defaults.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

DEFAULT_CONTEXT_WINDOW = 1_048_576  # Gemini 3's input limit; used only when the API can't say
_GENERATION = re.compile(r"^gemini-(\d+)(?:\.(\d+))?")
_VERSION = re.compile(r"^(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class ModelFacts:
    """One model's facts. `known` is False when the API could not be asked."""

    name: str
    input_limit: int | None = None
    output_limit: int | None = None
    thinking: bool | None = None
    actions: tuple[str, ...] = ()
    version: str = ""
    known: bool = False

    @classmethod
    def from_api(cls, model: Any) -> ModelFacts:
        """Facts from a google-genai `types.Model`."""
        return cls(
            name=(model.name or "").removeprefix("models/"),
            input_limit=model.input_token_limit or None,
            output_limit=model.output_token_limit or None,
            thinking=model.thinking,
            actions=tuple(model.supported_actions or ()),
            version=model.version or "",
            known=True,
        )

    @property
    def is_alias(self) -> bool:
        """`gemini-flash-latest` and its kind: Google moves them to the newest model."""
        return self.name.endswith("-latest")

    @property
    def is_gemma(self) -> bool:
        return self.name.startswith("gemma")

    @property
    def is_pro(self) -> bool:
        return "-pro" in self.name

    @property
    def can_generate(self) -> bool:
        return not self.known or "generateContent" in self.actions

    @property
    def release(self) -> tuple[int, int] | None:
        """(major, minor) generation: 3.8 for gemini-3.8-flash; None for Gemma and unknowns."""
        match = _GENERATION.match(self.name)
        if match is None and not self.is_gemma:
            match = _VERSION.match(self.version)
        if match is None:
            return (3, 0) if self.is_alias else None
        return int(match.group(1)), int(match.group(2) or 0)

    @property
    def sets_thinking_by_level(self) -> bool:
        """Gemini 3 and newer take `thinking_level`; 2.5 takes a budget. Unplaced names: level."""
        release = self.release
        return release is None or release[0] >= 3

    @property
    def sets_resolution_per_part(self) -> bool:
        """Gemini 3 and newer take a media resolution on each part (what a cache holds);
        2.5 only the request-wide `media_resolution`."""
        return not self.is_gemma and self.sets_thinking_by_level

    @property
    def takes_system_instruction(self) -> bool:
        return not self.is_gemma

    def context_window(self) -> int:
        return self.input_limit or DEFAULT_CONTEXT_WINDOW


def picker_order(facts: list[ModelFacts]) -> list[ModelFacts]:
    """Models that can generate: aliases first, then newest first, then by name."""
    usable = [f for f in facts if f.can_generate]

    def key(f: ModelFacts) -> tuple[int, tuple[int, int], str]:
        release = f.release or (0, 0)
        return (0 if f.is_alias else 1, (-release[0], -release[1]), f.name)

    return sorted(usable, key=key)
