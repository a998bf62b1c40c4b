"""Which images and activities a person may open, and which they may change.

Seeing: senior management, the DSL and the DPO see them all (§5: images are open to scrutiny); other staff
see the activities they asked for and what they uploaded.
Changing (upload, screening, face review, tags, no-pupils, publishing): only the owner — who asked for the
activity, or uploaded the image — and senior management. The DSL and the DPO scrutinise every image but
change only their own. Every write page fetches its object with ``change=True``; this is the one place the
rule is written."""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404

from saferstaff.audit.log import record
from saferstaff.photos.models import Activity, Image, Takedown
from saferstaff.schools.roles import SCRUTINY


def sees_all(request) -> bool:
    return bool(request.roles & SCRUTINY)


def is_senior(request) -> bool:
    return request.actor.is_senior


def activities_for(request):
    qs = Activity.objects.filter(school=request.school)
    return qs if sees_all(request) else qs.filter(requested_by=request.user)


def images_for(request, *, change: bool = False):
    """The images the person may see — or, with ``change``, change (tag, review faces in, publish)."""
    qs = Image.objects.filter(school=request.school)
    if is_senior(request) if change else sees_all(request):
        return qs
    return qs.filter(Q(activity__requested_by=request.user) | Q(uploaded_by=request.user))


def _owners(obj: Activity | Image) -> set[int]:
    if isinstance(obj, Image):
        return {obj.activity.requested_by_id, obj.uploaded_by_id}
    return {obj.requested_by_id}


def may_see(request, obj: Activity | Image) -> bool:
    return request.user.pk in _owners(obj) or sees_all(request)


def may_change(request, obj: Activity | Image) -> bool:
    """Only the owner and senior management change an activity or image; scrutiny is not ownership."""
    return request.user.pk in _owners(obj) or is_senior(request)


def get_activity(request, pk, *, change: bool = False) -> Activity:
    """The activity, if the person may see it — or, with ``change``, add to it (upload, screen)."""
    activity = get_object_or_404(
        Activity.objects.select_related("device", "requested_by"), school=request.school, pk=pk
    )
    if not (may_change if change else may_see)(request, activity):
        raise PermissionDenied
    return activity


def get_image(request, pk, *, action: str | None = "images.viewed", change: bool = False) -> Image:
    """The image, if the person may see it — or, with ``change``, act on it (tag, publish): the DSL and the
    DPO scrutinise every image but change only their own. ``action`` None: the caller knows the view is
    already in the trail (a thumbnail on a list page whose one row lists it)."""
    image = get_object_or_404(
        Image.objects.select_related("activity", "device", "uploaded_by"), school=request.school, pk=pk
    )
    if not (may_change if change else may_see)(request, image):
        raise PermissionDenied
    if action:
        record(action, image)  # §5: every view and download of an image is recorded
    return image


def get_takedown(request, pk) -> Takedown:
    takedown = get_object_or_404(
        Takedown.objects.select_related("publication__channel", "pupil", "assigned_to"),
        school=request.school,
        pk=pk,
    )
    if not (is_senior(request) or takedown.assigned_to_id == request.user.pk):
        raise PermissionDenied
    return takedown
