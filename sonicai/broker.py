"""The Dramatiq broker, configured from Django settings.

Import this module before declaring actors: Dramatiq binds each actor to the broker
that is current when the actor is declared.
"""

import dramatiq
from django.conf import settings
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker

#: Queues: light DSP work, and neural networks that want a GPU host.
DEFAULT_QUEUE = "default"
AI_HEAVY_QUEUE = "ai_heavy"
QUEUES = (DEFAULT_QUEUE, AI_HEAVY_QUEUE)


def _make_broker() -> dramatiq.Broker:
    if settings.DRAMATIQ_BROKER == "stub":
        broker = StubBroker()
        broker.emit_after("process_boot")
    else:
        broker = RedisBroker(url=settings.REDIS_URL, namespace="sonicai")
    for queue in QUEUES:
        broker.declare_queue(queue)
    return broker


broker = _make_broker()
dramatiq.set_broker(broker)
