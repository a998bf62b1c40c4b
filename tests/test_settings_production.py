"""Production refuses development conveniences at start, naming the variable to set. Each case loads the
settings module in a fresh interpreter with its own environment (settings are read once per process)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


# Variables a developer's or CI's shell may hold that would change what production decides.
_SET_HERE = ("SAFERSTAFF_", "DEBUG", "SITE_URL", "DATABASE_URL", "EMAIL_", "STORAGE_BACKEND", "S3_")


def _clean_env(tmp_path) -> dict:
    base = {k: v for k, v in os.environ.items() if not k.startswith(_SET_HERE)}
    base.update({"SAFERSTAFF_VAR": str(tmp_path), "PYTHONPATH": str(ROOT)})
    return base


def load_settings(tmp_path, **env: str) -> subprocess.CompletedProcess:
    base = _clean_env(tmp_path)
    base.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import saferstaff.settings as s; print('SITE_URL=' + s.SITE_URL)"],
        env=base,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


PRODUCTION = {
    "SAFERSTAFF_ENV": "production",
    "SECRET_KEY": "a-real-secret-for-this-test-only",
    # Production's own keys for face templates and the audit trail (their rules: tests/test_faces_keys.py,
    # tests/test_audit.py).
    "FACE_TEMPLATE_KEY": "f" * 43,
    "AUDIT_KEY": "a" * 43,
    # Read, not connected to: loading the settings opens no connection.
    "DATABASE_URL": "postgres://saferstaff:secret@db.example.org:5432/saferstaff",
    "EMAIL_HOST": "smtp.example.org",
}
SITE = {"SITE_URL": "https://saferstaff.example.org"}


def production_values(tmp_path, *names: str, **env: str) -> dict:
    """The named settings as production computes them (in a fresh interpreter)."""
    code = (
        "import json, saferstaff.settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {list(names)!r}}}, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**_clean_env(tmp_path), **PRODUCTION, **SITE, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_with_its_settings_starts(tmp_path):
    result = load_settings(tmp_path, **PRODUCTION, SITE_URL="https://saferstaff.example.org/")
    assert result.returncode == 0, result.stderr
    assert "SITE_URL=https://saferstaff.example.org" in result.stdout


def test_production_refuses_debug(tmp_path):
    result = load_settings(tmp_path, **PRODUCTION, SITE_URL="https://saferstaff.example.org", DEBUG="1")
    assert result.returncode != 0
    assert "ConfigError: DEBUG is on in production" in result.stderr and "DEBUG=0" in result.stderr


def test_production_requires_the_site_url(tmp_path):
    result = load_settings(tmp_path, **PRODUCTION)
    assert result.returncode != 0
    assert "ConfigError: SITE_URL must be set in production" in result.stderr


@pytest.mark.parametrize("url", ["saferstaff.example.org", "ftp://example.org"])
def test_a_site_url_without_its_scheme_is_refused(tmp_path, url):
    result = load_settings(tmp_path, SITE_URL=url)
    assert result.returncode != 0 and "SITE_URL must start with https://" in result.stderr


def test_production_refuses_a_plain_http_site_url_and_development_may_use_one(tmp_path):
    result = load_settings(tmp_path, **PRODUCTION, SITE_URL="http://saferstaff.example.org")
    assert result.returncode != 0
    assert "SITE_URL must start with https://" in result.stderr and "in production" in result.stderr
    assert load_settings(tmp_path, SITE_URL="http://127.0.0.1:8101").returncode == 0


def test_development_links_to_the_port_it_serves_on(tmp_path):
    # `make run PORT=8101` exports SITE_URL=http://127.0.0.1:8101 (Makefile); without it, port 8000.
    assert "SITE_URL=http://127.0.0.1:8000" in load_settings(tmp_path).stdout
    shown = subprocess.run(
        ["make", "-s", "--eval", "show-site-url: ; @echo $$SITE_URL", "show-site-url", "PORT=8101"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k != "SITE_URL"},
    )
    assert shown.stdout.strip() == "http://127.0.0.1:8101", shown.stderr


def test_production_turns_on_https_only_cookies_hsts_and_the_redirect(tmp_path):
    values = production_values(
        tmp_path,
        "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_PROXY_SSL_HEADER",
        "PASSWORD_HASHERS",
    )
    assert values["SECURE_HSTS_SECONDS"] >= 180 * 24 * 60 * 60
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"] and values["SECURE_SSL_REDIRECT"]
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    # New passwords are hashed with Argon2, and older hashes are upgraded to it at sign-in (the tests' own
    # fast hasher is set in conftest.py only).
    assert values["PASSWORD_HASHERS"][0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


@pytest.mark.parametrize("name", ["SECRET_KEY", "AUDIT_KEY", "FACE_TEMPLATE_KEY", "EMAIL_HOST"])
def test_production_refuses_to_start_without_each_required_variable(tmp_path, name):
    env = {**PRODUCTION, **SITE}
    del env[name]
    result = load_settings(tmp_path, **env)
    assert result.returncode != 0
    assert "ConfigError" in result.stderr and name in result.stderr.splitlines()[-1], result.stderr[-500:]


def test_production_refuses_sqlite_unless_asked_for(tmp_path):
    sqlite = {**PRODUCTION, **SITE, "DATABASE_URL": f"sqlite:///{tmp_path / 'one-school.sqlite3'}"}
    refused = load_settings(tmp_path, **sqlite)
    assert refused.returncode != 0
    last = refused.stderr.splitlines()[-1]
    assert "ConfigError" in last and "DATABASE_URL" in last and "SAFERSTAFF_ALLOW_SQLITE=1" in last
    assert load_settings(tmp_path, **sqlite, SAFERSTAFF_ALLOW_SQLITE="1").returncode == 0


@pytest.mark.parametrize("missing", ["S3_BUCKET", "S3_ACCESS_KEY", "S3_SECRET_KEY"])
def test_production_on_s3_refuses_to_start_without_the_bucket_or_its_keys(tmp_path, missing):
    s3 = {
        "STORAGE_BACKEND": "s3",
        "S3_BUCKET": "saferstaff-files",
        "S3_ENDPOINT_URL": "https://s3.example.org",
        "S3_ACCESS_KEY": "access",
        "S3_SECRET_KEY": "secret",
    }
    assert load_settings(tmp_path, **PRODUCTION, **SITE, **s3).returncode == 0
    del s3[missing]
    result = load_settings(tmp_path, **PRODUCTION, **SITE, **s3)
    assert result.returncode != 0
    last = result.stderr.splitlines()[-1]
    assert "ConfigError" in last and missing in last
