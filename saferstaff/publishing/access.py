"""Which requests to publish a person may open: the one who asked, and senior management (who approve)."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from saferstaff.photos.access import is_senior
from saferstaff.publishing.models import PublicationRequest


def get_publication_request(request, pk) -> PublicationRequest:
    """A request to publish: for the person publishing, and for senior management (who approve)."""
    req = get_object_or_404(
        PublicationRequest.objects.select_related("image", "channel", "requested_by", "decided_by"),
        school=request.school,
        pk=pk,
    )
    if not (is_senior(request) or req.requested_by_id == request.user.pk):
        raise PermissionDenied
    return req
