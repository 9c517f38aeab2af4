"""One generateContent request shaped for the model it goes to.

- Temperature: none is sent unless the user chose one (Gemini 3's default of 1.0 is what
  Google advises); a chosen value below 1.0 on Gemini 3 gets a warning.
- Thinking: one setting (auto, off, low, medium, high). Gemini 3 gets `thinking_level`,
  Gemini 2.5 a `thinking_budget`, never both; a model that cannot turn thinking off gets its
  lowest level and a note; a model without thinking gets no thinking config. A budget from a
  2.5-era script is translated into a level for Gemini 3.
- A model that rejects a system instruction (Gemma) gets it as the first lines of the user
  turn, before the document, so the constant prefix that caching relies on is kept.
- `max_output_tokens` is the model's own output limit when the API told us it.
- With an explicit cache (which holds the system instruction and the document), the call
  sends only its own instruction and names the cache.
- Media read natively go first in the user turn (uploaded files, YouTube links), with the
  course's `media_resolution` when one is chosen.
- A parameter the server rejects with a 400 can be left out (`DROPPABLE`), once per model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from google.genai import types

from geminiteacher.backends.gemini.facts import ModelFacts
from geminiteacher.backends.prompts import Prompt
from geminiteacher.backends.refusals import refusal_note, refused_parameter
from geminiteacher.models import CourseSettings

BUDGETS = {"low": 1_024, "medium": 8_192, "high": 24_576}
PRO_LOWEST_BUDGET = 128
TEMPERATURE_GUIDANCE = "https://ai.google.dev/gemini-api/docs/gemini-3"
DROPPABLE = {  # parameter -> (what the server's 400 says about it, words for a person)
    "thinking": (r"thinking", "the thinking setting"),
    "temperature": (r"temperature", "the temperature"),
    "system_instruction": (r"developer instruction|system[ _]?instruction",
                           "a system instruction"),
    "schema": (r"response_?json_?schema|response_?schema|response_?mime_?type|json mode",
               "structured output (answers are read as Markdown instead)"),
    "max_output_tokens": (r"max_?output_?tokens", "the output limit read from the model list"),
    "media_resolution": (r"media_?resolution", "the media resolution setting"),
}
RESOLUTION = {"low": types.MediaResolution.MEDIA_RESOLUTION_LOW,
              "medium": types.MediaResolution.MEDIA_RESOLUTION_MEDIUM,
              "high": types.MediaResolution.MEDIA_RESOLUTION_HIGH}


@dataclass(frozen=True)
class Request:
    """The SDK objects for one call, and which droppable parameters it carries."""

    contents: list[types.Content]
    config: types.GenerateContentConfig
    sent: frozenset[str]


def _level_for_budget(budget: int) -> str | None:
    """A 2.5-era budget as a Gemini 3 level: -1 auto, 0 off, then by size."""
    if budget < 0:
        return None
    if budget == 0:
        return "off"
    return next((name for name, size in BUDGETS.items() if budget <= size), "high")


def thinking_config(
    settings: CourseSettings, facts: ModelFacts
) -> tuple[types.ThinkingConfig | None, str | None]:
    """The thinking config for this model (or None) and a note when the wish was adjusted."""
    wanted, budget = settings.thinking, settings.thinking_budget
    if wanted == "auto" and budget is None:
        return None, None
    if facts.thinking is False or (facts.thinking is None and facts.is_gemma):
        return None, f"model {facts.name} does not think; the thinking setting is not sent"
    if not facts.sets_thinking_by_level:
        size = budget if wanted == "auto" else 0 if wanted == "off" else BUDGETS[wanted]
        if size == 0 and facts.is_pro:
            return (types.ThinkingConfig(thinking_budget=PRO_LOWEST_BUDGET),
                    f"model {facts.name} cannot turn thinking off; using its lowest budget "
                    f"({PRO_LOWEST_BUDGET} tokens)")
        return types.ThinkingConfig(thinking_budget=size), None
    level = _level_for_budget(budget) if wanted == "auto" and budget is not None else wanted
    if level is None:
        return None, None
    if level == "off":
        lowest = "low" if facts.is_pro else "minimal"
        return (types.ThinkingConfig(thinking_level=lowest.upper()),
                f"model {facts.name} cannot turn thinking off; using its lowest level "
                f"({lowest})")
    return types.ThinkingConfig(thinking_level=level.upper()), None


def temperature_note(settings: CourseSettings, facts: ModelFacts) -> str | None:
    """A warning for a chosen temperature below 1.0 on Gemini 3, else None."""
    release = facts.release
    if settings.temperature is None or settings.temperature >= 1.0:
        return None
    if release is None or release[0] < 3:
        return None
    return (f"temperature {settings.temperature:g} is below 1.0: Google advises keeping "
            f"Gemini 3 models at their default (1.0), as lower values can make answers loop "
            f"or degrade ({TEMPERATURE_GUIDANCE})")


def setting_notes(settings: CourseSettings, facts: ModelFacts, dropped: set[str]) -> list[str]:
    """Every warning known before the first call, in a fixed order."""
    notes = [thinking_config(settings, facts)[1], temperature_note(settings, facts)]
    notes += [f"model {facts.name} does not accept {DROPPABLE[name][1]}; it is not sent"
              for name in sorted(dropped)]
    return [note for note in notes if note]


def build_request(
    prompt: Prompt,
    settings: CourseSettings,
    facts: ModelFacts,
    dropped: set[str],
    http_options: types.HttpOptions | None,
    cache: str | None = None,
    media: Sequence[types.Part] = (),
) -> Request:
    """The call for `prompt`, leaving out every parameter in `dropped`; `media` (the prompt's
    uploaded files) go first; with `cache`, the named cache stands for the system
    instruction, the media and the first part."""
    sent: set[str] = set()
    parts = list(prompt.parts)
    system = None
    if cache is not None:
        parts = parts[1:]
    elif facts.takes_system_instruction and "system_instruction" not in dropped:
        system = prompt.system
        sent.add("system_instruction")
    elif parts:
        parts[0] = prompt.system + "\n\n" + parts[0]
    schema = prompt.schema if "schema" not in dropped else None
    if schema is not None:
        sent.add("schema")
    thinking = None if "thinking" in dropped else thinking_config(settings, facts)[0]
    if thinking is not None:
        sent.add("thinking")
    temperature = None if "temperature" in dropped else settings.temperature
    if temperature is not None:
        sent.add("temperature")
    output = None if "max_output_tokens" in dropped else facts.output_limit
    if output is not None:
        sent.add("max_output_tokens")
    resolution = RESOLUTION.get(settings.media_resolution) \
        if prompt.media and "media_resolution" not in dropped else None
    if resolution is not None:
        sent.add("media_resolution")
    config = types.GenerateContentConfig(
        system_instruction=system,
        temperature=temperature,
        max_output_tokens=output,
        response_mime_type="application/json" if schema else None,
        response_json_schema=schema,
        thinking_config=thinking,
        media_resolution=resolution,
        cached_content=cache,
        http_options=http_options,
    )
    files = [] if cache is not None else list(media)
    contents = [types.Content(role="user", parts=[*files, *(types.Part(text=p) for p in parts)])]
    return Request(contents, config, frozenset(sent))


def rejected_parameter(message: str, sent: frozenset[str]) -> str | None:
    """The droppable parameter a 400's message names, if the request carried it."""
    return refused_parameter(message, sent, DROPPABLE)


def drop_note(model: str, name: str, reason: str) -> str:
    return refusal_note(model, DROPPABLE[name][1], reason)
