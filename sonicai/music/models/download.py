"""Resumable, verified downloads of single files (the standard library's HTTP client, no hub library).

``fetch`` writes ``<dest>.part`` and continues it with an HTTP ``Range`` request after a dropped connection,
within one call (a few retries with back-off) and across calls (the ``.part`` file stays until the download is
complete). Only a file whose SHA-256 (or, for Hugging Face's small files, git blob SHA-1) matches what was
expected is renamed to ``dest``; a mismatch deletes the partial file and raises :class:`IntegrityError`.

Hand-written rather than ``huggingface_hub``'s downloader because the sources are not all on the Hub (GitHub
releases, Meta's CDN), the hashes are our own pins, and the mirror rewrite must apply to every URL alike.
"""

from __future__ import annotations

import hashlib
import http.client
import re
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

CHUNK = 1 << 20
USER_AGENT = "SonicAI-model-manager/1"
RETRIES = 5  # resumed attempts after a dropped connection, within one call
BACKOFF = 1.0  # seconds before the first retry, doubling up to 30 s
#: Bytes done and the total (None while unknown) of the file being fetched.
ByteProgress = Callable[[int, int | None], None]


class DownloadError(RuntimeError):
    """The file could not be fetched; the message is one line an operator can act on."""


class IntegrityError(DownloadError):
    """The bytes fetched are not the expected file (wrong hash or size); nothing of them is kept."""


def mirrored(url: str, mirror: str | None) -> str:
    """``url`` served from ``mirror``: ``<mirror>/<host>/<path>[?query]`` (the layout of ``wget -x``)."""
    if not mirror:
        return url
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query else ""
    return f"{mirror.rstrip('/')}/{parts.netloc}{parts.path}{query}"


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def git_blob_sha1(path: Path) -> str:
    """The id git (and the Hugging Face Hub) gives a file's content: sha1 of ``blob <size>\\0<bytes>``."""
    h = hashlib.sha1(f"blob {path.stat().st_size}\0".encode())
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def open_url(url: str, headers: dict[str, str] | None = None, timeout: float = 60.0):
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **(headers or {})})
    return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 -- http(s) URLs from the catalogue


def http_error(url: str, exc: urllib.error.HTTPError) -> DownloadError:
    hint = ""
    if exc.code in (401, 403) and "huggingface.co" in url:
        hint = ("; this repository is gated: accept its licence on huggingface.co and set HF_TOKEN to a token "
                "of that account")
    elif exc.code == 404:
        hint = "; the file is not there (check SONICAI_MODELS_MIRROR, if set)"
    return DownloadError(f"{url} answered HTTP {exc.code} {exc.reason}{hint}")


_RETRYABLE = (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError, socket.timeout)


def fetch(url: str, dest: Path, *, sha256: str | None = None, git_sha1: str | None = None, size: int | None = None,
          headers: dict[str, str] | None = None, progress: ByteProgress | None = None, retries: int | None = None,
          timeout: float = 60.0, backoff: float | None = None) -> str:
    """Download ``url`` to ``dest`` (resuming ``dest.part``), check it, and return its SHA-256.

    ``sha256`` / ``git_sha1`` / ``size`` are what the file must be; a mismatch raises IntegrityError and deletes
    the partial file. A connection that drops is resumed with ``Range`` up to ``retries`` times; after that
    DownloadError says so and the partial file is kept for the next call.
    """
    retries = RETRIES if retries is None else retries
    backoff = BACKOFF if backoff is None else backoff
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    name = dest.name
    failures = 0
    while True:
        offset = part.stat().st_size if part.exists() else 0
        if size is not None and offset > size:
            part.unlink()  # more bytes than the file has: not this file; start again
            offset = 0
        if size is not None and offset == size:
            break
        try:
            if _transfer(url, part, offset, headers, progress, timeout, size):
                break
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and offset > 0:  # asked past the end: the partial file is complete or wrong
                break
            raise http_error(url, exc) from None
        except _RETRYABLE as exc:
            failures += 1
            if failures > retries:
                reason = getattr(exc, "reason", None) or exc
                fetched = part.stat().st_size if part.exists() else 0
                then = ("the part already fetched is kept: run the install again to resume" if fetched
                        else "nothing was fetched: check this server's connection, then run the install again")
                raise DownloadError(f"could not download {name} from {url} ({reason}); {then}") from None
            time.sleep(min(backoff * 2 ** (failures - 1), 30.0))
    return _verify(part, dest, name, sha256, git_sha1, size)


def _transfer(url: str, part: Path, offset: int, headers: dict[str, str] | None, progress: ByteProgress | None,
              timeout: float, size: int | None) -> bool:
    """One HTTP request continuing ``part`` from ``offset``; True when the server sent the whole rest."""
    request_headers = dict(headers or {})
    if offset:
        request_headers["Range"] = f"bytes={offset}-"
    with open_url(url, request_headers, timeout) as response:
        status = response.status
        if offset and status == 206:
            match = re.match(r"bytes (\d+)-", response.headers.get("Content-Range", ""))
            if not match or int(match.group(1)) != offset:
                raise http.client.HTTPException("the server resumed at another offset")
            mode = "ab"
        else:  # 200: the whole file (a server that ignores Range included)
            offset, mode = 0, "wb"
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length is not None else size
        done = offset
        with open(part, mode) as out:
            while True:
                block = response.read(CHUNK)
                if not block:
                    break
                out.write(block)
                done += len(block)
                if progress is not None:
                    progress(done, total)
        if total is not None and done < total:
            raise http.client.IncompleteRead(b"", total - done)
        return True


def _verify(part: Path, dest: Path, name: str, sha256: str | None, git_sha1: str | None, size: int | None) -> str:
    got_size = part.stat().st_size
    if size is not None and got_size != size:
        part.unlink(missing_ok=True)
        raise IntegrityError(f"{name}: received {got_size} bytes, expected {size}: not the official file; "
                             "nothing was installed")
    digest = sha256_of(part)
    if sha256 and digest != sha256.lower():
        part.unlink(missing_ok=True)
        raise IntegrityError(f"{name}: SHA-256 {digest[:16]}... does not match the pinned {sha256[:16]}...: not the "
                             "official file (check the source or SONICAI_MODELS_MIRROR); nothing was installed")
    if git_sha1 and git_blob_sha1(part) != git_sha1.lower():
        part.unlink(missing_ok=True)
        raise IntegrityError(f"{name}: its content does not match the hash the Hub lists for it; nothing was "
                             "installed")
    part.replace(dest)
    return digest
