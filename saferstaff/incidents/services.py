"""The doors of §9: reporting, adding evidence, opening it (verified against its hash every time) and sealing
it. Each asks its rule (``rules.incidents``) with the acting person's ``Actor``, writes in one transaction,
audits ids and codes only and tells the designated persons by an email with no content."""

import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from saferstaff.audit.log import record
from saferstaff.fetching import FetchRefused
from saferstaff.incidents import vault
from saferstaff.incidents.capture import capture
from saferstaff.incidents.models import Case, CaseMember, Evidence, EvidenceSeal
from saferstaff.notifications.service import notify
from saferstaff.rules.engine import Reason, Refused, refuse
from saferstaff.rules.incidents import (
    DESIGNATED,
    may_add_evidence,
    may_open_evidence,
    may_report,
    may_seal_evidence,
    may_share_case,
)
from saferstaff.schools.roles import DSL, Actor, members_holding


def _check(decision) -> None:
    if not decision:
        raise Refused(decision)


def _case_url(case: Case) -> str:
    try:
        return reverse("case_detail", kwargs={"school": case.school.slug, "pk": case.pk})
    except NoReverseMatch:  # the casework pages come in the next slice
        return ""


def report(actor: Actor, *, kind: str, happened_on: datetime.date, what_happened: str) -> Case:
    """A member of staff reports an incident (§9); the designated persons are told at once."""
    _check(may_report(actor))
    if kind not in Case.Kind.values or kind == Case.Kind.ALLEGATION:
        raise Refused(refuse(Reason("Choose what kind of incident it is", "§9", "kind")))
    if not what_happened.strip():
        raise Refused(refuse(Reason("Say what happened", "§9", "what_happened")))
    if happened_on > timezone.localdate():
        raise Refused(refuse(Reason("The date cannot be in the future", "§9", "happened_on")))
    with transaction.atomic():
        case = Case.objects.create(
            school=actor.school, kind=kind, reported_by=actor.user, happened_on=happened_on,
            what_happened=what_happened.strip(),
        )  # fmt: skip
        record("incidents.reported", case, detail={"kind": kind})
        for member in members_holding(actor.school.pk, DESIGNATED).select_related("user"):
            if member.user_id != actor.pk:
                notify(
                    member.user, kind="incidents.reported", title="A new incident has been reported (§9)",
                    url=_case_url(case), school=actor.school,
                )  # fmt: skip
    return case


def share_case(actor: Actor, case: Case, *, member, reason: str) -> CaseMember:
    """A designated person adds a member of staff who needs to know (§8); they are told."""
    _check(may_share_case(actor, subject=case, member=member))
    if not reason.strip():
        raise Refused(refuse(Reason("Say why they need to know", "§8", "reason")))
    with transaction.atomic():
        added = CaseMember.objects.create(
            school_id=case.school_id, case=case, member=member, added_by=actor.user, reason=reason.strip()
        )
        record("incidents.case_shared", case, detail={"member": member.pk})
        notify(
            member.user, kind="incidents.shared", title="You have been added to a case you need to know about (§8)",
            url=_case_url(case), school=case.school,
        )  # fmt: skip
    return added


def add_evidence(
    actor: Actor, case: Case, *, name: str, data: bytes, kind: str = Evidence.Kind.FILE
) -> Evidence:
    """Keep one item: hashed on receipt, stored once, the row and the file together or neither."""
    _check(may_add_evidence(actor, subject=case))
    if not data:
        raise Refused(refuse(Reason(f"{name} is empty: choose the file again", "§9", "file")))
    if len(data) > vault.MAX_BYTES:
        raise Refused(
            refuse(Reason(f"{name} is larger than 50 MB: keep it safe and tell the DSL", "§9", "file"))
        )
    content_type, extension = vault.sniff(data, name)
    stored = vault.store(f"evidence/{case.school_id}/item", data)
    try:
        with transaction.atomic():
            item = Evidence(
                school_id=case.school_id, case=case, kind=kind, original_name=name[:200],
                content_type=content_type, extension=extension, size=len(data), sha256=vault.digest(data),
                added_by=actor.user,
            )  # fmt: skip
            item.stored.name = stored
            item.save()
            record("incidents.evidence_added", item, detail={"sha256": item.sha256, "size": item.size})
    except Exception:
        vault.discard(stored)  # no file without its row
        raise
    return item


def add_page(actor: Actor, case: Case, *, url: str) -> Evidence:
    """Capture the page at ``url`` as one WARC item (``incidents.capture``). Run by the worker
    (``incidents.tasks.capture_page``), never in a request: a page may take its whole time limit."""
    _check(may_add_evidence.peek(actor, subject=case))
    try:
        warc = capture(url, allow_loopback=settings.CAPTURE_ALLOW_LOOPBACK)
    except FetchRefused as problem:
        record("incidents.capture_refused", case)
        raise Refused(refuse(Reason(str(problem), "§9", "url"))) from None
    host = urlsplit(url).hostname or "page"
    return add_evidence(actor, case, name=f"{host}.warc", data=warc, kind=Evidence.Kind.PAGE)


def open_evidence(actor: Actor, item: Evidence) -> bytes:
    """The item's bytes, re-hashed first: a mismatch is refused, recorded and raised to the DSL (§9)."""
    _check(may_open_evidence(actor, subject=item))
    data = vault.read(item.stored.name)
    if vault.digest(data) != item.sha256:
        altered(item)
        raise vault.EvidenceProblem(
            "This item no longer matches what was received, so it is not opened. The designated safeguarding "
            "lead has been told."
        )
    record("incidents.evidence_opened", item)  # the chain of custody: who opened what, when
    return data


def altered(item: Evidence) -> None:
    """Record that a stored item no longer matches its hash, and tell the DSLs (once a day at most)."""
    record("incidents.evidence_altered", item)
    for member in members_holding(item.school_id, {DSL}).select_related("user"):
        notify(
            member.user, kind="incidents.evidence_altered",
            title=f"An item of evidence no longer matches its hash: case {item.case_id} (§9)",
            url=_case_url(item.case), school=item.case.school,
        )  # fmt: skip


def seal_evidence(actor: Actor, item: Evidence, *, reason: str) -> EvidenceSeal:
    _check(may_seal_evidence(actor, subject=item))
    if not reason.strip():
        raise Refused(refuse(Reason("Say why it is sealed", "§9", "reason")))
    with transaction.atomic():
        seal = EvidenceSeal.objects.create(
            school_id=item.school_id, evidence=item, reason=reason.strip(), sealed_by=actor.user
        )
        record("incidents.evidence_sealed", item)
    return seal


def verify_all(school=None) -> list[Evidence]:
    """Re-hash every stored item (of ``school``, or of every school): those that no longer match, or are gone."""
    items = Evidence.objects.select_related("case__school")
    if school is not None:
        items = items.filter(school=school)
    bad = []
    for item in items.iterator():
        try:
            matches = vault.digest(vault.read(item.stored.name)) == item.sha256
        except (OSError, FileNotFoundError):
            matches = False
        if not matches:
            bad.append(item)
    return bad
