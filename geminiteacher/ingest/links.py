"""Links as material: YouTube videos by reference, web pages and PDFs fetched safely.

A YouTube link is never fetched: it becomes a `MediaPart` that Gemini reads itself. Any other
http(s) link is downloaded here, under limits: the size cap of an upload (read in chunks,
stopped at the cap), a connect and a total time limit, an allowed content type, and at most
MAX_REDIRECTS redirects, each checked like the first link. The host's addresses are resolved
once and checked (no loopback, private, link-local, multicast, reserved or metadata address
unless GEMINITEACHER_ALLOW_PRIVATE_URLS allows it; metadata addresses never), and the
connection goes to the address that was checked, with the Host header and TLS name of the
link, so DNS cannot change its answer in between. Every problem is a ConversionError
naming the link.
"""

from __future__ import annotations

import contextlib
import html
import http.client
import ipaddress
import os
import re
import socket
import ssl
import threading
import time
import zlib
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, unquote, urljoin, urlsplit

from geminiteacher.errors import ConversionError, SettingsError
from geminiteacher.models import MediaPart

ALLOW_PRIVATE_ENV = "GEMINITEACHER_ALLOW_PRIVATE_URLS"
MAX_REDIRECTS = 5
CONNECT_TIMEOUT = 10.0  # seconds to resolve the host and open the connection
TOTAL_TIMEOUT = 60.0  # seconds for the whole download, redirects included
YOUTUBE_MIME = "video/*"  # what Gemini expects beside a YouTube file_uri
# Content types read as material, and the extension their bytes are converted under.
CONTENT_TYPES = {
    "text/html": ".html", "application/xhtml+xml": ".html", "application/pdf": ".pdf",
    "text/plain": ".txt", "text/markdown": ".md", "text/x-markdown": ".md",
}
_UNTYPED = ("", "application/octet-stream", "binary/octet-stream")  # a PDF often comes so
_REDIRECTS = (301, 302, 303, 307, 308)
_URL_SAFE = "/%:@!$&'()*+,;=-._~"
_CHUNK = 64 * 1024
_TITLE = re.compile(r"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_YOUTUBE_HOSTS = ("youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com",
                  "youtube-nocookie.com", "www.youtube-nocookie.com")
_YOUTUBE_PATHS = ("shorts", "live", "embed", "v", "e")
_METADATA = tuple(ipaddress.ip_network(net) for net in (
    "169.254.169.254/32",  # AWS, GCP, Azure, OpenStack, DigitalOcean, ...
    "169.254.170.2/32",  # AWS ECS task credentials
    "100.100.100.200/32",  # Alibaba Cloud
    "fd00:ec2::254/128",  # AWS over IPv6
))
_METADATA_HOSTS = ("metadata.google.internal", "metadata.goog", "metadata")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass
class Download:
    """A fetched link: the bytes to convert like an upload, under `name` (whose extension
    matches the content type), and the address it finally came from."""

    url: str
    name: str
    data: bytes
    content_type: str
    final_url: str


def is_link(text: object) -> bool:
    """Whether an `--input` value (or a line of the page's box) is a link, not a file."""
    return isinstance(text, str) and bool(_SCHEME.match(text.strip()))


def youtube_video(url: str) -> str | None:
    """The canonical watch URL of a YouTube video link, or None for a link elsewhere.

    Raises ConversionError for a YouTube link that names no single video (a channel, a
    playlist without a video).
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if host == "youtu.be":
        video = parts.path.strip("/").split("/")[0]
    elif host in _YOUTUBE_HOSTS:
        segments = [s for s in parts.path.split("/") if s]
        if segments == ["watch"]:
            video = (parse_qs(parts.query).get("v") or [""])[0]
        elif len(segments) >= 2 and segments[0] in _YOUTUBE_PATHS:
            video = segments[1]
        else:
            raise ConversionError(url, "this YouTube link names no single video (a channel, "
                                  "a playlist or a search); give the link of one video")
    else:
        return None
    if not _VIDEO_ID.match(video):
        raise ConversionError(url, "this YouTube link has no valid video id; copy the "
                              "video's link again (Share > Copy link)")
    return f"https://www.youtube.com/watch?v={video}"


def youtube_part(url: str) -> MediaPart | None:
    """A YouTube video link as the media part Gemini reads by reference; None elsewhere."""
    canonical = youtube_video(url)
    if canonical is None:
        return None
    return MediaPart(name=f"YouTube {canonical.rsplit('=', 1)[1]}", kind="youtube",
                     mime_type=YOUTUBE_MIME, uri=canonical)


def open_link(url: str, *, max_bytes: int) -> MediaPart | Download:
    """A YouTube video as its media part, or any other link downloaded (`fetch`)."""
    part = youtube_part(url)
    return part if part is not None else fetch(url, max_bytes=max_bytes)


def private_allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether GEMINITEACHER_ALLOW_PRIVATE_URLS lets links reach this non-public address:
    `1` allows every one; a comma-separated list of addresses and networks
    (`10.0.0.0/8, 192.168.1.20`) allows just those."""
    raw = os.environ.get(ALLOW_PRIVATE_ENV, "").strip()
    if raw.lower() in ("", "0", "false", "no", "off"):
        return False
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    networks = []
    for entry in filter(None, (item.strip() for item in raw.split(","))):
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise SettingsError(f"{ALLOW_PRIVATE_ENV} must be 1 or a comma-separated list of "
                                f"addresses and networks (10.0.0.0/8), not {entry!r}") from None
    return any(net.version == address.version and address in net for net in networks)


def fetch(url: str, *, max_bytes: int, connect_timeout: float = CONNECT_TIMEOUT,
          timeout: float = TOTAL_TIMEOUT) -> Download:
    """Download a web page, text or PDF link within the limits (see the module's docstring)."""
    url = url.strip()
    deadline = time.monotonic() + timeout
    target = url
    for _ in range(MAX_REDIRECTS + 1):
        response, sock = _request(url, target, connect_timeout, deadline, timeout)
        try:
            if response.status in _REDIRECTS:
                location = response.getheader("Location")
                if not location:
                    raise ConversionError(url, f"the server redirected ({response.status}) "
                                          "without saying where; check the link")
                target = urljoin(target, location.strip())
                continue
            _check_status(url, response)
            content_type = _content_type(url, response)
            data = _body(url, response, sock, max_bytes, deadline, timeout)
        finally:
            response.close()
            sock.close()
        return _typed(url, target, content_type, data, response.getheader("Content-Type") or "")
    raise ConversionError(url, f"it redirects more than {MAX_REDIRECTS} times; open it in a "
                          "browser and give the address it ends at")


def _request(url: str, target: str, connect_timeout: float, deadline: float,
             timeout: float) -> tuple[http.client.HTTPResponse, socket.socket]:
    """Send a GET for `target` to an address of its host that passed the checks; returns
    the response and its socket (whose timeout bounds each read)."""
    if _left(deadline) <= 0:  # the redirects so far took all the time
        raise _too_slow(url, timeout)
    parts = urlsplit(target)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        where = "" if target == url else f" (it redirects to {target})"
        raise ConversionError(url, f"only http and https links can be read{where}; download "
                              "the document and upload it as a file")
    if parts.username or parts.password:
        raise ConversionError(url, "links with a user name or password are not fetched; "
                              "download the document and upload it as a file")
    try:
        host = (parts.hostname or "").encode("idna").decode("ascii")
        port = parts.port or (443 if scheme == "https" else 80)
    except (UnicodeError, ValueError):
        raise ConversionError(url, "the link's host or port is not valid; check the link")\
            from None
    if not host:
        raise ConversionError(url, "the link names no host; check the link")
    addresses = _checked_addresses(url, target, host, port,
                                   min(connect_timeout, _left(deadline)))
    path = quote(parts.path or "/", safe=_URL_SAFE)
    if parts.query:
        path += "?" + quote(parts.query, safe=_URL_SAFE + "?")
    last_error: OSError | None = None
    for address in addresses:
        conn = _Pinned(scheme, host, port, address, min(connect_timeout, _left(deadline)))
        try:
            conn.connect()
        except ssl.SSLError as error:
            conn.close()
            raise ConversionError(url, f"its secure connection failed ({error.reason or error});"
                                  " check the link, or download the document and upload it")\
                from None
        except OSError as error:
            conn.close()
            last_error = error
            continue
        sock = conn.sock
        try:
            sock.settimeout(max(_left(deadline), 0.01))
            conn.request("GET", path, headers={
                "User-Agent": "geminiteacher (course material fetcher)",
                "Accept": "text/html, application/xhtml+xml, application/pdf, text/markdown, "
                          "text/plain;q=0.9, */*;q=0.1",
                "Accept-Encoding": "gzip, deflate, identity",
            })
            return conn.getresponse(), sock
        except TimeoutError:
            conn.close()
            raise _too_slow(url, timeout) from None
        except (OSError, http.client.HTTPException) as error:
            conn.close()
            raise ConversionError(url, f"the server broke off the connection "
                                  f"({type(error).__name__}); try again later") from None
    reason = "timed out" if isinstance(last_error, TimeoutError) else (
        getattr(last_error, "strerror", None) or str(last_error))
    raise ConversionError(url, f"cannot connect to {host} ({reason}); check the link and "
                          "your network, or try again later")


class _Pinned(http.client.HTTPSConnection):
    """An HTTP(S) connection to one resolved address; Host header and TLS name stay the
    link's host, so the certificate is checked for the name the user gave."""

    def __init__(self, scheme: str, host: str, port: int, address: str,
                 timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.secure = scheme == "https"
        self.address = address
        if not self.secure:
            self.default_port = 80

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)
        if self.secure:
            self.sock = self._context.wrap_socket(self.sock, server_hostname=self.host)


def _checked_addresses(url: str, target: str, host: str, port: int,
                       timeout: float) -> list[str]:
    """The host's addresses, each one allowed, in the resolver's order."""
    if host.lower().rstrip(".") in _METADATA_HOSTS:
        raise _refused(url, target, host, "a cloud metadata service")
    found: list = []
    failure: list[BaseException] = []

    def resolve() -> None:
        try:
            found.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError) as error:
            failure.append(error)

    worker = threading.Thread(target=resolve, daemon=True, name="geminiteacher-resolve")
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise ConversionError(url, f"looking up {host} took over {timeout:g} s; check your "
                              "network and try again")
    if failure or not found:
        raise ConversionError(url, f"the host {host} was not found; check the link")
    addresses: list[str] = []
    for *_, sockaddr in found:
        address = ipaddress.ip_address(sockaddr[0].split("%")[0])
        problem = _address_problem(address)
        if problem and (problem.startswith("a cloud") or not private_allowed(address)):
            raise _refused(url, target, host, f"{problem} ({address})")
        if str(address) not in addresses:
            addresses.append(str(address))
    return addresses


def _address_problem(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address may not be fetched from (None for a public one)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo or (None,))[-1]
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return _address_problem(embedded)
    if any(address in net for net in _METADATA if net.version == address.version):
        return "a cloud metadata address"
    for test, words in (("is_loopback", "a loopback address"),
                        ("is_unspecified", "an unspecified address"),
                        ("is_link_local", "a link-local address"),
                        ("is_multicast", "a multicast address"),
                        ("is_reserved", "a reserved address"),
                        ("is_private", "a private address")):
        if getattr(address, test):
            return words
    return None if address.is_global else "a non-public address"


def _refused(url: str, target: str, host: str, what: str) -> ConversionError:
    via = "" if target == url else f" (it redirects to {target})"
    return ConversionError(url, f"refused: {host} is {what}{via}; only public addresses are "
                           f"fetched (set {ALLOW_PRIVATE_ENV}=1 to allow private ones, e.g. on "
                           "an intranet)")


def _check_status(url: str, response: http.client.HTTPResponse) -> None:
    status = response.status
    if 200 <= status < 300:
        return
    what = f"the server answered {status} {response.reason}".rstrip()
    if status in (401, 403, 407):
        hint = "the page needs a login; download it and upload the file instead"
    elif status in (404, 410):
        hint = "check the link"
    elif status == 429 or status >= 500:
        hint = "try again later"
    else:
        hint = "check the link, or download the document and upload it"
    raise ConversionError(url, f"{what}; {hint}")


def _content_type(url: str, response: http.client.HTTPResponse) -> str:
    """The response's media type when it is one we read ('' for none or octet-stream,
    allowed only if the bytes turn out to be a PDF)."""
    raw = response.getheader("Content-Type") or ""
    kind = raw.split(";")[0].strip().lower()
    if kind in CONTENT_TYPES or kind in _UNTYPED:
        return kind if kind in CONTENT_TYPES else ""
    raise ConversionError(url, f"its content is {kind}, which is not read from links (web "
                          "pages, PDFs, text and Markdown are); download it and upload it as a "
                          "file if it is a supported document")


def _body(url: str, response: http.client.HTTPResponse, sock: socket.socket, max_bytes: int,
          deadline: float, timeout: float) -> bytes:
    """The body, decoded from gzip/deflate, stopped as soon as it passes `max_bytes`."""
    declared = response.getheader("Content-Length")
    if declared and declared.strip().isdigit() and int(declared) > max_bytes:
        raise _too_large(url, max_bytes)
    encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
    if encoding not in ("identity", "gzip", "x-gzip", "deflate"):
        raise ConversionError(url, f"the server sent it {encoding}-compressed, which is not "
                              "read; download it and upload it as a file")
    inflate = None if encoding == "identity" else zlib.decompressobj(
        zlib.MAX_WBITS | 32 if "gzip" in encoding else zlib.MAX_WBITS)
    chunks: list[bytes] = []
    size = 0
    while True:
        left = _left(deadline)
        if left <= 0:
            raise _too_slow(url, timeout)
        try:
            sock.settimeout(left)
            chunk = response.read1(_CHUNK)
        except TimeoutError:
            raise _too_slow(url, timeout) from None
        except (OSError, http.client.HTTPException) as error:
            raise ConversionError(url, f"the download broke off ({type(error).__name__}); "
                                  "try again later") from None
        if not chunk:
            break
        if inflate is not None:
            try:
                chunk = inflate.decompress(chunk, max_bytes + 1 - size)
            except zlib.error:
                raise ConversionError(url, "the server sent damaged compressed data; try "
                                      "again later") from None
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(url, max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def _typed(url: str, final_url: str, content_type: str, data: bytes, header: str) -> Download:
    """The download with a file name that tells the converter its type; declared text is
    re-encoded as UTF-8 from the charset the server named."""
    if not content_type:
        if not data.lstrip()[:1024].startswith(b"%PDF-"):
            raise ConversionError(url, "the server did not say what this is and it is not a "
                                  "PDF; give the link of a web page, a PDF or a text file")
        content_type = "application/pdf"
    charset = re.search(r"charset\s*=\s*\"?([\w.:-]+)", header, re.IGNORECASE)
    if content_type.startswith("text/") and charset and not data.startswith(
            (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        with contextlib.suppress(LookupError):  # unknown: the converter detects it itself
            data = data.decode(charset.group(1), errors="replace").encode("utf-8")
    extension = CONTENT_TYPES[content_type]
    title = _page_title(data) if extension == ".html" else ""
    return Download(url, _file_name(final_url, extension, title), data, content_type,
                    final_url)


def _page_title(data: bytes) -> str:
    """A web page's <title> (from its first 64 KB), or ''."""
    found = _TITLE.search(data[:65536].decode("utf-8", errors="replace"))
    return " ".join(html.unescape(found.group(1)).split()) if found else ""


def _file_name(url: str, extension: str, title: str = "") -> str:
    """`Tides (example.org).html`: the page's title, else the link's last path segment, and
    its host, with the extension of what it holds (a plain file name: no slashes)."""
    parts = urlsplit(url)
    leaf = title or unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    leaf = re.sub(r"[\x00-\x1f/\\:*?\"<>|]+", "_", leaf).strip(" ._") or "index"
    stem, dot, suffix = leaf.rpartition(".")
    if not title and dot and stem and suffix.isalpha() and len(suffix) <= 5:
        leaf = stem
    return f"{leaf[:80].strip()} ({parts.hostname}){extension}"


def _left(deadline: float) -> float:
    return deadline - time.monotonic()


def _too_slow(url: str, timeout: float) -> ConversionError:
    return ConversionError(url, f"the server did not send it within {timeout:g} s; try again "
                           "later, or download it and upload the file")


def _too_large(url: str, limit: int) -> ConversionError:
    return ConversionError(url, f"it is larger than the {limit / 1024 / 1024:,.0f} MB limit for "
                           "a file; download a smaller part, or raise the limit with "
                           "GEMINITEACHER_MAX_FILE_MB")
