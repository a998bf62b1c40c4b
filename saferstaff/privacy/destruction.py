"""§8, UK GDPR art. 5(1)(e): the doors of destruction and of legal holds.

- ``confirm_destruction``: the DPO (or the Headteacher) confirms due records in bulk — every record of a kind, or
  the rows they chose. The worker (``destroy_confirmed``: a task after the confirmation, and the daily job as a
  catch-up) then destroys them ONE transaction per record: re-check the holds inside it, write the certificate
  (what, when, who confirmed, a hash of the record's fields and of its files' hashes, the rule: never content,
  never a name), delete the record (a leaver with their history rows), drop the due row; the files are deleted on
  commit through the photos room's retrying ``delete_files``. A run that stops half-way leaves every record it
  destroyed with its certificate and every other still confirmed: the next run resumes.
- ``place_hold`` / ``release_hold``: a legal hold keeps the records it covers (a pupil, a member of staff, a case,
  a kind, one record) until it ends; placing one takes what it covers off the due list at once."""

import datetime
import hashlib
import json
import logging

from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models import ProtectedError, Q, Subquery
from django.db.models.functions import Cast
from django.tasks import task
from django.utils import timezone

from saferstaff.audit.log import record
from saferstaff.conduct.models import LowLevelConcern
from saferstaff.incidents import registers
from saferstaff.incidents.models import Case, Evidence, EvidenceSeal, Note
from saferstaff.photos.models import Takedown
from saferstaff.photos.services import delete_files
from saferstaff.privacy import schedule, sweep
from saferstaff.privacy.kinds import KINDS
from saferstaff.privacy.models import AccessRequest, DestructionCertificate, DueRecord, LegalHold, Sharing
from saferstaff.rules.engine import Reason, Refused, enforce, refuse
from saferstaff.rules.privacy import may_confirm_destruction, may_place_hold, may_release_hold
from saferstaff.schools.models import Guardian, Guardianship, Membership, Pupil, RoleGrant
from saferstaff.schools.roles import Actor

log = logging.getLogger(__name__)

# Destroyed in this order, so that what belongs to a person goes before the person's own record.
ORDER = list(schedule.DEFAULTS)


class StillNeeded(Exception):
    """The record cannot go yet: another record kept needs it, or it is still published."""


HELD = Reason("A legal hold covers it: it is kept until the hold ends", "§8")


# --- Who sees which rows -----------------------------------------------------------------------------------

CASE_KINDS = ("incident_cases", "allegations")


def _ids(rows) -> Subquery:
    return Subquery(rows.annotate(s=Cast("pk", models.CharField())).values("s"))


def about_the_reader(actor) -> Q:
    """Due rows and certificates of records about ``actor``: cases about them (the subject of an allegation, or
    named in a case as having done it), low-level concerns about them, disclosures in the sharing log about them or
    from such a case, subject access requests about them — never shown, counted or confirmed by them (§8, KCSIE Part 4), as with the
    records themselves."""
    if actor.membership is None:
        return Q(pk__in=[])
    member, school_id = actor.membership, actor.school.pk
    theirs = Case.objects.filter(school_id=school_id).filter(registers.about(member))
    shared = Sharing.objects.filter(school_id=school_id).filter(
        Q(about_members=member) | Q(case__in=theirs.values("pk"))
    )
    asked = AccessRequest.objects.filter(school_id=school_id, about_member=member)
    concerns = LowLevelConcern.objects.filter(school_id=school_id, subject=member)
    return (
        Q(record_type__in=CASE_KINDS, record_id__in=_ids(theirs))
        | Q(record_type="low_level_concerns", record_id__in=_ids(concerns))
        | Q(record_type="sharing_log", record_id__in=_ids(shared))
        | Q(record_type="access_requests", record_id__in=_ids(asked))
    )


def holds_for(actor):
    """The school's legal holds ``actor`` sees and may release: never one on themselves, on a case about them, or
    on one record about them (an inquiry into them is not theirs to know of, nor to end, §8, KCSIE Part 4)."""
    holds = LegalHold.objects.filter(school_id=actor.school.pk)
    if actor.membership is None:
        return holds
    theirs = Case.objects.filter(school_id=actor.school.pk).filter(registers.about(actor.membership))
    one_of_theirs = about_the_reader(actor) | Q(record_type="staff", record_id=str(actor.membership.pk))
    return (
        holds.exclude(member=actor.membership)
        .exclude(case__in=theirs.values("pk"))
        .exclude(Q(scope=LegalHold.Scope.RECORD) & one_of_theirs)
    )


# --- Confirming -----------------------------------------------------------------------------------------------


def confirm_destruction(school, *, by, record_type: str | None = None, ids=()) -> int:
    """The DPO confirms due rows: every due row of ``record_type``, or the due rows ``ids`` (DueRecord pks) of
    this school. Returns how many were confirmed; the worker destroys them."""
    actor = Actor.of(by, school)
    decision = may_confirm_destruction(actor, school_id=school.pk)
    enforce(decision)
    rows = DueRecord.objects.filter(school=school, status=DueRecord.Status.DUE).exclude(
        about_the_reader(actor)
    )
    if record_type:
        rows = rows.filter(record_type=record_type)
    elif ids:
        rows = rows.filter(pk__in=list(ids))
    else:
        raise Refused(refuse(Reason("Choose what to destroy", "§8", "rows")))
    with transaction.atomic():
        by_kind = dict(rows.order_by().values_list("record_type").annotate(n=models.Count("pk")))
        n = rows.update(status=DueRecord.Status.CONFIRMED, confirmed_by=by, confirmed_at=timezone.now())
        record("privacy.destruction.confirmed", None, school=school.pk, detail={"counts": by_kind})
        transaction.on_commit(lambda: destroy_task.enqueue(school.pk))
    return n


@task()
def destroy_task(school_id: int) -> dict:
    return destroy_confirmed(school_id=school_id)


# --- Destroying -----------------------------------------------------------------------------------------------


def destroy_confirmed(*, school_id: int | None = None, limit: int | None = None) -> dict:
    """Destroy every confirmed row, one transaction each. Returns counts: destroyed, held (refused: a hold
    now covers it; the row leaves the due list), kept (other records still need it: back to due), gone (the
    record had already gone: the row is dropped)."""
    counts = {"destroyed": 0, "held": 0, "kept": 0, "gone": 0}
    rows = DueRecord.objects.filter(status=DueRecord.Status.CONFIRMED)
    if school_id is not None:
        rows = rows.filter(school_id=school_id)
    order = models.Case(
        *[models.When(record_type=k, then=models.Value(i)) for i, k in enumerate(ORDER)],
        default=models.Value(len(ORDER)),
    )
    pending = list(rows.annotate(o=order).order_by("o", "pk").values_list("pk", flat=True)[:limit])
    for pk in pending:
        counts[destroy_one(pk)] += 1
    return counts


def destroy_one(due_pk: int) -> str:
    """One confirmed due row: its own transaction. Returns what happened (a key of ``destroy_confirmed``)."""
    names: list[str] = []
    try:
        with transaction.atomic():
            due = (
                DueRecord.objects.select_for_update()
                .filter(pk=due_pk, status=DueRecord.Status.CONFIRMED)
                .first()
            )
            if due is None:
                return "gone"
            key = due.record_type
            model = sweep.model_of(key)
            obj = model.objects.filter(pk=due.record_id).first()
            if obj is None:
                due.delete()
                return "gone"
            if sweep.held(key, due.record_id, school_id=due.school_id):
                due.delete()
                record("privacy.destruction.held", (key, due.record_id), school=due.school_id)
                return "held"
            if key == "images" and obj.publications.filter(taken_down_at__isnull=True).exists():
                raise StillNeeded  # still published: the sweep raised a takedown; it waits for it
            if key == "pupils" and Takedown.objects.filter(pupil=obj, done_at__isnull=True).exists():
                raise StillNeeded  # their photo must still come down (§5): the takedown would go with them
            names = _files(key, obj)
            entry = schedule.schedule(due.school_id)[key]
            DestructionCertificate.objects.create(
                school_id=due.school_id,
                record_type=key,
                record_id=due.record_id,
                description=describe(key, obj),
                sha256=fingerprint(obj, names),
                rule=f"{entry.words} ({'school rule' if entry.rule else 'default'})"[:200],
                due_on=due.due_on,
                confirmed_by_id=due.confirmed_by_id,
                confirmed_at=due.confirmed_at,
            )
            _delete(key, obj)
            due.delete()
            record("privacy.destroyed", (key, due.record_id), school=due.school_id)
            school_id = due.school_id
            transaction.on_commit(lambda: delete_files(names, school_id=school_id) if names else None)
    except (ProtectedError, StillNeeded):
        # Another record kept still refers to it (a case naming a pupil who left): it waits for that one.
        DueRecord.objects.filter(pk=due_pk).update(
            status=DueRecord.Status.DUE, confirmed_by=None, confirmed_at=None
        )
        return "kept"
    return "destroyed"


def describe(key: str, obj) -> str:
    """What it was, without content or name: the kind, its number and the date its period ran from (its trigger:
    taken, closed, left…) — never another date of the record, such as a pupil's date of birth."""
    day = _trigger_day(key, obj)
    return f"{KINDS[key].label}: no. {obj.pk}" + (f", period from {day:%d/%m/%Y}" if day else "")


def _trigger_day(key: str, obj) -> datetime.date | None:
    trigger = sweep.SPECS[key].trigger
    if not trigger or "__" in trigger:
        return None  # a date on another record (the pupil's leaving date): the certificate does without
    value = getattr(obj, trigger, None)
    return timezone.localtime(value).date() if isinstance(value, datetime.datetime) else value


def _files(key: str, obj) -> list[str]:
    """The stored files that go with the record (an image and its thumbnail, a case's evidence, …)."""
    owners = [obj]
    if key in ("incident_cases", "allegations"):
        owners += list(Evidence.objects.filter(case=obj))
    if key == "images":
        owners += list(obj.publication_requests.all())
    names = []
    for owner in owners:
        for f in owner._meta.concrete_fields:
            if isinstance(f, models.FileField):
                value = getattr(owner, f.attname)
                if value:
                    names.append(str(value))
    return names


def fingerprint(obj, files: list[str]) -> str:
    """sha256 of the record's fields (as stored) and of its files' names and hashes: proof of what was
    destroyed that reveals none of it."""
    fields = {f.attname: str(getattr(obj, f.attname)) for f in obj._meta.concrete_fields}
    digest = {"fields": fields, "files": {name: _file_hash(name) for name in files}}
    return hashlib.sha256(json.dumps(digest, sort_keys=True).encode()).hexdigest()


def _file_hash(name: str) -> str:
    try:
        with default_storage.open(name, "rb") as fh:
            h = hashlib.sha256()
            for chunk in iter(lambda: fh.read(1 << 16), b""):
                h.update(chunk)
            return h.hexdigest()
    except Exception:  # noqa: BLE001  (a missing file: the certificate says so)
        return "missing"


HISTORY = {
    "pupils": lambda pk: [
        (Pupil.history.model, {"id": pk}),
        (Guardianship.history.model, {"pupil_id": pk}),
    ],
    "guardians": lambda pk: [
        (Guardian.history.model, {"id": pk}),
        (Guardianship.history.model, {"guardian_id": pk}),
    ],
    "staff": lambda pk: [
        (Membership.history.model, {"id": pk}),
        (RoleGrant.history.model, {"membership_id": pk}),
    ],
}


def _delete(key: str, obj) -> None:
    """Delete the record and what is only part of it; a leaver's history rows go with them."""
    if key in ("incident_cases", "allegations"):
        # Notes and seals are written once, never changed; they go with their case.
        notes = Note.objects.filter(case=obj)
        while notes.exists():  # newest first: a note that replaces another goes before it
            notes.filter(replaced_by__isnull=True).delete()
        EvidenceSeal.objects.filter(evidence__case=obj).delete()
        obj.captures.all().delete()
        Evidence.objects.filter(case=obj).delete()
    if key == "pupils":
        Guardianship.objects.filter(pupil=obj).delete()
    if key == "guardians":
        Guardianship.objects.filter(guardian=obj).delete()
    if key == "staff":
        RoleGrant.objects.filter(membership=obj).delete()
    pk = obj.pk
    obj.delete()
    for model, where in HISTORY[key](pk) if key in HISTORY else ():
        model.objects.filter(**where).delete()


# --- Legal holds ----------------------------------------------------------------------------------------------


def place_hold(
    school,
    *,
    by,
    scope: str,
    reason: str,
    ends_on: datetime.date | None = None,
    pupil=None,
    member=None,
    case=None,
    record_type: str = "",
    record_id: str = "",
) -> LegalHold:
    """Keep what the hold covers until it ends (or is released): nothing it covers is listed or destroyed."""
    actor = Actor.of(by, school)
    decision = may_place_hold(actor)
    enforce(decision)
    today = timezone.localdate()
    reason = (reason or "").strip()
    problems = []
    if not reason:
        problems.append(Reason("Say why the records must be kept (the inquiry, the claim)", "§8", "reason"))
    if ends_on is not None and ends_on < today:
        problems.append(Reason("A hold cannot end in the past", "§8", "ends_on"))
    if scope not in LegalHold.Scope.values:
        problems.append(Reason("Choose what the hold covers", "§8", "scope"))
    if scope in (LegalHold.Scope.RECORD_TYPE, LegalHold.Scope.RECORD) and record_type not in KINDS:
        problems.append(Reason("Choose a kind of record", "§8", "record_type"))
    if scope == LegalHold.Scope.PUPIL and (pupil is None or pupil.school_id != school.pk):
        problems.append(Reason("Choose a pupil of this school", "§8", "pupil"))
    if scope == LegalHold.Scope.MEMBER and (member is None or member.school_id != school.pk):
        problems.append(Reason("Choose a member of staff of this school", "§8", "member"))
    if scope == LegalHold.Scope.CASE and (case is None or case.school_id != school.pk):
        problems.append(Reason("Choose a case of this school", "§8", "case"))
    if scope == LegalHold.Scope.RECORD and record_type in KINDS:
        model = sweep.model_of(record_type)
        if not (str(record_id).isdigit() and model.objects.filter(pk=record_id, school=school).exists()):
            problems.append(Reason("There is no such record at this school", "§8", "record_id"))
    if problems:
        raise Refused(refuse(*problems))
    with transaction.atomic():
        hold = LegalHold.objects.create(
            school=school,
            scope=scope,
            pupil=pupil if scope == LegalHold.Scope.PUPIL else None,
            member=member if scope == LegalHold.Scope.MEMBER else None,
            case=case if scope == LegalHold.Scope.CASE else None,
            record_type=record_type if scope in (LegalHold.Scope.RECORD_TYPE, LegalHold.Scope.RECORD) else "",
            record_id=str(record_id) if scope == LegalHold.Scope.RECORD else "",
            reason=reason[:300],
            ends_on=ends_on,
            placed_by=by,
        )
        dropped = sweep.drop_held(today, school_id=school.pk)
        sweep.sync_images()
        record("privacy.hold.placed", hold, detail={"scope": scope, "dropped": dropped})
    return hold


def release_hold(hold: LegalHold, *, by) -> None:
    actor = Actor.of(by, hold.school)
    decision = may_release_hold(actor, subject=hold)
    enforce(decision)
    if not holds_for(actor).filter(pk=hold.pk).exists():
        raise Refused(refuse(Reason("A hold on records about you is released by someone else", "§8")))
    with transaction.atomic():
        LegalHold.objects.filter(pk=hold.pk).update(released_by=by, released_at=timezone.now())
        record("privacy.hold.released", hold)
