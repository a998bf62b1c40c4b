import datetime
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from saferstaff.notifications.models import Notification
from saferstaff.notifications.tasks import email_notification


def notify(user, *, kind: str, title: str, url: str = "", school=None, email: bool = True) -> Notification:
    """Add an item to the person's list and, after the transaction commits, email them a plain alert."""
    notification = Notification.objects.create(user=user, school=school, kind=kind, title=title, url=url)
    if email and user.email:
        transaction.on_commit(lambda: email_notification.enqueue(notification.pk))
    return notification


def chase_once_a_day(
    school,
    counts: dict[int, int],
    *,
    kind: str,
    title: Callable[[int], str],
    url: str,
    now: datetime.datetime,
) -> int:
    """One notice of ``kind`` a day to each person in ``counts`` (user id → how many things wait for them): a
    list, not one notice per item, and not again the same day. Returns how many were told."""
    if not counts:
        return 0
    today = timezone.localdate(now)
    already = set(
        Notification.objects.filter(kind=kind, school=school, created_at__date=today).values_list(
            "user_id", flat=True
        )
    )
    members = {
        m.user_id: m.user for m in school.memberships.filter(user_id__in=counts).select_related("user")
    }
    sent = 0
    for user_id, count in counts.items():
        if user_id in already or user_id not in members:
            continue
        notify(members[user_id], kind=kind, title=title(count), url=url, school=school)
        sent += 1
    return sent
