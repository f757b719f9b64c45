"""Typed helpers that read settings from the environment and reject bad values loudly."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlparse


class ConfigError(ValueError):
    pass


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use true/false)")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer") from None
    if value < minimum:
        raise ConfigError(f"{name}={value} must be at least {minimum}")
    return value


def env_choice(name: str, default: str, choices: list[str]) -> str:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    if raw.strip() not in choices:
        raise ConfigError(f"{name}={raw!r} must be one of: {', '.join(choices)}")
    return raw.strip()


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def database_from_url(url: str, *, base_dir: Path) -> dict[str, object]:
    """Translate `sqlite:///path` or `postgres://user:pass@host:port/name` into Django's form."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        raw_path = unquote(parsed.path)
        if raw_path in {"", "/", "/:memory:"}:
            name: str | Path = ":memory:"
        else:
            # sqlite:///relative.db -> relative to the project; sqlite:////abs.db -> absolute
            relative = raw_path[1:]
            name = Path(relative) if relative.startswith("/") else base_dir / relative
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(name),
            "CONN_MAX_AGE": env_int("SUPPORTQA_DB_CONN_MAX_AGE", 60),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                # A 64 MiB page cache and memory-mapped reads (SQLite's defaults are 2 MiB and
                # none): the list and team pages and large imports walk indexes of a million
                # rows. Temporary sort tables stay in memory.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                    "PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456; "
                    "PRAGMA temp_store=MEMORY;"
                ),
            },
        }
    if parsed.scheme in {"postgres", "postgresql"}:
        if not parsed.path.strip("/"):
            raise ConfigError("DATABASE_URL must name a database, e.g. postgres://u@host/db")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")),
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": env_int("SUPPORTQA_DB_CONN_MAX_AGE", 60),
        }
    raise ConfigError(f"DATABASE_URL scheme {parsed.scheme!r} is not supported (sqlite, postgres)")
