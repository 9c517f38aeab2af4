"""Links as material: YouTube by reference; pages, text and PDFs fetched from a local web server
within size, time, type, redirect and address limits; refusals are one line naming the link."""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from geminiteacher.errors import ConversionError, SettingsError
from geminiteacher.ingest import links
from geminiteacher.ingest.convert import load_sources, read_link
from geminiteacher.ingest.links import ALLOW_PRIVATE_ENV, fetch, youtube_part, youtube_video
from tests.fakes.web_server import FakeWeb, tls_files

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024


def refusal(url: str) -> str:
    """The one-line problem load_sources reports for `url` (it must report exactly one)."""
    source, errors = load_sources([url])
    assert not source.parts and not source.media
    assert len(errors) == 1 and errors[0].filename == url
    message = str(errors[0])
    assert "\n" not in message
    return message


# YouTube: never fetched, a media part with the canonical address

@pytest.mark.parametrize("url", [
    "https://www.youtube.com/watch?v=9hE5-98ZeCg",
    "https://youtube.com/watch?v=9hE5-98ZeCg&t=42s&list=PL123",
    "http://m.youtube.com/watch?feature=share&v=9hE5-98ZeCg",
    "https://youtu.be/9hE5-98ZeCg?si=abc",
    "https://www.youtube.com/shorts/9hE5-98ZeCg",
    "https://www.youtube.com/live/9hE5-98ZeCg?feature=shared",
    "https://www.youtube.com/embed/9hE5-98ZeCg",
    "https://www.youtube-nocookie.com/embed/9hE5-98ZeCg",
    "  HTTPS://WWW.YOUTUBE.COM/watch?v=9hE5-98ZeCg  ",
])
def test_youtube_video_links_in_every_form_become_the_canonical_watch_address(url):
    assert youtube_video(url) == "https://www.youtube.com/watch?v=9hE5-98ZeCg"


def test_a_youtube_link_is_a_media_part_gemini_reads_by_reference():
    source, errors = load_sources(["https://youtu.be/9hE5-98ZeCg"])
    assert not errors and not source.parts
    [part] = source.media
    assert (part.kind, part.uri, part.mime_type, part.path) == (
        "youtube", "https://www.youtube.com/watch?v=9hE5-98ZeCg", "video/*", None)


@pytest.mark.parametrize("url", [
    "https://www.youtube.com/playlist?list=PL123",
    "https://www.youtube.com/@someone",
    "https://www.youtube.com/results?search_query=tides",
])
def test_a_youtube_link_to_no_single_video_is_refused_in_words(url):
    assert "names no single video" in refusal(url)


def test_a_youtube_link_with_a_broken_id_is_refused():
    assert "no valid video id" in refusal("https://youtu.be/short")


def test_links_elsewhere_are_not_youtube():
    assert youtube_video("https://example.org/watch?v=9hE5-98ZeCg") is None
    assert youtube_part("https://notyoutube.com/shorts/9hE5-98ZeCg") is None


# Pages, text and PDFs, fetched and converted like uploads

def test_a_web_page_link_is_converted_like_an_uploaded_page(fake_web):
    source, errors = load_sources([fake_web.url("tides.html")])
    assert not errors
    [part] = source.parts
    assert part.name == "Tides (127.0.0.1).html" and part.kind == "html"
    assert part.markdown.startswith("# Tides\n")
    assert "## Spring and neap tides" in part.markdown and "Home" not in part.markdown
    assert fake_web.requests == ["/tides.html"]  # the page's remote <img> was not fetched


def text_of(url: str):
    """The one text part a link loads as (and no media)."""
    [part], media = read_link(url)
    assert media == []
    return part


def test_a_pdf_link_is_kept_whole_for_native_reading_like_an_uploaded_pdf(fake_web):
    [part], [pdf] = read_link(fake_web.url("glaciers.pdf"))
    assert part.kind == "pdf" and part.pages == 2 and "rivers of ice" in part.markdown
    assert (pdf.kind, pdf.name, pdf.pages) == ("pdf", "glaciers (127.0.0.1).pdf", 2)
    assert pdf.data == fake_web.pdf and pdf.mime_type == "application/pdf"


def test_a_pdf_sent_as_untyped_bytes_is_recognised_by_its_content(fake_web):
    [part], [pdf] = read_link(fake_web.url("download"))
    assert part.name == pdf.name == "download (127.0.0.1).pdf"


def test_text_is_decoded_from_the_charset_the_server_names(fake_web):
    assert "Caff\u00e9ine dissolves" in text_of(fake_web.url("notes.txt")).markdown


def test_a_compressed_page_is_decompressed(fake_web):
    assert "## Tide tables" in text_of(fake_web.url("zipped")).markdown


def test_links_and_files_mix_in_order_and_a_failing_link_leaves_the_rest(fake_web, tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n\nWaves carry energy.\n", encoding="utf-8")
    source, errors = load_sources([str(notes), fake_web.url("photo.png"),
                                   fake_web.url("tides.html"), "https://youtu.be/9hE5-98ZeCg"])
    assert [p.name for p in source.parts] == ["notes.md", "Tides (127.0.0.1).html"]
    assert [m.kind for m in source.media] == ["youtube"]
    assert [e.filename for e in errors] == [fake_web.url("photo.png")]


@pytest.mark.parametrize(("path", "words"), [
    ("photo.png", "its content is image/png, which is not read from links"),
    ("archive", "its content is application/zip"),
    ("untyped", "did not say what this is and it is not a PDF"),
    ("secret", "answered 403 Forbidden; the page needs a login"),
    ("broken", "answered 500 Internal Server Error; try again later"),
    ("missing", "answered 404 Not Found; check the link"),
])
def test_what_is_not_a_readable_document_is_refused_in_one_line(fake_web, path, words):
    assert words in refusal(fake_web.url(path))


def test_a_page_that_is_not_a_document_after_all_names_the_link(fake_web):
    message = refusal(fake_web.url("to-file"))
    assert message.startswith(fake_web.url("to-file") + ": only http and https links")


@pytest.mark.parametrize("url", ["ftp://example.org/notes.pdf", "file:///etc/passwd",
                                 "javascript://alert(1)"])
def test_only_http_and_https_links_are_read(url):
    assert "only http and https links can be read" in refusal(url)


def test_a_link_with_a_password_is_not_fetched(fake_web):
    url = fake_web.url("tides.html").replace("//", "//user:pw@")
    assert "user name or password" in refusal(url)
    assert fake_web.requests == []


# Limits: size, time, redirects

def test_a_huge_body_is_stopped_at_the_size_limit(fake_web, monkeypatch):
    monkeypatch.setenv("GEMINITEACHER_MAX_FILE_MB", "1")
    assert "larger than the 1 MB limit" in refusal(fake_web.url("huge"))


def test_a_declared_huge_body_is_refused_before_it_is_read(fake_web):
    with pytest.raises(ConversionError, match="larger than the 1 MB limit"):
        fetch(fake_web.url("declared-huge"), max_bytes=MB)


@pytest.mark.parametrize("path", ["hang", "no-answer", "drip"])
def test_a_server_that_hangs_or_drips_is_given_up_on_at_the_time_limit(fake_web, path):
    started = time.monotonic()
    with pytest.raises(ConversionError, match="did not send it within 1 s"):
        fetch(fake_web.url(path), max_bytes=MB, timeout=1.0)
    assert time.monotonic() - started < 3


def test_each_redirect_is_followed(fake_web):
    part = text_of(fake_web.url("hop1"))
    assert part.name == "Tides (127.0.0.1).html"
    assert fake_web.requests == ["/hop1", "/hop2", "/hop3", "/tides.html"]


def test_endless_redirects_stop_after_the_limit(fake_web):
    assert "redirects more than 5 times" in refusal(fake_web.url("loop"))
    assert len(fake_web.requests) == links.MAX_REDIRECTS + 1


def test_a_redirect_to_a_metadata_address_is_refused_even_when_private_ones_are_allowed(fake_web):
    message = refusal(fake_web.url("to-metadata"))
    assert "169.254.169.254 is a cloud metadata address" in message
    assert "redirects to http://169.254.169.254/latest/" in message


def test_a_redirect_to_a_private_address_is_checked_again(fake_web, monkeypatch):
    monkeypatch.setenv(ALLOW_PRIVATE_ENV, "127.0.0.1")  # the test server, nothing else
    message = refusal(fake_web.url("to-private"))
    assert "10.1.2.3 is a private address (10.1.2.3) (it redirects to" in message
    assert ALLOW_PRIVATE_ENV in message
    assert fake_web.requests == ["/to-private"]


# The connection goes to the checked address, under the link's own name

def test_the_request_carries_the_links_host_name_to_the_checked_address(fake_web):
    text_of(fake_web.url("tides.html").replace("127.0.0.1", "localhost"))
    assert fake_web.hosts == [f"localhost:{fake_web.server.server_address[1]}"]


@pytest.fixture
def secure_web(tmp_path, monkeypatch):
    """FakeWeb over HTTPS with a certificate for `localhost` from a CA the client trusts."""
    ca, cert, key = tls_files(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    monkeypatch.setenv(ALLOW_PRIVATE_ENV, "1")
    with FakeWeb(tls=(cert, key)) as web:
        yield web


def test_https_checks_the_certificate_for_the_links_name_while_connecting_to_its_address(
        secure_web):
    part = text_of(secure_web.url("tides.html").replace("127.0.0.1", "localhost"))
    assert part.markdown.startswith("# Tides")
    assert "its secure connection failed" in refusal(secure_web.url("tides.html"))
    assert secure_web.requests == ["/tides.html"]  # the mismatched name sent nothing


# Private addresses: refused before any connection

@pytest.mark.parametrize("host", [
    "127.0.0.1", "localhost", "2130706433", "0177.0.0.1", "0x7f.1", "127.1", "[::1]",
    "[::ffff:127.0.0.1]", "0.0.0.0",
])
def test_a_loopback_link_is_refused_without_the_variable_and_never_connected(
        fake_web, monkeypatch, host):
    monkeypatch.delenv(ALLOW_PRIVATE_ENV)
    url = fake_web.url("tides.html").replace("127.0.0.1", host)
    message = refusal(url)
    assert "only public addresses are fetched" in message and ALLOW_PRIVATE_ENV in message
    assert fake_web.requests == []


@pytest.mark.parametrize(("url", "what"), [
    ("http://169.254.169.254/latest/meta-data/", "a cloud metadata address"),
    ("http://metadata.google.internal/computeMetadata/v1/", "a cloud metadata service"),
    ("http://10.0.0.8/", "a private address"),
    ("http://192.168.1.1/admin", "a private address"),
    ("http://[fe80::1]/", "a link-local address"),
    ("http://224.0.0.1/", "a multicast address"),
])
def test_private_and_metadata_links_are_refused_without_the_variable(monkeypatch, url, what):
    monkeypatch.delenv(ALLOW_PRIVATE_ENV, raising=False)
    assert what in refusal(url)


def test_metadata_addresses_stay_refused_when_private_ones_are_allowed(monkeypatch):
    monkeypatch.setenv(ALLOW_PRIVATE_ENV, "1")
    assert "a cloud metadata address" in refusal("http://169.254.169.254/latest/")


@pytest.mark.parametrize(("address", "problem"), [
    ("8.8.8.8", None),
    ("2001:4860:4860::8888", None),
    ("100.64.0.1", "a non-public address"),  # carrier-grade NAT
    ("100.100.100.200", "a cloud metadata address"),
    ("fd00:ec2::254", "a cloud metadata address"),
    ("fc00::1", "a private address"),
    ("::ffff:10.0.0.1", "a private address"),
    ("64:ff9b::a00:1", "a private address"),
    ("2002:7f00:1::", "a loopback address"),
    ("240.0.0.1", "a reserved address"),
    ("::", "an unspecified address"),
])
def test_addresses_are_judged_by_what_they_reach(address, problem):
    assert links._address_problem(ipaddress.ip_address(address)) == problem


def test_a_malformed_allow_list_is_a_settings_error(monkeypatch):
    monkeypatch.setenv(ALLOW_PRIVATE_ENV, "10.0.0.0/8, intranet")
    with pytest.raises(SettingsError, match="not 'intranet'"):
        load_sources(["http://10.1.1.1/"])


# The command line

def test_a_course_from_a_web_page_link_on_the_command_line_offline(fake_web, tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL")}
    result = subprocess.run(
        [sys.executable, "-m", "geminiteacher", "--input", fake_web.url("tides.html"),
         "--input", fake_web.url("photo.png"), "--input", "https://youtu.be/9hE5-98ZeCg",
         "--output-dir", str(tmp_path), "--max-chapters", "2"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert f"skipped {fake_web.url('photo.png')}: its content is image/png" in result.stderr
    [youtube] = [line for line in result.stderr.splitlines() if "YouTube 9hE5-98ZeCg" in line]
    assert "only Gemini reads it" in youtube  # offline: refused in one line, the rest goes on
    [folder] = tmp_path.iterdir()
    data = json.loads((folder / "course.json").read_text())
    assert all(c["status"] == "done" for c in data["chapters"])
    assert "tide" in (folder / "index.md").read_text().lower()
