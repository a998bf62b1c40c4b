import logging

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from saferstaff.consent.models import PortalLink
from saferstaff.notifications.outbox import send_once

log = logging.getLogger(__name__)


@task()
def email_portal_link(link_id: int) -> None:
    """Email a guardian their portal link. The email names the school, never a child: it leaves our
    control, and a shared or mistyped address must not learn who is at the school."""
    link = PortalLink.objects.select_related("guardian", "school").filter(pk=link_id).first()
    if link is None or link.revoked_at is not None or not link.guardian.email:
        return
    days = settings.PORTAL_LINK_DAYS  # the same number the office's page shows
    body = (
        f"{link.school.name} asks for your choices about photos and videos of your child.\n\n"
        f"Open this link to see what the school asks, and to say yes or no to each use:\n{link.url()}\n\n"
        f"The link works for {days} days and only for you: please do not forward it. You can change your "
        "mind at any time with a new link from the school office, and you do not need to give a reason.\n"
    )
    send_once(
        f"portal-link:{link.pk}", f"{link.school.name}: photos of your child", body, [link.guardian.email]
    )
    log.info("portal link %s emailed to guardian %s", link.pk, link.guardian_id)


@task()
def email_portal_receipt(link_id: int, receipt: str) -> None:
    """A receipt for the guardian: when and the reference; the answers are behind their link."""
    link = PortalLink.objects.select_related("guardian", "school").filter(pk=link_id).first()
    if link is None or not link.guardian.email:
        return
    body = (
        f"{link.school.name} has recorded your choices about photos and videos of your child on "
        f"{timezone.localtime():%-d %B %Y at %H:%M}.\n\nReceipt reference: {receipt}\n\n"
        "A choice to say no took effect straight away. To see or change your choices, use the link the "
        "school sent you while it works, or ask the school office for a new one.\n"
    )
    subject = f"{link.school.name}: your choices were recorded ({receipt})"
    send_once(f"portal-receipt:{receipt}", subject, body, [link.guardian.email])
    log.info("portal receipt %s emailed for link %s", receipt, link.pk)
