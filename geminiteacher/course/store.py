"""The course folder on disk: chapter files, summary, index and the `course.json` manifest.

Layout (a contract): `<output_dir>/<Course_Title>/chapter_NN_<Chapter_Title>.md`,
`summary.md`, `index.md`, `course.json`. Beside each chapter file, `chapter_NN_<...>.json`
holds the chapter's parts, quiz and sources as data, so a chapter reads back exactly
(never by parsing its Markdown). Every write goes to a temporary file in the same folder
and is moved into place with `os.replace`, so a reader (or a crash) never sees half a
file. The store records progress events; the page, the CLI and the exports only read it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import io
import itertools
import json
import logging
import os
import re
import secrets
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from geminiteacher.backends.base import Engine
from geminiteacher.backends.prompts import parse_chapter_markdown
from geminiteacher.errors import ManifestError, StoreError, describe
from geminiteacher.models import (
    ChapterContent,
    ChapterStatus,
    CourseSettings,
    Event,
    EventKind,
    MediaPart,
    Source,
    SourcePart,
    Usage,
)
from geminiteacher.text.titles import markdown_line, numbered

try:  # POSIX advisory locks; elsewhere the page's own job registry is the only guard
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

MANIFEST = "course.json"
SOURCE = "source.json"
LOCK = ".lock"
SUMMARY = "summary.md"
OWNER = "owner_token"  # course.json field: the token in the page's link to this course
INDEX = "index.md"
EXPORTS = "exports"  # the exports' folder inside the course folder
MEDIA = "media"  # the originals of the media Gemini reads natively, for follow-ups
FORMAT = 2  # 2: chapter data files beside the chapter files
FLUSH_INTERVAL = 0.25
FREE_NAME_TRIES = 1000  # names tried before a search for a free folder name gives up
EXTRACTIVE_NOTE = (
    "This course was extracted by the offline engine: every sentence comes from your "
    "documents; no AI model wrote it."
)

log = logging.getLogger(__name__)
_UNSAFE = re.compile(r"[^\w\-]+", re.UNICODE)
_NUMBERED = re.compile(r"^(.*?)\s*\((\d{1,9})\)\s*$", re.DOTALL)  # "Title (3)"


def safe_name(title: str, limit: int = 80) -> str:
    """A file-system-safe form of a title: words joined by underscores, at most `limit`
    characters. A numbered title ("<title> (3)") keeps its number when the title is cut,
    so every number names its own folder however long the title."""
    name = _UNSAFE.sub("_", title.strip()).strip("_")
    numbered = _NUMBERED.match(title)
    if len(name) > limit and numbered:
        suffix = f"_{numbered.group(2)}"
        return safe_name(numbered.group(1), limit - len(suffix)).rstrip("_") + suffix
    return name[:limit].strip("_") or "course"


def course_dir(output_dir: str | Path, title: str) -> Path:
    """Where the course called `title` lives inside `output_dir`."""
    return Path(output_dir) / safe_name(title)


def chapter_filename(index: int, title: str) -> str:
    return f"chapter_{index:02d}_{safe_name(title)}.md"


def data_filename(chapter_file: str) -> str:
    """The chapter's data file (parts, quiz, sources as JSON) beside its Markdown file."""
    return str(Path(chapter_file).with_suffix(".json"))


_TEXT, _NUMBER, _MAP, _LIST = (str,), (int, float), (dict,), (list,)
_COURSE_FIELDS = {  # course.json field -> the types the page, CLI and exports can read
    "title": _TEXT, "state": _TEXT, OWNER: _TEXT, "updated": _TEXT, "created": _TEXT,
    "error": _TEXT, "note": _TEXT, "engine": _TEXT, "model": _TEXT, "model_version": _TEXT,
    "summary_file": _TEXT, "usage": _MAP, "settings": _MAP, "batch": _MAP, "cache": _MAP,
    "warnings": _LIST, "outline": _LIST, "source_files": _LIST, "chapters": _LIST,
    "media_tokens": _MAP,
}
_CHAPTER_FIELDS = {
    "title": _TEXT, "status": _TEXT, "file": _TEXT, "last_error": _TEXT, "attempts": _NUMBER,
    "seconds": _NUMBER, "tokens": _MAP, "history": _LIST,
}
_STATUSES = {str(s) for s in ChapterStatus}
_JSON_KINDS = {bool: "true/false", int: "number", float: "number", str: "text", list: "list",
               dict: "object"}


def _kind(value: object) -> str:
    """The JSON name of `value`'s type, as a person reads it: "a number", "a list"."""
    word = _JSON_KINDS.get(type(value), "null")
    return f"an {word}" if word == "object" else f"a {word}" if word != "text" else "text"


def _wrong_type(holder: dict[str, Any], fields: dict[str, tuple[type, ...]],
                where: str) -> str | None:
    """The first field of `holder` whose value (when not null) has the wrong type."""
    for key, kinds in fields.items():
        if holder.get(key) is not None and not isinstance(holder[key], kinds):
            return f"{where}{key} is {_kind(holder[key])}"
    return None


def _chapter_problem(chapter: object, n: int) -> str | None:
    """What makes entry `n` of the manifest's chapters unreadable, or None."""
    if not isinstance(chapter, dict):
        return f"chapter {n} is {_kind(chapter)}"
    missing = [k for k in ("index", "title", "status") if chapter.get(k) is None]
    if missing:
        return f"chapter {n} has no {missing[0]}"
    if chapter["index"] != n or isinstance(chapter["index"], bool):
        return f"chapter {n} is numbered {chapter['index']!r}"
    wrong = _wrong_type(chapter, _CHAPTER_FIELDS, f"chapter {n}'s ")
    if wrong or chapter["status"] not in _STATUSES:
        return wrong or f"chapter {n}'s status {chapter['status']!r} is unknown"
    numbers = [*(chapter.get("tokens") or {}).values()]
    for attempt in chapter.get("history") or []:
        if not isinstance(attempt, dict):
            return f"chapter {n}'s history holds {_kind(attempt)}"
        numbers += [attempt.get("start") or 0, attempt.get("end") or 0]
    if not all(isinstance(x, _NUMBER) for x in numbers):
        return f"chapter {n}'s tokens or history hold text where numbers belong"
    return None


def manifest_problem(data: object) -> str | None:
    """Why `data` (a parsed course.json) is not a manifest this package can read, or None.

    Checked before any reader indexes into it, so a damaged or hand-edited file is one
    skipped course, never an error on every page that lists courses.
    """
    if not isinstance(data, dict):
        return f"it holds {_kind(data)}, not an object"
    wrong = _wrong_type(data, _COURSE_FIELDS, "")
    if wrong:
        return wrong
    if not all(isinstance(x, _NUMBER) for x in (data.get("usage") or {}).values()):
        return "usage holds text where numbers belong"
    if not all(isinstance(x, str) for x in data.get("warnings") or []):
        return "warnings holds something other than text"
    return next(filter(None, (_chapter_problem(c, n)
                              for n, c in enumerate(data.get("chapters") or [], 1))), None)


def read_manifest(folder: Path) -> dict[str, Any]:
    """`folder`'s course.json; {} when there is none. Raises ManifestError when it is not
    readable JSON or not a manifest (see `manifest_problem`)."""
    try:
        text = (folder / MANIFEST).read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ManifestError(folder.name, exc.strerror or type(exc).__name__) from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ManifestError(folder.name, f"not JSON: {describe(exc)}") from None
    problem = manifest_problem(data)
    if problem:
        owner = data.get(OWNER) if isinstance(data, dict) else None
        raise ManifestError(folder.name, problem, owner if isinstance(owner, str) else None)
    return data


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write `data` to `path` so that the file is either old or new, never partial.

    The file gets the mode a plain write would give it (0666 less the umask).
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise StoreError(
            f"could not write {path.parent.name}/{path.name}: {exc.strerror or exc}; free "
            "disk space or choose another output folder (finished chapters are kept)"
        ) from exc


def _now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _new_chapter(index: int, title: str) -> dict[str, Any]:
    return {"index": index, "title": title, "status": str(ChapterStatus.PENDING),
            "attempts": 0, "tokens": Usage().to_dict(), "seconds": 0.0, "file": None,
            "last_error": "", "history": []}


class CourseStore:
    """One course folder. Thread-safe: pool workers record events concurrently."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).absolute()
        self._lock = threading.RLock()
        self._data: dict[str, Any] = {}
        self._dirty = False
        self._last_flush = 0.0
        self._timer: threading.Timer | None = None
        self._lock_file: io.TextIOWrapper | None = None
        self.source: Source | None = None  # the material as kept here (media in media/)

    # ---- reading (page, CLI, exports) -------------------------------------------------

    @classmethod
    def open(cls, path: str | Path) -> CourseStore:
        """A read view of an existing course folder."""
        store = cls(path)
        store._data = store.manifest()
        return store

    def manifest(self) -> dict[str, Any]:
        """The manifest as it is on disk ({} when there is none, or it is damaged: logged)."""
        try:
            return read_manifest(self.path)
        except ManifestError as exc:
            log.warning("%s", exc)
            return {}

    def _file(self, name: str | None) -> Path | None:
        """A file of the course folder named by the manifest; None for any other path (a
        tampered manifest is never followed, and a warning says so)."""
        if not name:
            return None
        if Path(name).name != name or name.startswith("."):
            log.warning("%s: ignored the file name %r in %s, which is not a file of the "
                        "course folder", self.path, name, MANIFEST)
            return None
        return self.path / name

    def _read(self, name: str | None) -> str | None:
        """A file of the course folder, or None when it is not there (yet)."""
        path = self._file(name)
        try:
            return path.read_text(encoding="utf-8") if path else None
        except OSError:
            return None

    def read_chapter(self, entry: dict[str, Any]) -> ChapterContent | None:
        """A chapter as saved: from its data file; a course made before data files existed
        is read from its Markdown file (fence-aware, so code cannot split it)."""
        name = entry.get("file")
        data = self._read(data_filename(name)) if name else None
        if data is not None:
            with contextlib.suppress(ValueError, KeyError, TypeError):
                return ChapterContent.from_dict(json.loads(data))
        text = self._read(name)
        if text is None:
            return None
        return parse_chapter_markdown(text, entry.get("title") or "")

    def chapter_text(self, index: int) -> str | None:
        chapters = self.manifest().get("chapters", [])
        return next((self._read(c.get("file")) for c in chapters if c["index"] == index), None)

    def read_chapters(self) -> list[tuple[dict[str, Any], ChapterContent | None]]:
        """Every chapter of the outline: its manifest entry and its content when done."""
        return [(entry, self.read_chapter(entry)
                 if entry.get("status") == str(ChapterStatus.DONE) else None)
                for entry in self.manifest().get("chapters", [])]

    def summary_text(self) -> str:
        """The course summary's Markdown (without its heading), or "" before it is written."""
        return (self._read(SUMMARY) or "").partition("\n")[2].strip()

    def course_files(self) -> list[str]:
        """The course's own files (chapters, their data, summary, index, manifest) on disk."""
        names = []
        for chapter in self.manifest().get("chapters", []):
            if chapter.get("file"):
                names += [chapter["file"], data_filename(chapter["file"])]
        return [n for n in [*names, SUMMARY, INDEX, MANIFEST]
                if (path := self._file(n)) is not None and path.exists()]

    # ---- writing (the runner) -----------------------------------------------------

    @classmethod
    def create(
        cls,
        output_dir: str | Path,
        title: str,
        source: Source,
        settings: CourseSettings,
        engine: Engine,
        owner_token: str | None = None,
    ) -> CourseStore:
        """Open the course folder for writing, resuming it when it holds the same source.

        A folder holding a different source keeps its old files in `_previous_<time>/`.
        With `owner_token` (the page's), a folder holding another owner's course is
        refused with StoreError, never moved or overwritten; a new course records the token.
        """
        store = cls(course_dir(output_dir, title))
        try:
            store.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the course folder {store.path.name}: {exc.strerror}; "
                             "choose another output folder") from exc
        store._take_lock()
        try:
            try:
                old = read_manifest(store.path)
            except ManifestError:
                if owner_token is not None:  # the page never takes over a folder it can't read
                    raise
                store._archive_previous()  # the CLI's own folder: kept aside, written anew
                old = {}
            if owner_token is not None and old and old.get(OWNER) != owner_token:
                raise StoreError(f"{store.path.name} holds a course made by someone else; "
                                 "choose another title")
            if old and old.get("source_sha256") != source.sha256:
                store._archive_previous()
                old = {}
            store._data = old or {"format": FORMAT, "title": title, "created": _now_iso(),
                                  "outline": [], "chapters": [], "summary_file": None,
                                  "usage": Usage().to_dict()}
            store._data.update({
                "title": title, "source_sha256": source.sha256,
                "source_files": [{"name": p.name, "pages": p.pages, "words": p.words}
                                 for p in source.parts] + [
                    {"name": m.name, "kind": m.kind, "pages": m.pages, "seconds": m.seconds}
                    for m in source.media if not m.within],
                "engine": engine.name, "model": engine.model, "extractive": engine.extractive,
                "note": EXTRACTIVE_NOTE if engine.extractive else "",
                "settings": settings.to_dict(), "state": "planning", "error": "",
            })
            if owner_token is not None:
                store._data[OWNER] = owner_token
            store._adopt_files_on_disk()
            store.source = store._save_source(source)
            store.flush()
        except BaseException:
            store.close()
            raise
        return store

    def _take_lock(self) -> None:
        """Hold the folder for this run; another run (any process) writing it is refused.

        The lock dies with the process, so a killed run never leaves the folder locked.
        """
        if fcntl is None:
            return
        handle = (self.path / LOCK).open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise StoreError(f"{self.path.name} is being written by another run right now; wait "
                             "for it to finish, cancel it, or choose another title") from None
        self._lock_file = handle

    def close(self) -> None:
        """Write what is pending and release the folder (released even if the write fails)."""
        try:
            self.flush()
        finally:
            if self._lock_file is not None:
                with contextlib.suppress(OSError):
                    self._lock_file.close()
                self._lock_file = None

    def _save_source(self, source: Source) -> Source:
        """Keep the material beside the course, so it can be resumed without re-uploading
        (written again when anything about it changed, such as the pages of its sections):
        the text parts and media list in source.json, each media original in media/.
        Returns the source with its media pointing at those copies."""
        kept = Source(source.parts, [self._keep_media(n, item)
                                     for n, item in enumerate(source.media, 1)])
        saved = self.saved_source()
        if saved is None or saved.parts != kept.parts or saved.media != kept.media:
            atomic_write(self.path / SOURCE, json.dumps({
                "parts": [dataclasses.asdict(part) for part in kept.parts],
                "media": [self._relative(item.to_dict()) for item in kept.media],
            }, ensure_ascii=False))
        return kept

    def _keep_media(self, number: int, item: MediaPart) -> MediaPart:
        """The media part with its original copied into media/ (a link has none)."""
        if item.data is None and item.path is None:
            return item
        stem, dot, ext = item.name.rpartition(".")
        name = f"{number:02d}_{safe_name(stem or ext, 60)}{dot and '.' + safe_name(ext, 8)}"
        target = self.path / MEDIA / name
        if item.path is not None and Path(item.path).resolve() == target.resolve():
            return item
        if not (target.exists() and target.stat().st_size == item.size):
            target.parent.mkdir(exist_ok=True)
            if item.data is not None:
                atomic_write(target, item.data)
            else:
                temp = target.with_name(f".{name}.tmp")
                shutil.copyfile(item.path, temp)
                os.replace(temp, target)
        return dataclasses.replace(item, path=str(target), data=None)

    def _relative(self, data: dict[str, Any]) -> dict[str, Any]:
        if data.get("path"):
            data["path"] = Path(data["path"]).relative_to(self.path).as_posix()
        return data

    def saved_source(self) -> Source | None:
        """The material this course was made from, or None when it was not saved. Media
        originals are looked up in media/ (never outside the course folder)."""
        try:
            saved = json.loads((self.path / SOURCE).read_text(encoding="utf-8"))
            if isinstance(saved, list):  # before media: the parts alone
                saved = {"parts": saved}
            parts = [SourcePart(**part) for part in saved.get("parts") or []]
            media = [MediaPart.from_dict(item) for item in saved.get("media") or []]
        except (OSError, ValueError, TypeError, AttributeError):
            return None
        for item in media:
            if item.path:
                where = (self.path / item.path).resolve()
                inside = where.parent == (self.path / MEDIA).resolve()
                item.path = str(where) if inside else None
        return Source(parts, media)

    def _archive_previous(self) -> None:
        """Move the folder's files into a new `_previous_<time>/` folder."""
        stamp = time.strftime("_previous_%Y%m%d-%H%M%S")
        for n in range(1, FREE_NAME_TRIES + 1):  # two archives in one second: distinct names
            target = self.path / (stamp if n == 1 else f"{stamp}-{n}")
            try:
                target.mkdir()
                break
            except FileExistsError:
                continue
            except OSError as exc:
                raise StoreError(f"cannot keep the old files of {self.path.name} aside: "
                                 f"{exc.strerror}; free disk space or choose another title"
                                 ) from None
        else:
            raise StoreError(f"{self.path.name} already holds {FREE_NAME_TRIES} archives from "
                             "this second; wait a second and try again")
        for item in self.path.iterdir():
            if (item.is_file() and item.name != LOCK) or item.name in (EXPORTS, MEDIA):
                os.replace(item, target / item.name)

    def _adopt_files_on_disk(self) -> None:
        """Count chapters written before a crash as done, even if the manifest lagged; forget
        file names that are not files of the course folder.

        A chapter's data file is written first and its Markdown file last, so the Markdown
        file marks a complete chapter.
        """
        for chapter in self._data["chapters"]:
            name = chapter_filename(chapter["index"], chapter["title"])
            if (self.path / name).exists() and chapter["status"] != str(ChapterStatus.DONE):
                chapter.update(status=str(ChapterStatus.DONE), file=name, last_error="")
            elif chapter.get("file") and self._file(chapter["file"]) is None:
                chapter.update(status=str(ChapterStatus.PENDING), file=None)

    @property
    def outline(self) -> list[str]:
        with self._lock:
            return list(self._data.get("outline", []))

    def set_outline(self, titles: list[str]) -> None:
        """Adopt an outline. Chapters are matched by title, so an inserted, removed or moved
        chapter leaves the others' text alone (their files are renumbered); only new or
        renamed titles start afresh, and the files of dropped chapters are deleted."""
        with self._lock:
            by_title: dict[str, list[dict[str, Any]]] = {}
            for chapter in self._data.get("chapters", []):
                by_title.setdefault(chapter["title"], []).append(chapter)
            chapters = [by_title[t].pop(0) if by_title.get(t) else _new_chapter(i, t)
                        for i, t in enumerate(titles, 1)]
            for dropped in itertools.chain.from_iterable(by_title.values()):
                for path in self._chapter_files(dropped.get("file")):
                    path.unlink(missing_ok=True)
            for index, chapter in enumerate(chapters, 1):
                chapter["index"] = index
            self._renumber(chapters)
            self._data["outline"] = list(titles)
            self._data["chapters"] = chapters
            self._changed(force=True)

    def _chapter_files(self, name: str | None) -> list[Path]:
        """A chapter's data file and Markdown file (in the order they are written)."""
        paths = [self._file(data_filename(name)), self._file(name)] if name else []
        return [p for p in paths if p is not None]

    def _renumber(self, chapters: list[dict[str, Any]]) -> None:
        """Rename chapter files to their chapters' numbers, in two steps so no file is
        clobbered; a chapter whose Markdown file is gone is to be written again."""
        parked = []
        for chapter in chapters:
            new = chapter_filename(chapter["index"], chapter["title"])
            if not chapter.get("file") or chapter["file"] == new:
                continue
            moved = False
            for old, target in zip(self._chapter_files(chapter["file"]),
                                   (data_filename(new), new), strict=False):
                spot = self.path / f".{target}.moving"
                with contextlib.suppress(FileNotFoundError):
                    os.replace(old, spot)
                    parked.append((spot, target))
                    moved = target == new
            if moved:
                chapter["file"] = new
            else:
                chapter.update(file=None, status=str(ChapterStatus.PENDING))
        for spot, target in parked:
            os.replace(spot, self.path / target)

    def chapters_with(self, *statuses: ChapterStatus) -> list[int]:
        wanted = {str(s) for s in statuses}
        with self._lock:
            return [c["index"] for c in self._data["chapters"] if c["status"] in wanted]

    def done_chapters(self) -> dict[int, ChapterContent]:
        """The finished chapters, read back exactly as they were saved."""
        with self._lock:
            entries = [dict(c) for c in self._data["chapters"]
                       if c["status"] == str(ChapterStatus.DONE)]
        chapters = {entry["index"]: self.read_chapter(entry) for entry in entries}
        return {index: chapter for index, chapter in chapters.items() if chapter is not None}

    def set_state(self, state: str, error: str = "") -> None:
        """The course's state (and what went wrong). A run that ends leaves no chapter
        running: one still in flight when a course fails (e.g. its file could not be
        written) becomes failed with `error`, or cancelled when the course was cancelled."""
        with self._lock:
            self._data["state"] = state
            self._data["error"] = error
            if state in ("failed", "cancelled"):
                settle_chapters(self._data, state, error)
            self._changed(force=True)


    def record(self, event: Event) -> None:
        """Apply one progress event to the manifest (and write the chapter file when done)."""
        if event.model:
            with self._lock:
                self._data["model_version"] = event.model
        if event.kind is EventKind.WARNING:
            with self._lock:
                warnings = self._data.setdefault("warnings", [])
                if event.reason not in warnings:
                    warnings.append(event.reason)
                    self._changed()
            return
        if event.kind is EventKind.BATCH:
            with self._lock:
                if self._data.get("batch"):  # polls are seconds apart: written at once
                    self._data["batch"]["status"] = event.reason
                    self._changed(force=True)
            return
        if event.kind is EventKind.PLANNED and event.plan is not None:
            with self._lock:  # what this run writes, so the page counts it (see RunPlan)
                self._data["run"] = {"at": event.at, "todo": list(event.plan.todo),
                                     "done_before": event.plan.done_before,
                                     "outline": event.plan.outline}
                self._changed(force=True)
            return
        if event.index is None:
            return
        with self._lock:
            chapter = self._data["chapters"][event.index - 1]
            history = chapter["history"]
            if event.kind is EventKind.QUEUED:
                chapter.update(status=str(ChapterStatus.PENDING), last_error="")
            elif event.kind is EventKind.STARTED:
                chapter["status"] = str(ChapterStatus.RUNNING)
            elif event.kind is EventKind.ATTEMPT:
                chapter["attempts"] += 1
                status = ChapterStatus.RUNNING if event.attempt == 1 else ChapterStatus.RETRYING
                chapter["status"] = str(status)
                history.append({"attempt": chapter["attempts"], "start": event.at,
                                "end": None, "outcome": "running"})
            elif event.kind is EventKind.WAITING:
                chapter.update(status=str(ChapterStatus.RETRYING), last_error=event.reason)
                self._close_attempt(history, event, "error")
            elif event.kind is EventKind.DONE and event.chapter is not None:
                name = chapter_filename(event.index, chapter["title"])
                atomic_write(self.path / data_filename(name),
                             json.dumps(event.chapter.to_dict(), ensure_ascii=False))
                atomic_write(self.path / name, event.chapter.to_markdown())
                self._close_attempt(history, event, "done")
                chapter.update(status=str(ChapterStatus.DONE), file=name, last_error="",
                               seconds=round(event.seconds, 3), model=event.model,
                               batch=event.batch,
                               questions=len(event.chapter.quiz),
                               sources=[ref.label() for ref in event.chapter.sources])
            elif event.kind is EventKind.FAILED:
                self._close_attempt(history, event, "error")
                chapter.update(status=str(ChapterStatus.FAILED), last_error=event.reason,
                               seconds=round(event.seconds, 3))
            elif event.kind is EventKind.CANCELLED:
                self._close_attempt(history, event, "cancelled")
                chapter["status"] = str(ChapterStatus.CANCELLED)
            if event.usage is not None:
                self._spend(chapter, "tokens", event.usage)
            self._changed()

    @staticmethod
    def _close_attempt(history: list[dict[str, Any]], event: Event, outcome: str) -> None:
        if history and history[-1]["end"] is None:
            history[-1].update(end=event.at, outcome=outcome)

    def write_summary(self, text: str, usage: Usage) -> None:
        atomic_write(self.path / SUMMARY, f"# Course summary\n\n{text.strip()}\n")
        with self._lock:
            self._data["summary_file"] = SUMMARY
            self._spend(self._data, "summary_tokens", usage)
            self._changed(force=True)

    def write_index(self) -> None:
        """index.md: the title, the outline with links and states, and the summary."""
        with self._lock:
            data = json.loads(json.dumps(self._data))
        lines = [f"# {data['title']}", ""]
        if data.get("note"):
            lines += [f"> {data['note']}", ""]
        lines += ["## Outline", ""]
        for c in data["chapters"]:
            label = numbered(c["index"], c["title"])
            if c.get("file") and c["status"] == str(ChapterStatus.DONE):
                lines.append(f"- [{label}]({c['file']})")
            else:
                lines.append(f"- {markdown_line(label)} ({c['status']})")
        summary = self.path / SUMMARY
        if data.get("summary_file") and summary.exists():
            body = summary.read_text(encoding="utf-8").partition("\n")[2].strip()
            lines += ["", "## Summary", "", body]
        atomic_write(self.path / INDEX, "\n".join(lines) + "\n")

    def total_usage(self) -> Usage:
        """Every token this course has cost: outline, chapters (failed attempts too), summary,
        over all its runs."""
        with self._lock:
            return Usage.from_dict(self._data.get("usage"))

    def set_cache(self, state: dict[str, Any]) -> None:
        """Remember the course's explicit cache (its name while alive, its life for cost)."""
        with self._lock:
            self._data["cache"] = state
            self._changed(force=True)

    def set_files(self, state: dict[str, Any]) -> None:
        """Remember the course's media uploaded to the provider while they live (by hash),
        and for good (in `media_tokens`, by hash) the provider's own count of each one's
        tokens, which the page lists with the course's sources."""
        with self._lock:
            self._data["files"] = state
            counts = self._data.setdefault("media_tokens", {})
            counts.update({sha: int(record["tokens"]) for sha, record in state.items()
                           if isinstance(record.get("tokens"), int)})
            self._changed(force=True)

    @property
    def batch(self) -> dict[str, Any] | None:
        """The course's batch job while one is waited for (see `set_batch`)."""
        with self._lock:
            job = self._data.get("batch")
            return dict(job) if job else None

    def set_batch(self, job: dict[str, Any] | None) -> None:
        """Remember the course's batch job the moment it exists (creating one is not
        idempotent, so a resumed run must find it here), or forget it once it is read."""
        with self._lock:
            self._data["batch"] = job
            self._changed(force=True)

    def add_usage(self, key: str, usage: Usage) -> None:
        """Remember tokens spent outside chapters (the outline call)."""
        with self._lock:
            self._spend(self._data, f"{key}_tokens", usage)
            self._changed()

    def _spend(self, holder: dict[str, Any], key: str, usage: Usage) -> None:
        """Add `usage` to `holder[key]` and to the course's total (caller holds the lock)."""
        holder[key] = (Usage.from_dict(holder.get(key)) + usage).to_dict()
        self._data["usage"] = (self.total_usage() + usage).to_dict()

    # ---- flushing -----------------------------------------------------------------

    def _changed(self, force: bool = False) -> None:
        """Write the manifest now, or within FLUSH_INTERVAL when changes come thick and fast.

        Chapter events are batched this way (a chapter's own file is already on disk, and
        `_adopt_files_on_disk` recovers it if the process dies before the next flush);
        changes of the course's state and outline are written at once.
        """
        self._dirty = True
        if force or time.monotonic() - self._last_flush >= FLUSH_INTERVAL:
            self.flush()
        elif self._timer is None:
            self._timer = threading.Timer(FLUSH_INTERVAL, self.flush)
            self._timer.daemon = True
            self._timer.start()

    def flush(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if not self._dirty and (self.path / MANIFEST).exists():
                return
            self._data["updated"] = _now_iso()
            atomic_write(self.path / MANIFEST, json.dumps(self._data, ensure_ascii=False))
            self._dirty = False
            self._last_flush = time.monotonic()


def settle_chapters(manifest: dict[str, Any], state: str, error: str) -> None:
    """In `manifest` (a course that ended `failed` or `cancelled`), chapters still running or
    retrying become failed (with `error`) or cancelled, their open attempt closed."""
    unfinished = (str(ChapterStatus.RUNNING), str(ChapterStatus.RETRYING))
    now = time.time()
    for chapter in manifest.get("chapters", []):
        if chapter["status"] not in unfinished:
            continue
        if state == "cancelled":
            chapter["status"] = str(ChapterStatus.CANCELLED)
            outcome = "cancelled"
        else:
            chapter.update(status=str(ChapterStatus.FAILED),
                           last_error=error or chapter.get("last_error") or
                           "the run ended before this chapter was saved")
            outcome = "error"
        history = chapter.get("history") or []
        if history and history[-1].get("end") is None:
            history[-1].update(end=now, outcome=outcome)


def shareable_manifest(path: Path) -> bytes:
    """The manifest at `path` as it may leave the server (in a zip): without the owner
    token, which opens, resumes and regenerates the course. An unreadable one goes as is."""
    raw = path.read_bytes()
    try:
        data = json.loads(raw)
    except ValueError:
        return raw
    if not isinstance(data, dict) or OWNER not in data:
        return raw
    del data[OWNER]
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def list_courses(output_dir: str | Path,
                 skipped: list[ManifestError] | None = None) -> list[dict[str, Any]]:
    """Every course folder in `output_dir`, newest first, with its progress.

    A folder whose course.json is damaged is left out; its error is added to `skipped`.
    """
    found = []
    root = Path(output_dir)
    for manifest_path in root.glob(f"*/{MANIFEST}") if root.is_dir() else []:
        try:
            data = read_manifest(manifest_path.parent)
        except ManifestError as exc:
            if skipped is not None:
                skipped.append(exc)
            continue
        if not data:
            continue
        chapters = data.get("chapters", [])
        found.append({
            "path": manifest_path.parent,
            "title": data.get("title", manifest_path.parent.name),
            "done": sum(c["status"] == str(ChapterStatus.DONE) for c in chapters),
            "total": len(chapters),
            "state": data.get("state", ""),
            "updated": data.get("updated", ""),
            "owner": data.get(OWNER),
        })
    return sorted(found, key=lambda c: c["updated"], reverse=True)
