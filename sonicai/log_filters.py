"""Filters for the studio's log (settings.LOGGING)."""

import logging
import re

#: A signed download link is a credential for an hour: its token never reaches the log.
_DOWNLOAD_TOKEN = re.compile(r"(/d/)[^\s?\"']+")


class ClientErrorsWithoutTraceback(logging.Filter):
    """A 4xx answer is the request's fault and its one line says all (Django logs a refused admin page, a 404
    and the like with the exception's traceback); 5xx keep theirs, they are ours to read."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "django.request" and getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True


class WithoutDownloadTokens(logging.Filter):
    """Django logs a refused request with its path ("Requested Range Not Satisfiable: /d/<token>")."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, str) and "/d/" in a for a in record.args):
            record.args = tuple(_DOWNLOAD_TOKEN.sub(r"\1…", a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str) and "/d/" in record.msg:
            record.msg = _DOWNLOAD_TOKEN.sub(r"\1…", record.msg)
        return True
