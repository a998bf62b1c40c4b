"""§3: when a member of staff discloses contact with a pupil, the Headteacher's alert really leaves over SMTP
(aiosmtpd on loopback, as in tests/test_smtp.py) and says only that there is something new: no pupil's name,
nothing of what happened, not even the platform."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from saferstaff.conduct.models import ContactChannel, Disclosure
from saferstaff.notifications.models import Notification
from saferstaff.notifications.tasks import ALERT_SUBJECT
from saferstaff.schools.models import Pupil, SchoolSettings
from tests.test_smtp import smtp_server  # noqa: F401 - the real SMTP server fixture

from .conftest import signed_in

pytestmark = pytest.mark.smtp


@pytest.mark.parametrize("to_dsl", [False, True])
def test_the_headteachers_alert_arrives_with_no_content(
    cast,
    smtp_server,  # noqa: F811 - the fixture imported above
    django_capture_on_commit_callbacks,
    to_dsl,
):
    SchoolSettings.objects.filter(school=cast.school).update(disclosures_to_dsl=to_dsl)
    pupil = Pupil.objects.create(
        school=cast.school, upn="", legal_forename="Rosalind", legal_surname="Featherstonehaugh",
        date_of_birth=datetime.date(2012, 3, 4), year_group="9",
    )  # fmt: skip
    what = "Rosalind sent a friend request and a message about the netball trip"
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(cast.teacher).post(
            reverse("disclosure_new", kwargs={"school": cast.school.slug}),
            {
                "who": "pupil", "pupil": pupil.pk, "channel": ContactChannel.objects.get(
                    school=cast.school, name="Snapchat").pk,
                "happened_on": timezone.localdate().isoformat(), "what_happened": what, "did": ["blocked"],
                "send": "1",
            },
        )  # fmt: skip
    assert response.status_code == 302
    assert Disclosure.objects.filter(pupil=pupil).exists()
    wanted = {cast.head.email} | ({cast.dsl.email} if to_dsl else set())
    assert {r for mail in smtp_server.received for r in mail.recipients} == wanted
    for mail in smtp_server.received:
        assert mail.message["Subject"] == ALERT_SUBJECT
        raw = mail.message.as_string()
        for secret in (
            "Rosalind",
            "Featherstonehaugh",
            "netball",
            "friend request",
            "Snapchat",
            "pupil",
            "§3",
        ):
            assert secret not in raw, f"{secret!r} must not be in the email"
        (notification,) = Notification.objects.filter(
            user__email=mail.recipients[0], kind="conduct.disclosure"
        )
        assert (
            "http://127.0.0.1:8000" + reverse("notification_open", kwargs={"pk": notification.pk})
            in mail.body
        )
