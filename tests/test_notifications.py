from django.core import mail
from django.urls import reverse

from saferstaff.notifications.models import Notification
from saferstaff.notifications.service import notify

from .conftest import signed_in


def test_the_alert_email_says_only_that_there_is_something_new(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        note = notify(
            cast.dsl, kind="contact.disclosed", title="Tom disclosed contact with Amelia O.", url="/x/"
        )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [cast.dsl.email] and message.subject == "You have a new item in saferstaff"
    assert "Amelia" not in message.body and "Tom" not in message.body
    assert reverse("notification_open", kwargs={"pk": note.pk}) in message.body
    assert Notification.objects.get(pk=note.pk).emailed_at is not None


def test_no_email_until_the_transaction_commits(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(cast.dsl, kind="k", title="t")
    assert len(mail.outbox) == 0 and len(callbacks) == 1


def test_the_list_shows_my_items_and_opening_one_marks_it_read(cast):
    mine = notify(cast.teacher, kind="k", title="Your roles changed", url="/schools/", email=False)
    notify(cast.dsl, kind="k", title="Not for the teacher", email=False)
    client = signed_in(cast.teacher)
    page = client.get(reverse("notification_list")).content.decode()
    assert "Your roles changed" in page and "Not for the teacher" not in page
    response = client.get(reverse("notification_open", kwargs={"pk": mine.pk}))
    assert response.status_code == 302 and response["Location"] == "/schools/"
    assert Notification.objects.get(pk=mine.pk).read_at is not None


def test_an_offsite_link_in_a_notification_is_not_followed(cast):
    note = notify(cast.teacher, kind="k", title="t", url="https://evil.example/", email=False)
    response = signed_in(cast.teacher).get(reverse("notification_open", kwargs={"pk": note.pk}))
    assert response["Location"] == reverse("notification_list")
