"""Checking that an uploaded file really is audio we accept, before anything is stored.

The extension and the browser's MIME type are ignored: the container is identified
from its magic bytes, then the whole stream is decoded for real.
"""

from __future__ import annotations

import logging
import math
import os
import re
import unicodedata
from dataclasses import dataclass

from sonicai.music.audio_io import MIN_SECONDS, AudioDecodeError, AudioInfo, probe

log = logging.getLogger(__name__)


class UploadRejected(ValueError):
    """The upload is not acceptable; the message says why, for the user."""


class UploadTooLarge(UploadRejected):
    """Over the size limit (answered 413, as the web server answers a body announced too large)."""


@dataclass(frozen=True)
class CheckedAudio:
    container: str  # wav | flac | ogg | mp3 | m4a | aac
    info: AudioInfo


#: Bytes some tools leave before a file's own start (a newline before an MP3's ID3 tag, seen on a real song);
#: decoders skip them, so the check does too, but only these and only a few.
_LEADING_JUNK = b"\x00\t\n\r "
_MAX_LEADING_JUNK = 16


def sniff_container(head: bytes) -> str | None:
    """Identify an audio container from its first bytes (at least 12, up to _MAX_LEADING_JUNK more)."""
    found = _sniff_at_start(head)
    if found is None:
        stripped = head.lstrip(_LEADING_JUNK)
        if 0 < len(head) - len(stripped) <= _MAX_LEADING_JUNK:
            found = _sniff_at_start(stripped)
    return found


def _sniff_at_start(head: bytes) -> str | None:
    if len(head) >= 12 and head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:3] == b"ID3":
        return "mp3"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "m4a"
    if len(head) >= 2 and head[0] == 0xFF:
        if head[1] & 0xF6 == 0xF0:  # ADTS sync word, layer bits 00: raw AAC
            return "aac"
        if head[1] & 0xE0 == 0xE0 and head[1] & 0x06 != 0:  # MPEG audio frame sync, layer I-III
            return "mp3"
    return None


def _format_name(container: str, info: AudioInfo) -> str:
    if container == "ogg":
        return "opus" if "opus" in info.codec.lower() else "ogg"
    return container


def format_megabytes(n: int) -> str:
    """Sizes in the unit musicians read on their disks: MB of 1024 * 1024 bytes. A size that is
    not a whole number of MB is rounded up to a tenth, so a file just over a limit never reads
    as the limit itself ("100.1 MB; the limit is 100 MB", not "100 MB; the limit is 100 MB")."""
    if n < 2 ** 20:
        return f"{max(1, math.ceil(n / 1024))} KB"
    if n % 2 ** 20 == 0:
        return f"{n // 2 ** 20} MB"
    return f"{math.ceil(n * 10 / 2 ** 20) / 10:.1f} MB"


#: Said with every "too large": the spec's 100 MB holds only 9.9 minutes of CD-quality WAV, under the 10-minute
#: duration limit, and a musician whose export is refused needs the way around it (the long-file probe).
TOO_LARGE_HINT = "A long WAV fits as FLAC: the same sound at about half the size."
#: Bytes per second of a CD-quality WAV (44.1 kHz, 16-bit, stereo), for the drop zone's note.
CD_WAV_BYTES_PER_SECOND = 44100 * 2 * 2


def too_large_sentence(what: str, size: int | None, limit: int) -> str:
    """The 413 answer: "The file is 101.0 MB; the limit is 100 MB." and the FLAC hint."""
    measured = f" is {format_megabytes(size)};" if size else " is too large;"
    return f"{what}{measured} the limit is {format_megabytes(limit)}. {TOO_LARGE_HINT}"


def check_size(size: int, max_size: int) -> None:
    if size <= 0:
        raise UploadRejected("The file is empty.")
    if size > max_size:
        raise UploadTooLarge(too_large_sentence("The file", size, max_size))


def check_audio_file(path: str | os.PathLike, size: int, *, max_size: int, max_duration: float,
                     allowed_formats: list[str]) -> CheckedAudio:
    """Validate the file at ``path``; raises :class:`UploadRejected` with a reason."""
    check_size(size, max_size)
    with open(path, "rb") as fh:
        head = fh.read(64)
    container = sniff_container(head)
    if container is None:
        if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):  # audio, just not a format the studio takes
            raise UploadRejected("AIFF files are not accepted: export the song as WAV or FLAC (same quality) and "
                                 "upload that.")
        raise UploadRejected("This is not an audio file we recognise (MP3, WAV, FLAC, OGG/Opus, M4A/AAC).")
    try:
        info = probe(path)
    except AudioDecodeError as exc:
        # The decoder's own words name a temporary path and an errno; the musician needs neither.
        log.info("upload could not be decoded as %s: %s", container, exc)
        raise UploadRejected(f"The file looks like {container.upper()} but could not be decoded; it may be damaged "
                             "or cut short. Export it again and upload the new file.") from None
    fmt = _format_name(container, info)
    if fmt not in allowed_formats and container not in allowed_formats:
        raise UploadRejected(f"{fmt.upper()} files are not accepted here; allowed: {', '.join(allowed_formats)}.")
    if info.duration < MIN_SECONDS:
        raise UploadRejected(f"The file holds less than {MIN_SECONDS:g} s of audio.")
    if info.duration > max_duration:
        raise UploadRejected(f"The audio lasts {info.duration:.0f} s; the limit is {max_duration:.0f} s.")
    return CheckedAudio(container=fmt, info=info)


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]+")


def typed_title(text: str) -> str:
    """Words typed as a title (a song's new name, a prompt naming its track) as a file name can keep them: a slash
    is part of the title, not a path that clean_filename would cut ("AC/DC - Back in Black", "drum & bass /
    jungle"); runs of spaces and line breaks become one space."""
    return " ".join(str(text).replace("/", "-").replace("\\", "-").split())


#: How browsers write a file name in a multipart form (WHATWG HTML, "multipart/form-data encoding algorithm"):
#: a double quote as %22, line breaks as %0A and %0D. Django passes them on as they are.
_FORM_ESCAPES = {"%22": '"', "%0A": " ", "%0D": " "}


def uploaded_filename(name: str) -> str:
    """The name a browser's upload form sent, as the musician named the file: '"Heroes" (live).wav', not
    '%22Heroes%22 (live).wav'."""
    for escaped, char in _FORM_ESCAPES.items():
        name = name.replace(escaped, char)
    return clean_filename(name)


def clean_filename(name: str, fallback: str = "audio") -> str:
    """A display name safe to store and show: no path, no control characters, ≤255 chars."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip().strip(".") or fallback
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 250 - len(ext)] + "." + ext) if dot and len(ext) <= 10 else name[:255]
    return name
