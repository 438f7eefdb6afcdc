"""Entry point of Dramatiq worker processes: ``dramatiq sonicai.worker``.

Sets Django up, then imports the ``actors`` module of every installed app (found from
INSTALLED_APPS, see ``sonicai.broker.import_actor_modules``) so the worker can run them.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sonicai.settings")
django.setup()

from sonicai.broker import import_actor_modules  # noqa: E402  (needs the apps loaded)

ACTOR_MODULES = import_actor_modules()
