"""Production refuses development conveniences at start, naming the variable to set. Each case loads the
settings module in a fresh interpreter with its own environment (settings are read once per process)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_settings(tmp_path, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SAFERSTAFF_", "DEBUG", "SITE_URL"))}
    base.update({"SAFERSTAFF_VAR": str(tmp_path), "PYTHONPATH": str(ROOT)}, **env)
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
}


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
