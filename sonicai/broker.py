"""The Dramatiq broker, configured from Django settings, and where the actors come from.

Import this module before declaring actors: Dramatiq binds each actor to the broker
that is current when the actor is declared. Each installed app declares its actors in
its own ``actors`` module; :func:`import_actor_modules` finds them through Django's
app registry, so no list of them is kept by hand.
"""

import importlib
import importlib.util
import json
import os
import socket
import time

import dramatiq
from django.apps import apps
from django.conf import settings
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import dq_name
from dramatiq.middleware import CurrentMessage

#: Queues: light DSP work, and neural networks that want a GPU host.
DEFAULT_QUEUE = "default"
AI_HEAVY_QUEUE = "ai_heavy"
QUEUES = (DEFAULT_QUEUE, AI_HEAVY_QUEUE)
#: What every job actor is declared with: a job runs once (a failure is reported, not retried behind the
#: user's back) and is stopped at the studio's time limit.
ACTOR_OPTIONS = {"max_retries": 0, "time_limit": settings.JOB_TIMEOUT_SECONDS * 1000}


#: A worker process silent this long is dead to Dramatiq's Redis broker: the messages it had taken but not
#: finished (running and prefetched) go back to their queue at the next maintenance. Workers say they are alive
#: every PRESENCE_EVERY seconds even while every thread is busy (announce_worker), so only a dead one goes quiet;
#: Dramatiq's default is kept as a margin for clock skew between hosts and a process paused for a while.
HEARTBEAT_TIMEOUT_MS = 60_000
#: Per million broker commands, how many also run that maintenance. Dramatiq's default (1,000) left the jobs a
#: killed worker had prefetched pending for a quarter of an hour; with idle workers fetching about once a second,
#: 100,000 runs it within seconds of the timeout. It costs little while no worker is dead (with one, Dramatiq
#: walks the Redis keys once per maintenance until that worker's entries are gone).
MAINTENANCE_CHANCE = 100_000


class PrefetchNoMoreThanThreads(dramatiq.Middleware):
    """A worker process takes from each queue no more messages than it has threads to run them.

    Dramatiq's default takes twice as many: a worker busy on a long separation held the next job it had
    taken while another worker stood idle, and the job waited for the first to finish (minutes on a CPU; the
    scaled-out probe saw 11 s with short jobs). Music jobs run for seconds to minutes, so the round trip to
    Redis that prefetching saves does not count. An operator's own ``dramatiq_queue_prefetch`` is kept.
    A worker that takes several queues can still hold one queue's message while its threads run another's
    (the limit is per queue): hosts that run only ``ai_heavy``, as the README's scaled setup does, never do."""

    def before_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        if not os.environ.get("dramatiq_queue_prefetch"):
            worker.queue_prefetch = worker.worker_threads


def _make_broker() -> dramatiq.Broker:
    if settings.DRAMATIQ_BROKER == "stub":
        broker = StubBroker()
        broker.emit_after("process_boot")
    else:
        broker = RedisBroker(url=settings.REDIS_URL, namespace="sonicai", heartbeat_timeout=HEARTBEAT_TIMEOUT_MS,
                             maintenance_chance=MAINTENANCE_CHANCE)
    # run_job asks which message it runs for: a copy of a job's message that was sent again is not run twice.
    broker.add_middleware(CurrentMessage())
    broker.add_middleware(PrefetchNoMoreThanThreads())
    for queue in QUEUES:
        broker.declare_queue(queue)
    return broker


broker = _make_broker()
dramatiq.set_broker(broker)


def waiting_message_ids(queue_name: str) -> set[str] | None:
    """The ids of the messages the broker still holds for a queue (queued, delayed, or taken by a worker and not
    yet acknowledged); None where it cannot tell (the in-process broker). Dramatiq's Redis broker keeps each
    such message in the hash ``<namespace>:<queue>.msgs`` (``<queue>.DQ.msgs`` for delayed ones) under an id of
    its own, so the message ids are read from the messages; dead-lettered ones count as gone."""
    if not isinstance(broker, RedisBroker):
        return None
    ids: set[str] = set()
    for name in (queue_name, dq_name(queue_name)):
        for data in broker.client.hvals(f"{broker.namespace}:{name}.msgs"):
            try:
                ids.add(json.loads(data)["message_id"])
            except (ValueError, KeyError, TypeError):
                continue
    return ids


#: A worker process says every PRESENCE_EVERY seconds that it is alive; its key lapses PRESENCE_TTL seconds
#: after the last time, so a killed process stops counting within that (a clean exit removes it at once).
PRESENCE_EVERY = 10
PRESENCE_TTL = 35


def this_host() -> str:
    """The host as its process ids see it: its name, plus its pid namespace where the kernel says, so that two
    containers sharing a hostname (one Kubernetes pod, `--network host`) are two hosts here and neither takes
    the other's live processes for dead ones."""
    try:
        ns = os.readlink("/proc/self/ns/pid").rpartition("[")[2].rstrip("]")
    except OSError:
        ns = ""
    return f"{socket.gethostname()}~{ns}" if ns else socket.gethostname()


def process_identity() -> str:
    """``host:pid`` of this process (see this_host)."""
    return f"{this_host()}:{os.getpid()}"


def process_gone(identity: str) -> bool:
    """Whether the process named by process_identity() is known to be gone: it ran on this host and no process
    (or only its zombie) has its id. False whenever this host cannot tell."""
    host, _, pid = identity.rpartition(":")
    if host != this_host() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    try:  # killed but not yet reaped by its parent: a zombie takes no jobs
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _presence_key(worker: str) -> str:
    return f"{broker.namespace}:worker:{worker}"


def announce_worker(queues: set[str] | frozenset[str]) -> None:
    """Record in the broker that this process takes jobs from these queues (for PRESENCE_TTL seconds), and
    renew its Dramatiq heartbeat.

    Dramatiq's own Redis heartbeats cannot tell a worker from a web process: every process that only sends
    messages registers in the same set, so the studio keeps a key of its own per worker process."""
    if isinstance(broker, RedisBroker):
        with broker.client.pipeline() as pipe:
            pipe.set(_presence_key(process_identity()), json.dumps(sorted(queues)), ex=PRESENCE_TTL)
            # Dramatiq renews a worker's heartbeat only when it fetches, which a worker whose prefetch is full
            # (every thread on a long job, more waiting) does not do; after HEARTBEAT_TIMEOUT_MS its running jobs'
            # messages would be handed out again (dramatiq issue #692). The same entry its fetches write:
            pipe.zadd(f"{broker.namespace}:__heartbeats__", {broker.broker_id: int(time.time() * 1000)})
            pipe.execute()


def withdraw_worker() -> None:
    """Remove this process's presence (a worker that stops cleanly stops counting at once)."""
    if isinstance(broker, RedisBroker):
        broker.client.delete(_presence_key(process_identity()))


def live_workers() -> dict[str, int] | None:
    """How many worker processes take each queue's jobs now; None where the broker cannot tell (in-process)."""
    if not isinstance(broker, RedisBroker):
        return None
    counts = dict.fromkeys(QUEUES, 0)
    keys = list(broker.client.scan_iter(match=_presence_key("*"), count=500))
    prefix = _presence_key("")
    for key, data in zip(keys, broker.client.mget(keys) if keys else [], strict=True):
        if process_gone(key.decode().removeprefix(prefix)):
            broker.client.delete(key)  # killed here a moment ago: no need to wait for its key to lapse
            continue
        try:
            queues = json.loads(data)
        except (TypeError, ValueError):  # lapsed between the scan and the read
            continue
        for queue in queues:
            counts[queue] = counts.get(queue, 0) + 1
    return counts


def import_actor_modules() -> list[str]:
    """Import the ``actors`` module of every installed app that has one (INSTALLED_APPS order); returns their
    names. Importing an actors module declares its actors and registers them by job type."""
    found = []
    for config in apps.get_app_configs():
        name = f"{config.name}.actors"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
            found.append(name)
    return found
