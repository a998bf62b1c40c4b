"""Mail really leaves over SMTP: an aiosmtpd server on loopback receives what saferstaff sends.

The alert email must say only that there is something new (no title, no pupil's name), and the invitation
must carry a working set-password link."""

import email
import email.policy
import re
import socket
from dataclasses import dataclass, field

import pytest
from django.urls import reverse

from saferstaff.notifications.service import notify
from saferstaff.notifications.tasks import ALERT_SUBJECT
from saferstaff.schools.models import Pupil, Role
from saferstaff.schools.staff import add_staff
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.smtp


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: email.message.EmailMessage

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""


@dataclass
class Collector:
    """aiosmtpd handler: keeps every message it is given."""

    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1 and Django's default mailer pointed at it (the test runner had
    swapped every mailer to locmem; the ``settings`` fixture puts ours back for this test only)."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        skip_or_fail("aiosmtpd is not installed: run `make setup`")
    collector = Collector()
    controller = None
    error = None
    for _attempt in range(3):  # a free port can be taken between choosing it and binding it
        candidate = Controller(collector, hostname="127.0.0.1", port=_free_port(), ready_timeout=10)
        try:
            candidate.start()
        except Exception as exc:  # noqa: BLE001 - aiosmtpd raises several kinds when it cannot bind
            error = exc
            continue
        controller = candidate
        break
    if controller is None:
        skip_or_fail(f"Could not start an SMTP server on 127.0.0.1 with aiosmtpd: {error!r}")
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": controller.port, "timeout": 10},
        }
    }
    try:
        yield collector
    finally:
        controller.stop()


def test_alert_email_arrives_without_any_detail(cast, smtp_server, django_capture_on_commit_callbacks):
    pupil = Pupil.objects.create(
        school=cast.school,
        upn="",
        legal_forename="Rosalind",
        legal_surname="Featherstonehaugh",
        date_of_birth="2019-03-04",
    )
    title = f"Sensitive title about a pupil: {pupil.legal_forename} {pupil.legal_surname}"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notification = notify(
            cast.dsl,
            kind="concern.raised",
            title=title,
            url=reverse("pupil_detail", kwargs={"school": cast.school.slug, "pk": pupil.pk}),
            school=cast.school,
        )
    assert len(callbacks) == 1, "the email is sent only after the transaction commits"

    assert len(smtp_server.received) == 1
    (mail,) = smtp_server.received
    assert mail.recipients == [cast.dsl.email]
    assert mail.message["To"] == cast.dsl.email
    assert mail.message["Subject"] == ALERT_SUBJECT == "You have a new item in saferstaff"
    link = "http://127.0.0.1:8000" + reverse("notification_open", kwargs={"pk": notification.pk})
    assert link in mail.body
    raw = mail.message.as_string()
    for secret in (title, "Sensitive", pupil.legal_forename, pupil.legal_surname):
        assert secret not in raw, f"{secret!r} must not be in the email"
    notification.refresh_from_db()
    assert notification.emailed_at is not None


def test_invitation_arrives_and_its_link_sets_a_password(
    cast, smtp_server, django_capture_on_commit_callbacks, client
):
    with django_capture_on_commit_callbacks(execute=True):
        member = add_staff(
            cast.school,
            email="Nadia.Newstarter@School.Example",
            first_name="Nadia",
            last_name="Newstarter",
            roles={Role.STAFF},
            by=cast.head,
        )
    user = member.user
    assert not user.has_usable_password()

    assert len(smtp_server.received) == 1
    (mail,) = smtp_server.received
    assert mail.recipients == ["nadia.newstarter@school.example"]
    assert mail.message["Subject"].endswith("You have been added to saferstaff")
    match = re.search(r"http://127\.0\.0\.1:8000(/accounts/password/reset/key/\S+/)", mail.body)
    assert match, f"no set-password link in:\n{mail.body}"

    # Follow the link: allauth moves the key into the session and shows the set-password form.
    response = client.get(match.group(1), follow=True)
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else match.group(1)
    assert 'name="password1"' in response.content.decode()
    password = "harbour-lantern-quietly-47-orchid"
    response = client.post(form_url, {"password1": password, "password2": password})
    assert response.status_code == 302, response.content.decode()[:2000]
    user.refresh_from_db()
    assert user.has_usable_password() and user.check_password(password)

    # The link works once.
    assert "password1" not in client.get(match.group(1), follow=True).content.decode()

    # And now they can sign in with it.
    client.logout()
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response.status_code == 302, response.content.decode()[:2000]
    response = client.get(reverse("home"), follow=True)
    assert response.context["user"] == user
    assert response.redirect_chain[-1][0] == reverse("school_dashboard", kwargs={"school": cast.school.slug})
