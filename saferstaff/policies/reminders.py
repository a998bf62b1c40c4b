"""The daily chase (§2: the guidance is shared with and adhered to by all staff): staff who have not yet
accepted a compulsory policy are reminded on the school's days after publication, their line manager is told
after the school's escalation day, and the Headteacher is told a month before a policy's review date.
Each reminder is sent once (``Reminder`` rows); run ``saferstaff send_reminders`` daily (README)."""

import datetime
import logging

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from saferstaff.notifications.service import notify
from saferstaff.policies.models import Reminder
from saferstaff.policies.status import school_overview
from saferstaff.schools.models import Membership, Role, SchoolSettings
from saferstaff.schools.roles import members_holding

log = logging.getLogger(__name__)
REVIEW_NOTICE_DAYS = 30
REVIEW_EPOCH = datetime.date(2000, 1, 1)  # a review reminder's day mark counts days from here (fits to 2089)


def _once(**key) -> bool:
    """Record a reminder; False if it was already sent (the unique constraint decides, race-free)."""
    try:
        with transaction.atomic():
            Reminder.objects.create(**key)
    except IntegrityError:
        return False
    return True


def send_due_reminders(school, *, today: datetime.date | None = None) -> dict[str, int]:
    today = today or timezone.localdate()
    settings = SchoolSettings.for_school(school)
    marks = settings.reminder_marks
    sent = {"reminders": 0, "escalations": 0, "reviews": 0}
    for item in school_overview(school):
        version, policy = item["version"], item["policy"]
        url = reverse(
            "policy_version", kwargs={"school": school.slug, "pk": policy.pk, "number": version.number}
        )
        if version.review_date and (version.review_date - today).days <= REVIEW_NOTICE_DAYS:
            heads = members_holding(school.pk, {Role.HEADTEACHER}).select_related("user")
            # Once per review date: a date moved later (policy_review_date) is announced again when it nears.
            mark = (version.review_date - REVIEW_EPOCH).days
            if _once(
                school=school, version=version, membership=None, kind=Reminder.Kind.REVIEW, day_mark=mark
            ):
                for head in heads:
                    notify(
                        head.user,
                        kind="policy.review",
                        title=f"{policy.title} is due for review",
                        url=url,
                        school=school,
                    )
                sent["reviews"] += 1
        if not policy.compulsory or version.published_at is None:
            continue
        days = (today - timezone.localdate(version.published_at)).days
        due = [mark for mark in marks if mark <= days]
        for member in item["waiting"]:
            # One reminder for the latest day passed; earlier missed days are not sent late as well.
            if due and _once(
                school=school,
                version=version,
                membership=member,
                kind=Reminder.Kind.REMINDER,
                day_mark=due[-1],
            ):
                notify(
                    member.user,
                    kind="policy.reminder",
                    title=f"Please read and accept {policy.title}",
                    url=url,
                    school=school,
                )
                sent["reminders"] += 1
            if (
                days >= settings.escalate_after_days
                and member.line_manager_id
                and _once(
                    school=school,
                    version=version,
                    membership=member,
                    kind=Reminder.Kind.ESCALATION,
                    day_mark=0,
                )
            ):
                manager = Membership.objects.select_related("user").get(pk=member.line_manager_id)
                notify(
                    manager.user,
                    kind="policy.escalation",
                    title=f"{member.user.display_name} has not yet accepted {policy.title}",
                    url=reverse("policy_dashboard", kwargs={"school": school.slug}),
                    school=school,
                )
                sent["escalations"] += 1
    log.info("reminders school=%s %s", school.pk, " ".join(f"{k}={v}" for k, v in sent.items()))
    return sent
