"""Filters for the studio's log (settings.LOGGING)."""

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """A 4xx answer is the request's fault and its one line says all (Django logs a refused admin page, a 404
    and the like with the exception's traceback); 5xx keep theirs, they are ours to read."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "django.request" and getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
