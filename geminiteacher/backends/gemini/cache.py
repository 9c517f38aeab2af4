"""One explicit context cache per course: the system instruction, the media read natively and
the document, held by Gemini so every call of the course reads them at the cached price (the
media are billed once per course, not once per call).

Made at the course's first call (or reused when a resumed course's cache is still alive),
so a course with nothing left to write makes none. It is made in a background thread: a call
that cannot wait (the outline, the course's first request) goes out at once with the whole
prompt, and every later call waits for the cache. Extended while calls keep coming, and
deleted when the course ends, however it ends (by the maker, if it is still being made). Any
failure to make one (too small for the model, a model that cannot cache, a gateway without
`cachedContents`) leaves the course on implicit caching with a note; caching never fails a
course.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from google.genai import types

from geminiteacher.errors import describe

MIN_TTL = 900.0  # seconds a cache is kept ahead of the calls that use it
EXTEND_WHEN = 300.0  # extend once fewer seconds than this are left


class CourseCache:
    """The explicit cache of one course. Thread-safe: every worker asks it for the name."""

    def __init__(self, client: Any, model: str, system: str, document: str,
                 http_options: types.HttpOptions, ttl: float = MIN_TTL,
                 saved: dict[str, Any] | None = None,
                 save: Callable[[dict[str, Any]], None] | None = None,
                 media: Sequence[types.Part] = (), audio_tokens: int = 0) -> None:
        self._client = client
        self._audio = audio_tokens  # of the media, recordings (billed at the audio rate)
        self._model = model
        self._system = system
        self._document = document
        self._media = list(media)  # the course's uploaded media, held before the document
        self._http = http_options
        self._ttl = max(MIN_TTL, ttl)
        self._lock = threading.Lock()
        self._saved = dict(saved or {})
        self._save = save
        self._opening: threading.Thread | None = None
        self._opened = threading.Event()
        self._closing = False
        self.note: str | None = None  # why no explicit cache is used, once known
        self.name: str | None = None
        self.tokens = 0
        self.seconds = 0.0  # storage time of the caches already ended
        self._since = 0.0
        self._expires = 0.0

    def state(self) -> dict[str, Any]:
        """What course.json keeps: the name while the cache is alive, and its life and size
        (the recordings' share of it apart) for cost."""
        alive = time.time() - self._since if self.name else 0.0
        return {"name": self.name, "model": self._model, "tokens": self.tokens,
                "audio_tokens": min(self._audio, self.tokens),
                "seconds": round(self.seconds + alive, 3)}

    def _open(self) -> None:
        """Reuse the saved cache if it is still alive, else make one; a note if neither."""
        name = self._saved.get("name")
        if name and self._saved.get("model") == self._model and self._revive(name):
            return
        try:
            self._create()
        except Exception as exc:  # any refusal: the course goes on with implicit caching
            self.note = (f"no explicit cache for model {self._model} ({describe(exc)}); "
                         "relying on Gemini's implicit caching")

    def current(self, wait: bool = True) -> str | None:
        """The cache's name for the next call, extended when it runs short. The first call
        starts making it; with `wait=False` a call does not wait while it is being made
        (None: send the whole prompt)."""
        with self._lock:
            if self._opening is None:
                self._opening = threading.Thread(target=self._make, daemon=True,
                                                 name="geminiteacher-cache")
                self._opening.start()
        if not wait and not self._opened.is_set():
            return None
        self._opened.wait()
        with self._lock:
            if self.name is None:
                return None
            if self._expires - time.monotonic() < EXTEND_WHEN:
                try:
                    self._client.caches.update(
                        name=self.name,
                        config=types.UpdateCachedContentConfig(ttl=f"{self._ttl:.0f}s",
                                                               http_options=self._http))
                    self._expires = time.monotonic() + self._ttl
                except Exception:
                    self._forget()
            return self.name

    def _make(self) -> None:
        """The background maker: open the cache, record it, and delete it at once if the
        course ended meanwhile."""
        try:
            with self._lock:
                self._open()
                if not self._closing:
                    self._saved_state()
        finally:
            self._opened.set()
        if self._closing:
            self._delete(save=False)

    def replace(self) -> str | None:
        """After Gemini said the cache is gone: make a new one once, or go on without."""
        with self._lock:
            self._forget()
            try:
                self._create()
            except Exception:
                return None
            self._saved_state()
            return self.name

    def close(self) -> None:
        """Delete the cache (best effort: an expired cache is already gone). While it is still
        being made, its maker deletes it when done, so closing never waits for it."""
        self._closing = True
        if self._opening is not None and not self._opened.is_set():
            return
        self._delete(save=True)

    def _delete(self, save: bool) -> None:
        with self._lock:
            name = self.name
            if name is None:
                return
            self._forget()
            with contextlib.suppress(Exception):
                self._client.caches.delete(
                    name=name, config=types.DeleteCachedContentConfig(http_options=self._http))
            if save:
                self._saved_state()

    def _saved_state(self) -> None:
        if self._save is not None:
            self._save(self.state())

    def _create(self) -> None:
        cache = self._client.caches.create(
            model=self._model,
            config=types.CreateCachedContentConfig(
                display_name="geminiteacher course",
                system_instruction=self._system,
                contents=[types.Content(role="user", parts=[*self._media,
                                                            types.Part(text=self._document)])],
                ttl=f"{self._ttl:.0f}s",
                http_options=self._http,
            ),
        )
        self.name = cache.name
        self.tokens = (cache.usage_metadata.total_token_count or 0) \
            if cache.usage_metadata else 0
        self._since = time.time()
        self._expires = time.monotonic() + self._ttl

    def _revive(self, name: str) -> bool:
        try:
            self._client.caches.update(
                name=name, config=types.UpdateCachedContentConfig(ttl=f"{self._ttl:.0f}s",
                                                                  http_options=self._http))
        except Exception:
            return False
        self.name = name
        self.tokens = int(self._saved.get("tokens") or 0)
        self.seconds = float(self._saved.get("seconds") or 0.0)
        self._since = time.time()
        self._expires = time.monotonic() + self._ttl
        return True

    def _forget(self) -> None:
        if self.name is not None:
            self.name = None
            self.seconds += time.time() - self._since
