"""Entry point of Dramatiq worker processes: ``dramatiq sonicai.worker``.

Sets Django up, then imports every app's actors so the worker can run them.
"""

import importlib
import importlib.util
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sonicai.settings")
django.setup()

ACTOR_MODULES = ["audio.actors", "stems.actors", "mood.actors", "remix.actors", "generation.actors"]


def import_actors() -> None:
    for name in ACTOR_MODULES:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)


import_actors()
