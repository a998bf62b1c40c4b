"""The import as the web pages and the command use it: upload → preview → apply (or discard).

    roster_import, plan = stage_upload(school, filename, data, user)   # RosterError: show the problems
    ... show plan.new / plan.updated / plan.returning / plan.leaving, plan.warnings, plan.notes ...
    counts = apply_import(roster_import, user)                        # or discard_import(roster_import, user)

The uploaded bytes are kept on the ``RosterImport`` only between the preview and the decision, and are
cleared when it is applied or discarded — or, if nobody decides, after ``PREVIEW_KEEP_DAYS`` (run_daily). Applying parses and plans again, because the school's records
may have changed since the preview was shown.
"""

import datetime
import hashlib

from django.db import transaction
from django.utils import timezone

from saferstaff.audit.log import record
from saferstaff.schools.models import RosterImport, School

from .detect import parse_roster
from .plan import ImportPlan, apply_plan, plan_import
from .records import RosterError


def stage_upload(school: School, filename: str, data: bytes, user=None) -> tuple[RosterImport, ImportPlan]:
    """Parse and plan the upload; raise ``RosterError`` (saving nothing) if it cannot be imported;
    otherwise store it as a previewed ``RosterImport`` and return that with the plan to show."""
    parsed = parse_roster(filename, data)
    plan = plan_import(school, parsed)
    with transaction.atomic():
        roster_import = _import_row(school, filename, data, parsed, plan, user, RosterImport.Status.PREVIEWED)
        record("roster.staged", roster_import, school=school, actor=getattr(user, "pk", None))
    return roster_import, plan


def _pending_content(roster_import: RosterImport) -> bytes:
    if roster_import.status != RosterImport.Status.PREVIEWED or roster_import.content is None:
        raise RosterError.single(
            "file",
            f"this upload has already been {roster_import.get_status_display().lower()}. Upload the file "
            "again to import it.",
        )
    data = bytes(roster_import.content)
    if hashlib.sha256(data).hexdigest() != roster_import.sha256:
        raise RosterError.single("file", "the stored upload is damaged. Upload the file again.")
    return data


def preview_import(roster_import: RosterImport) -> ImportPlan:
    """The plan for a previewed upload, worked out again against the records as they are now (for
    showing the preview page again after a redirect)."""
    data = _pending_content(roster_import)
    return plan_import(roster_import.school, parse_roster(roster_import.filename, data))


def apply_import(roster_import: RosterImport, user=None) -> dict[str, int]:
    """Apply a previewed upload: parse and plan it again, make the changes, mark it applied with the
    counts and forget the file's bytes — all in one transaction. Returns the counts (as
    ``ImportPlan.counts()``, also saved on ``roster_import.counts``). Raises ``RosterError`` (changing
    nothing) if it was already applied or discarded, or no longer fits the records."""
    data = _pending_content(roster_import)
    parsed = parse_roster(roster_import.filename, data)
    by_user = user if getattr(user, "pk", None) else None
    with transaction.atomic():
        locked = RosterImport.objects.select_for_update().select_related("school").get(pk=roster_import.pk)
        _pending_content(locked)  # a second click, or another tab, may have applied it meanwhile
        plan = plan_import(locked.school, parsed)
        apply_plan(plan, by_user=by_user, roster_import=locked)
        locked.status = RosterImport.Status.APPLIED
        locked.counts = plan.counts()
        locked.applied_at = timezone.now()
        locked.content = None
        locked.save(update_fields=["status", "counts", "applied_at", "content"])
    for name in ("status", "counts", "applied_at", "content"):
        setattr(roster_import, name, getattr(locked, name))
    return plan.counts()


def discard_import(roster_import: RosterImport, user=None) -> None:
    """The school decided not to apply the upload: forget its bytes. Nothing about a discarded upload is kept
    but its row and the audit row of its discarding."""
    with transaction.atomic():
        if RosterImport.objects.filter(pk=roster_import.pk, status=RosterImport.Status.PREVIEWED).update(
            status=RosterImport.Status.DISCARDED, content=None
        ):
            record(
                "roster.discarded",
                roster_import,
                school=roster_import.school_id,
                actor=getattr(user, "pk", None),
            )
    roster_import.refresh_from_db(fields=["status", "content"])


# A previewed upload holds the whole MIS file (every pupil's and contact's details): it is kept for the
# decision, not for ever.
PREVIEW_KEEP_DAYS = 7


def discard_stale_previews() -> int:
    """Daily: discard uploads previewed more than ``PREVIEW_KEEP_DAYS`` ago and neither applied nor discarded,
    forgetting their bytes; a count per school in the audit trail. Returns how many were discarded."""
    cutoff = timezone.now() - datetime.timedelta(days=PREVIEW_KEEP_DAYS)
    stale = RosterImport.objects.filter(status=RosterImport.Status.PREVIEWED, uploaded_at__lt=cutoff)
    total = 0
    for school_id in sorted(set(stale.values_list("school_id", flat=True))):
        with transaction.atomic():
            n = stale.filter(school_id=school_id).update(status=RosterImport.Status.DISCARDED, content=None)
            record(
                "roster.previews_expired",
                ("schools.school", school_id),
                school=school_id,
                detail={"discarded": n},
            )
        total += n
    return total


def import_file(
    school: School, filename: str, data: bytes, *, user=None, dry_run: bool = False
) -> ImportPlan:
    """Parse, plan and (unless ``dry_run``) apply in one go, as the ``import_roster`` command does.
    The ``RosterImport`` row records the import without keeping the file's bytes."""
    parsed = parse_roster(filename, data)
    by_user = user if getattr(user, "pk", None) else None
    if dry_run:
        return plan_import(school, parsed)
    with transaction.atomic():
        plan = plan_import(school, parsed)
        roster_import = _import_row(
            school, filename, data, parsed, plan, by_user, RosterImport.Status.APPLIED
        )
        apply_plan(plan, by_user=by_user, roster_import=roster_import)
    return plan


def _import_row(school, filename, data, parsed, plan, user, status) -> RosterImport:
    """The record of one upload: a previewed one keeps its bytes until it is decided; an applied one never does."""
    applied = status == RosterImport.Status.APPLIED
    return RosterImport.objects.create(
        school=school,
        uploaded_by=user if getattr(user, "pk", None) else None,
        filename=(filename or "roster")[-200:],
        format=parsed.format,
        sha256=hashlib.sha256(data).hexdigest(),
        content=None if applied else data,
        status=status,
        counts=plan.counts(),
        applied_at=timezone.now() if applied else None,
    )
