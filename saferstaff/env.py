"""Small typed readers for configuration from the environment.

Every process (web, worker, the ``saferstaff`` command) reads the same variables through these, so a
misspelt or malformed value fails loudly at start-up instead of quietly falling back.
"""

import base64
import binascii
import os
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url


class ConfigError(RuntimeError):
    pass


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise ConfigError(f"{name} must be set")
        return default
    return value


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [part.strip() for part in value.split(",") if part.strip()]


def env_secret(name: str, *, dev_default: str | None) -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Docker/systemd credentials).

    ``dev_default`` is used only when the caller says we are in development; production must set one.
    """
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{name}_FILE={path} cannot be read: {exc}") from None
    value = os.environ.get(name)
    if value:
        return value
    if dev_default is None:
        raise ConfigError(f"{name} (or {name}_FILE) must be set outside development")
    return dev_default


_BASE64 = re.compile(r"[A-Za-z0-9_+/-]+=*")
MAKE_A_KEY = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


def key_bytes(name: str, value: str, *, min_bytes: int = 32) -> bytes:
    """A key given as base64 (standard or URL-safe, padding optional), refused when it holds fewer than
    ``min_bytes`` bytes: 32 bytes are 43 base64 characters."""
    text = value.strip().rstrip("=")
    try:
        if not _BASE64.fullmatch(text):
            raise ValueError
        raw = base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_") + "=" * (-len(text) % 4))
    except (ValueError, binascii.Error):
        raise ConfigError(f"{name} must be base64; make a key with: {MAKE_A_KEY}") from None
    if len(raw) < min_bytes:
        raise ConfigError(
            f"{name} is too short ({len(raw)} bytes): it must be at least {min_bytes} random bytes, "
            f"base64-encoded ({-(-min_bytes * 4 // 3)} characters or more); make one with: {MAKE_A_KEY}"
        )
    return raw


def env_keys(name: str, *, older: str, dev_default: str | None, min_bytes: int = 32) -> list[bytes]:
    """The key in NAME (or NAME_FILE), then the comma-separated older keys in ``older`` (or ``older``_FILE),
    newest first, each checked by ``key_bytes``. ``dev_default`` as for ``env_secret``."""
    try:
        newest = env_secret(name, dev_default=dev_default)
    except ConfigError as problem:
        raise ConfigError(
            f"{problem}: at least {min_bytes} random bytes, base64; make one with: {MAKE_A_KEY}"
        ) from None
    keys = [key_bytes(name, newest, min_bytes=min_bytes)]
    for part in env_secret(older, dev_default="").replace("\n", ",").split(","):
        if part.strip():
            keys.append(key_bytes(older, part, min_bytes=min_bytes))
    return keys


_HOST_PORT = re.compile(r"(\[[^\]]+\]|[^:\[\]]+)(?::(\d+))?")


def database_from_url(url: str, *, conn_max_age: int) -> dict:
    """Django's DATABASES entry for ``url`` (dj_database_url's). A PostgreSQL URL may name several hosts, in
    libpq's form that ``pg_autoctl show uri`` prints for a primary and its standby:
    ``postgres://user@h1:p1,h2:p2/db?target_session_attrs=read-write``; psycopg tries them in turn and keeps
    the first that takes writes, so after a failover a new connection finds the promoted standby."""
    parts = urlsplit(url)
    userinfo, _, hostlist = parts.netloc.rpartition("@")
    if "," not in hostlist:
        return dj_database_url.parse(url, conn_max_age=conn_max_age)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ConfigError(
            f"DATABASE_URL names several hosts: only PostgreSQL takes that, not {parts.scheme}://"
        )
    hosts, ports = [], []
    for item in hostlist.split(","):
        match = _HOST_PORT.fullmatch(item)
        if not match:
            raise ConfigError(f"DATABASE_URL: {item!r} is not a host or host:port")
        hosts.append(match[1].strip("[]"))
        ports.append(match[2] or "5432")
    # dj_database_url reads one host: give it the first, then name them all.
    first = urlunsplit(parts._replace(netloc=(userinfo + "@" if userinfo else "") + "localhost"))
    config = dj_database_url.parse(first, conn_max_age=conn_max_age)
    config["HOST"], config["PORT"] = ",".join(hosts), ",".join(ports)
    return config
