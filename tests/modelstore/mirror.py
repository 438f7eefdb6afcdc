"""A model mirror on loopback for the tests: serves given bytes at given paths, answers HTTP Range requests
(206 with Content-Range), and can drop the connection part-way through a file the first times it is asked."""

from __future__ import annotations

import io
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # the connections the tests break on purpose
        pass


class Mirror:
    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.drops: dict[str, int] = {}  # path -> how many more responses to cut off half-way
        self.requests: list[tuple[str, str | None]] = []  # (path, Range header)
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                path = self.path.split("?", 1)[0]
                mirror.requests.append((path, self.headers.get("Range")))
                body = mirror.files.get(path)
                if body is None:
                    self.send_error(404)
                    return
                start = 0
                rng = self.headers.get("Range")
                if rng and rng.startswith("bytes="):
                    start = int(rng[6:].split("-")[0])
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(body)}")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                rest = body[start:]
                self.send_header("Content-Length", str(len(rest)))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                if mirror.drops.get(path, 0) > 0:
                    mirror.drops[path] -= 1
                    self.wfile.write(rest[: len(rest) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)  # the connection breaks mid-file
                    return
                self.wfile.write(rest)

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def put(self, official_url: str, body: bytes) -> str:
        """Serve ``body`` where the mirror layout puts ``official_url`` (<host>/<path>); returns that path."""
        path = "/" + official_url.split("://", 1)[1].split("?", 1)[0]
        self.files[path] = body
        return path

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def tarball(files: dict[str, bytes]) -> bytes:
    """A .tar.gz with ``files`` at its root, like Deezer's release archives."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()
