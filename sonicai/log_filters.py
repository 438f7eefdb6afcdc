"""Filters for the studio's log (settings.LOGGING)."""

import logging
import re

#: A signed download link is a credential for an hour: its token never reaches the log.
_DOWNLOAD_TOKEN = re.compile(r"(/d/)[^\s?\"']+")


def without_download_tokens(text: str) -> str:
    """The text with every signed download link's token replaced by an ellipsis (the access log and
    Django's request log both use this)."""
    return _DOWNLOAD_TOKEN.sub(r"\1…", text) if "/d/" in text else text


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
        if isinstance(record.args, tuple):
            record.args = tuple(without_download_tokens(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = without_download_tokens(record.msg)
        return True
