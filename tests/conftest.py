"""The small cast every test uses (STYLE.md habit 2): one school with a person in each role, and a
teacher at *another* school of the same trust. Build on ``cast``; don't invent new people per test."""

import os
from dataclasses import dataclass

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.core.files.storage import default_storage
from django.test import Client

from saferstaff.accounts.models import User
from saferstaff.schools.models import (
    EmploymentType,
    Membership,
    Role,
    RoleGrant,
    School,
    SchoolSettings,
    Trust,
    TrustAdmin,
)
from saferstaff.schools.roles import Actor

# CI sets SAFERSTAFF_REQUIRE_ALL=1: a test that would skip because Chromium, PostgreSQL, an SMTP or S3
# server or ../shared data is missing fails instead, so green in CI means it really ran.
REQUIRE_ALL = os.environ.get("SAFERSTAFF_REQUIRE_ALL") == "1"


EXPECT_S3 = os.environ.get("SAFERSTAFF_EXPECT_S3") == "1"
ON_S3 = django_settings.STORAGE_BACKEND == "s3"


def skip_or_fail(reason: str):
    if REQUIRE_ALL:
        pytest.fail(f"{reason} (SAFERSTAFF_REQUIRE_ALL=1 turns this skip into a failure)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    if not ON_S3:
        settings.MEDIA_ROOT = str(tmp_path / "media")  # uploads of one test never meet another's
    settings.TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "checks"],
        }
    }
    settings.AUDIT_HEAD_DIR = tmp_path / "audit-heads"  # run_daily writes the audit heads
    # Hashing strength is not what these tests are about; PBKDF2 would make each test seconds slower.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Each test's database starts afresh (ids and generations repeat): what one test's Overview kept is not
    # another's.
    caches["overview"].clear()


@dataclass
class Cast:
    trust: Trust
    school: School
    other_school: School
    head: User
    slt: User
    dsl: User
    line_manager: User
    governor: User
    dpo: User
    office: User
    teacher: User
    volunteer: User
    other_teacher: User
    trust_admin: User
    nobody: User  # signed in, but with no place at any school

    def member(self, user: User, school: School | None = None) -> Membership:
        return Membership.objects.get(user=user, school=school or self.school)

    def actor(self, user: User, school: School | None = None) -> Actor:
        """``user`` acting at the cast's school (or ``school``), as a door or a rule is asked."""
        return Actor.of(user, school or self.school)

    def by_role(self) -> dict[str, User]:
        return {
            Role.HEADTEACHER: self.head,
            Role.SENIOR_LEADER: self.slt,
            Role.DSL: self.dsl,
            Role.LINE_MANAGER: self.line_manager,
            Role.GOVERNOR: self.governor,
            Role.DPO: self.dpo,
            Role.OFFICE: self.office,
            Role.STAFF: self.teacher,
        }


PASSWORD = "correct-horse-battery-staple-42"


def make_school(name: str, urn: str, estab: str, trust: Trust | None) -> School:
    school = School.objects.create(
        name=name,
        slug=School.unique_slug_for(name),
        urn=urn,
        la_number="383",
        establishment_number=estab,
        trust=trust,
    )
    SchoolSettings.objects.create(school=school)
    return school


def make_person(
    email: str, school: School | None, roles: set[str], kind=EmploymentType.EMPLOYEE, **extra
) -> User:
    first, _, last = email.partition("@")[0].partition(".")
    user = User.objects.create_user(
        email=email, password=PASSWORD, first_name=first.title(), last_name=(last or "Test").title()
    )
    if school is not None:
        m = Membership.objects.create(school=school, user=user, employment_type=kind, **extra)
        for role in roles:
            RoleGrant.objects.create(school=school, membership=m, role=role)
    return user


@pytest.fixture
def cast(db) -> Cast:
    trust = Trust.objects.create(name="Test Trust", slug="test-trust")
    school = make_school("Westfield Infant", "100001", "2001", trust)
    other = make_school("Moorside Primary", "100002", "2002", trust)
    c = Cast(
        trust=trust,
        school=school,
        other_school=other,
        head=make_person("helen.head@school.example", school, {Role.HEADTEACHER}),
        slt=make_person("sam.slt@school.example", school, {Role.SENIOR_LEADER}),
        dsl=make_person("dawn.dsl@school.example", school, {Role.DSL}),
        line_manager=make_person("lee.manager@school.example", school, {Role.LINE_MANAGER}),
        governor=make_person(
            "gail.governor@school.example",
            school,
            {Role.GOVERNOR},
            EmploymentType.VOLUNTEER,
            is_chair_of_governors=True,
        ),
        dpo=make_person("priya.dpo@school.example", school, {Role.DPO}, EmploymentType.CONTRACTOR),
        office=make_person("olive.office@school.example", school, {Role.OFFICE, Role.STAFF}),
        teacher=make_person("tom.teacher@school.example", school, {Role.STAFF}),
        volunteer=make_person("val.volunteer@school.example", school, {Role.STAFF}, EmploymentType.VOLUNTEER),
        other_teacher=make_person("otto.teacher@other.example", other, {Role.STAFF}),
        trust_admin=make_person("tariq.admin@trust.example", None, set()),
        nobody=make_person("nora.nobody@example.org", None, set()),
    )
    TrustAdmin.objects.create(trust=trust, user=c.trust_admin)
    return c


def current_totp(secret: str) -> str:
    """What an authenticator app shows for ``secret`` now. Near the end of a 30-second step it waits for the
    next one, so the code is still valid when the server checks it (allauth allows no drift by default)."""
    import time

    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    period = app_settings.TOTP_PERIOD
    if period - time.time() % period < 3:
        time.sleep(period - time.time() % period + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


def signed_in(user: User, *, mfa: bool = True, confirmed: bool = False) -> Client:
    """A client signed in as ``user``. With ``mfa`` the session counts as having passed a second factor
    (roles that need MFA get a TOTP authenticator so the MFA-setup redirect does not apply)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    if mfa and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client = Client()
    client.force_login(user)
    if confirmed:
        # As if they had just typed their password again (step-up before adding staff, changing roles …).
        from django.urls import reverse

        response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
        assert response.status_code == 302, "re-authentication failed in the test set-up"
    return client


@pytest.fixture
def client_for(cast):
    return signed_in


def s3_client():
    import boto3
    from botocore.config import Config

    options = django_settings.STORAGES["default"]["OPTIONS"]
    return boto3.client(
        "s3",
        endpoint_url=options["endpoint_url"],
        aws_access_key_id=options["access_key"],
        aws_secret_access_key=options["secret_key"],
        region_name=options["region_name"] or "us-east-1",
        config=Config(signature_version="s3v4", s3={"addressing_style": options["addressing_style"]}),
    )


@pytest.fixture
def storage(settings, tmp_path):
    """``default_storage``: on the filesystem, under a temporary MEDIA_ROOT; on S3, with the bucket created
    first (a fresh test server has none)."""
    if EXPECT_S3 and not ON_S3:
        pytest.fail(
            f"SAFERSTAFF_EXPECT_S3=1 but STORAGE_BACKEND is {settings.STORAGE_BACKEND!r}: "
            "set STORAGE_BACKEND=s3 and the S3_* variables",
            pytrace=False,
        )
    if ON_S3:
        from botocore.exceptions import ClientError

        client = s3_client()
        bucket = settings.STORAGES["default"]["OPTIONS"]["bucket_name"]
        try:
            client.head_bucket(Bucket=bucket)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in {"404", "NoSuchBucket", "NotFound"}:
                raise
            client.create_bucket(Bucket=bucket)
        # Each test starts with an empty bucket, as each starts with an empty MEDIA_ROOT on the filesystem.
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                client.delete_objects(Bucket=bucket, Delete={"Objects": keys})
    else:
        settings.MEDIA_ROOT = str(tmp_path / "media")
    return default_storage
