import logging

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from saferstaff.notifications.models import Notification
from saferstaff.notifications.outbox import send_once

log = logging.getLogger(__name__)

ALERT_SUBJECT = "You have a new item in saferstaff"


@task()
def email_notification(notification_id: int) -> None:
    """Tell the person there is something waiting. The email carries no sensitive content by design."""
    notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if notification is None or notification.emailed_at is not None:
        return
    link = settings.SITE_URL + reverse("notification_open", kwargs={"pk": notification.pk})
    body = (
        "You have a new item in saferstaff.\n\n"
        f"Sign in to see it: {link}\n\n"
        "This email does not contain any details on purpose. If you were not expecting it, "
        "tell your school office.\n"
    )
    with transaction.atomic():  # sent and marked sent together, once however often the job runs
        send_once(f"notification:{notification.pk}", ALERT_SUBJECT, body, [notification.user.email])
        Notification.objects.filter(pk=notification.pk, emailed_at=None).update(emailed_at=timezone.now())
    log.info("notification %s emailed to user %s", notification.pk, notification.user_id)
