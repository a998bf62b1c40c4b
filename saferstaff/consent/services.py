"""Consent answers (§5) and the links guardians give them through: the one door that records an answer, and
sending and opening the guardian portal's links. The decisions are the rules in ``rules.consent``."""

import datetime
import secrets
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from saferstaff import scans
from saferstaff.audit.log import record
from saferstaff.consent.models import PORTAL_SALT, ConsentRecord, PortalLink, Purpose, end_of_school_year
from saferstaff.consent.signals import withdrawn
from saferstaff.consent.tasks import email_portal_link, email_portal_receipt
from saferstaff.rules.consent import may_record_consent
from saferstaff.rules.engine import enforce
from saferstaff.schools.models import Guardian
from saferstaff.schools.roles import Actor

# --- Consent answers ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    pupil: object
    purpose: Purpose
    answer: str  # ConsentRecord.Answer


def record_answers(
    school,
    answers: list[Answer],
    *,
    source: str,
    method: str,
    guardian=None,
    by=None,
    expires_on: datetime.date | None = None,
    evidence=None,
    note: str = "",
) -> tuple[list[ConsentRecord], str]:
    """Record answers from one person in one go (all or none); returns the records and the receipt reference.

    The one door for a consent answer: the staff page, the guardian portal and the demo loader all record
    answers here. A "no" takes effect at once: for each one this sends ``consent.signals.withdrawn`` inside
    the same transaction, and the rooms above consent act on it — photos makes every publication it affects
    a takedown (§5), biometrics erases the pupil's face templates when the purpose is face matching — so a
    failure in either undoes the answer too. Tested by every path in tests/test_consent_withdrawal.py."""
    receipt = secrets.token_hex(4).upper()
    today = timezone.localdate()
    created: list[ConsentRecord] = []
    actor = Actor.of(by, school) if by is not None else None  # None: a guardian through the portal
    with transaction.atomic():
        for a in answers:
            expiry = expires_on
            if expiry is None and a.purpose.renew_annually and a.answer == ConsentRecord.Answer.YES:
                expiry = end_of_school_year(today)
            r = ConsentRecord(
                school=school,
                pupil=a.pupil,
                purpose=a.purpose,
                answer=a.answer,
                source=source,
                guardian=guardian,
                method=method,
                recorded_by=by,
                expires_on=expiry,
                note=note,
                receipt=receipt,
            )
            decision = may_record_consent(actor, subject=a.pupil, answer=r)
            enforce(decision)
            if evidence is not None:
                if created:  # one scan for all the answers on the form
                    r.evidence = created[0].evidence.name
                else:
                    r.evidence.save(scans.stored_name(evidence), evidence, save=False)
            r.save()
            record(
                "images.consent.recorded", r, detail={"answer": a.answer, "source": source, "method": method}
            )
            created.append(r)
        for r in created:
            if r.answer == ConsentRecord.Answer.NO:
                # In this transaction: the takedowns and the erasure stand or fall with the answer.
                withdrawn.send(sender=ConsentRecord, withdrawal=r)
    return created, receipt


# --- Guardian portal ------------------------------------------------------------------------------------


class PortalLinkError(Exception):
    pass


def send_portal_links(school, guardians, *, by) -> int:
    """Send each guardian a fresh link (their older links stop working). Guardians without an email
    address or without parental responsibility for a pupil on roll are skipped by the caller's query."""
    days = settings.PORTAL_LINK_DAYS
    now = timezone.now()
    sent = 0
    with transaction.atomic():
        for guardian in guardians:
            PortalLink.objects.filter(guardian=guardian, revoked_at__isnull=True).update(revoked_at=now)
            link = PortalLink.objects.create(
                school=school,
                guardian=guardian,
                sent_by=by,
                sent_to=guardian.email,
                expires_at=now + datetime.timedelta(days=days),
            )
            transaction.on_commit(lambda pk=link.pk: email_portal_link.enqueue(pk))
            sent += 1
        record("images.portal.links_sent", school, detail={"count": sent})
    return sent


def open_portal_link(token: str) -> PortalLink:
    """The link a token stands for, or PortalLinkError with words a guardian can act on."""
    try:
        data = signing.loads(
            token, salt=PORTAL_SALT, max_age=datetime.timedelta(days=settings.PORTAL_LINK_DAYS)
        )
    except signing.SignatureExpired:
        raise PortalLinkError("This link has expired. Ask the school office to send you a new one.") from None
    except signing.BadSignature:
        raise PortalLinkError(
            "This link is not valid. Check that you copied all of it from the email, or ask the school "
            "office to send you a new one."
        ) from None
    link = (
        PortalLink.objects.select_related("guardian", "school")
        .filter(pk=data.get("l"), nonce=_uuid(data.get("n")))
        .first()
    )
    if link is None:
        raise PortalLinkError("This link is not valid. Ask the school office to send you a new one.")
    if link.revoked_at is not None:
        raise PortalLinkError(
            "This link has been replaced by a newer one. Use the most recent email from the school."
        )
    if link.expires_at <= timezone.now():
        raise PortalLinkError("This link has expired. Ask the school office to send you a new one.")
    if link.sent_to.casefold() != link.guardian.email.casefold():
        raise PortalLinkError(
            "The school's records for you have changed since this link was sent. Ask the school office to "
            "send you a new one."
        )
    return link


def _uuid(value):
    try:
        return uuid.UUID(hex=str(value))
    except ValueError:
        return None


class Unchanged(Exception):
    """Every answer sent is already the guardian's answer in force (the same form sent twice)."""


def current_answers(link, children) -> dict[tuple[int, int], str]:
    """The guardian's own answer in force for each (child, use), through any link: "" once it has lapsed."""
    today = timezone.localdate()
    answers = {}
    for r in ConsentRecord.objects.filter(
        school=link.school, guardian=link.guardian, pupil__in=children, source=ConsentRecord.Source.GUARDIAN
    ).order_by("recorded_at", "pk"):
        answers[(r.pupil_id, r.purpose_id)] = (
            r.answer if (r.expires_on is None or r.expires_on >= today) else ""
        )
    return answers


def record_portal_answers(link: PortalLink, answers: list[Answer]) -> str:
    """A guardian's answers through their link, written consent (§5): recorded all or none, the link marked
    as used, and a receipt emailed once they are saved. Returns the receipt's reference. Only the answers that
    differ from those in force when it runs are recorded, under a lock on the guardian: the same form sent twice
    at once (a double click) records once, and the second raises Unchanged."""
    with transaction.atomic():
        Guardian.objects.select_for_update().filter(pk=link.guardian_id).first()
        current = current_answers(link, {a.pupil for a in answers})
        answers = [a for a in answers if a.answer != current.get((a.pupil.pk, a.purpose.pk))]
        if not answers:
            raise Unchanged
        _records, receipt = record_answers(
            link.school,
            answers,
            source=ConsentRecord.Source.GUARDIAN,
            method=ConsentRecord.Method.PORTAL,
            guardian=link.guardian,
        )
        PortalLink.objects.filter(pk=link.pk).update(last_used_at=timezone.now())
        transaction.on_commit(lambda: email_portal_receipt.enqueue(link.pk, receipt))
    return receipt
