import os
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_broker() -> str:
    from sonicai.broker import broker

    client = getattr(broker, "client", None)
    if client is None:  # the in-process stub broker used by tests
        return "ok"
    client.ping()
    return "ok"


#: How long one look at the storage stands (seconds): a load balancer's probe every second or two must not
#: become an S3 request each.
STORAGE_CHECK_STANDS = 10.0
_storage_seen: tuple[float, tuple, str] | None = None  # when, of which storage, what was seen
_storage_lock = threading.Lock()


def _media_folder_writable() -> bool:
    """The media folder, or the folder it will be made in (it appears with the first upload), takes files."""
    folder = Path(settings.MEDIA_ROOT)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder.is_dir() and os.access(folder, os.W_OK)


def _look_at_storage() -> str:
    try:
        if not settings.S3_BUCKET_NAME:
            # The path stays out of the answer: /health is open to anyone who reaches the studio.
            return "ok" if _media_folder_writable() else "error: the media folder is not writable"
        import boto3
        from botocore.config import Config
        from django.core.files.storage import default_storage

        # Its own client with a 2-s limit and one try: the storage's own waits up to 20 s twice, and /health must
        # answer while the storage stalls (that is when it is asked).
        store = default_storage
        client = boto3.client("s3", endpoint_url=store.endpoint_url, region_name=store.region_name,
                              aws_access_key_id=store.access_key, aws_secret_access_key=store.secret_key,
                              config=Config(connect_timeout=2, read_timeout=2, retries={"total_max_attempts": 1}))
        client.head_bucket(Bucket=settings.S3_BUCKET_NAME)
    except Exception as exc:  # a storage that is away, or set up wrong (an endpoint without its scheme)
        return f"error: {type(exc).__name__}"
    return "ok"


def _check_storage() -> str:
    """Whether media can be stored, looked at no more often than every STORAGE_CHECK_STANDS seconds per
    process; while one request looks, the others answer with the last look."""
    global _storage_seen
    which = (settings.S3_BUCKET_NAME, str(settings.MEDIA_ROOT))  # another storage (settings in tests) looks anew
    seen = _storage_seen if _storage_seen is not None and _storage_seen[1] == which else None
    if seen is not None and time.monotonic() - seen[0] < STORAGE_CHECK_STANDS:
        return seen[2]
    if not _storage_lock.acquire(blocking=seen is None):
        return seen[2]
    try:
        _storage_seen = (time.monotonic(), which, _look_at_storage())
        return _storage_seen[2]
    finally:
        _storage_lock.release()


def _workers() -> dict[str, int] | None:
    from sonicai.broker import live_workers

    return live_workers()


#: What ``?require=`` can ask for besides the database and the broker.
REQUIREMENTS = ("workers", "storage")


@never_cache
@require_safe
def health(request):
    """200 when the studio can take work: database and broker both answer.

    The answer also says whether the media storage answers and counts the live worker processes of each
    queue (absent where the broker cannot tell). A web process stays healthy without workers or storage
    (restarting it would not help them, and it still serves what it can), so a load balancer can use the
    plain check; ``?require=workers``, ``?require=storage`` or ``?require=workers,storage`` also answer 503
    when that part is missing, for monitoring the studio as a whole."""
    required = {part.strip() for part in request.GET.get("require", "").split(",") if part.strip()}
    if required - set(REQUIREMENTS):
        # A monitor set up with a typo ("worker") would otherwise stay green while no worker runs.
        unknown = ", ".join(sorted(required - set(REQUIREMENTS)))
        return JsonResponse({"status": "error", "detail": f"Unknown require={unknown}: ask for "
                             f"{' or '.join(REQUIREMENTS)}, or both (require=workers,storage)."}, status=400)
    checks, healthy = {}, True
    for name, check in (("database", _check_database), ("broker", _check_broker)):
        try:
            checks[name] = check()
        except Exception as exc:
            checks[name] = f"error: {type(exc).__name__}"
            healthy = False
    body: dict = {"status": "ok" if healthy else "unavailable", **checks}
    warnings = []
    body["storage"] = _check_storage()
    if body["storage"] != "ok":
        warnings.append("The media storage is not answering: uploads and jobs fail until it is back.")
        if "storage" in required:
            body["status"], healthy = "unavailable", False
    if checks["broker"] == "ok":
        try:
            workers = _workers()
        except Exception as exc:
            workers, body["workers"] = None, f"error: {type(exc).__name__}"
        if workers is not None:
            body["workers"] = workers
            idle = sorted(queue for queue, count in workers.items() if not count)
            if idle:
                warnings.append(f"No worker is taking {' or '.join(idle)} jobs: such jobs wait until one starts.")
                if "workers" in required:
                    body["status"], healthy = "unavailable", False
    if warnings:
        body["warning"] = " ".join(warnings)
    return JsonResponse(body, status=200 if healthy else 503)
