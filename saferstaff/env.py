"""Small typed readers for configuration from the environment.

Every process (web, worker, the ``saferstaff`` command) reads the same variables through these, so a
misspelt or malformed value fails loudly at start-up instead of quietly falling back.
"""

import os
from pathlib import Path


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
