import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from saferstaff.notifications.models import Notification
from saferstaff.policies.models import PolicyVersion
from saferstaff.policies.reminders import send_due_reminders

from .conftest import signed_in
from .test_acknowledgements import accept_url, published


def days_after(version, n):
    return timezone.localdate(version.published_at) + datetime.timedelta(days=n)


def test_staff_are_reminded_on_the_schools_days_and_only_once(cast):
    version = published(cast)
    assert send_due_reminders(cast.school, today=days_after(version, 1))["reminders"] == 0
    first = send_due_reminders(cast.school, today=days_after(version, 3))
    assert first["reminders"] == 9  # everyone at the school: nobody has accepted yet
    assert send_due_reminders(cast.school, today=days_after(version, 3))["reminders"] == 0  # not twice
    signed_in(cast.teacher).post(accept_url(cast, version), {"understood": "on", "typed_name": "Tom Teacher"})
    second = send_due_reminders(cast.school, today=days_after(version, 7))
    assert second["reminders"] == 8  # the teacher accepted in between
    reminder = Notification.objects.filter(user=cast.dsl, kind="policy.reminder").first()
    assert reminder.title == "Please read and accept Internet Acceptable Use Policy"


def test_the_line_manager_is_told_after_the_escalation_day(cast):
    version = published(cast)
    teacher = cast.member(cast.teacher)
    teacher.line_manager = cast.member(cast.line_manager)
    teacher.save()
    assert send_due_reminders(cast.school, today=days_after(version, 13))["escalations"] == 0
    assert send_due_reminders(cast.school, today=days_after(version, 14))["escalations"] == 1
    note = Notification.objects.get(user=cast.line_manager, kind="policy.escalation")
    assert "Tom Teacher has not yet accepted" in note.title


def test_the_head_is_told_when_a_review_date_comes_near(cast):
    version = published(cast)
    PolicyVersion.objects.filter(pk=version.pk).update(review_date=days_after(version, 40))
    assert send_due_reminders(cast.school, today=days_after(version, 5))["reviews"] == 0
    assert send_due_reminders(cast.school, today=days_after(version, 12))["reviews"] == 1
    assert Notification.objects.filter(user=cast.head, kind="policy.review").count() == 1


def test_optional_policies_are_not_chased(cast):
    version = published(cast, compulsory=False)
    assert send_due_reminders(cast.school, today=days_after(version, 30))["reminders"] == 0


def test_the_command_runs_for_every_school(cast, capsys):
    published(cast)
    call_command("send_reminders")
    out = capsys.readouterr().out
    assert f"{cast.school.slug}: reminders 0" in out and f"{cast.other_school.slug}:" in out


@pytest.mark.parametrize(
    ("reminders", "escalate", "message"),
    [
        ("7,14", "3", "Tell the line manager after the first reminder (day 7): enter more than 7 days"),
        ("7,14", "7", "enter more than 7 days"),
        ("3", "0", "between 1 and 365"),
        ("3", "9999", "between 1 and 365"),
    ],
)
def test_settings_that_make_no_sense_are_refused_naming_the_field(cast, reminders, escalate, message):
    from saferstaff.schools.models import SchoolSettings

    url = reverse("school_settings", kwargs={"school": cast.school.slug})
    form = {"pupil_voice_age": 12, "reminder_days": reminders}
    response = signed_in(cast.head, confirmed=True).post(url, {**form, "escalate_after_days": escalate})
    page = response.content.decode()
    assert response.status_code == 200 and message in page and 'href="#id_escalate_after_days"' in page
    assert SchoolSettings.for_school(cast.school).escalate_after_days == 14
    assert (
        signed_in(cast.head, confirmed=True).post(url, {**form, "escalate_after_days": "21"}).status_code
        == 302
    )


def test_a_review_date_moved_later_is_announced_again_when_it_nears(cast):
    version = published(cast)
    PolicyVersion.objects.filter(pk=version.pk).update(review_date=days_after(version, 40))
    assert send_due_reminders(cast.school, today=days_after(version, 12))["reviews"] == 1
    version.refresh_from_db()
    version.set_review_date(days_after(version, 400), by=cast.head)
    assert send_due_reminders(cast.school, today=days_after(version, 20))["reviews"] == 0
    assert send_due_reminders(cast.school, today=days_after(version, 380))["reviews"] == 1
    assert send_due_reminders(cast.school, today=days_after(version, 381))["reviews"] == 0
    assert Notification.objects.filter(user=cast.head, kind="policy.review").count() == 2
