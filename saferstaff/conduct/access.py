"""The one way a page fetches a disclosure, a permission or a concern: from the page's school, and only when
the rule says the person may read it — otherwise 404, never 403 (that such a record exists is itself
sensitive: a concern's subject must not learn of it from an error page). Every read of a concern is audited."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from saferstaff.audit.log import record, record_type
from saferstaff.audit.trail import withhold
from saferstaff.conduct.models import ContactPermission, Disclosure, EquipmentPermission, LowLevelConcern
from saferstaff.conduct.registers import (
    concerns_readable_by,
    disclosures_readable_by,
    reads_disclosures_to_the_head,
)
from saferstaff.rules.conduct import may_read_concern, may_read_disclosure, may_see_permission


def get_disclosure(request, pk) -> Disclosure:
    disclosure = get_object_or_404(
        Disclosure.objects.select_related("discloser", "channel", "pupil", "decided_by", "concern"),
        school=request.school,
        pk=pk,
    )
    if not may_read_disclosure(request.actor, subject=disclosure):
        raise Http404("No such disclosure")
    record("conduct.disclosure_viewed", disclosure)
    return disclosure


def get_concern(request, pk) -> LowLevelConcern:
    concern = get_object_or_404(
        LowLevelConcern.objects.select_related("subject__user", "raised_by", "decided_by", "escalated_by"),
        school=request.school,
        pk=pk,
    )
    if not may_read_concern(request.actor, subject=concern):
        raise Http404("No such concern")
    record("conduct.concern_viewed", concern)  # KCSIE: every view of a concern is recorded
    return concern


def get_permission(request, model, pk):
    """A contact or equipment permission: its requester's own, every one for those who see the registers, and
    the Headteacher's own for the chair of governors who decides it."""
    permission = get_object_or_404(
        model.objects.select_related("requested_by", "decided_by"), school=request.school, pk=pk
    )
    if not may_see_permission(request.actor, permission):
        raise Http404("No such permission")
    return permission


def get_contact_permission(request, pk) -> ContactPermission:
    return get_permission(request, ContactPermission, pk)


def get_equipment_permission(request, pk) -> EquipmentPermission:
    return get_permission(request, EquipmentPermission, pk)


# The pages that show several concerns at once record their ids under this key (one audit row per page).
CONCERNS_LISTED = ("conduct.concerns_listed", "conduct.concern_person_viewed", "conduct.exported")


@withhold
def concern_events(reader, school, rows):
    """KCSIE Part 4 in the audit trail: its reader learns nothing there of a concern they may not read — not
    its raising (who raised it), its views, its outcome, nor a list that showed it. A Headteacher reading the
    trail would otherwise learn of a concern about themselves, and who raised it."""
    readable = set(concerns_readable_by(reader).values_list("pk", flat=True)) if reader is not None else set()
    hidden = set(LowLevelConcern.objects.filter(school=school).values_list("pk", flat=True)) - readable
    # The rule asked before raising one names its subject (their membership) and who raised it.
    raised = rows.filter(action="policy.decision", detail__rule="conduct.concern.raise").values_list("pk")
    listed = [
        pk
        for pk, detail in rows.filter(action__in=CONCERNS_LISTED).values_list("pk", "detail").iterator()
        if hidden & set(detail.get("concerns", ()))
    ]
    return (
        rows.exclude(object_type=record_type(LowLevelConcern), object_id__in=[str(pk) for pk in hidden])
        .exclude(pk__in=raised)
        .exclude(pk__in=listed)
    )


@withhold
def disclosure_events(reader, school, rows):
    """§3 in the audit trail: its reader (the DPO reads the trail, not disclosures) learns nothing there of a
    disclosure they may not read — not who disclosed contact with a pupil, nor an outcome that recorded a
    low-level concern about them."""
    disclosures = Disclosure.objects.filter(school=school)
    readable = set()
    if reader is not None:
        mine = disclosures.filter(discloser=reader.user).values_list("pk", flat=True)
        readable = {*disclosures_readable_by(reader).values_list("pk", flat=True), *mine}
    hidden = set(disclosures.values_list("pk", flat=True)) - readable
    rows = rows.exclude(object_type=record_type(Disclosure), object_id__in=[str(pk) for pk in hidden])
    if reader is not None and reads_disclosures_to_the_head(reader):
        return rows
    # The rule asked before disclosing names no disclosure, only who disclosed: theirs alone for others.
    asked = rows.filter(action="policy.decision", detail__rule="conduct.disclose")
    if reader is not None:
        asked = asked.exclude(actor_id=reader.pk)
    return rows.exclude(pk__in=asked.values_list("pk"))
