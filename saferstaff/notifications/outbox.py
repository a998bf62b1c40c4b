"""Every email saferstaff sends from a task goes through ``send_once``: sent at most once per key, and not
recorded as sent unless the SMTP server took it.

The key's row and the sending share one transaction. If SMTP refuses or is down, the transaction rolls back, the
task fails with the error (an ``OSError``) and the worker runs it again later (``saferstaff run_worker``: retries
with backoff). If another run of the same job got there first, its row is there (or, on PostgreSQL, the insert
waits for it) and this run sends nothing. The one window left is a worker killed after the SMTP server accepted
the message and before the commit: that email can go twice — never none."""

import logging

from django.core.mail import send_mail
from django.db import IntegrityError, transaction

from saferstaff.notifications.models import SentEmail

log = logging.getLogger(__name__)


def send_once(key: str, subject: str, body: str, to: list[str]) -> bool:
    """Send unless an email with ``key`` already left; True if this call sent it. Call it inside the
    transaction that records anything else about the sending, so both commit or neither."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                SentEmail.objects.create(key=key)
        except IntegrityError:
            log.info("email %s already sent; not sending again", key)
            return False
        send_mail(subject, body, None, to)
    return True
