from django.shortcuts import get_object_or_404

from saferstaff.access import allowed_for
from saferstaff.policies.models import PolicyVersion


def can_see_drafts(request) -> bool:
    return allowed_for("policy_import", request.roles)


def get_policy_version(request, pk: int, number: int) -> PolicyVersion:
    """A version of one of this school's policies; drafts only for those who prepare policies (404 otherwise)."""
    versions = PolicyVersion.objects.select_related("policy").filter(school=request.school)
    if not can_see_drafts(request):
        versions = versions.exclude(status=PolicyVersion.Status.DRAFT)
    return get_object_or_404(versions, policy_id=pk, number=number)
