"""The one way a page fetches a disclosure, a permission or a concern: from the page's school, and only when
the rule says the person may read it — otherwise 404, never 403 (that such a record exists is itself
sensitive: a concern's subject must not learn of it from an error page). Every read of a concern is audited."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from saferstaff.audit.log import record
from saferstaff.conduct.models import ContactPermission, Disclosure, EquipmentPermission, LowLevelConcern
from saferstaff.rules.conduct import CHAIR, is_chair, may_read_concern, may_read_disclosure
from saferstaff.schools.roles import LEADERSHIP


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


def sees_every_permission(actor) -> bool:
    """Senior leadership, the DSL and the DPO see every request and the registers (§3, §6: open to scrutiny);
    the chair of governors sees the Headteacher's own requests they decide."""
    return actor.holds(*LEADERSHIP)


def get_permission(request, model, pk):
    """A contact or equipment permission: its requester's own, every one for those who see the registers, and
    the Headteacher's own for the chair of governors who decides it."""
    permission = get_object_or_404(
        model.objects.select_related("requested_by", "decided_by"), school=request.school, pk=pk
    )
    if not may_see_permission(request.actor, permission):
        raise Http404("No such permission")
    return permission


def may_see_permission(actor, permission) -> bool:
    """What ``get_permission`` lets through, for a page that only links to a permission (an image's flag)."""
    actor = actor.at(permission.school_id)
    if permission.requested_by_id == actor.pk or sees_every_permission(actor):
        return True
    return permission.routed_to == CHAIR and is_chair(actor)


def get_contact_permission(request, pk) -> ContactPermission:
    return get_permission(request, ContactPermission, pk)


def get_equipment_permission(request, pk) -> EquipmentPermission:
    return get_permission(request, EquipmentPermission, pk)
