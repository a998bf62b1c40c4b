"""The ``saferstaff`` command line, as later checks and operators call it."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from saferstaff.audit.models import AuditEvent
from saferstaff.schools.models import Guardianship, Membership, Pupil, Role, School, SchoolSettings, Trust

ROOT = Path(__file__).resolve().parent.parent


def test_create_school_prints_the_slug_last(db, capsys):
    call_command(
        "create_school", "--name", "Yeadon Westfield Infant School", "--urn", "107914", "--laestab", "3832105"
    )
    lines = capsys.readouterr().out.strip().splitlines()
    school = School.objects.get(urn="107914")
    assert lines[-1] == school.slug == "yeadon-westfield-infant-school"
    assert (school.la_number, school.establishment_number) == ("383", "2105")
    assert SchoolSettings.objects.get(school=school).pupil_voice_age == 12
    assert AuditEvent.objects.filter(action="school.created", object_id=str(school.pk)).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--urn", "12345", "--laestab", "3832105"], "--urn must be 6 digits"),
        (["--urn", "107914", "--laestab", "383210"], "--laestab must be 7 digits"),
        (["--urn", "107914", "--laestab", "3832105", "--trust", "nope"], "No trust"),
    ],
)
def test_create_school_refuses_bad_numbers(db, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_school", "--name", "X", *args)
    assert not School.objects.exists()


def test_create_school_refuses_a_duplicate_urn(db):
    call_command("create_school", "--name", "A", "--urn", "107914", "--laestab", "3832105")
    with pytest.raises(CommandError, match="already set up"):
        call_command("create_school", "--name", "B", "--urn", "107914", "--laestab", "3832106")


def test_create_trust_makes_the_trust_and_an_admin_who_sets_a_password_from_the_printed_link(
    db, capsys, client
):
    call_command(
        "create_trust", "--name", "Leeds City Council", "--kind", "la", "--admin-email", "IT@Leeds.example"
    )
    lines = capsys.readouterr().out.strip().splitlines()
    trust = Trust.objects.get(slug=lines[-1])
    assert trust.name == "Leeds City Council" and trust.kind == Trust.Kind.LOCAL_AUTHORITY
    admin = trust.admins.get().user
    assert admin.email == "it@leeds.example" and not admin.has_usable_password()
    assert AuditEvent.objects.filter(action__in=["trust.created", "trust.admin_added"]).count() == 2
    link = next(line for line in lines if "set their password" in line).split(": ", 1)[1]
    form = client.get(link.removeprefix(settings.SITE_URL), follow=True)
    assert form.status_code == 200 and b'name="password1"' in form.content
    new_password = "a-long-passphrase-for-the-council-7"
    done = client.post(form.redirect_chain[-1][0], {"password1": new_password, "password2": new_password})
    assert done.status_code == 302
    admin.refresh_from_db()
    assert admin.check_password(new_password)
    with pytest.raises(CommandError, match="already set up"):
        call_command("create_trust", "--name", "Leeds City Council", "--admin-email", "other@leeds.example")
    with pytest.raises(CommandError, match="not an email address"):
        call_command("create_trust", "--name", "Another Trust", "--admin-email", "nobody")


def test_load_demo_has_every_role_sixty_pupils_and_guardians(db, capsys):
    call_command("load_demo")
    out = capsys.readouterr().out
    school = School.objects.get(urn="199001")
    roles = set(Membership.objects.filter(school=school).values_list("role_grants__role", flat=True))
    assert roles >= set(Role.values)
    assert Pupil.objects.filter(school=school).count() == 61
    assert Guardianship.objects.filter(school=school, parental_responsibility=True).count() >= 60
    assert "head@demo.example" in out and "Westfield-head-demo-2026" in out and "oathtool" in out
    # The demo's tags go through the one tagging door, like anyone's: each is in the audit trail.
    from saferstaff.audit.models import AuditEvent
    from saferstaff.photos.models import ImageTag

    assert ImageTag.objects.filter(school=school).count() == 18
    assert AuditEvent.objects.filter(school_id=school.pk, action="images.tag.added").count() == 18
    # So do its photo activities: both asked for, and the harvest festival approved, through their doors.
    for action, count in (("images.activity.requested", 2), ("images.activity.decided", 1)):
        assert AuditEvent.objects.filter(school_id=school.pk, action=action).count() == count
    # And its data-protection records (§8): a guardian's request, a breach, a disclosure — each by its door.
    for action in ("privacy.sar.logged", "privacy.breach.reported", "privacy.sharing.logged"):
        assert AuditEvent.objects.filter(school_id=school.pk, action=action).count() == 1, action
    # Running it again neither fails nor duplicates.
    call_command("load_demo")
    assert Pupil.objects.filter(school=school).count() == 61


def test_load_demo_if_empty_leaves_a_real_database_alone(db, capsys):
    call_command("create_school", "--name", "Real School", "--urn", "107914", "--laestab", "3832105")
    call_command("load_demo", "--if-empty")
    assert School.objects.count() == 1


def test_load_demo_refuses_to_run_in_production(db, settings):
    settings.PRODUCTION = True
    for args in ((), ("--if-empty",)):
        with pytest.raises(CommandError, match="refuses to run in production"):
            call_command("load_demo", *args)
    assert not School.objects.exists() and not Membership.objects.exists()


def test_run_daily_runs_each_rooms_daily_jobs_in_order_and_seals_the_audit_heads_last(cast):
    out = io.StringIO()
    call_command("run_daily", stdout=out)
    lines = out.getvalue().splitlines()
    schools = [f"{slug}: " for slug in School.objects.values_list("slug", flat=True)]
    assert [line.split(": ")[0] + ": " for line in lines[: len(schools)]] == schools
    assert [line.split(" ", 1)[1] for line in lines[len(schools) :]] == [
        "pupils' consent states decided again (an answer lapsed or a birthday)",
        "people chased about disclosures, requests and concerns waiting for them",
        "items of evidence not matching their hash (DSLs told)",
        "page captures given up after an hour waiting (their requesters told)",
        "people chased about overdue actions and LADO referrals",
        "takedown checks given up (waiting over an hour)",
        "takedowns raised where consent is no longer given (an answer lapsed, a birthday, responsibility ended)",
        "open takedowns chased",
        "stored files deleted on retry",
        "weekly sweeps of schools' own websites queued",
        "face templates erased (consent gone or pupil left)",
        "roster uploads discarded (previewed over 7 days ago)",
        "personal-data breaches chased (the ICO's 72 hours, §8)",
        "records newly due for destruction (§8)",
        "due records taken off the list by a legal hold",
        "confirmed records destroyed, each with its certificate",
        "governors' reports made for the term (its last three weeks, §2)",
        "schools' figures for their trust's page worked out for the day (0 of earlier days removed)",
        "audit chain heads written and sent to the DPOs",
    ]


def test_the_console_script_runs_with_the_same_configuration(tmp_path):
    """``saferstaff`` is an installed console script reading DATABASE_URL like the web server."""
    exe = Path(sys.executable).with_name("saferstaff")
    assert exe.exists(), "the saferstaff console script is not installed in the venv: run make setup"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "SAFERSTAFF_VAR": str(tmp_path),
    }
    subprocess.run([exe, "migrate", "-v0"], check=True, env=env, cwd=ROOT)
    made = subprocess.run(
        [exe, "create_school", "--name", "Cli School", "--urn", "100100", "--laestab", "3830100"],
        check=True,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert made.stdout.strip().splitlines()[-1] == "cli-school"
    verified = subprocess.run([exe, "verify_audit"], env=env, cwd=ROOT, capture_output=True, text=True)
    assert verified.returncode == 0 and "intact" in verified.stdout
    assert (tmp_path / "cli.sqlite3").exists()


def load_settings(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import saferstaff.settings"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def test_a_real_host_name_without_production_mode_refuses_to_start(tmp_path):
    env = {**os.environ, "ALLOWED_HOSTS": "saferstaff.school.example", "SAFERSTAFF_VAR": str(tmp_path)}
    env.pop("SAFERSTAFF_ENV", None)
    env.pop("SITE_URL", None)  # `make test` exports the development address
    env.pop("DATABASE_URL", None)  # the default database (CI's PostgreSQL stage sets its own)
    result = load_settings(env)
    assert result.returncode != 0 and "SAFERSTAFF_ENV=production" in result.stderr
    env["SAFERSTAFF_ENV"] = "production"
    result = load_settings(env)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr
    env["SECRET_KEY"] = "x" * 50
    env["FACE_TEMPLATE_KEY"] = "k" * 43  # production needs a key of its own for face templates
    result = load_settings(env)
    assert result.returncode != 0 and "SITE_URL must be set in production" in result.stderr
    env["SITE_URL"] = "https://saferstaff.school.example"
    result = load_settings(env)
    assert result.returncode != 0 and "SAFERSTAFF_ALLOW_SQLITE=1" in result.stderr  # the default database
    env["SAFERSTAFF_ALLOW_SQLITE"] = "1"  # one school on one server
    result = load_settings(env)
    assert result.returncode != 0 and "AUDIT_KEY" in result.stderr  # the audit trail's key is never a default
    env["AUDIT_KEY"] = "hunter2"
    result = load_settings(env)
    assert result.returncode != 0 and "AUDIT_KEY" in result.stderr and "32" in result.stderr
    (tmp_path / "audit.key").write_text("y" * 50)
    env["AUDIT_KEY_FILE"] = str(tmp_path / "audit.key")
    result = load_settings(env)
    assert result.returncode != 0 and "EMAIL_HOST must be set in production" in result.stderr
    env["EMAIL_HOST"] = "smtp.school.example"
    result = load_settings(env)
    assert result.returncode == 0, result.stderr
