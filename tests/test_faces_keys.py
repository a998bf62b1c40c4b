"""The keys face templates are sealed with (biometric data: UK GDPR art. 9, PoFA 2012): keys of their own,
long enough, required in production, and rotated by `rotate_face_keys` without losing a template."""

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.management import CommandError, call_command

from saferstaff.audit.models import AuditEvent
from saferstaff.biometrics import enrolment
from saferstaff.biometrics.models import FaceTemplate
from saferstaff.env import ConfigError, key_bytes

from .image_samples import pupil_with_parents

ROOT = Path(__file__).resolve().parent.parent
OLD, NEW = secrets.token_bytes(32), secrets.token_bytes(32)


def load_settings(**env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("FACE_TEMPLATE", "SAFERSTAFF_ENV"))}
    return subprocess.run(
        [sys.executable, "-c", "import saferstaff.settings"],
        env={**environ, "SAFERSTAFF_VAR": "/tmp", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    "key",
    [secrets.token_urlsafe(16), secrets.token_urlsafe(31), "hunter2", "not base64!"],
    # named, not shown: a random key's id would differ between pytest-xdist's workers, which must agree
    ids=["16 random bytes", "31 random bytes", "a word", "not base64"],
)
def test_a_key_shorter_than_32_random_bytes_is_refused(key):
    with pytest.raises(ConfigError, match="FACE_TEMPLATE_KEY"):
        key_bytes("FACE_TEMPLATE_KEY", key)
    result = load_settings(FACE_TEMPLATE_KEY=key)
    assert result.returncode != 0 and "FACE_TEMPLATE_KEY" in result.stderr and "32" in result.stderr


def test_a_key_of_32_random_bytes_is_taken_in_either_base64():
    raw = secrets.token_bytes(32)
    assert key_bytes("K", base64.urlsafe_b64encode(raw).decode()) == raw
    assert key_bytes("K", base64.b64encode(raw).decode().rstrip("=")) == raw
    assert load_settings(FACE_TEMPLATE_KEY=secrets.token_urlsafe(32)).returncode == 0


def test_production_does_not_start_without_a_face_template_key():
    production = {
        "SAFERSTAFF_ENV": "production",
        "SECRET_KEY": "s" * 50,
        "AUDIT_KEY": secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": "school.example",
        "SITE_URL": "https://school.example",
        "EMAIL_HOST": "smtp.school.example",
        "DATABASE_URL": "postgres://saferstaff@db.school.example/saferstaff",
    }
    result = load_settings(**production)
    assert result.returncode != 0 and "FACE_TEMPLATE_KEY" in result.stderr
    assert load_settings(**production, FACE_TEMPLATE_KEY=secrets.token_urlsafe(32)).returncode == 0


def test_the_sealing_key_is_derived_not_the_configured_bytes(settings):
    settings.FACE_TEMPLATE_KEYS = [OLD]
    token = enrolment.seal(b"template")
    with pytest.raises(InvalidToken):  # the key as given is not the Fernet key: HKDF stands between
        Fernet(base64.urlsafe_b64encode(OLD)).decrypt(token)
    settings.SECRET_KEY = "changed"  # and nothing rests on SECRET_KEY
    assert enrolment.unseal(token) == b"template"


def _template(school, sealed: bytes = b"") -> FaceTemplate:
    pupil, _ = pupil_with_parents(school, surname=f"Pupil{FaceTemplate.objects.count()}")
    return FaceTemplate.objects.create(
        school=school, pupil=pupil, vector=sealed or enrolment.seal(b"\1" * 512), reference=sealed or
        enrolment.seal(b"jpeg"), model_version="standin",
    )  # fmt: skip


def test_a_template_sealed_with_the_old_key_opens_after_rotation_and_the_command_reseals_it(cast, settings):
    settings.FACE_TEMPLATE_KEYS = [OLD]
    here, there = _template(cast.school), _template(cast.other_school)
    settings.FACE_TEMPLATE_KEYS = [NEW, OLD]  # a new key, the old one kept for reading
    assert enrolment.unseal(here.vector) == b"\1" * 512
    fresh = _template(cast.school)  # new templates are sealed with the newest key straight away

    call_command("rotate_face_keys", "--dry-run")
    here.refresh_from_db()
    settings.FACE_TEMPLATE_KEYS = [NEW]
    with pytest.raises(InvalidToken):  # the dry run changed nothing
        enrolment.unseal(here.vector)
    assert not AuditEvent.objects.filter(action="faces.keys_rotated").exists()

    settings.FACE_TEMPLATE_KEYS = [NEW, OLD]
    call_command("rotate_face_keys", "--batch-size", "1")
    settings.FACE_TEMPLATE_KEYS = [NEW]  # the old key dropped
    for template in (here, there, fresh):
        template.refresh_from_db()
        assert (
            enrolment.unseal(template.vector) == b"\1" * 512
            and enrolment.unseal(template.reference) == b"jpeg"
        )
    audited = {e.school_id: e.detail for e in AuditEvent.objects.filter(action="faces.keys_rotated")}
    assert audited == {
        cast.school.pk: {"resealed": 1, "current": 1, "unreadable": 0},
        cast.other_school.pk: {"resealed": 1, "current": 0, "unreadable": 0},
    }


@pytest.mark.parametrize("legacy_key", ["", "short-old-key"])
def test_templates_sealed_the_way_before_keys_of_their_own_are_read_by_the_rotation_only(
    cast, settings, legacy_key
):
    if legacy_key:  # FACE_TEMPLATE_KEY cut to 32 bytes and zero-padded, used as the Fernet key itself
        old_way = Fernet(base64.urlsafe_b64encode(legacy_key.encode().ljust(32, b"\0")))
    else:  # no FACE_TEMPLATE_KEY: a key derived from SECRET_KEY
        derived = HKDF(hashes.SHA256(), 32, salt=b"saferstaff face templates", info=b"v1").derive(
            settings.SECRET_KEY.encode()
        )
        old_way = Fernet(base64.urlsafe_b64encode(derived))
    template = _template(cast.school, sealed=old_way.encrypt(b"\1" * 512))
    settings.FACE_TEMPLATE_KEYS = [NEW]
    with pytest.raises(InvalidToken):
        enrolment.unseal(template.vector)
    if legacy_key:
        with pytest.raises(CommandError, match=f"ids {template.pk}"):  # not told the old key: says so
            call_command("rotate_face_keys")
        settings.FACE_TEMPLATE_LEGACY_KEY = legacy_key
    call_command("rotate_face_keys")
    template.refresh_from_db()
    assert enrolment.unseal(template.vector) == b"\1" * 512
    assert AuditEvent.objects.filter(action="faces.keys_rotated").last().detail["resealed"] == 1
