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


def _workers() -> dict[str, int] | None:
    from sonicai.broker import live_workers

    return live_workers()


@never_cache
@require_safe
def health(request):
    """200 when the studio can take work: database and broker both answer.

    The answer also counts the live worker processes of each queue (absent where the broker cannot tell).
    A web process stays healthy without workers (restarting it would not help), so a load balancer can use
    the plain check; ``?require=workers`` also answers 503 when some queue has no worker, for monitoring
    the studio as a whole."""
    checks, healthy = {}, True
    for name, check in (("database", _check_database), ("broker", _check_broker)):
        try:
            checks[name] = check()
        except Exception as exc:
            checks[name] = f"error: {type(exc).__name__}"
            healthy = False
    body: dict = {"status": "ok" if healthy else "unavailable", **checks}
    if checks["broker"] == "ok":
        try:
            workers = _workers()
        except Exception as exc:
            workers, body["workers"] = None, f"error: {type(exc).__name__}"
        if workers is not None:
            body["workers"] = workers
            idle = sorted(queue for queue, count in workers.items() if not count)
            if idle:
                body["warning"] = (f"No worker is taking {' or '.join(idle)} jobs: such jobs wait until one "
                                   "starts.")
                if request.GET.get("require") == "workers":
                    body["status"], healthy = "unavailable", False
    return JsonResponse(body, status=200 if healthy else 503)
