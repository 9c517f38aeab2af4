"""The fake Gemini service's model catalog and request rules, as the API behaves in late 2026.

- The current family is Gemini 3.x; `gemini-flash-latest`, `gemini-flash-lite-latest` and
  `gemini-pro-latest` are aliases whose answers report the concrete model in `modelVersion`.
- gemini-2.5-flash, gemini-2.5-pro and the 2.0 and 1.5 models are retired: any call naming
  them answers 404, like a name that never existed. gemini-2.5-flash-lite is still served
  (its shutdown comes later), so the 2.5-era thinking budget can still be exercised.
- Thinking: Gemini 3 takes `thinking_level`; from 3.5 on a `thinking_budget` is a 400; the
  Pro model cannot turn thinking off (no MINIMAL level, no budget 0); a level and a budget in
  one request are a 400; 2.5 takes only a budget; Gemma has no thinking at all.
- Gemma rejects a system instruction ("Developer instruction is not enabled").
- `v1` does not know `responseJsonSchema` (structured output is a `v1beta` field there), and
  explicit caches and batches are served on `v1beta` only.
- `maxOutputTokens` above a model's output limit is a 400.
- A cache (explicit, and the prefix implicit caching matches) holds at least `cache_min`
  tokens: 4,096 on every Gemini 3.x model, 2,048 on 2.5 (ai.google.dev/gemini-api/docs/caching,
  checked 2026-12-06); a request that uses an explicit cache may not also carry a system
  instruction.
- Per-part `mediaResolution` is Gemini 3 and newer only; 2.5 takes the request-wide
  `generationConfig.mediaResolution` alone (ai.google.dev/gemini-api/docs/media-resolution).
The SDK sends thinking fields in snake_case inside `thinkingConfig`; proto JSON accepts both
spellings, and so does this fake.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GENERATE = ("generateContent", "countTokens", "streamGenerateContent")
CACHE_AND_BATCH = ("createCachedContent", "batchGenerateContent")


@dataclass(frozen=True)
class ModelSpec:
    """One model the fake serves, with the limits and rules the real one has."""

    name: str
    version: str
    display: str
    input_limit: int = 1_048_576
    output_limit: int = 65_536
    thinking: bool = True
    levels: tuple[str, ...] = ()  # thinking levels accepted; empty: levels are refused
    budget: tuple[int, int] | None = None  # accepted thinking budget range; None: refused
    system_instruction: bool = True
    methods: tuple[str, ...] = GENERATE + CACHE_AND_BATCH
    cache_min: int = 4_096  # fewest tokens a cache may hold
    part_resolution: bool = True  # per-part mediaResolution accepted (Gemini 3+)

    def info(self, name: str | None = None) -> dict[str, Any]:
        """The Model resource as models.get / models.list return it."""
        return {
            "name": f"models/{name or self.name}",
            "baseModelId": name or self.name,
            "version": self.version,
            "displayName": self.display,
            "description": f"{self.display} (fake)",
            "inputTokenLimit": self.input_limit,
            "outputTokenLimit": self.output_limit,
            "supportedGenerationMethods": list(self.methods),
            "temperature": 1.0,
            "maxTemperature": 2.0,
            "topP": 0.95,
            "topK": 64,
            "thinking": self.thinking,
        }


FLASH_LEVELS = ("MINIMAL", "LOW", "MEDIUM", "HIGH")
MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("gemini-3.8-flash", "3.8", "Gemini 3.8 Flash", levels=FLASH_LEVELS),
        ModelSpec("gemini-3.7-flash", "3.7", "Gemini 3.7 Flash", levels=FLASH_LEVELS),
        ModelSpec("gemini-3.5-flash-lite", "3.5", "Gemini 3.5 Flash-Lite", levels=FLASH_LEVELS),
        ModelSpec("gemini-3.1-pro-preview", "3.1", "Gemini 3.1 Pro Preview",
                  levels=("LOW", "MEDIUM", "HIGH"), budget=(128, 32_768)),
        ModelSpec("gemini-2.5-flash-lite", "2.5", "Gemini 2.5 Flash-Lite", budget=(0, 24_576),
                  cache_min=2_048, part_resolution=False),
        ModelSpec("gemma-3-27b-it", "3", "Gemma 3 27B", input_limit=131_072,
                  output_limit=8_192, thinking=False, system_instruction=False,
                  methods=GENERATE, part_resolution=False),
        ModelSpec("gemini-embedding-001", "1", "Gemini Embedding", input_limit=2_048,
                  output_limit=1, thinking=False, methods=("embedContent",)),
    )
}
ALIASES = {
    "gemini-flash-latest": "gemini-3.8-flash",
    "gemini-flash-lite-latest": "gemini-3.5-flash-lite",
    "gemini-pro-latest": "gemini-3.1-pro-preview",
}
RETIRED = ("gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.0-flash", "gemini-2.0-flash-lite",
           "gemini-1.5-flash", "gemini-1.5-pro")


def lookup(name: str) -> tuple[ModelSpec, str] | None:
    """(spec, concrete name) for a served model or alias; None when retired or unknown."""
    target = ALIASES.get(name, name)
    spec = MODELS.get(target)
    return (spec, target) if spec is not None else None


def catalog() -> list[dict[str, Any]]:
    """Every Model resource models.list returns: aliases and concrete models."""
    listed = [MODELS[target].info(alias) for alias, target in ALIASES.items()]
    return listed + [spec.info() for spec in MODELS.values()]


def _either(config: dict[str, Any], snake: str, camel: str) -> Any:
    return config.get(snake, config.get(camel))


def request_problem(version: str, spec: ModelSpec, body: dict[str, Any]) -> str | None:
    """Why the real service would answer this generate request with a 400, or None."""
    config = body.get("generationConfig") or {}
    if version == "v1" and "responseJsonSchema" in config:
        return ('Invalid JSON payload received. Unknown name "responseJsonSchema" at '
                "'generation_config': Cannot find field.")
    if body.get("systemInstruction") and not spec.system_instruction:
        return f"Developer instruction is not enabled for models/{spec.name}"
    limit = config.get("maxOutputTokens")
    if limit is not None and not 1 <= int(limit) <= spec.output_limit:
        return (f"The maxOutputTokens value {limit} is out of range: models/{spec.name} "
                f"supports from 1 to {spec.output_limit}.")
    problem = parts_problem(spec, body)
    if problem is not None:
        return problem
    thinking = config.get("thinkingConfig")
    return None if thinking is None else _thinking_problem(spec, thinking)


def parts_problem(spec: ModelSpec, body: dict[str, Any]) -> str | None:
    """Why the service would refuse the parts of these contents (a generate request or a
    cache): a per-part media resolution on a model before Gemini 3."""
    per_part = any(isinstance(part, dict) and _either(part, "media_resolution", "mediaResolution")
                   for content in body.get("contents") or [] if isinstance(content, dict)
                   for part in content.get("parts") or [])
    if per_part and not spec.part_resolution:
        return (f"Per-part media_resolution is not supported for models/{spec.name}; set "
                "generation_config.media_resolution instead.")
    return None


def _thinking_problem(spec: ModelSpec, thinking: dict[str, Any]) -> str | None:
    level = _either(thinking, "thinking_level", "thinkingLevel")
    budget = _either(thinking, "thinking_budget", "thinkingBudget")
    if not spec.thinking:
        return f"Thinking is not enabled for models/{spec.name}"
    if level is not None and budget is not None:
        return "You can only set one of thinking budget and thinking level."
    if level is not None:
        if not spec.levels:
            return f"Thinking level is not supported for models/{spec.name}; use thinking_budget."
        if str(level).upper() not in spec.levels:
            return (f"Thinking level {str(level).upper()} is not supported for this model. "
                    f"Supported levels: {', '.join(spec.levels)}.")
    if budget is not None and int(budget) != -1:
        if spec.budget is None:
            return (f"thinking_budget is not supported for models/{spec.name}; "
                    "use thinking_level.")
        low, high = spec.budget
        if int(budget) == 0 and low > 0:
            return "Thinking can't be disabled for this model."
        if not (low <= int(budget) <= high or int(budget) == 0):
            return f"The thinking budget {budget} is invalid. Please choose a value between " \
                   f"{low} and {high}."
    return None
