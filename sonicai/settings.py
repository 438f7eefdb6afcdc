"""SonicAI settings.

Everything an operator changes comes from the environment (or a ``.env`` file in the
repository root); see ``.env.example``. The defaults are the embedded single-laptop
set-up: SQLite, an embedded Redis on a unix socket, media on the local disk.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
ENV_FILE = Path(os.environ.get("SONICAI_ENV_FILE") or BASE_DIR / ".env")

env = environ.Env()
if ENV_FILE.exists():
    environ.Env.read_env(ENV_FILE, overwrite=False)


def setting(name: str, default: str) -> str:
    """A string setting where an empty value means the default: .env.example lists every
    variable, empty, and a copy of it must behave like no .env at all."""
    return env(name, default="") or default


def count(name: str, default: int, minimum: int = 0) -> int:
    """A whole-number setting, refused in one sentence that names it (``env.int`` gave a traceback ending in
    "invalid literal for int()", and took MAX_FILE_SIZE=-5, which then refused every upload)."""
    raw = env(name, default="").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be {minimum} or more, got {value}")
    return value


VAR_DIR = Path(setting("SONICAI_VAR_DIR", str(BASE_DIR / "var")))

# Debug pages list URLs, settings and tracebacks: only for a developer who asks for them.
DEBUG = env.bool("DJANGO_DEBUG", default=False)


def _secret_key_in(var_dir: Path) -> str:
    """A random key made on first run and kept in var/, so sessions and tokens survive
    restarts and no two installations share one. Several processes start at once: the
    first to publish its key wins (a hard link never replaces a file), the others read it."""
    path = var_dir / "secret_key"
    if not path.exists():
        import secrets
        import tempfile

        var_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=var_dir, prefix=".secret_key-")  # mode 0600
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return path.read_text().strip()


SECRET_KEY = env("DJANGO_SECRET_KEY", default="").strip() or _secret_key_in(VAR_DIR)

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "csp",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "channels",
    "django_htmx",
    "sonicai",
    "accounts",
    "audio",
    "stems",
    "mood",
    "remix",
    "generation",
    "practice",
    "modelstore",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "sonicai.middleware.PrivatePagesMiddleware",
    "sonicai.middleware.ServiceUnavailableMiddleware",
]

ROOT_URLCONF = "sonicai.urls"
ASGI_APPLICATION = "sonicai.asgi.application"
WSGI_APPLICATION = "sonicai.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

EMBEDDED_DATABASE = VAR_DIR / "sonicai.sqlite3"  # the laptop default, which `manage.py studio` migrates itself
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{EMBEDDED_DATABASE}")}
# Web requests run on a fixed set of threads (sonicai/asgi.py), so connections are kept and reused.
DATABASES["default"].setdefault("CONN_MAX_AGE", count("DATABASE_CONN_MAX_AGE", 60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web and worker processes write to the same file: wait for locks instead of failing, and
    # keep a write-ahead log so that readers (every job-status poll) never wait for a writer.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "timeout": 30, "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"})
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        # a fresh clone has no var/ yet, and SQLite will not create the folder of its file
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.LockoutModelBackend"]
# Argon2 (Django's recommendation); hashes made by an older hasher are upgraded at the next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "audio:library"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Media storage: local disk, or S3-compatible object storage when a bucket is set.
MEDIA_ROOT = Path(setting("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media/"
S3_BUCKET_NAME = env("S3_BUCKET_NAME", default="")
DOWNLOAD_URL_EXPIRY = count("S3_PRESIGNED_URL_EXPIRY", 3600, minimum=1)
if S3_BUCKET_NAME:
    from sonicai.s3 import s3_storage

    STORAGES["default"] = s3_storage(
        S3_BUCKET_NAME, env("S3_ENDPOINT_URL", default="") or None, env("AWS_REGION", default="") or None,
        env("AWS_ACCESS_KEY_ID", default="") or None, env("AWS_SECRET_ACCESS_KEY", default="") or None,
        DOWNLOAD_URL_EXPIRY, env.float("S3_CONNECT_TIMEOUT", default=10.0), env.float("S3_READ_TIMEOUT", default=20.0))
else:
    STORAGES["default"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": MEDIA_URL},
    }

# --- Uploads
MAX_UPLOAD_SIZE = count("MAX_FILE_SIZE", 100 * 1024 * 1024, minimum=1)
MAX_AUDIO_DURATION_SECONDS = env.float("MAX_AUDIO_DURATION_SECONDS", default=600.0)
ALLOWED_AUDIO_FORMATS = env.list("ALLOWED_AUDIO_FORMATS", default=["mp3", "wav", "flac", "ogg", "opus", "m4a", "aac"])
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Stored files follow the process's umask instead of Django's 0o644: `manage.py studio` sets 027, so a shared
# host's other accounts cannot read anyone's audio; a deployment that wants otherwise sets its own umask.
FILE_UPLOAD_PERMISSIONS = None

# --- Redis: broker for Dramatiq, channel layer for Channels, cache for throttling.
# Unset means the embedded redis-server that `manage.py studio` starts on a socket.
EMBEDDED_REDIS_SOCKET = VAR_DIR / "redis.sock"
REDIS_URL = env("REDIS_URL", default=f"unix://{EMBEDDED_REDIS_SOCKET}")
DRAMATIQ_BROKER = env("DRAMATIQ_BROKER", default="redis")  # "redis" or "stub" (tests)
CHANNEL_LAYER = env("CHANNEL_LAYER", default="redis")  # "redis" or "memory" (tests)

if CHANNEL_LAYER == "memory":
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # channels_redis waits up to 5 s for a message (BZPOPMIN); redis-py's default read
            # timeout is also 5 s, so an idle WebSocket was dropped every 5-6 s. Reads may
            # now take that long plus a margin.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 15, "socket_connect_timeout": 5}],
                       "prefix": "sonicai:ws"},
        }
    }

# Rate-limit and sign-in counters, shared by every web process through Redis; while Redis
# does not answer each process counts in its own memory instead of failing the request.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if env.bool("CACHE_USE_REDIS", default=CHANNEL_LAYER == "redis"):
    CACHES = {"default": {"BACKEND": "sonicai.cache.FailSoftRedisCache", "LOCATION": REDIS_URL,
                          "OPTIONS": {"socket_timeout": 1, "socket_connect_timeout": 1}}}

# --- Jobs
JOB_TIMEOUT_SECONDS = count("JOB_TIMEOUT_SECONDS", count("JOB_TIMEOUT_MS", 600_000, minimum=1000) // 1000, minimum=1)
JOB_HEARTBEAT_SECONDS = count("JOB_HEARTBEAT_SECONDS", 5, minimum=1)
MAX_CONCURRENT_JOBS = count("MAX_CONCURRENT_JOBS", 2, minimum=1)
WORKER_PROCESSES = count("WORKER_PROCESSES", 1, minimum=1)
WEB_PROCESSES = count("WEB_PROCESSES", 2, minimum=1)
WEB_THREADS = count("WEB_THREADS", 8, minimum=1)  # requests handled at once per web process
MODELS_DIR = Path(setting("SONICAI_MODELS_DIR", str(BASE_DIR / "models")))
TORCH_DEVICE = env("DEVICE", default="auto")  # auto | cpu | cuda
# Model manager (`manage.py models`, the admin's Models page): downloads are staged (and resumed) here, outside
# MODELS_DIR; a mirror serves every file at <mirror>/<host>/<path> of its official URL; HF_TOKEN opens gated
# Hugging Face repositories (Stable Audio Open).
MODELS_STAGING_DIR = Path(setting("SONICAI_MODELS_STAGING", str(VAR_DIR / "model-downloads")))
MODELS_MIRROR = setting("SONICAI_MODELS_MIRROR", "")
HF_TOKEN = setting("HF_TOKEN", "")
# Loaded models kept per device between jobs, in GB (empty: 70 % of the GPU's memory, 50 % of the RAM).
MODEL_MEMORY_GB = float(setting("SONICAI_MODEL_MEMORY_GB", "0")) or None

# --- API
TRUSTED_PROXY_COUNT = count("TRUSTED_PROXY_COUNT", 0)
# Failed sign-ins per account and client address before that pair is refused for a while.
LOGIN_FAILURE_LIMIT = count("LOGIN_FAILURE_LIMIT", 10, minimum=1)
LOGIN_LOCKOUT_SECONDS = count("LOGIN_LOCKOUT_SECONDS", 900, minimum=1)
# "open": anyone who reaches the studio may create an account; "closed": only operators make accounts (admin or
# `manage.py createsuperuser` / the admin's Users page), for a studio served beyond this machine.
REGISTRATION = env("SONICAI_REGISTRATION", default="open").strip().lower()
if REGISTRATION not in ("open", "closed"):
    raise ImproperlyConfigured(f"SONICAI_REGISTRATION must be open or closed, not {REGISTRATION!r}")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": count("API_PAGE_SIZE", 20, minimum=1),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "sonicai.throttling.UserReadThrottle",
        "sonicai.throttling.UserWriteThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("RATE_LIMIT_ANON", default="120/minute"),
        # Reads (job status, library) are cheap and polled; writes start work.
        "user_read": env("RATE_LIMIT_USER_READ", default="12000/minute"),
        "user": env("RATE_LIMIT_USER", default=f"{count('RATE_LIMIT_PER_MINUTE', 600, minimum=1)}/minute"),
        "auth": env("RATE_LIMIT_AUTH", default="30/minute"),
    },
    # Client addresses come from X-Forwarded-For only behind this many trusted proxies;
    # with none (the default) the header is ignored, so a client cannot choose its address.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "EXCEPTION_HANDLER": "sonicai.exceptions.exception_handler",
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=count("ACCESS_TOKEN_EXPIRE_MINUTES", 30, minimum=1)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=count("REFRESH_TOKEN_EXPIRE_DAYS", 7, minimum=1)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": setting("JWT_SECRET", SECRET_KEY),
    # Tokens carry a digest of the password they were issued under: a new password ends them all.
    "CHECK_REVOKE_TOKEN": True,
    "TOKEN_REFRESH_SERIALIZER": "accounts.serializers.RefreshSerializer",
}
#: A chain of refreshed tokens ends this many days after the sign-in that began it (rotation alone would
#: renew a copied refresh token for ever).
SIGN_IN_MAX_DAYS = count("SIGN_IN_MAX_DAYS", 30, minimum=1)
SPECTACULAR_SETTINGS = {
    "TITLE": "SonicAI API",
    "DESCRIPTION": "Upload, analyse, separate, remix and generate music.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["sonicai.api.schema_paths_without_slash"],
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "sonicai.api.document_error_responses"],
    # Swagger UI and ReDoc assets are served from the installed sidecar package, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Content-Security-Policy: scripts and styles from this site only (no inline scripts);
# audio, images and WebSockets from this site; blob: for waveform and ReDoc workers.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'", "ws:", "wss:", "blob:"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

CORS_ALLOWED_ORIGINS = env.list("CORS_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"

# --- Behind HTTPS (SONICAI_HTTPS=true: a TLS proxy in front): secure cookies, HSTS and a
# redirect from http; `manage.py check --deploy` then passes. Off by default, because the
# laptop studio is served over plain http on localhost, where secure cookies never arrive.
SONICAI_HTTPS = env.bool("SONICAI_HTTPS", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if SONICAI_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^health$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = count("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_errors": {"()": "sonicai.log_filters.ClientErrorsWithoutTraceback"},
                "download_tokens": {"()": "sonicai.log_filters.WithoutDownloadTokens"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["client_errors", "download_tokens"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO").upper()},
}
