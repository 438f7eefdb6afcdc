"""Test settings: the embedded default (SQLite, in-process broker and channel layer),
or PostgreSQL + Redis when TEST_DATABASE_URL / TEST_REDIS_URL are set (`make test`
runs both passes)."""

import os
import tempfile
from pathlib import Path

import environ

_redis = os.environ.get("TEST_REDIS_URL")
os.environ["DRAMATIQ_BROKER"] = "redis" if _redis else "stub"
os.environ["CHANNEL_LAYER"] = "redis" if _redis else "memory"
os.environ["CACHE_USE_REDIS"] = "false"
if _redis:
    os.environ["REDIS_URL"] = _redis
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="sonicai-test-media-"))

from sonicai.settings import *  # noqa: E402,F401,F403
from sonicai.settings import BASE_DIR, REST_FRAMEWORK  # noqa: E402

if os.environ.get("TEST_DATABASE_URL"):
    DATABASES = {"default": environ.Env.db_url_config(os.environ["TEST_DATABASE_URL"])}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(BASE_DIR / "var" / "test.sqlite3"),
                             "TEST": {"NAME": None}, "OPTIONS": {"timeout": 30}}}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
    "anon": "10000/minute", "user": "10000/minute", "user_read": "10000/minute", "auth": "10000/minute"}}
JOB_HEARTBEAT_SECONDS = 1
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]  # noqa: F405  (the test client's host name)
# Optional weights: an empty folder unless a test process is given one, so what a developer installed in models/
# cannot change the engines' defaults under test
if "SONICAI_MODELS_DIR" not in os.environ:
    MODELS_DIR = Path(tempfile.mkdtemp(prefix="sonicai-test-models-"))
if "SONICAI_MODELS_STAGING" not in os.environ:
    MODELS_STAGING_DIR = Path(tempfile.mkdtemp(prefix="sonicai-test-downloads-"))
