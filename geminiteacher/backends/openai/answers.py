"""Reading a chat completion, streamed or whole, into an `Answer` or the typed error that
says why there is none.

Answers are streamed, so `request_timeout` bounds the silence between two pieces rather than
the whole answer: a slow local model writing a long chapter is not cut off while it keeps
writing. The whole answer is still bounded, in time (`STREAM_SECONDS`) and in size
(`MAX_ANSWER_CHARS`). A server that ignores `stream` and answers one JSON body is read as
such; one that answers something else (an HTML page, a bare string) is a retryable service
error.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import openai
from openai.types.chat import ChatCompletion

from geminiteacher.backends.openai.errors import ErrorWords, error_text
from geminiteacher.backends.transport import Answer
from geminiteacher.errors import BlockedAnswerError, EmptyAnswerError, EngineError, ServiceError
from geminiteacher.models import Usage

STREAM_SECONDS = 3600.0  # the most one answer may take, however steadily it comes
MAX_ANSWER_CHARS = 2_000_000
_THINK = re.compile(r"^\s*<think>.*?</think>\s*", re.S)


@dataclass
class Completion:
    """What one call answered, however it arrived."""

    text: str = ""
    finish: str = ""
    refusal: str = ""
    usage: Usage = field(default_factory=Usage)
    model: str = ""

    def answer(self, structured: bool, notes: list[str]) -> Answer:
        """The Answer, or the typed error (carrying the tokens it still cost) why none."""
        try:
            text = self._text(structured)
        except EngineError as exc:
            exc.usage = self.usage
            raise
        return Answer(text, self.usage, self.model, tuple(notes))

    def _text(self, structured: bool) -> str:
        if self.finish == "content_filter" or self.refusal:
            raise BlockedAnswerError(f"refusal: {' '.join(self.refusal.split())[:120]}"
                                     if self.refusal else self.finish)
        text = _THINK.sub("", self.text)
        if not text.strip():
            raise EmptyAnswerError(self.finish or "no text")
        if structured and self.finish == "length":
            raise EmptyAnswerError("length: the structured answer was cut off")
        return text


def usage_of(usage: Any) -> Usage:
    """Tokens from a completion's usage; reasoning tokens are counted apart from output
    (OpenAI includes them in completion_tokens)."""
    if usage is None:
        return Usage()
    prompt = getattr(usage, "prompt_tokens", 0) or 0
    completion = getattr(usage, "completion_tokens", 0) or 0
    cached = getattr(getattr(usage, "prompt_tokens_details", None), "cached_tokens", 0) or 0
    reasoning = getattr(getattr(usage, "completion_tokens_details", None),
                        "reasoning_tokens", 0) or 0
    return Usage(input_tokens=prompt, cached_tokens=cached,
                 output_tokens=max(0, completion - reasoning), thinking_tokens=reasoning)


def _content(content: Any) -> str:
    if isinstance(content, list):  # a few servers answer in parts
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def whole(completion: Any, words: ErrorWords) -> Completion:
    """A non-streamed answer: a ChatCompletion, or what a server sent instead."""
    if isinstance(completion, dict):
        if completion.get("error"):  # OpenRouter and proxies: an upstream failure in a 200
            raise ServiceError(f"{words.where} passed on an upstream error for model "
                               f"{words.model}: {words.scrub(error_text(completion))}; try "
                               "again later")
        try:
            completion = ChatCompletion.model_validate(completion)
        except ValueError as exc:
            raise words.unreadable(f"a body without choices ({type(exc).__name__})") from exc
    if not isinstance(completion, ChatCompletion):
        raise words.unreadable(f"{type(completion).__name__}: {words.scrub(str(completion))}")
    extra = completion.model_extra or {}
    if extra.get("error"):
        return whole(extra, words)
    if not completion.choices:
        return Completion(usage=usage_of(completion.usage), model=completion.model or "")
    choice = completion.choices[0]
    message = choice.message
    return Completion(_content(message.content), str(choice.finish_reason or ""),
                      str(message.refusal or ""), usage_of(completion.usage),
                      completion.model or "")


def streamed(stream: openai.Stream[Any], words: ErrorWords) -> Completion:
    """A streamed answer, gathered piece by piece within `STREAM_SECONDS` and
    `MAX_ANSWER_CHARS`; a server that answered one body instead is read as `whole`."""
    kind = stream.response.headers.get("content-type", "")
    if "event-stream" not in kind:
        raw = stream.response.read()
        stream.close()
        try:
            data = json.loads(raw)
        except ValueError:
            snippet = raw[:80].decode("utf-8", "replace")
            raise words.unreadable(f"{kind or 'no type'}: {words.scrub(snippet)}") from None
        return whole(data, words)
    pieces: list[str] = []
    size = 0
    done = Completion()
    deadline = time.monotonic() + STREAM_SECONDS
    try:
        for chunk in stream:
            done.model = chunk.model or done.model
            if chunk.usage is not None:
                done.usage = usage_of(chunk.usage)
            for choice in chunk.choices[:1]:
                piece = _content(choice.delta.content)
                pieces.append(piece)
                size += len(piece)
                done.refusal += choice.delta.refusal or ""
                done.finish = str(choice.finish_reason or done.finish)
            if size > MAX_ANSWER_CHARS:
                raise EmptyAnswerError(f"length: the answer ran past {MAX_ANSWER_CHARS:,} "
                                       "characters")
            if time.monotonic() > deadline:
                raise ServiceError(f"{words.where} was still answering after "
                                   f"{STREAM_SECONDS:g} s (model {words.model}); try again "
                                   "later")
    finally:
        stream.close()
    done.text = "".join(pieces)
    return done
