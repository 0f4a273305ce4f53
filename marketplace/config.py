"""The one place that reads the environment.

Every variable of README.md "Configuration" is read here and nowhere else; the rest of the app reads
``current_app.config``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from .notifications.events import EVENTS

ENVIRONMENTS = ("development", "testing", "production")
SEARCH_BACKENDS = ("whoosh", "postgres")


class ConfigError(RuntimeError):
    """The environment describes a configuration the app refuses to start with."""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc
    if not value >= 0 or value == float("inf"):
        raise ConfigError(f"{name} must be a number of 0 or more, got {raw!r}")
    return value


def _hours(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number of hours, got {raw!r}") from exc
    if not 0 < value < 100_000:
        raise ConfigError(f"{name} must be more than 0 hours, got {raw!r}")
    return value


def _zalo_template_ids(env: Mapping[str, str]) -> dict[str, str]:
    """ZALO_TEMPLATE_IDS=`event=id,event=id`: the template ids the operator registered with
    Zalo, over the defaults of notifications/events.py ZALO_TEMPLATES."""
    raw = env.get("ZALO_TEMPLATE_IDS") or ""
    ids: dict[str, str] = {}
    for entry in filter(None, (part.strip() for part in raw.split(","))):
        event, _, template_id = (piece.strip() for piece in entry.partition("="))
        if event not in EVENTS:
            raise ConfigError(
                f"ZALO_TEMPLATE_IDS: unknown event {event!r} (one of {', '.join(sorted(EVENTS))})"
            )
        if not (template_id.isascii() and template_id.isdigit()):
            raise ConfigError(f"ZALO_TEMPLATE_IDS: the template id of {event} must be digits")
        ids[event] = template_id
    return ids


SECRET_KEY_FILE = "secret_key"


def instance_secret_key(instance: Path) -> str:
    """The development key of this instance folder: generated once (mode 0600, never committed:
    ``instance/`` is ignored) and then read by every process, so all gunicorn workers of
    ``make run`` sign sessions and CSRF tokens alike. Concurrent first starts agree on one key:
    each writes its own file and links it into place; only the first link wins."""
    path = instance / SECRET_KEY_FILE
    with contextlib.suppress(FileNotFoundError):
        key = path.read_text().strip()
        if key:
            return key
    instance.mkdir(parents=True, exist_ok=True)
    draft = instance / f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(32) + "\n")
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    key = path.read_text().strip()
    if not key:
        raise ConfigError(f"{path} is empty: delete it to generate a new key")
    return key


def build_config(instance_path: str, env: Mapping[str, str] | None = None) -> dict:
    """Return the Flask config for the given environment (``os.environ`` by default)."""
    env = os.environ if env is None else env
    instance = Path(instance_path)

    marketplace_env = env.get("MARKETPLACE_ENV", "development")
    if marketplace_env not in ENVIRONMENTS:
        raise ConfigError(f"MARKETPLACE_ENV must be one of {', '.join(ENVIRONMENTS)}")

    secret_key = env.get("SECRET_KEY")
    if not secret_key:
        if marketplace_env == "production":
            raise ConfigError("SECRET_KEY is required when MARKETPLACE_ENV=production")
        secret_key = instance_secret_key(instance)

    search_backend = env.get("SEARCH_BACKEND", "whoosh")
    if search_backend not in SEARCH_BACKENDS:
        raise ConfigError(f"SEARCH_BACKEND must be one of {', '.join(SEARCH_BACKENDS)}")

    bank_bin, account_no = env.get("VIETQR_BANK_BIN"), env.get("VIETQR_ACCOUNT_NO")
    if bank_bin and not (len(bank_bin) == 6 and bank_bin.isdigit()):
        raise ConfigError("VIETQR_BANK_BIN must be the bank's 6-digit NAPAS BIN")
    if account_no and not (len(account_no) <= 19 and account_no.isascii() and account_no.isalnum()):
        raise ConfigError("VIETQR_ACCOUNT_NO must be 1-19 letters or digits")

    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance / 'marketplace.db'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]

    jobs_url = env.get("JOBS_URL") or None
    jobs_file = str(instance / "jobs.sqlite3")
    if jobs_url is not None and jobs_url.startswith("sqlite:///"):
        jobs_file, jobs_url = jobs_url[len("sqlite:///") :], None  # the embedded queue, elsewhere
    elif jobs_url is not None and not jobs_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("JOBS_URL must be a redis:// or sqlite:/// URL (unset: embedded)")
    media_s3_url = env.get("MEDIA_S3_URL") or None
    if media_s3_url and not media_s3_url.startswith("s3://"):
        raise ConfigError("MEDIA_S3_URL must look like s3://bucket[/prefix][?endpoint_url=…]")

    return {
        "MARKETPLACE_ENV": marketplace_env,
        "TESTING": marketplace_env == "testing",
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SEARCH_BACKEND": search_backend,
        "SEARCH_INDEX_DIR": env.get("SEARCH_INDEX_DIR") or str(instance / "search-index"),
        "STRIPE_API_BASE": (env.get("STRIPE_API_BASE") or "https://api.stripe.com").rstrip("/"),
        "STRIPE_SECRET_KEY": env.get("STRIPE_SECRET_KEY") or None,
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET") or None,
        "RESERVATION_TTL_MINUTES": _int(env, "RESERVATION_TTL_MINUTES", 15),
        # Bank transfer (VietQR): the platform's receiving account and the notifier's key.
        "VIETQR_BANK_BIN": env.get("VIETQR_BANK_BIN") or None,
        "VIETQR_ACCOUNT_NO": env.get("VIETQR_ACCOUNT_NO") or None,
        "VIETQR_ACCOUNT_NAME": env.get("VIETQR_ACCOUNT_NAME") or None,
        "BANK_WEBHOOK_API_KEY": env.get("BANK_WEBHOOK_API_KEY") or None,
        "BANK_TRANSFER_TTL_MINUTES": _int(env, "BANK_TRANSFER_TTL_MINUTES", 60),
        # Days (decimals allowed) after delivery before a household's earnings can be paid out.
        "PAYOUT_HOLD_DAYS": _float(env, "PAYOUT_HOLD_DAYS", 3),
        # Catalogue and search answers kept per worker process (0 turns the cache off).
        "RESPONSE_CACHE_ENTRIES": _int(env, "RESPONSE_CACHE_ENTRIES", 512),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI") or "memory://",
        # Delivery: a confirmed seller order not shipped within this many hours is cancelled.
        "SHIP_WITHIN_HOURS": _hours(env, "SHIP_WITHIN_HOURS", 24.0),
        # Refused COD deliveries in 90 days after which a buyer must pay before delivery.
        "COD_REFUSAL_LIMIT": _int(env, "COD_REFUSAL_LIMIT", 2),
        "PORT": _int(env, "PORT", 8000),
        # The job queue: Redis when JOBS_URL is set, else an SQLite file of its own (no server).
        "JOBS_URL": jobs_url,
        "JOBS_SQLITE_FILE": jobs_file,
        # The queue's name: its Redis keys are huey.*.<name> (one Redis database can hold several
        # deployments' queues, or a test's own).
        "JOBS_QUEUE_NAME": env.get("JOBS_QUEUE_NAME") or "marketplace",
        # Notification channels: each one is off while its variable is unset.
        "SMTP_URL": env.get("SMTP_URL") or None,
        "SMS_API_URL": env.get("SMS_API_URL") or None,
        "SMS_API_KEY": env.get("SMS_API_KEY") or None,
        "ZALO_ZNS_URL": env.get("ZALO_ZNS_URL") or None,
        "ZALO_ACCESS_TOKEN": env.get("ZALO_ACCESS_TOKEN") or None,
        "ZALO_TEMPLATE_IDS": _zalo_template_ids(env),
        # Product photos: a folder served by the app, or an S3-compatible bucket (docs/media.md).
        "MEDIA_DIR": env.get("MEDIA_DIR") or str(instance / "media"),
        "MEDIA_S3_URL": media_s3_url,
        # Fixed settings (not environment variables).
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        # (connect, read) seconds for each call to the payment provider (then retried).
        "STRIPE_TIMEOUT": (3.05, 15),
        "TOKEN_TTL_HOURS": 24 * 14,
        # werkzeug's scrypt at its default cost; the test suite lowers it to stay fast.
        "PASSWORD_HASH_METHOD": "scrypt",
        "CLAIM_CODE_TTL_HOURS": 24 * 7,
        # How often the worker looks for notifications to send, and how long one send may take.
        "NOTIFICATIONS_POLL_SECONDS": 1.0,
        "NOTIFICATIONS_SEND_TIMEOUT_SECONDS": 10.0,
        # `flask seed` writes the claim codes of the households it creates here (mode 0600).
        "SEED_CLAIM_CODES_FILE": str(instance / "claim_codes.csv"),
        "JSON_SORT_KEYS": False,
        "RATELIMIT_HEADERS_ENABLED": True,
        # Off only for load benchmarks (bench/run.py), which log in from one address many times.
        "RATELIMIT_ENABLED": env.get("RATELIMIT_ENABLED", "true").lower()
        not in ("0", "false", "no"),
        "RATELIMIT_STRATEGY": "fixed-window",
        # One limit per account across the API and the login page (auth/login_limit.py).
        "LOGIN_ATTEMPTS_PER_WINDOW": 10,
        "LOGIN_WINDOW_SECONDS": 60,
        "SQLALCHEMY_RECORD_QUERIES": False,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Pages (marketplace/web): session cookie for people, CSRF tokens valid for the session.
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "vi",
        "API_TITLE": "Nông sản marketplace API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
    }
