"""Settings, read from the environment (django-environ).

The embedded defaults run everything on one machine: SQLite, a Celery broker on the local
filesystem (no server), media on local disk, all under `var/`. Production differs by
environment variables only; README.md lists every one of them.
"""
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; the environment wins

VAR_DIR = Path(env.str("GENIUS_LOCI_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """The key from the environment, else one generated once and kept in var/."""
    if key := env.str("DJANGO_SECRET_KEY", default=""):
        return key
    key_file = VAR_DIR / "secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # SimpleAdminConfig: no autodiscovery, since django-leaflet's admin module needs GDAL; our
    # apps register their admin modules in their AppConfig.ready().
    "django.contrib.admin.apps.SimpleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "leaflet",
    "gallery",
    "generation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.headers.PermissionsPolicyMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the worker write to the same file: wait for the lock, don't fail. In WAL
    # mode readers never wait for a writer, and with synchronous=NORMAL a commit writes the log
    # without an fsync (the log is synced at checkpoints; a power cut may lose the last commits,
    # never corrupt the file): in the default journal mode each commit's two fsyncs, one writer at a
    # time, were most of a job POST's time under load (docs/BENCHMARKS.md, "Load and faults").
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "timeout": 30, "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    })
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One cache for every web process: the API's rate limits count there, so N gunicorn workers (or
# machines) share one allowance. Embedded default: files under var/cache, which every process on
# this machine sees, with no server and no write lock shared with SQLite's jobs; several machines
# set CACHE_URL=redis://... (Django's Redis backend).
CACHES = {"default": env.cache("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Curators log in to curate; where they land afterwards.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "gallery:curation-dashboard"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files are served by WhiteNoise; the basemap data comes from npm packages.
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/world-atlas", BASE_DIR / "node_modules" / "world-atlas"),
    ("vendor/topojson-client", BASE_DIR / "node_modules" / "topojson-client" / "dist"),
]

# Media: local disk by default; S3-compatible storage is a settings change (django-storages).
MEDIA_URL = env.str("DJANGO_MEDIA_URL", default="/media/")
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media")))
SERVE_MEDIA = env.bool("GENIUS_LOCI_SERVE_MEDIA", default=True)
STORAGES = {
    "default": {
        "BACKEND": env.str("DJANGO_DEFAULT_STORAGE", default="django.core.files.storage.FileSystemStorage")
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# S3-compatible media (pip install ".[s3]"; credentials come from the usual AWS_* variables).
if AWS_STORAGE_BUCKET_NAME := env.str("AWS_STORAGE_BUCKET_NAME", default=""):
    AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="") or None
    AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="") or None
    AWS_QUERYSTRING_AUTH = False

# Security: strict by default outside DEBUG; TLS settings follow DJANGO_SECURE_SSL.
SECURE_SSL = env.bool("DJANGO_SECURE_SSL", default=False)
SECURE_SSL_REDIRECT = SECURE_SSL
SESSION_COOKIE_SECURE = SECURE_SSL
CSRF_COOKIE_SECURE = SECURE_SSL
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000 if SECURE_SSL else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_SSL
SECURE_HSTS_PRELOAD = SECURE_SSL
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE_SSL else None
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "config.schema.AutoSchema",
    "DEFAULT_PARSER_CLASSES": ["config.api.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["config.api.JSONRenderer"],
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"jobs": env.str("GENIUS_LOCI_JOB_RATE", default="60/minute")},
    # The client's address for rate limits: with 0 proxies REMOTE_ADDR, and X-Forwarded-For is ignored
    # (anyone can write it); behind N trusted proxies, the Nth address from the right of that header
    # (the one the outermost trusted proxy saw).
    "NUM_PROXIES": env.int("GENIUS_LOCI_TRUSTED_PROXIES", default=0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Genius Loci API",
    "DESCRIPTION": "Cities, generation jobs and artworks of the generative atlas.",
    "VERSION": "1",
    "PREPROCESSING_HOOKS": ["config.api.schema_canonical_paths"],
}
API_MAX_BODY_BYTES = 64 * 1024

# The map. A tile URL turns on online tiles; without one the map draws land outlines
# served by this site, so it works with no internet.
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (30.0, 10.0),
    "DEFAULT_ZOOM": 2,
    "MIN_ZOOM": 2,
    "MAX_ZOOM": 12,
    "TILES": [],
    "RESET_VIEW": False,
    "NO_GLOBALS": False,
}
MAP_TILE_URL = env.str("GENIUS_LOCI_TILE_URL", default="")
MAP_TILE_ATTRIBUTION = env.str("GENIUS_LOCI_TILE_ATTRIBUTION", default="")

# Content-Security-Policy (django-csp): scripts and stylesheets from this site only; an inline
# <script> (django-leaflet's map loader) or <style> block runs only with the request's nonce, so
# no 'unsafe-inline' (Leaflet positions its panes through element.style, which CSP does not govern). Images: this site, the tile server
# when one is configured ({s} subdomains become *), and any origins in DJANGO_CSP_IMG_SRC (media
# on S3, say).
_tile_origin = urlsplit(MAP_TILE_URL.replace("{s}", "*"))
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:", *([f"{_tile_origin.scheme}://{_tile_origin.netloc}"] if MAP_TILE_URL else []),
                    *env.list("DJANGO_CSP_IMG_SRC", default=[])],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Powerful features nobody's atlas needs, off for this site and anything it frames (config.headers).
PERMISSIONS_POLICY = ["camera", "microphone", "geolocation", "payment", "usb", "serial", "bluetooth", "midi",
                      "magnetometer", "gyroscope", "accelerometer", "display-capture", "browsing-topics"]

# Celery. The default broker is kombu's filesystem transport, made safe (config.broker): no server on one machine.
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="atomicfs://")
if CELERY_BROKER_URL.startswith(("atomicfs://", "filesystem://")):
    from config.broker import transport_options

    CELERY_BROKER_TRANSPORT_OPTIONS = transport_options(BROKER_DIR)
else:
    # Above the longest job, so Redis does not hand a running job to a second worker; a job
    # whose worker died is handed out again once it has passed.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 12 * 3600,
        **env.json("CELERY_BROKER_TRANSPORT_OPTIONS", default={}),
    }
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_MAX_TASKS_PER_CHILD = env.int("CELERY_WORKER_MAX_TASKS_PER_CHILD", default=500)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "generation.tasks.run_job": {"queue": "gpu"},
    "generation.tasks.validate_model_version": {"queue": "gpu"},  # loads the model and paints a grid
}
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Generation.
GENERATION_DEVICE = env.str("GENIUS_LOCI_DEVICE", default="cpu")
GENERATION_TORCH_THREADS = env.int("GENIUS_LOCI_TORCH_THREADS", default=0)  # 0: torch's choice
GENERATION_THUMBNAIL_SIZE = 256

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
}
GENERATION_PIPELINE_CACHE_SIZE = env.int("GENIUS_LOCI_PIPELINE_CACHE_SIZE", default=4)
# Batching (gallery.jobs.services.job_run): a worker that takes a place or edit job also claims up
# to GENERATION_BATCH_SIZE - 1 other queued jobs of the same kind, model version and upsampler and
# paints them in one batch; when the batch is not full it waits GENERATION_BATCH_WAIT_MS once for
# more. 1 paints every job alone.
GENERATION_BATCH_SIZE = env.int("GENIUS_LOCI_BATCH_SIZE", default=16)
GENERATION_BATCH_WAIT_MS = env.float("GENIUS_LOCI_BATCH_WAIT_MS", default=10.0)
GENERATION_JOB_SOFT_TIME_LIMIT = env.int("GENIUS_LOCI_JOB_SOFT_TIME_LIMIT", default=300)
# Recovery (generation.worker): every worker beats this often, marking the jobs it runs alive; a
# running job whose heartbeat is older than GENERATION_JOB_STALE_S has lost its worker, and a
# queued job with no message for GENERATION_JOB_RESEND_AFTER_S is sent again; after
# GENERATION_JOB_MAX_ATTEMPTS starts (or sends) it fails with the reason.
GENERATION_HEARTBEAT_S = env.float("GENIUS_LOCI_WORKER_HEARTBEAT_S", default=10.0)
GENERATION_JOB_STALE_S = env.float("GENIUS_LOCI_JOB_STALE_S", default=60.0)
GENERATION_JOB_RESEND_AFTER_S = env.float("GENIUS_LOCI_JOB_RESEND_AFTER_S", default=60.0)
GENERATION_JOB_MAX_ATTEMPTS = env.int("GENIUS_LOCI_JOB_MAX_ATTEMPTS", default=3)
# Regions of the ground generator: sane areas (a continent is refused), vertices and views per region.
GROUND_REGION_MAX_KM2 = env.float("GENIUS_LOCI_REGION_MAX_KM2", default=250_000.0)
GROUND_REGION_MIN_KM2 = env.float("GENIUS_LOCI_REGION_MIN_KM2", default=0.01)
GROUND_REGION_MAX_VERTICES = 500
GROUND_REGION_MAX_VIEWS = env.int("GENIUS_LOCI_REGION_MAX_VIEWS", default=16)
# Where ground views' overhead tiles come from: geoscenes, xyz:FOLDER or images:FOLDER (ml.data.overhead_tiles).
GROUND_OVERHEAD_TILES = env.str("GENIUS_LOCI_OVERHEAD_TILES", default="geoscenes")
GROUND_LAND_TOPOJSON = BASE_DIR / "node_modules" / "world-atlas" / "land-50m.json"
# Model folders uploaded in the admin, one <weights sha256>/ each; workers must see the same path.
GENERATION_MODELS_DIR = Path(env.str("GENIUS_LOCI_MODELS_DIR", default=str(VAR_DIR / "models")))
# An upload larger than this is refused from its declared size, before it is read.
GENERATION_MODEL_UPLOAD_MAX_BYTES = env.int("GENIUS_LOCI_MODEL_UPLOAD_MAX_MB", default=512) * 1024 * 1024
