"""Reading a generateContent response (online or from a batch job) into an `Answer`."""

from __future__ import annotations

from typing import Any

from google.genai import types

from geminiteacher.backends.transport import Answer
from geminiteacher.errors import BlockedAnswerError, EmptyAnswerError, EngineError
from geminiteacher.models import Usage

_BLOCKING_FINISH = {
    "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY",
    "LANGUAGE",
}


def read_answer(response: types.GenerateContentResponse, structured: bool,
                notes: list[str] | tuple[str, ...] = ()) -> Answer:
    """The Answer in `response` (online or from a batch job), or the typed error that says
    why there is none."""
    usage = _usage(response)
    try:
        text = _answer_text(response, structured=structured)
    except EngineError as exc:  # an empty or blocked answer is billed all the same
        exc.usage = usage
        raise
    return Answer(text, usage, response.model_version or "", tuple(notes))


def _answer_text(response: types.GenerateContentResponse, *, structured: bool) -> str:
    """The answer's text, or the typed error that says why there is none."""
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason is not None:
        raise BlockedAnswerError(enum_name(feedback.block_reason))
    candidate = (response.candidates or [None])[0]
    if candidate is None:
        raise EmptyAnswerError("no candidates")
    finish = enum_name(candidate.finish_reason) if candidate.finish_reason else ""
    if finish in _BLOCKING_FINISH:
        raise BlockedAnswerError(finish)
    text = response.text or ""
    if not text.strip():
        raise EmptyAnswerError(finish or "no text")
    if structured and finish == "MAX_TOKENS":
        raise EmptyAnswerError("MAX_TOKENS: the structured answer was cut off")
    return text


def _usage(response: types.GenerateContentResponse) -> Usage:
    meta = response.usage_metadata
    if meta is None:
        return Usage()
    return Usage(
        input_tokens=meta.prompt_token_count or 0,
        cached_tokens=meta.cached_content_token_count or 0,
        output_tokens=meta.candidates_token_count or 0,
        thinking_tokens=meta.thoughts_token_count or 0,
        modalities=_by_modality(meta.prompt_tokens_details),
        cached_modalities=_by_modality(meta.cache_tokens_details),
    )


def _by_modality(details: list[types.ModalityTokenCount] | None) -> dict[str, int]:
    """`{"text": 120, "audio": 9600}` from Gemini's per-modality token counts."""
    counts: dict[str, int] = {}
    for detail in details or []:
        if detail.modality is not None and detail.token_count:
            name = enum_name(detail.modality).lower()
            counts[name] = counts.get(name, 0) + detail.token_count
    return counts


def enum_name(value: Any) -> str:
    return str(getattr(value, "value", value))
