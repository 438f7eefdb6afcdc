"""Serving stored audio to the browser's media element, with HTTP Range support.

Django's FileResponse sends whole files; media elements seek by asking for byte
ranges, so the small part of RFC 7233 they use (one ``bytes=a-b`` range) is handled
here.
"""

import mimetypes
import re

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")
_CHUNK = 256 * 1024


def _iter_range(fh, start: int, length: int):
    fh.seek(start)
    remaining = length
    try:
        while remaining > 0:
            data = fh.read(min(_CHUNK, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data
    finally:
        fh.close()


#: What may follow a name's last dot and be replaced by the audio's own extension; any other dot is part of the
#: name ("Mr. Brightside", "01. Intro").
_REPLACEABLE = re.compile(r"\.(?:wave?|flac|mp[34]|mpe?g|og[ga]|opus|m4a|aac|aif[fc]?|wma|webm|midi?|html?|svg|"
                          r"txt|bin|dat|jpe?g|png|gif|pdf|exe|zip|js)$", re.IGNORECASE)


def _named_for_its_audio(filename: str, key: str) -> str:
    """A download is saved under the extension of what it holds (a WAV uploaded as "song.html" saves as
    "song.wav"), so a file manager never opens it as something else."""
    real = key.rpartition(".")[2]
    if filename.lower().endswith(f".{real.lower()}"):
        return filename
    stem = _REPLACEABLE.sub("", filename) if not _REPLACEABLE.fullmatch(filename) else filename
    return f"{stem}.{real}"


def serve_stored(request, key: str, filename: str, attachment: bool = False) -> HttpResponse:
    if attachment:
        filename = _named_for_its_audio(filename, key)
    content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
    size = default_storage.size(key)
    fh = default_storage.open(key, "rb")
    match = _RANGE.match(request.headers.get("Range", "").strip())
    if match and (match.group(1) or match.group(2)):
        first, last = match.groups()
        if first:
            start, end = int(first), min(int(last) if last else size - 1, size - 1)
        else:
            start, end = max(0, size - int(last)), size - 1
        if start > end or start >= size:
            fh.close()
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        response = StreamingHttpResponse(_iter_range(fh, start, end - start + 1), status=206,
                                         content_type=content_type)
        response["Content-Length"] = str(end - start + 1)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    else:
        response = FileResponse(fh, content_type=content_type, as_attachment=attachment, filename=filename)
        response["Content-Length"] = str(size)
    response["Accept-Ranges"] = "bytes"
    # Every stored object is written once under a new key (storage.new_key) and never changed, so the browser
    # may keep it: the file page fetched the song twice per visit (its decoder and wavesurfer's player), and
    # the mixer and practice pages fetched it again, up to 100 MB each time.
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    if attachment and "Content-Disposition" not in response:  # a range of a download: quoted as the whole one is
        response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
