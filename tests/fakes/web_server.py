"""A small web server on 127.0.0.1 for the link tests: pages, a PDF, huge, slow and hanging
bodies, redirect chains (also to private and metadata addresses) and wrong content types.
It records every request it sees, so a test can prove a refused link was never fetched."""

from __future__ import annotations

import datetime
import gzip
import io
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

PAGE = """<!DOCTYPE html><html><head><title>Tides</title></head><body>
<nav><a href="/">Home</a></nav>
<h1>Tides</h1>
<p>Tides are the rise and fall of the sea caused by the gravity of the Moon and the Sun.
The Moon pulls the water nearest to it, so a bulge forms on the side facing the Moon.</p>
<h2>Spring and neap tides</h2>
<p>When the Sun and the Moon line up, their pulls add and the tides are highest: spring
tides. At right angles they partly cancel, and the small tides are called neap tides.</p>
<h2>Tide tables</h2>
<p>Harbours publish tide tables so that ships enter when the water is deep enough.
Sailors read the height of high water and the time of low water before they leave.</p>
<img src="http://127.0.0.1:1/remote.png" alt="A remote chart">
</body></html>"""
PDF_TEXT = ("Glaciers are rivers of ice that flow slowly downhill under their own weight. "
            "They carve valleys, carry rocks and leave moraines where they melt.")


def pdf_bytes() -> bytes:
    """A two-page PDF with a text layer."""
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    for page in (1, 2):
        text = pdf.beginText(72, 760)
        text.setFont("Helvetica", 11)
        for line in (f"Glaciers, part {page}", PDF_TEXT[:80], PDF_TEXT[80:]):
            text.textLine(line)
        pdf.drawText(text)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def tls_files(folder: Path) -> tuple[Path, Path, Path]:
    """A test certificate authority and a server certificate for `localhost` (only that
    name) signed by it: (CA file, certificate file, key file)."""
    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("Test CA")).issuer_name(name("Test CA"))
          .public_key(ca_key.public_key()).serial_number(1)
          .not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(name("localhost")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    files = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    files[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    files[2].write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return files


class FakeWeb:
    """Start with `with FakeWeb() as web:`; `web.url(path)`; `web.requests` lists the paths
    asked for, in order, and `web.hosts` the Host header of each. With `tls` (a certificate
    and key file) it speaks HTTPS."""

    def __init__(self, tls: tuple[Path, Path] | None = None) -> None:
        self.requests: list[str] = []
        self.hosts: list[str] = []
        self.scheme = "https" if tls else "http"
        self.in_flight = 0
        self.peak = 0  # most requests being answered at once
        self._count = threading.Lock()
        self.stopping = threading.Event()
        self.pdf = pdf_bytes()
        web = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                web.requests.append(self.path)
                web.hosts.append(self.headers.get("Host", ""))
                route = getattr(web, "route_" + self.path.strip("/").split("?")[0]
                                .replace("-", "_").replace("/", "_").replace(".", "_"), None)
                with web._count:
                    web.in_flight += 1
                    web.peak = max(web.peak, web.in_flight)
                try:
                    if route is None:
                        self.answer(404, "text/plain", b"not here")
                    else:
                        route(self)
                finally:
                    with web._count:
                        web.in_flight -= 1

            def answer(self, status: int, kind: str | None, body: bytes,
                       headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                if kind:
                    self.send_header("Content-Type", kind)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)

    def url(self, path: str) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server.server_address[1]}/{path.lstrip('/')}"

    def __enter__(self) -> FakeWeb:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    # Routes: /name -> route_name(handler)

    def route_tides_html(self, h) -> None:
        h.answer(200, "text/html; charset=utf-8", PAGE.encode())

    def route_slow(self, h) -> None:  # a page that takes a moment (?n= makes it another link)
        self.stopping.wait(0.5)
        h.answer(200, "text/html", PAGE.encode())

    def route_glaciers_pdf(self, h) -> None:
        h.answer(200, "application/pdf", self.pdf)

    def route_download(self, h) -> None:  # a PDF sent as untyped bytes
        h.answer(200, "application/octet-stream", self.pdf)

    def route_notes_txt(self, h) -> None:  # Latin-1 text, declared so
        h.answer(200, "text/plain; charset=iso-8859-1",
                 "# Caf\u00e9 chemistry\n\nCaff\u00e9ine dissolves in hot water.\n"
                 .encode("latin-1"))

    def route_zipped(self, h) -> None:
        h.answer(200, "text/html", gzip.compress(PAGE.encode()), {"Content-Encoding": "gzip"})

    def route_photo_png(self, h) -> None:
        h.answer(200, "image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)

    def route_archive(self, h) -> None:
        h.answer(200, "application/zip", b"PK\x03\x04" + b"\x00" * 100)

    def route_untyped(self, h) -> None:  # no type and not a PDF
        h.answer(200, None, b"just some bytes")

    def route_huge(self, h) -> None:  # no length given: 40 MB streamed in chunks
        h.send_response(200)
        h.send_header("Content-Type", "text/plain")
        h.send_header("Connection", "close")
        h.end_headers()
        block = b"x" * 65536
        try:
            for _ in range(640):
                h.wfile.write(block)
        except OSError:
            pass  # the client stopped reading at its limit

    def route_declared_huge(self, h) -> None:  # says it is huge, sends nothing
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(10**10))
        h.end_headers()

    def route_hang(self, h) -> None:  # headers, then silence
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", "100000")
        h.end_headers()
        h.wfile.flush()
        self.stopping.wait(60)

    def route_no_answer(self, h) -> None:  # not even a status line
        self.stopping.wait(60)

    def route_drip(self, h) -> None:  # one byte every 0.2 s: each read is quick, the whole slow
        h.send_response(200)
        h.send_header("Content-Type", "text/plain")
        h.send_header("Content-Length", "100000")
        h.end_headers()
        try:
            while not self.stopping.is_set():
                h.wfile.write(b"a")
                h.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass

    def route_hop1(self, h) -> None:
        h.answer(302, "text/plain", b"", {"Location": "/hop2"})

    def route_hop2(self, h) -> None:
        h.answer(301, "text/plain", b"", {"Location": self.url("hop3")})

    def route_hop3(self, h) -> None:
        h.answer(307, "text/plain", b"", {"Location": "tides.html"})

    def route_loop(self, h) -> None:
        h.answer(302, "text/plain", b"", {"Location": "/loop"})

    def route_to_metadata(self, h) -> None:
        h.answer(302, "text/plain", b"", {"Location": "http://169.254.169.254/latest/"})

    def route_to_private(self, h) -> None:
        h.answer(302, "text/plain", b"", {"Location": "http://10.1.2.3/secret"})

    def route_to_file(self, h) -> None:
        h.answer(302, "text/plain", b"", {"Location": "file:///etc/passwd"})

    def route_secret(self, h) -> None:
        h.answer(403, "text/html", b"<p>Members only</p>")

    def route_broken(self, h) -> None:
        h.answer(500, "text/html", b"<p>Oops</p>")
