"""Stored objects (uploads, stems, renders) through Django's storage API.

Local disk on the embedded default, S3-compatible storage when configured: the same
calls serve both, so engines never see which one is in use.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.core.files.storage import default_storage
from django.urls import reverse

log = logging.getLogger(__name__)

_SIGNING_SALT = "sonicai.download"


class StorageBusy(Exception):
    """Every slot for storing uploads in this web process is taken (the storage is slow or stalled)."""

    def __str__(self) -> str:
        return "The studio is busy storing other uploads; try again in a few seconds."


_UPLOAD_SLOTS: threading.BoundedSemaphore | None = None
_UPLOAD_SLOTS_MADE = threading.Lock()


def _upload_slots() -> threading.BoundedSemaphore:
    global _UPLOAD_SLOTS
    with _UPLOAD_SLOTS_MADE:
        if _UPLOAD_SLOTS is None:
            _UPLOAD_SLOTS = threading.BoundedSemaphore(max(1, settings.WEB_THREADS - 2))
        return _UPLOAD_SLOTS


@contextlib.contextmanager
def upload_slot() -> Iterator[None]:
    """Hold one of the web process's slots for writing an upload to the storage, or raise StorageBusy at once.
    Two of its request threads (of three or more) stay out of reach of uploads: when the storage stalls, job
    progress, pages and /health are still answered (they all went unanswered with 8 uploads waiting on a
    stalled S3)."""
    slots = _upload_slots()
    if not slots.acquire(blocking=False):
        raise StorageBusy
    try:
        yield
    finally:
        slots.release()


def bucket_name() -> str:
    return settings.S3_BUCKET_NAME or "local"


def new_key(owner_id, kind: str, ext: str) -> str:
    """A fresh storage name; user-supplied names never reach the storage layer."""
    return f"{kind}/{owner_id}/{uuid.uuid4().hex}.{ext.lstrip('.')}"


def save_path(key: str, path: str | os.PathLike) -> str:
    """Store a local file under ``key``; returns the stored name."""
    with open(path, "rb") as fh:
        return default_storage.save(key, File(fh, name=os.path.basename(key)))


def save_bytes(key: str, data: bytes) -> str:
    from django.core.files.base import ContentFile

    return default_storage.save(key, ContentFile(data, name=os.path.basename(key)))


def delete_quietly(key: str | None) -> None:
    if not key:
        return
    try:
        default_storage.delete(key)
    except Exception:  # deleting is best effort; a leftover object is logged, not fatal
        log.warning("could not delete stored object %s", key, exc_info=True)


def exists(key: str) -> bool:
    return bool(key) and default_storage.exists(key)


def _scratch_root() -> Path:
    root = Path(settings.VAR_DIR) / "scratch"
    root.mkdir(parents=True, exist_ok=True)
    return root


@contextlib.contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A folder for a job's files on their way to the storage, removed afterwards. Under ``var/scratch`` rather
    than /tmp: a worker killed mid-save left its half-written stems in /tmp for good (tens of MB a song), and
    here the next worker to start sweeps what is left (:func:`sweep_scratch`)."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=_scratch_root()))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def sweep_scratch(older_than_s: float) -> int:
    """Remove what jobs left in ``var/scratch`` over ``older_than_s`` ago (no job runs longer than its time
    limit, so older files belong to a process that died); returns how many entries went."""
    import time

    cutoff, removed = time.time() - older_than_s, 0
    for entry in _scratch_root().iterdir():
        try:
            if entry.lstat().st_mtime >= cutoff:
                continue
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
            removed += 1
        except FileNotFoundError:  # another worker starting at the same time took it
            continue
    return removed


@contextlib.contextmanager
def local_copy(key: str) -> Iterator[Path]:
    """A local path to the stored object: the file itself on disk storage, a temporary
    download on object storage (removed afterwards)."""
    try:
        yield Path(default_storage.path(key))
        return
    except NotImplementedError:
        pass
    suffix = Path(key).suffix
    fd, tmp = tempfile.mkstemp(suffix=suffix, dir=_scratch_root())
    try:
        with os.fdopen(fd, "wb") as out, default_storage.open(key, "rb") as src:
            shutil.copyfileobj(src, out, 1024 * 1024)
        yield Path(tmp)
    finally:
        os.unlink(tmp)


def download_url(request, key: str, filename: str) -> str:
    """A time-limited link to the object: presigned on S3, signed by us on disk."""
    expiry = settings.DOWNLOAD_URL_EXPIRY
    if settings.S3_BUCKET_NAME:
        disposition = f'attachment; filename="{_ascii_name(filename)}"'
        return default_storage.url(key, parameters={"ResponseContentDisposition": disposition}, expire=expiry)
    token = signing.dumps({"k": key, "n": filename}, salt=_SIGNING_SALT, compress=True)
    return request.build_absolute_uri(reverse("audio:signed-download", args=[token]))


def read_download_token(token: str) -> tuple[str, str]:
    """Returns (key, filename) or raises signing.BadSignature / SignatureExpired."""
    data = signing.loads(token, salt=_SIGNING_SALT, max_age=settings.DOWNLOAD_URL_EXPIRY)
    return data["k"], data["n"]


def _ascii_name(name: str) -> str:
    return "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name) or "audio"
