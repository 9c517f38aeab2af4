"""The OpenAI-compatible transport: one chat completion per prompt through the official
`openai` SDK, and the OpenAIEngine built on it.

It speaks to OpenAI, Azure OpenAI (its `/openai/v1` endpoint), OpenRouter, Ollama, vLLM,
LM Studio, llama.cpp's server and Gemini's OpenAI-compatible endpoint alike:
- one system message and one user message (the document first, then the call's own
  instruction), so servers with prefix caching reuse the document across calls;
- structured answers ask for `response_format` json_schema; a server that refuses it is asked
  for JSON mode (json_object), then for plain text, which the parsers read as well; the step
  down is remembered per model with a note, like parameters a model refuses (temperature,
  reasoning_effort, the system role), which are left out from then on;
- answers are streamed (`answers.py`), so `request_timeout` bounds the silence between two
  pieces, not a slow model's whole chapter; an answer that is not a chat completion (an
  HTML page, a bare string) is a retryable service error; an empty answer or a
  content-filter stop is retried like Gemini's;
- pictures go before the document as `image_url` parts (data URLs of PNG, JPEG, WebP or GIF up
  to `IMAGE_BYTES`); a model that refuses them gets the text alone from then on, with a note.
The limiter's key is the base URL and the model, never the key.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from typing import Any

import openai

from geminiteacher.backends.openai.answers import streamed, whole
from geminiteacher.backends.openai.client import (
    DEFAULT_BASE_URL,
    configured_key,
    is_loopback,
    shared_server,
)
from geminiteacher.backends.openai.errors import ErrorWords, error_text
from geminiteacher.backends.openai.facts import (
    DEFAULT_CONTEXT_WINDOW,
    ModelFacts,
    entry_window,
    vendor_window,
)
from geminiteacher.backends.prompted import PromptedEngine
from geminiteacher.backends.prompts import Prompt
from geminiteacher.backends.refusals import refusal_note, refused_parameter
from geminiteacher.backends.transport import Answer, Transport
from geminiteacher.errors import (
    EngineError,
    ModelAccessError,
    ServiceError,
    SettingsError,
    describe,
)
from geminiteacher.models import DEFAULT_MODEL, CourseSettings, MediaPart

FACTS_RETRY_SECONDS = 60.0  # how long "the server could not say" is believed
LIST_TIMEOUT = 30.0
FORMATS = ("json_schema", "json_object", "text")  # structured answers, best first
FORMAT_WORDS = {
    "json_schema": "structured output (response_format json_schema)",
    "json_object": "JSON mode (response_format json_object)",
}
FORMAT_NEXT = {"json_schema": "using JSON mode", "json_object": "reading plain answers"}
FORMAT_REFUSED = re.compile(r"response_?format|json_?schema|json_?object|structured output|"
                            r"json mode|guided_?json|grammar", re.I)
REFUSAL_STATUSES = (400, 415, 422, 500, 501)
DROPPABLE = {  # parameter -> (what the server's error says about it, words for a person)
    "temperature": (r"temperature", "the temperature"),
    "reasoning_effort": (r"reasoning_?effort|reasoning", "the thinking setting (reasoning_effort)"),
    "system": (r"system (?:role|message|prompt)|developer instruction|role.{0,24}system",
               "a system message (its text now opens the user message)"),
    "images": (r"image|vision|multi-?modal",
               "pictures (it reads text only; the course's pictures are left out)"),
    "stream_options": (r"stream_?options|include_usage",
                       "usage in streamed answers (their tokens are not counted)"),
    "stream": (r"\bstream(?:ing)?\b", "streamed answers (each answer must now arrive whole "
               "within request_timeout)"),
}
IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif")  # what image_url takes
IMAGE_BYTES = 20 * 1024 * 1024  # OpenAI's limit per picture
IMAGE_TOKENS = 800  # a picture's input tokens, roughly (OpenAI: 765 for 1024x1024 at high detail)
EFFORT = {"off": "none", "low": "low", "medium": "medium", "high": "high"}


class OpenAITransport(Transport):
    """Sends prompts to one model on an OpenAI-compatible server. Thread-safe."""

    name = "openai"

    def __init__(self, model: str, *, base_url: str | None = None, api_key: str | None = None,
                 timeout: float = 180.0, context_window: int | None = None) -> None:
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.model = model
        self.timeout = timeout
        self.window = context_window
        self._key = configured_key(api_key)
        self._server = shared_server(self.base_url, self._key)
        self._client = self._server.client
        self.words = ErrorWords(self.where, model, self._key, self._key is not None, timeout,
                                self.list_models)
        self._images: dict[str, str] = {}  # media sha256 -> its data URL, made once
        self._images_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"OpenAITransport(model={self.model!r}, base_url={self.base_url!r})"

    @property
    def where(self) -> str:
        return self.base_url

    @property
    def local(self) -> bool:
        """Whether the server runs on this machine (nothing leaves it)."""
        return is_loopback(self.base_url)

    @property
    def limiter_key(self) -> str:
        return f"{self.name}:{self.base_url}:{self.model}"

    # -- what the server says -----------------------------------------------------------------

    def _entries(self) -> list[dict[str, Any]]:
        """The `/v1/models` entries as the server sent them (extra fields kept)."""
        try:
            page = self._client.models.list(timeout=min(self.timeout, LIST_TIMEOUT))
            return [entry.to_dict() for entry in page.data
                    if isinstance(getattr(entry, "id", None), str)]
        except openai.APIStatusError as exc:
            raise self.words.status(exc) from exc
        except Exception as exc:  # an HTML page, a bare string, no server at all
            raise ServiceError(f"the model list is not available from {self.where} "
                               f"({type(exc).__name__}); type a model name instead") from exc

    def list_models(self) -> list[str]:
        """The models the server lists, in its order. Raises EngineError when it cannot."""
        try:
            return [entry["id"] for entry in self._entries()]
        except EngineError as exc:
            raise ServiceError(f"the model list is not available from {self.where} "
                               f"({exc}); type a model name instead") from exc

    def facts(self) -> ModelFacts:
        """This model's context window, from the server where it says it; a wrong key stops
        here, as it would stop every call."""
        with self._server.lock:
            cached = self._server.facts.get(self.model)
        if cached is not None and (cached[0].window
                                   or time.monotonic() - cached[1] < FACTS_RETRY_SECONDS):
            return cached[0]
        try:
            entries = self._entries()
        except ModelAccessError as exc:
            if exc.status in (401, 403):
                raise
            entries = []
        except EngineError:
            entries = []
        names = (self.model, f"models/{self.model}")  # Gemini's endpoint lists models/...
        entry = next((e for e in entries if e.get("id") in names), {})
        window, said_by = entry_window(entry)
        if window is None and (self.local or self.base_url.startswith("http://")):
            window, said_by = vendor_window(self.base_url, self.model, self._key)
        facts = ModelFacts(self.model, window, said_by)
        with self._server.lock:
            self._server.facts[self.model] = (facts, time.monotonic())
        return facts

    @property
    def media_kinds(self) -> frozenset[str]:  # type: ignore[override]
        """Pictures, unless this model refused them in this process."""
        return frozenset() if "images" in self._dropped() else frozenset({"image"})

    def media_tokens(self, item: MediaPart, resolution: str = "auto") -> int:
        return IMAGE_TOKENS if item.kind == "image" else 0

    def _image_parts(self, media: tuple[MediaPart, ...]) -> tuple[list[dict[str, Any]],
                                                                 list[str]]:
        """The `image_url` parts for the pictures among `media`, and a note for each left
        out (a type image_url does not take, too large, unreadable)."""
        parts, notes = [], []
        for item in media:
            if item.kind != "image":
                continue
            if item.mime_type not in IMAGE_TYPES or item.size > IMAGE_BYTES:
                why = f"{item.mime_type} is not a type image_url takes (PNG, JPEG, WebP, GIF)" \
                    if item.mime_type not in IMAGE_TYPES else "it is over 20 MB"
                notes.append(f"picture {item.name} is left out: {why}")
                continue
            with self._images_lock:
                url = self._images.get(item.sha256)
            if url is None:
                try:
                    url = f"data:{item.mime_type};base64," \
                        + base64.b64encode(item.read()).decode("ascii")
                except (OSError, ValueError) as exc:
                    notes.append(f"picture {item.name} is left out: {describe(exc)}")
                    continue
                with self._images_lock:
                    self._images[item.sha256] = url
            parts.append({"type": "image_url", "image_url": {"url": url}})
        return parts, notes

    def count_tokens(self, text: str) -> int:
        """A len/4 estimate: OpenAI-compatible servers have no token-count call."""
        return (len(text) + 3) // 4

    def context_window(self) -> int:
        """The `context_window` setting when given, else what the server says, else
        `DEFAULT_CONTEXT_WINDOW`."""
        return self.window or self.facts().context_window()

    def notes(self, settings: CourseSettings) -> list[str]:
        notes = []
        if self.window is None and self.facts().window is None:
            notes.append(f"{self.where} does not say model {self.model}'s context window; "
                         f"assuming {DEFAULT_CONTEXT_WINDOW:,} tokens (set context_window, "
                         "--context-window, to the real one)")
        if settings.cache == "on":
            notes.append("explicit caching is a Gemini feature: every call sends the document "
                         "(servers with prefix caching, such as OpenAI and vLLM, reuse it)")
        if settings.thinking_budget is not None:
            notes.append("thinking_budget is for Gemini 2.5 and is not sent; use thinking")
        level = self._format()
        if level:
            notes.append(f"model {self.model} does not accept "
                         f"{FORMAT_WORDS[FORMATS[level - 1]]}; {FORMAT_NEXT[FORMATS[level - 1]]}")
        notes += [f"model {self.model} does not accept {DROPPABLE[name][1]}; it is not sent"
                  for name in sorted(self._dropped())]
        return notes

    # -- one call -----------------------------------------------------------------------------

    def _format(self) -> int:
        with self._server.lock:
            return self._server.formats.get(self.model, 0)

    def _dropped(self) -> set[str]:
        with self._server.lock:
            return set(self._server.dropped.get(self.model, ()))

    def _body(self, prompt: Prompt, settings: CourseSettings, level: int, dropped: set[str],
              notes: list[str]) -> tuple[dict[str, Any], frozenset[str]]:
        """The request for `prompt` at answer format `level`, without the `dropped` ones;
        pictures left out are noted in `notes`."""
        sent: set[str] = set()
        user = "\n\n".join(prompt.parts)
        if prompt.schema is not None and level > 0:  # no schema sent: say it in words
            user += "\n\nThe JSON follows this JSON schema:\n" + json.dumps(prompt.schema)
        messages = []
        if "system" in dropped:
            user = prompt.system + "\n\n" + user
        else:
            messages.append({"role": "system", "content": prompt.system})
            sent.add("system")
        images: list[dict[str, Any]] = []
        if prompt.media and "images" not in dropped:
            images, skipped = self._image_parts(prompt.media)
            notes += [note for note in skipped if note not in notes]
        if images:
            messages.append({"role": "user",
                             "content": [*images, {"type": "text", "text": user}]})
            sent.add("images")
        else:
            messages.append({"role": "user", "content": user})
        body: dict[str, Any] = {"model": self.model, "messages": messages}
        if prompt.schema is not None and FORMATS[level] == "json_schema":
            body["response_format"] = {"type": "json_schema", "json_schema": {
                "name": "course_part", "schema": prompt.schema}}
        elif prompt.schema is not None and FORMATS[level] == "json_object":
            body["response_format"] = {"type": "json_object"}
        if "response_format" in body:
            sent.add("response_format")
        if settings.temperature is not None and "temperature" not in dropped:
            body["temperature"] = settings.temperature
            sent.add("temperature")
        effort = EFFORT.get(settings.thinking)
        if effort is not None and "reasoning_effort" not in dropped:
            body["reasoning_effort"] = effort
            sent.add("reasoning_effort")
        if "stream" not in dropped:
            body["stream"] = True
            sent.add("stream")
            if "stream_options" not in dropped:
                body["stream_options"] = {"include_usage": True}
                sent.add("stream_options")
        return body, frozenset(sent)

    def generate(self, prompt: Prompt, settings: CourseSettings) -> Answer:
        """One call; a refused answer format steps down, a refused parameter is dropped, and
        the call is sent again (each at most once per model and process)."""
        notes: list[str] = []
        while True:
            level = self._format()
            body, sent = self._body(prompt, settings, level, self._dropped(), notes)
            try:
                reply = self._client.chat.completions.create(**body, timeout=self.timeout)
                done = streamed(reply, self.words) if "stream" in sent \
                    else whole(reply, self.words)
            except openai.APIStatusError as exc:
                note = self._refused(exc, sent, level)
                if note is None:
                    raise self.words.status(exc) from exc
                notes.append(note)
                continue
            except EngineError:
                raise
            except Exception as exc:
                raise self.words.of(exc) from exc
            structured = prompt.schema is not None and FORMATS[level] != "text"
            return done.answer(structured, notes)

    def _refused(self, exc: openai.APIStatusError, sent: frozenset[str],
                 level: int) -> str | None:
        """Remember what the server refused and return the note, or None if it refused
        nothing this request can do without."""
        if exc.status_code not in REFUSAL_STATUSES:
            return None
        reason = self.words.scrub(error_text(exc.body, exc.message))
        if "response_format" in sent and FORMAT_REFUSED.search(reason):
            with self._server.lock:
                now = self._server.formats.get(self.model, 0)
                self._server.formats[self.model] = max(now, level + 1)
            refused = FORMATS[level]
            return refusal_note(self.model, FORMAT_WORDS[refused], reason, FORMAT_NEXT[refused])
        name = refused_parameter(reason, sent, DROPPABLE)
        if name is None:
            return None
        with self._server.lock:
            self._server.dropped.setdefault(self.model, set()).add(name)
        return refusal_note(self.model, DROPPABLE[name][1], reason)


class OpenAIEngine(PromptedEngine):
    """Writes courses with a model on an OpenAI-compatible server."""

    transport: OpenAITransport

    def __init__(self, model: str | None = None, *, base_url: str | None = None,
                 api_key: str | None = None, timeout: float = 180.0,
                 context_window: int | None = None) -> None:
        """`model` None takes the server's first listed model (Gemini's default model when
        the server is Gemini's OpenAI-compatible endpoint)."""
        transport = OpenAITransport(model or "", base_url=base_url, api_key=api_key,
                                    timeout=timeout, context_window=context_window)
        if not model:
            transport = OpenAITransport(_first_model(transport), base_url=base_url,
                                        api_key=api_key, timeout=timeout,
                                        context_window=context_window)
        super().__init__(transport)

    @property
    def local(self) -> bool:
        return self.transport.local

    def facts(self) -> ModelFacts:
        return self.transport.facts()

    def list_models(self) -> list[str]:
        return self.transport.list_models()


def _first_model(transport: OpenAITransport) -> str:
    try:
        names = transport.list_models()
    except EngineError as exc:
        raise SettingsError(f"no model named: {exc}; name one with --model-name") from exc
    if not names:
        raise SettingsError(f"{transport.where} lists no models: load or pull one, or name it "
                            "with --model-name")
    default = next((n for n in names if n.removeprefix("models/") == DEFAULT_MODEL), None)
    return default or names[0]
