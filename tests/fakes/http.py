"""What every fake service shares: a threaded HTTP server on 127.0.0.1 and a random port,
answers as status + JSON payload (or raw bytes), and a life cycle whose `stop()` ends hanging
requests at once."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SLICE = 0.02  # seconds a hang sleeps between looks at `stop()`


@dataclass
class Answer:
    """One HTTP answer: JSON `payload`, or `raw` bytes of `content_type`; or SSE `chunks`
    (then `trailer`, e.g. OpenAI's `data: [DONE]`), `chunk_delay` seconds apart when set."""

    status: int
    payload: Any
    stream: bool = False
    chunks: list[Any] = field(default_factory=list)
    raw: bytes | None = None  # sent as is instead of the JSON payload
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=UTF-8"
    trailer: bytes = b""
    chunk_delay: float = 0.0


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, fake: LocalService, port: int) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", port), Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that time out and hang up are expected here; stay quiet."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm the body would wait for
    # the client's delayed ACK, ~40 ms a request that the real service does not cost.
    disable_nagle_algorithm = True
    server: Server

    def setup(self) -> None:
        super().setup()
        self.server.fake._track(self.connection, add=True)

    def finish(self) -> None:
        self.server.fake._track(self.connection, add=False)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """No access log: tests read the fake's recorded requests instead."""

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        answer = self.server.fake._respond(method, self.path, dict(self.headers.items()), raw)
        if answer.stream:
            pieces = [f"data: {json.dumps(c, ensure_ascii=False)}\r\n\r\n".encode()
                      for c in answer.chunks] + [answer.trailer]
            if answer.chunk_delay:
                self._trickle(answer, pieces)
                return
            data = b"".join(pieces)
            ctype = "text/event-stream"
        else:
            data = answer.raw if answer.raw is not None \
                else json.dumps(answer.payload, ensure_ascii=False).encode()
            ctype = answer.content_type
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True


    def _trickle(self, answer: Answer, pieces: list[bytes]) -> None:
        """SSE pieces written one by one, `chunk_delay` apart, until the connection closes."""
        self.close_connection = True
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            for piece in pieces:
                self.wfile.write(piece)
                self.wfile.flush()
                self.server.fake._sleep(answer.chunk_delay)
        except OSError:
            pass


class LocalService:
    """A fake service's life cycle: `start()` serves on a random port (the same one again
    after `stop()`, a restart); subclasses answer in `_respond`."""

    def __init__(self) -> None:
        self.url = ""
        self._port = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    def _respond(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> Answer:
        raise NotImplementedError

    def start(self) -> Any:
        """Serve on a random port, or on the same port again after `stop()` (a restart)."""
        self._stopping.clear()
        self._server = Server(self, self._port)
        host, port = self._server.server_address[:2]
        self._port = port
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is None:
            return
        self._server.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _sleep(self, seconds: float) -> None:
        """Sleep, in short slices, ending at once on `stop()`."""
        end = time.monotonic() + seconds
        while not self._stopping.is_set():
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(SLICE, left))


class ScriptedService(LocalService):
    """A fake model service's faults and records: scripted faults served in order (`_push`),
    a sliding-window cap on calls (`rate_limit`) and the recorded requests (`count`)."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[Any] = []
        self._script: deque[Any] = deque()
        self._window: tuple[int, float, float] | None = None
        self._admitted: deque[float] = deque()

    def rate_limit(self, requests: int, window: float, retry_delay: float = 1.0) -> None:
        """Admit at most `requests` model calls per sliding `window` seconds; the rest get a
        429 asking to wait `retry_delay` seconds."""
        with self._lock:
            self._window = (requests, window, retry_delay)
            self._admitted.clear()

    def _push(self, n: int, fault: Any) -> None:
        with self._lock:
            self._script.extend(fault for _ in range(n))

    def count(self, kind: str | None = None, status: int | None = None) -> int:
        """How many recorded requests match `kind` and `status` (None matches any)."""
        with self._lock:
            return sum(1 for r in self.requests if (kind is None or r.kind == kind)
                       and (status is None or r.status == status))

    def _scripted(self) -> tuple[Any, float | None]:
        """This call's scripted fault (or None), and the 429 delay when the window is full.
        Call with `_lock` held."""
        if self._script:
            return self._script.popleft(), None
        if self._window is not None:
            limit, window, retry_delay = self._window
            now = time.monotonic()
            while self._admitted and now - self._admitted[0] >= window:
                self._admitted.popleft()
            if len(self._admitted) >= limit:
                return None, retry_delay
            self._admitted.append(now)
        return None, None
