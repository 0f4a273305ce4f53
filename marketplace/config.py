"""The one place that reads the environment.

Every variable of README.md "Configuration" is read here and nowhere else; the rest of the app reads
``current_app.config``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

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
        secret_key = secrets.token_hex(32)

    search_backend = env.get("SEARCH_BACKEND", "whoosh")
    if search_backend not in SEARCH_BACKENDS:
        raise ConfigError(f"SEARCH_BACKEND must be one of {', '.join(SEARCH_BACKENDS)}")

    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance / 'marketplace.db'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]

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
        # Catalogue and search answers kept per worker process (0 turns the cache off).
        "RESPONSE_CACHE_ENTRIES": _int(env, "RESPONSE_CACHE_ENTRIES", 512),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI") or "memory://",
        "PORT": _int(env, "PORT", 8000),
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
        # `flask seed` writes the claim codes of the households it creates here (mode 0600).
        "SEED_CLAIM_CODES_FILE": str(instance / "claim_codes.csv"),
        "JSON_SORT_KEYS": False,
        "RATELIMIT_HEADERS_ENABLED": True,
        # Off only for load benchmarks (bench/run.py), which log in from one address many times.
        "RATELIMIT_ENABLED": env.get("RATELIMIT_ENABLED", "true").lower()
        not in ("0", "false", "no"),
        "RATELIMIT_STRATEGY": "fixed-window",
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
