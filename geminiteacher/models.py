"""The data every layer shares: chapters, courses, sources, usage, settings and events."""

from __future__ import annotations

import enum
import hashlib
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_MODEL = "gemini-flash-latest"
THINKING = ("auto", "off", "low", "medium", "high")
CACHING = ("auto", "on", "off")
BATCH_RETRY = ("online", "batch")  # how a batch's failed chapters are written again
READING = ("auto", "text", "native")  # how documents are read: see CourseSettings.read
RESOLUTIONS = ("auto", "low", "medium", "high")  # Gemini's media_resolution, "auto" = unset


class ModelDefaultTemperature(float):
    """The upstream API's documented `temperature=0.0` default, marked as "not set".

    Upstream signatures keep `temperature: float = 0.0`; this value equals 0.0 but tells the
    engines to send no temperature at all, so the model uses its own default (1.0 on Gemini 3,
    which Google advises keeping). A 0.0 that a caller passes is a plain float and is sent.
    """

    def __repr__(self) -> str:
        return "0.0"


UPSTREAM_TEMPERATURE = ModelDefaultTemperature(0.0)


def chosen_temperature(value: float | None) -> float | None:
    """The temperature a caller chose, or None for the model's own default."""
    if value is None or isinstance(value, ModelDefaultTemperature):
        return None
    return float(value)


class ChapterStatus(str, enum.Enum):
    """A chapter's state in the manifest (`course.json`)."""

    PENDING = "pending"
    RUNNING = "running"
    RETRYING = "retrying"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    def __str__(self) -> str:
        return self.value


OPTIONS = 4  # choices per quiz question


@dataclass
class QuizQuestion:
    """A multiple-choice question: four options, `answer` the index of the one correct one."""

    question: str
    options: list[str]
    answer: int
    explanation: str = ""
    source: str = ""  # the part of the source it tests (a section heading or a short quote)

    @property
    def correct(self) -> str:
        return self.options[self.answer]

    def to_markdown(self, number: int) -> str:
        """A numbered question with lettered options, then the answer and why."""
        lines = [f"{number}. {self.question}", ""]
        lines += [f"   - {'ABCD'[i]}) {option}" for i, option in enumerate(self.options)]
        answer = f"   Answer: {'ABCD'[self.answer]}. {self.explanation}".rstrip()
        if self.source:
            answer += f" (Source: {self.source})"
        return "\n".join([*lines, "", answer])


YOUTUBE_WATCH = "https://www.youtube.com/watch?v="


def clock(seconds: float) -> str:
    """`12:30`, or `1:02:03` from an hour on: a time in a recording."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass
class SourceRef:
    """Where a chapter's material came from: file, section heading, pages when known, and
    for a recording (audio, video, YouTube) the time range in seconds (`start`, `end`)."""

    file: str = ""
    heading: str = ""
    pages: tuple[int, int] | None = None
    start: float | None = None
    end: float | None = None
    uri: str | None = None  # a YouTube video's address, for a link to the start time

    def label(self) -> str:
        """`notes.pdf, 2.3 Simple parsing, pp. 4–5` or `lecture.mp3, 12:30–18:45` (the parts
        that are known)."""
        parts = [p for p in (self.file, self.heading) if p]
        if self.pages:
            first, last = self.pages
            parts.append(f"p. {first}" if first == last else f"pp. {first}\u2013{last}")
        if self.start is not None:
            parts.append(clock(self.start) + (f"\u2013{clock(self.end)}"
                                              if self.end is not None else ""))
        return ", ".join(parts)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SourceRef:
        """The reference `asdict` saved (JSON gives lists for the page span)."""
        pages = data.get("pages")
        return cls(data.get("file", ""), data.get("heading", ""),
                   (int(pages[0]), int(pages[1])) if pages else None,
                   data.get("start"), data.get("end"), data.get("uri"))

    def link(self) -> str | None:
        """The YouTube address that opens the video at `start` (None for anything else)."""
        if not self.uri or not self.uri.startswith(YOUTUBE_WATCH):
            return None
        return self.uri + (f"&t={int(self.start)}s" if self.start is not None else "")


@dataclass
class ChapterContent:
    """One written chapter: the four parts every engine produces, its quiz and its sources."""

    title: str
    summary: str = ""
    explanation: str = ""
    extension: str = ""
    quiz: list[QuizQuestion] = field(default_factory=list)
    sources: list[SourceRef] = field(default_factory=list)

    def to_markdown(self) -> str:
        """The chapter file's text: `# title`, Summary, Explanation, Extension, then the quiz
        and the sources when there are any."""
        text = (
            f"# {self.title}\n\n## Summary\n\n{self.summary.strip()}\n\n"
            f"## Explanation\n\n{self.explanation.strip()}\n\n"
            f"## Extension\n\n{self.extension.strip()}\n"
        )
        if self.quiz:
            questions = "\n\n".join(q.to_markdown(n) for n, q in enumerate(self.quiz, 1))
            text += f"\n## Quiz\n\n{questions}\n"
        if self.sources:
            listed = "\n".join(f"- {ref.label()}" for ref in self.sources)
            text += f"\n## Sources\n\n{listed}\n"
        return text

    def to_dict(self) -> dict[str, Any]:
        """Every part as JSON-ready data: what the store saves to read the chapter back."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChapterContent:
        """The chapter `to_dict` saved."""
        quiz = [QuizQuestion(**q) for q in data.get("quiz") or []]
        sources = [SourceRef.from_dict(s) for s in data.get("sources") or []]
        return cls(data["title"], data.get("summary", ""), data.get("explanation", ""),
                   data.get("extension", ""), quiz, sources)


@dataclass
class Course:
    """A whole course: the source it came from, its chapters in order, and its summary."""

    content: str
    chapters: list[ChapterContent] = field(default_factory=list)
    summary: str = ""
    title: str = ""
    path: Path | None = None
    model: str = ""  # the model that answered (e.g. what `gemini-flash-latest` pointed at)


_COUNTS = ("input_tokens", "cached_tokens", "output_tokens", "thinking_tokens")
_KEYS = ("input", "cached", "output", "thinking")  # their names in course.json


def _merged(a: dict[str, int], b: dict[str, int], sign: int = 1) -> dict[str, int]:
    return {k: a.get(k, 0) + sign * b.get(k, 0) for k in {**a, **b}}


@dataclass
class Usage:
    """Tokens one or more model calls consumed, as the API reports them. `modalities` splits
    the input (cached included) by what it was (`text`, `image`, `audio`, `video`,
    `document`), `cached_modalities` the cached part, when the API said so (Gemini does):
    audio input is priced apart."""

    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    thinking_tokens: int = 0
    modalities: dict[str, int] = field(default_factory=dict)
    cached_modalities: dict[str, int] = field(default_factory=dict)

    def _combined(self, other: Usage, sign: int) -> Usage:
        return Usage(*(getattr(self, f) + sign * getattr(other, f) for f in _COUNTS),
                     _merged(self.modalities, other.modalities, sign),
                     _merged(self.cached_modalities, other.cached_modalities, sign))

    def __add__(self, other: Usage) -> Usage:
        return self._combined(other, 1)

    def __sub__(self, other: Usage) -> Usage:
        return self._combined(other, -1)

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens + self.thinking_tokens

    def to_dict(self) -> dict[str, int]:
        """Flat numbers for course.json: `input`, `cached`, `output`, `thinking`, and
        `input_<modality>` / `cached_<modality>` when the breakdown is known."""
        data = {key: getattr(self, f) for key, f in zip(_KEYS, _COUNTS, strict=True)}
        data.update({f"input_{k}": v for k, v in sorted(self.modalities.items()) if v})
        data.update({f"cached_{k}": v for k, v in sorted(self.cached_modalities.items()) if v})
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Usage:
        """The usage `to_dict` saved (a manifest from before the breakdown has none)."""
        data = data or {}

        def split(prefix: str) -> dict[str, int]:
            return {k[len(prefix):]: int(v) for k, v in data.items() if k.startswith(prefix)}

        return cls(*(int(data.get(key, 0)) for key in _KEYS), split("input_"),
                   split("cached_"))


@dataclass
class SourcePart:
    """One input file after conversion: its Markdown and what is known about it."""

    name: str
    markdown: str
    pages: int | None = None
    words: int = 0
    kind: str = ""
    sections: dict[str, tuple[int, int]] = field(default_factory=dict)  # heading → pages (PDF)

    def __post_init__(self) -> None:
        self.sections = {heading: (int(span[0]), int(span[1]))  # JSON gives lists
                         for heading, span in (self.sections or {}).items()}


MEDIA_KINDS = ("pdf", "image", "audio", "video", "youtube")


@dataclass
class MediaPart:
    """Material a model reads natively, not as text: a PDF, a picture, a recording or a
    YouTube video.

    Its bytes are either in `data` (an upload or a picture taken out of a document; never
    saved in JSON) or in the file at `path`; once the course folder holds the original
    (`media/` beside the course), `path` is that copy. YouTube has neither: `uri` is the
    video's address. `within` names the document a picture was taken from; `sha256` is the
    bytes' hash (the media's identity: the course's source hash and the uploads follow it).
    """

    name: str
    kind: str  # one of MEDIA_KINDS
    mime_type: str
    path: str | None = None
    uri: str | None = None
    size: int = 0
    pages: int | None = None
    seconds: float | None = None
    within: str | None = None
    sha256: str = ""
    data: bytes | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.sha256:
            if self.data is not None:
                self.sha256 = hashlib.sha256(self.data).hexdigest()
            elif self.uri:
                self.sha256 = hashlib.sha256(self.uri.encode()).hexdigest()
        if self.data is not None and not self.size:
            self.size = len(self.data)

    def read(self) -> bytes:
        """The media's bytes (from memory, or from its file)."""
        if self.data is not None:
            return self.data
        if self.path is None:
            raise ValueError(f"{self.name} has no bytes (a link)")
        return Path(self.path).read_bytes()

    def to_dict(self) -> dict[str, Any]:
        """What source.json keeps: everything but the bytes."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "data"}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MediaPart:
        known = {f.name for f in fields(cls)} - {"data"}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class Source:
    """The course material: the parts in upload order joined into one Markdown text, and the
    media a model that can read it natively is given beside that text."""

    parts: list[SourcePart]
    media: list[MediaPart] = field(default_factory=list)

    @classmethod
    def from_text(cls, text: str, name: str = "content") -> Source:
        return cls([SourcePart(name=name, markdown=text, words=len(text.split()))])

    @property
    def markdown(self) -> str:
        if len(self.parts) == 1:
            return self.parts[0].markdown
        return "\n\n".join(f"# {p.name}\n\n{p.markdown.strip()}" for p in self.parts)

    @property
    def sha256(self) -> str:
        """The material's identity: its text and, in order, each media part's bytes."""
        digest = hashlib.sha256(self.markdown.encode("utf-8"))
        for item in self.media:
            digest.update(f"\x00{item.kind}\x00{item.name}\x00{item.sha256}".encode())
        return digest.hexdigest()

    @property
    def words(self) -> int:
        return sum(p.words for p in self.parts)


MODES = ("sequential", "parallel", "cascade")
ENGINES = ("auto", "gemini", "openai", "offline")
MAX_WORKERS = 32  # chapters in flight per course; more only multiplies 429s
MAX_WAIT = 600.0  # seconds: a longer server-requested wait fails the call instead
MAX_QUIZ_QUESTIONS = 20


@dataclass(frozen=True)
class CourseSettings:
    """Everything that shapes one course. The CLI, the page and the API all build this.

    It never holds an API key: keys live in the engine only, so a manifest written
    from these settings can never leak one.
    """

    engine: str = "auto"
    model_name: str = DEFAULT_MODEL
    temperature: float | None = None
    language: str = "English"
    max_chapters: int = 10
    fixed_chapter_count: bool = False
    include_front_back_matter: bool = False  # title page, contents, licences, index, ...
    custom_prompt: str | None = None
    mode: str = "parallel"
    max_workers: int = 4
    delay_range: tuple[float, float] = (0.1, 0.5)
    max_retries: int = 3
    retry_delay: float = 1.0
    requests_per_minute: float | None = None
    tokens_per_minute: float | None = None
    rate_window: float = 60.0
    request_timeout: float = 180.0
    thinking: str = "auto"
    thinking_budget: int | None = None
    cache: str = "auto"
    quiz_questions: int = 5
    max_wait: float = MAX_WAIT
    batch: bool = False  # chapters as one Gemini batch job: half price, results within hours
    batch_retry: str = "online"
    read: str = "auto"  # auto: natively with Gemini, as text elsewhere; text; native
    media_resolution: str = "auto"  # Gemini's media resolution (tokens per page/frame)
    base_url: str | None = None  # an OpenAI-compatible server (engine "openai"); no secrets
    context_window: int | None = None  # input tokens of an "openai" model, over what it says

    def __post_init__(self) -> None:
        from geminiteacher.errors import SettingsError

        if self.mode not in MODES:
            raise SettingsError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.engine not in ENGINES:
            raise SettingsError(f"engine must be one of {', '.join(ENGINES)}, not {self.engine!r}")
        if not 1 <= self.max_chapters <= 100:
            raise SettingsError("max_chapters must be between 1 and 100")
        object.__setattr__(self, "temperature", chosen_temperature(self.temperature))
        if self.temperature is not None and not 0.0 <= self.temperature <= 2.0:
            raise SettingsError("temperature must be between 0 and 2 (or unset for the "
                                "model's default)")
        if self.thinking not in THINKING:
            raise SettingsError(f"thinking must be one of {', '.join(THINKING)}, "
                                f"not {self.thinking!r}")
        if self.cache not in CACHING:
            raise SettingsError(f"cache must be one of {', '.join(CACHING)}, not {self.cache!r}")
        if self.read not in READING:
            raise SettingsError(f"read must be one of {', '.join(READING)}, not {self.read!r}")
        if self.media_resolution not in RESOLUTIONS:
            raise SettingsError(f"media_resolution must be one of {', '.join(RESOLUTIONS)}, "
                                f"not {self.media_resolution!r}")
        if self.batch_retry not in BATCH_RETRY:
            raise SettingsError(f"batch_retry must be one of {', '.join(BATCH_RETRY)}, "
                                f"not {self.batch_retry!r}")
        if self.batch and self.mode == "cascade":
            raise SettingsError("batch cannot be combined with cascade mode (each chapter "
                                "needs the ones before it); use parallel or sequential")
        if self.thinking != "auto" and self.thinking_budget is not None:
            raise SettingsError("set thinking or thinking_budget, not both "
                                "(thinking_budget is for Gemini 2.5-era scripts)")
        if not 1 <= self.max_workers <= MAX_WORKERS:
            raise SettingsError(f"max_workers must be between 1 and {MAX_WORKERS}, "
                                f"not {self.max_workers}")
        low, high = self.delay_range
        if low < 0 or high < low:
            raise SettingsError("delay_range must be (min, max) with 0 <= min <= max")
        if not 0 <= self.quiz_questions <= MAX_QUIZ_QUESTIONS:
            raise SettingsError(f"quiz_questions must be between 0 and {MAX_QUIZ_QUESTIONS}")
        if self.max_retries < 0:
            raise SettingsError("max_retries must be 0 or more")
        if self.thinking_budget is not None and self.thinking_budget < -1:
            raise SettingsError("thinking_budget must be -1 (the model decides), 0 (off) or "
                                "a number of tokens")
        if self.base_url is not None:
            object.__setattr__(self, "base_url", checked_base_url(self.base_url))
        if self.context_window is not None and self.context_window < 1:
            raise SettingsError("context_window must be a positive number of tokens (or unset "
                                "to read it from the server)")
        for name in ("requests_per_minute", "tokens_per_minute", "rate_window", "request_timeout",
                     "max_wait"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise SettingsError(f"{name} must be positive (or unset for no cap)")

    def with_(self, **changes: Any) -> CourseSettings:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["delay_range"] = list(self.delay_range)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CourseSettings:
        """Settings saved by `to_dict` (unknown keys, e.g. from a newer version, ignored)."""
        known = {f.name for f in fields(cls)}
        clean = {k: v for k, v in data.items() if k in known}
        if "delay_range" in clean:
            clean["delay_range"] = tuple(clean["delay_range"])
        return cls(**clean)


def checked_base_url(url: str) -> str | None:
    """An http(s) base URL without credentials or query, trailing slash removed; None if blank.

    Raises SettingsError otherwise: a key belongs in OPENAI_API_KEY, never in a URL that
    course.json records.
    """
    from geminiteacher.errors import SettingsError

    url = url.strip().rstrip("/")
    if not url:
        return None
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        parts, port_ok = None, False
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname \
            or not port_ok:
        raise SettingsError(f"base_url {url!r} is not an http(s) address; give one like "
                            "http://localhost:11434/v1")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise SettingsError("base_url must not carry a user, password or query: put the key "
                            "in OPENAI_API_KEY (or the page's key box) instead")
    return url


@dataclass
class Reply:
    """What one engine call returns: its value and the tokens it cost."""

    value: Any
    usage: Usage = field(default_factory=Usage)
    model_version: str = ""  # the model that actually answered (an alias's target)
    notes: tuple[str, ...] = ()  # warnings about settings the model could not take


class EventKind(str, enum.Enum):
    """What happened to a course or a chapter; the CLI and the page subscribe to these."""

    OUTLINE = "outline"
    QUEUED = "queued"
    STARTED = "started"
    ATTEMPT = "attempt"
    WAITING = "waiting"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SUMMARY = "summary"
    FINISHED = "finished"
    WARNING = "warning"
    BATCH = "batch"  # the course's batch job: its state and counts, in `reason`
    PLANNED = "planned"  # what this run does (`plan`), before any billable call


@dataclass(frozen=True)
class RunPlan:
    """What one run of a course has to do, told before its first billable call so progress
    and cost count this run and not the whole course again: the chapters it writes, how
    many were done before it, whether it plans the outline first (then it writes every
    chapter of it, up to `total`) and whether it writes the course summary."""

    total: int  # chapters in the outline; the most it may have while it is still to plan
    todo: tuple[int, ...] = ()  # the chapters written (every one when `outline`)
    done_before: int = 0
    outline: bool = False
    summary: bool = True

    @property
    def chapters(self) -> int:
        """How many chapters this run writes (at most, while the outline is to plan)."""
        return self.total if self.outline else len(self.todo)


@dataclass
class Event:
    """One step of a course's progress. `index` is the chapter (1-based) or None for the course."""

    kind: EventKind
    index: int | None = None
    title: str = ""
    attempt: int = 0
    wait: float = 0.0
    reason: str = ""
    usage: Usage | None = None
    seconds: float = 0.0
    chapter: ChapterContent | None = None
    model: str = ""
    batch: bool = False  # a chapter written by a batch job (billed at the batch discount)
    plan: RunPlan | None = None  # PLANNED: what this run does
    at: float = field(default_factory=time.time)
