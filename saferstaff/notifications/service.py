from django.db import transaction

from saferstaff.notifications.models import Notification
from saferstaff.notifications.tasks import email_notification


def notify(user, *, kind: str, title: str, url: str = "", school=None, email: bool = True) -> Notification:
    """Add an item to the person's list and, after the transaction commits, email them a plain alert."""
    notification = Notification.objects.create(user=user, school=school, kind=kind, title=title, url=url)
    if email and user.email:
        transaction.on_commit(lambda: email_notification.enqueue(notification.pk))
    return notification
