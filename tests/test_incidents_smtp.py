"""§9 and KCSIE Part 4: a report's alerts really leave over SMTP (aiosmtpd on loopback, as in tests/test_smtp.py)
and say only that there is something new. A teacher's report of a parent's posts reaches the designated persons
(the DSL and the Headteacher); an allegation about the Headteacher reaches only the chair of governors. No
email carries what happened, who is involved, the kind of report or the words of the guidance."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from saferstaff.incidents.models import Case
from saferstaff.notifications.models import Notification
from saferstaff.notifications.tasks import ALERT_SUBJECT
from tests.test_smtp import smtp_server  # noqa: F401 - the real SMTP server fixture

from .conftest import signed_in

pytestmark = pytest.mark.smtp

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _arrived_without(smtp_server, wanted: set[str], secrets: tuple[str, ...]) -> None:  # noqa: F811
    assert {r for mail in smtp_server.received for r in mail.recipients} == wanted
    for mail in smtp_server.received:
        assert mail.message["Subject"] == ALERT_SUBJECT
        raw = mail.message.as_string()
        for secret in secrets:
            assert secret not in raw, f"{secret!r} must not be in the email"
        (notification,) = Notification.objects.filter(
            user__email=mail.recipients[0], kind__startswith="incidents."
        )
        assert reverse("notification_open", kwargs={"pk": notification.pk}) in mail.body


def test_a_report_of_a_parents_posts_reaches_the_designated_persons_with_no_content(
    cast,
    smtp_server,  # noqa: F811 - the fixture imported above
    storage,
    django_capture_on_commit_callbacks,
):
    what = "Mrs Featherstonehaugh posted that I am a liar on the Year 4 parents' page"
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(cast.teacher).post(
            reverse("incident_report", kwargs={"school": cast.school.slug}),
            {
                "kind": "bullying", "by_whom": "parents", "channel": "social",
                "happened_on": timezone.localdate().isoformat(), "what_happened": what, "about_me": "on",
                "outsider": "Mrs Featherstonehaugh", "outsider_role": "alleged",
                "file": [SimpleUploadedFile("post.png", PNG, content_type="image/png")], "send": "1",
            },
        )  # fmt: skip
    assert response.status_code == 302 and Case.objects.filter(what_happened=what).exists()
    _arrived_without(
        smtp_server,
        {cast.dsl.email, cast.head.email},
        ("Featherstonehaugh", "liar", "Year 4", "post.png", "Cyberbullying", "parent", "§9"),
    )


def test_an_allegation_about_the_headteacher_is_emailed_only_to_the_chair(
    cast,
    smtp_server,  # noqa: F811 - the fixture imported above
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(cast.teacher).post(
            reverse("allegation_report", kwargs={"school": cast.school.slug}),
            {
                "subject": cast.member(cast.head).pk,
                "happened_on": (timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
                "what_happened": "Messaged a pupil from a personal account late at night",
            },
        )
    assert response.status_code == 302
    _arrived_without(
        smtp_server, {cast.governor.email}, ("Messaged", "personal account", "allegation", "LADO", "KCSIE")
    )
