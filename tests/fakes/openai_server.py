"""A stand-in for OpenAI-compatible chat servers, so tests drive the real `openai` SDK over
real HTTP on 127.0.0.1.

A `flavour` picks whose habits it has, as those servers really answer:
- "openai": the `{"error": {message, type, param, code}}` envelope with `code`s such as
  `invalid_api_key`, `model_not_found`, `context_length_exceeded`; `x-ratelimit-*` and
  `retry-after-ms` on a 429; cached prompt tokens once a prefix repeats; reasoning tokens for
  models named `o*`/`gpt-5*`;
- "vllm": `max_model_len` in `/v1/models`, the older flat `{"object": "error", ...}` body for a
  context overflow, `{"error": {..., "type": "NotFoundError"}}` for an unknown model, cached
  prompt tokens (prefix caching);
- "ollama": `owned_by: library`, `/api/show` with `model_info["<arch>.context_length"]`, a
  too-long prompt silently truncated (no error), 404 "model ... not found, try pulling it
  first", 503 "server busy";
- "lmstudio": `/api/v0/models` with `max_context_length`, bare `{"error": "text"}` bodies, and
  `response_format` json_object refused ("must be 'json_schema' or 'text'");
- "llamacpp" (`llama-server`): one model served under any name asked, `meta.n_ctx_train` in
  `/v1/models`, errors as `{"error": {code, message, type}}` and a context overflow with
  `n_prompt_tokens` and `n_ctx` beside its message.
Answers are deterministic (`tests.fakes.answers`); usage numbers are len/4 token estimates.
Asked to `stream`, it answers in `chat.completion.chunk`s (the usage in a last chunk when
`stream_options.include_usage` asks), `chunk_delay` seconds apart when set, then
`data: [DONE]`.

Faults are scripted (`fail_next`, `html_next`, `bare_string_next`, `empty_next`,
`filter_next`, `hang_next`, `markdown_next`) or come from the sliding-window `rate_limit`.
"""

from __future__ import annotations

import json
import random
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from tests.fakes.answers import course_text
from tests.fakes.http import Answer, ScriptedService
from tests.fakes.wire import tokens

FLAVOURS = ("openai", "vllm", "ollama", "lmstudio", "llamacpp")
OWNERS = {"openai": "openai", "vllm": "vllm", "ollama": "library",
          "lmstudio": "organization_owner", "llamacpp": "llamacpp"}
SCHEMA_MARKER = "The JSON follows this JSON schema:\n"
CACHE_MIN_TOKENS = 1024
IMAGE_TOKENS = 765  # what OpenAI bills a 1024x1024 picture at high detail


@dataclass
class Recorded:
    """One request the fake received."""

    path: str
    method: str
    body: Any
    headers: dict[str, str]
    start: float
    kind: str = "other"
    end: float = 0.0
    status: int = 0

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list((self.body or {}).get("messages") or [])

    @property
    def _user_content(self) -> Any:
        return next((m.get("content") or "" for m in reversed(self.messages)
                     if m.get("role") == "user"), "")

    @property
    def user(self) -> str:
        """The user message's text (its text parts joined, when it came in parts)."""
        content = self._user_content
        if isinstance(content, list):
            return "".join(p.get("text", "") for p in content
                           if isinstance(p, dict) and p.get("type") == "text")
        return str(content)

    @property
    def images(self) -> list[str]:
        """The data URLs of the user message's `image_url` parts, in order."""
        content = self._user_content
        return [p["image_url"]["url"] for p in content if isinstance(p, dict)
                and p.get("type") == "image_url"] if isinstance(content, list) else []

    @property
    def system(self) -> str:
        return next((m.get("content") or "" for m in self.messages
                     if m.get("role") == "system"), "")

    @property
    def format(self) -> str:
        """The response_format type asked for ("" when none)."""
        return str(((self.body or {}).get("response_format") or {}).get("type") or "")


@dataclass
class _Fault:
    kind: str  # error | quota | html | bare | upstream | empty | filter | hang | markdown
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def _split(user: str) -> tuple[str, str]:
    """(document, instruction) of a user message: the document part comes first."""
    document, _, instruction = user.partition("</document>")
    return document, instruction.strip()


def _kind(instruction: str) -> str:
    first = instruction.splitlines()[0].lower() if instruction.strip() else ""
    if re.search(r"^Chapter title: ", instruction, re.M):
        return "chapter"
    if "outline" in first:
        return "outline"
    if "summary" in first:
        return "summary"
    return "other"


class FakeOpenAI(ScriptedService):
    """The fake server; `url` + "/v1" is its base URL. Knobs are plain attributes."""

    def __init__(self, flavour: str = "openai", *, models: tuple[str, ...] = ("test-model",),
                 window: int = 32_768, latency: float = 0.0, jitter: float = 0.0, seed: int = 0,
                 key: str | None = None) -> None:
        super().__init__()
        assert flavour in FLAVOURS, flavour
        self.flavour = flavour
        self.models = list(models)
        self.window = window  # every model's context window, in the fake's tokens
        self.latency = latency
        self.jitter = jitter  # each answer's latency is drawn from latency ± jitter (seeded)
        self._rng = random.Random(seed)
        self.key = key  # the key the server wants; None takes any (or none)
        self.refuse: set[str] = {"json_object"} if flavour == "lmstudio" else set()
        self.no_temperature: set[str] = set()  # models that refuse a temperature
        self.text_only: set[str] = set()  # models that refuse pictures
        self.no_stream = False  # refuse `stream` as some gateways do
        self.chunk_delay = 0.0  # seconds between the pieces of a streamed answer
        self.thinks_aloud = False  # a <think> block opens each answer (DeepSeek-R1, Qwen3)
        self.reasoning = False  # report reasoning tokens (OpenAI's o-series do)
        self.max_in_flight = 0
        self._in_flight = 0
        self._prefixes: set[str] = set()

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    # -- knobs ------------------------------------------------------------------------------

    def fail_next(self, n: int, status: int = 503, *, retry_after: str | None = None,
                  retry_after_ms: str | None = None, quota: bool = False) -> None:
        """`n` errors of `status`; a 429 with `quota` is OpenAI's insufficient_quota."""
        headers = {}
        if retry_after is not None:
            headers["retry-after"] = retry_after
        if retry_after_ms is not None:
            headers["retry-after-ms"] = retry_after_ms
        self._push(n, _Fault("quota" if quota else "error", status, headers))

    def html_next(self, n: int, status: int = 200) -> None:
        """An HTML page (a proxy's error page) instead of JSON."""
        self._push(n, _Fault("html", status))

    def bare_string_next(self, n: int) -> None:
        """A bare JSON string with status 200, as a misconfigured gateway sends."""
        self._push(n, _Fault("bare", 200))

    def upstream_error_next(self, n: int) -> None:
        """A 200 whose body is an error and no choices, as OpenRouter passes on a provider's
        failure."""
        self._push(n, _Fault("upstream", 200))

    def empty_next(self, n: int) -> None:
        self._push(n, _Fault("empty"))

    def filter_next(self, n: int) -> None:
        """finish_reason content_filter with no content, as Azure and OpenAI send."""
        self._push(n, _Fault("filter"))

    def hang_next(self, n: int, seconds: float = 30) -> None:
        self._push(n, _Fault("hang", seconds=seconds))

    def markdown_next(self, n: int) -> None:
        self._push(n, _Fault("markdown"))

    # -- observation ------------------------------------------------------------------------

    def chats(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    # -- serving ----------------------------------------------------------------------------

    def _respond(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> Answer:
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        rec = Recorded(path, method, body, {k.lower(): v for k, v in headers.items()},
                       time.monotonic())
        route = urlsplit(path).path.rstrip("/")
        if route == "/v1/chat/completions" and isinstance(body, dict):
            rec.kind = _kind(_split(rec.user)[1])
        with self._lock:
            self.requests.append(rec)
        answer = self._refuse_key(rec) or self._route(method, route, rec)
        rec.status, rec.end = answer.status, time.monotonic()
        return answer

    def _route(self, method: str, route: str, rec: Recorded) -> Answer:
        if method == "GET" and route == "/v1/models":
            return Answer(200, {"object": "list", "data": [self._entry(m) for m in self.models]})
        if method == "GET" and route == "/api/v0/models" and self.flavour == "lmstudio":
            return Answer(200, {"object": "list", "data": [
                {"id": m, "object": "model", "type": "llm", "state": "loaded",
                 "max_context_length": self.window} for m in self.models]})
        if method == "POST" and route == "/api/show" and self.flavour == "ollama":
            name = (rec.body or {}).get("model", "")
            if self._known(name) is None:
                return Answer(404, {"error": f"model '{name}' not found"})
            return Answer(200, {"model_info": {"general.architecture": "llama",
                                               "llama.context_length": self.window}})
        if method == "GET" and route == "/props" and self.flavour == "llamacpp":
            return Answer(200, {"default_generation_settings": {"n_ctx": self.window},
                                "total_slots": 1, "model_path": f"/models/{self.models[0]}"})
        if method == "POST" and route == "/v1/chat/completions":
            return self._chat(rec)
        if self.flavour == "lmstudio":
            return Answer(404, {"error": f"Unexpected endpoint or method. ({method} {route})"})
        if self.flavour == "vllm":
            return Answer(404, {"detail": "Not Found"})
        if self.flavour == "ollama":
            return Answer(404, None, raw=b"404 page not found", content_type="text/plain")
        return self._error(404, f"Invalid URL ({method} {route})", "invalid_request_error")

    def _entry(self, model: str) -> dict[str, Any]:
        entry: dict[str, Any] = {"id": model, "object": "model", "created": 1_700_000_000,
                                 "owned_by": OWNERS[self.flavour]}
        if self.flavour == "vllm":
            entry.update(root=model, parent=None, max_model_len=self.window)
        if self.flavour == "llamacpp":
            entry["meta"] = {"n_ctx_train": self.window * 4, "n_params": 8_030_261_248}
        return entry

    def _known(self, name: str) -> str | None:
        """The served model `name` means (Ollama adds `:latest` to a bare name)."""
        if name in self.models:
            return name
        if self.flavour == "llamacpp":  # llama-server answers with its one model, whatever asked
            return self.models[0] if self.models else None
        if self.flavour == "ollama" and f"{name}:latest" in self.models:
            return f"{name}:latest"
        return None

    # -- errors as each server sends them -----------------------------------------------------

    def _error(self, status: int, message: str, kind: str, code: Any = None,
               param: str | None = None, headers: dict[str, str] | None = None) -> Answer:
        if self.flavour == "lmstudio":
            return Answer(status, {"error": message}, headers=headers or {})
        if self.flavour == "llamacpp":
            return Answer(status, {"error": {"code": status, "message": message,
                                             "type": kind or "server_error"}},
                          headers=headers or {})
        if self.flavour == "ollama":
            return Answer(status, {"error": {"message": message, "type": "api_error",
                                             "param": None, "code": None}},
                          headers=headers or {})
        return Answer(status, {"error": {"message": message, "type": kind, "param": param,
                                         "code": code}}, headers=headers or {})

    def _refuse_key(self, rec: Recorded) -> Answer | None:
        if self.key is None:
            return None
        sent = rec.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if sent == self.key:
            return None
        if self.flavour == "vllm":
            return Answer(401, {"error": "Unauthorized"})
        if self.flavour == "llamacpp":
            return self._error(401, "Invalid API Key", "authentication_error")
        shown = sent[:3] + "*" * 8 + sent[-4:] if len(sent) > 8 else "***"
        return self._error(401, f"Incorrect API key provided: {shown}. You can find your API "
                           "key at https://platform.openai.com/account/api-keys.",
                           "invalid_request_error", "invalid_api_key")

    def _not_found(self, model: str) -> Answer:
        if self.flavour == "ollama":
            return self._error(404, f'model "{model}" not found, try pulling it first', "")
        if self.flavour == "vllm":
            return Answer(404, {"error": {"message": f"The model `{model}` does not exist.",
                                          "type": "NotFoundError", "param": "model",
                                          "code": 404}})
        if self.flavour == "lmstudio":
            return self._error(404, f"Model '{model}' not found. Please load it first.", "")
        return self._error(404, f"The model `{model}` does not exist or you do not have access "
                           "to it.", "invalid_request_error", "model_not_found")

    def _too_long(self, prompt: int) -> Answer | None:
        if prompt <= self.window or self.flavour == "ollama":  # Ollama truncates silently
            return None
        if self.flavour == "vllm":
            return Answer(400, {"object": "error", "message": (
                f"This model's maximum context length is {self.window} tokens. However, you "
                f"requested {prompt} tokens ({prompt} in the messages, 0 in the completion). "
                "Please reduce the length of the messages or completion."),
                "type": "BadRequestError", "param": None, "code": 400})
        if self.flavour == "llamacpp":
            return Answer(400, {"error": {
                "code": 400, "message": "the request exceeds the available context size, try "
                "increasing it", "type": "exceed_context_size_error",
                "n_prompt_tokens": prompt, "n_ctx": self.window}})
        if self.flavour == "lmstudio":
            return self._error(400, f"Trying to keep the first {prompt} tokens when context the "
                               "overflows. However, the model is loaded with context length of "
                               f"only {self.window} tokens, which is not enough. Try to load "
                               "the model with a larger context length, or provide a shorter "
                               "input", "")
        return self._error(400, f"This model's maximum context length is {self.window} tokens."
                           f" However, your messages resulted in {prompt} tokens. Please reduce"
                           " the length of the messages.", "invalid_request_error",
                           "context_length_exceeded", "messages")

    def _format_refused(self, rec: Recorded) -> Answer | None:
        asked = rec.format
        if not asked or asked not in self.refuse:
            return None
        if self.flavour == "lmstudio":
            allowed = [f for f in ("json_schema", "text") if f not in self.refuse]
            return self._error(400, "'response_format.type' must be "
                               + " or ".join(f"'{f}'" for f in allowed), "")
        if self.flavour == "vllm":
            return Answer(400, {"object": "error", "message": (
                f"1 validation error for ChatCompletionRequest\nresponse_format.type\n  Input "
                f"should be 'text' (type=literal_error, input_value='{asked}')"),
                "type": "BadRequestError", "param": None, "code": 400})
        return self._error(400, f"Invalid parameter: 'response_format' of type '{asked}' is "
                           "not supported with this model.", "invalid_request_error", None,
                           "response_format")

    def _no_images(self, model: str) -> Answer:
        if self.flavour == "vllm":
            return Answer(400, {"object": "error", "message": f"{model} is not a multimodal "
                                "model", "type": "BadRequestError", "param": None, "code": 400})
        if self.flavour == "lmstudio":
            return self._error(400, "Model does not support images. Please use a model that "
                               "does.", "")
        if self.flavour == "ollama":
            return self._error(400, "this model is missing data required for image input", "")
        return self._error(400, "Invalid content type. image_url is only supported by certain "
                           "models.", "invalid_request_error", None,
                           "messages.[1].content.[0].type")

    # -- chat completions ---------------------------------------------------------------------

    def _chat(self, rec: Recorded) -> Answer:
        body = rec.body if isinstance(rec.body, dict) else {}
        model = self._known(str(body.get("model", "")))
        if model is None:
            return self._not_found(str(body.get("model", "")))
        if "temperature" in body and model in self.no_temperature:
            return self._error(400, "Unsupported parameter: 'temperature' is not supported "
                               "with this model.", "invalid_request_error",
                               "unsupported_parameter", "temperature")
        if rec.images and model in self.text_only:
            return self._no_images(model)
        if body.get("stream") and self.no_stream:
            return self._error(400, "Unsupported value: 'stream' does not support true with "
                               "this model.", "invalid_request_error", "unsupported_value",
                               "stream")
        refused = self._format_refused(rec)
        if refused is not None:
            return refused
        if rec.format == "json_object" and "json" not in json.dumps(rec.messages).lower():
            return self._error(400, "'messages' must contain the word 'json' in some form, to "
                               "use 'response_format' of type 'json_object'.",
                               "invalid_request_error", None, "messages")
        prompt = tokens(rec.system + rec.user) + IMAGE_TOKENS * len(rec.images)
        too_long = self._too_long(prompt)
        if too_long is not None:
            return too_long
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            with self._lock:
                fault, limited = self._scripted()
            if limited is not None:
                return self._error(429, f"Rate limit reached for {model} on requests per min. "
                                   f"Please try again in {limited:g}s.", "requests",
                                   "rate_limit_exceeded",
                                   headers={"retry-after": f"{limited:g}",
                                            "x-ratelimit-remaining-requests": "0"})
            if fault is not None and fault.kind == "quota":
                return self._error(429, "You exceeded your current quota, please check your "
                                   "plan and billing details.", "insufficient_quota",
                                   "insufficient_quota")
            if fault is not None and fault.kind == "error":
                return self._fault_error(fault, model)
            if fault is not None and fault.kind == "html":
                return Answer(fault.status, None, raw=b"<html><head><title>502 Bad Gateway"
                              b"</title></head><body><h1>Bad Gateway</h1></body></html>",
                              content_type="text/html")
            if fault is not None and fault.kind == "upstream":
                return Answer(200, {"id": "gen-1", "object": "chat.completion", "error": {
                    "message": "Upstream provider returned an error", "code": 502}})
            if fault is not None and fault.kind == "bare":
                return Answer(200, "upstream connect error or disconnect/reset before headers")
            with self._lock:
                delay = max(0.0, self.latency + self._rng.uniform(-self.jitter, self.jitter))
            self._sleep(delay + (fault.seconds if fault and fault.kind == "hang" else 0))
            if self._stopping.is_set():
                return self._error(503, "The fake server is shutting down.", "server_error")
            payload = self._completion(rec, model, prompt, fault)
            if not body.get("stream"):
                return Answer(200, payload)
            usage = (body.get("stream_options") or {}).get("include_usage")
            return Answer(200, None, stream=True, chunks=self._chunks(payload, bool(usage)),
                          trailer=b"data: [DONE]\r\n\r\n", chunk_delay=self.chunk_delay)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _fault_error(self, fault: _Fault, model: str) -> Answer:
        if fault.status == 429:
            return self._error(429, f"Rate limit reached for {model} on requests per min.",
                               "requests", "rate_limit_exceeded", headers=fault.headers)
        if self.flavour == "ollama" and fault.status == 503:
            return Answer(503, {"error": "server busy, please try again.  maximum pending "
                                         "requests exceeded"})
        return self._error(fault.status, "The server had an error while processing your "
                           "request. Sorry about that!", "server_error", headers=fault.headers)

    def _completion(self, rec: Recorded, model: str, prompt: int,
                    fault: _Fault | None) -> dict[str, Any]:
        kind = fault.kind if fault is not None else ""
        document, instruction = _split(rec.user)
        schema = ((rec.body.get("response_format") or {}).get("json_schema") or {}) \
            .get("schema")
        if schema is None and SCHEMA_MARKER in instruction:
            instruction, _, said = instruction.partition(SCHEMA_MARKER)
            schema = json.loads(said)
        asked = (schema or {}).get("properties", {})
        seen = [f"Picture seen: {url.partition(';')[0].removeprefix('data:')}, "
                f"{len(url)} characters." for url in rec.images]
        finish, refusal = "stop", None
        if kind in ("empty", "filter"):
            text = ""
            finish = "content_filter" if kind == "filter" else "stop"
        elif kind == "markdown":
            text = course_text(rec.kind, document, instruction, asked, as_json=False)
        elif rec.format or not schema:
            text = course_text(rec.kind, document, instruction, asked, as_json=bool(schema),
                               notes=seen)
        else:  # plain text asked for JSON in words: a fenced block, as models answer
            text = "Here is the answer:\n```json\n" + course_text(
                rec.kind, document, instruction, asked, as_json=True, notes=seen) + "\n```"
        if self.thinks_aloud and text:
            text = "<think>\nFirst I plan what the learner needs.\n</think>\n\n" + text
        output = tokens(text)
        reasoning = output // 4 if self.reasoning else 0
        usage: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": output + reasoning,
                                 "total_tokens": prompt + output + reasoning}
        cached = self._cached(rec, prompt)
        if self.flavour in ("openai", "vllm"):
            usage["prompt_tokens_details"] = {"cached_tokens": cached}
        if self.flavour == "openai":
            usage["completion_tokens_details"] = {"reasoning_tokens": reasoning}
        message = {"role": "assistant", "content": text or None, "refusal": refusal}
        return {"id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion",
                "created": int(time.time()), "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": finish,
                             "logprobs": None}],
                "usage": usage}

    @staticmethod
    def _chunks(payload: dict[str, Any], include_usage: bool) -> list[dict[str, Any]]:
        """A completion as `chat.completion.chunk`s: the role, the text in three pieces, the
        finish reason, then (when asked) the usage in a chunk without choices."""
        choice = payload["choices"][0]
        text = choice["message"]["content"] or ""
        base = {"id": payload["id"], "object": "chat.completion.chunk",
                "created": payload["created"], "model": payload["model"]}

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                         "finish_reason": finish}]}

        third = max(1, len(text) // 3)
        chunks = [chunk({"role": "assistant", "content": ""})]
        chunks += [chunk({"content": text[i:i + third]}) for i in range(0, len(text), third)]
        chunks.append(chunk({}, choice["finish_reason"]))
        if include_usage:
            chunks.append({**base, "choices": [], "usage": payload["usage"]})
        return chunks

    def _cached(self, rec: Recorded, prompt: int) -> int:
        """Prompt tokens served from the prefix cache: the system message and the document,
        when an earlier answered request began with them (OpenAI counts in steps of 128)."""
        prefix = rec.system + "\x00" + _split(rec.user)[0]
        with self._lock:
            seen = prefix in self._prefixes
            self._prefixes.add(prefix)
        size = min(prompt, tokens(prefix))
        if not seen or size < CACHE_MIN_TOKENS:
            return 0
        return size // 128 * 128 if self.flavour == "openai" else size
