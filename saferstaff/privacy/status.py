"""What the Overview lists as things to do in the privacy room (§8), for the person looking: breaches waiting for
the decision whether to tell the ICO (72 hours from awareness), subject access requests due within a week or
overdue, disclosures to complete in the sharing log, records due for destruction. Each stays until it is done."""

import datetime

from django.db.models import Count, F, Q
from django.utils import timezone

from saferstaff.numbers import counted
from saferstaff.privacy.destruction import about_the_reader
from saferstaff.privacy.models import AccessRequest, Breach, DueRecord, Sharing
from saferstaff.privacy.sharing import entries_readable_by
from saferstaff.rules.privacy import is_officer
from saferstaff.schools.roles import Actor

SOON = datetime.timedelta(days=7)


def open_requests(school, actor: Actor):
    """Open subject access requests, never one about the person looking."""
    requests = AccessRequest.objects.filter(school=school, status__in=("open", "paused"))
    if actor.membership is not None:
        requests = requests.exclude(about_member=actor.membership)
    return requests


def breach_clock(school, now=None) -> dict:
    """THE count of the 72-hour clock (§8, UK GDPR art. 33): breaches decided (tell the ICO or not) by their
    deadline, decided late, and still undecided past it."""
    return breach_clocks([school.pk], now)[school.pk]


def breach_clocks(school_ids: list[int], now=None) -> dict[int, dict]:
    """``breach_clock`` for many schools at once (the trust's view): one query."""
    now = now or timezone.now()
    return _per_school(
        Breach.objects.filter(school_id__in=school_ids),
        school_ids,
        on_time=Count("pk", filter=Q(decided_at__isnull=False, decided_at__lte=F("ico_due"))),
        late=Count("pk", filter=Q(decided_at__gt=F("ico_due"))),
        overdue=Count("pk", filter=Q(decided_at__isnull=True, closed_at__isnull=True, ico_due__lt=now)),
    )


def requests_on_time(school, now=None) -> dict:
    """THE count of subject access answered on time (§8, UK GDPR art. 12: one month, extendable): closed by
    their due moment, answered late, and open past it (refused or withdrawn requests are not counted)."""
    return requests_on_time_for([school.pk], now)[school.pk]


def requests_on_time_for(school_ids: list[int], now=None) -> dict[int, dict]:
    """``requests_on_time`` for many schools at once (the trust's view): one query."""
    now = now or timezone.now()
    return _per_school(
        AccessRequest.objects.filter(school_id__in=school_ids),
        school_ids,
        on_time=Count("pk", filter=Q(status="answered", closed_at__lte=F("due_at"))),
        late=Count("pk", filter=Q(status="answered", closed_at__gt=F("due_at"))),
        overdue=Count("pk", filter=Q(closed_at__isnull=True, status="open", due_at__lt=now)),
    )


def _per_school(queryset, school_ids: list[int], **counts) -> dict[int, dict]:
    """Each count per school, in one grouped query; a school with no row counts 0 of each."""
    found = {row.pop("school_id"): row for row in queryset.order_by().values("school_id").annotate(**counts)}
    return {pk: found.get(pk, dict.fromkeys(counts, 0)) for pk in school_ids}


def things_to_do(actor: Actor, school) -> list[tuple[str, str]]:
    if actor.membership is None:
        return []
    now, out = timezone.now(), []
    if is_officer(actor):
        # Each count and its late part in one query (conditional aggregation).
        undecided = Breach.objects.filter(
            school=school, decision=Breach.Decision.UNDECIDED, closed_at__isnull=True
        ).aggregate(count=Count("pk"), late=Count("pk", filter=Q(ico_due__lt=now)))
        count, late = undecided["count"], undecided["late"]
        if count:
            out.append(
                (
                    counted(count, "breach waits", "breaches wait") + " for the decision whether to tell the ICO"
                    + (f" ({late} past the 72 hours)" if late else "") + " (§8)",
                    "breach_list",
                )
            )  # fmt: skip
        requests = open_requests(school, actor)
        soon = requests.filter(status="open", due_at__lt=now + SOON).aggregate(
            count=Count("pk"), late=Count("pk", filter=Q(due_at__lt=now))
        )
        count, late = soon["count"], soon["late"]
        if count:
            out.append(
                (
                    counted(count, "subject access request is", "subject access requests are") + " due within a week"
                    + (f" ({late} overdue)" if late else "") + " (§8)",
                    "sar_list",
                )
            )  # fmt: skip
        due = (
            DueRecord.objects.filter(school=school, status=DueRecord.Status.DUE)
            .exclude(about_the_reader(actor))
            .count()
        )
        if due:
            out.append(
                (
                    counted(due, "record is", "records are")
                    + " past its retention period: confirm destruction (§8)",
                    "retention_due",
                )
            )
    count = entries_readable_by(actor).filter(status=Sharing.Status.TO_COMPLETE).count()
    if count:
        out.append(
            (
                counted(count, "disclosure waits", "disclosures wait")
                + " to be completed in the sharing log (§8)",
                "sharing_list",
            )
        )
    return out
