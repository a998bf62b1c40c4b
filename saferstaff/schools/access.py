"""One access helper per object type, called on the first line of a view. The access middleware has
already checked the role against the access map and set ``request.school``; these make sure the object
belongs to that school (404 otherwise) and record reads of sensitive records."""

from django.shortcuts import get_object_or_404

from saferstaff.audit.log import record
from saferstaff.schools.models import Membership, Pupil


def get_member(request, pk) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user", "line_manager__user").prefetch_related("role_grants"),
        school=request.school,
        pk=pk,
    )


def get_pupil(request, pk) -> Pupil:
    pupil = get_object_or_404(Pupil, school=request.school, pk=pk)
    record("pupil.viewed", pupil)  # §8: every access to a child's record is recorded
    return pupil
