"""Serving stored audio to the browser's media element, with HTTP Range support.

Django's FileResponse sends whole files; media elements seek by asking for byte
ranges, so the small part of RFC 7233 they use (one ``bytes=a-b`` range) is handled
here.
"""

import mimetypes
import re

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse, StreamingHttpResponse

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


def serve_stored(request, key: str, filename: str, attachment: bool = False) -> HttpResponse:
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
    if attachment and "Content-Disposition" not in response:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
