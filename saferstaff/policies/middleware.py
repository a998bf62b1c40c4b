from django.shortcuts import redirect

from saferstaff.audit.log import kept
from saferstaff.policies.status import outstanding_compulsory

# What someone who still has to accept a compulsory policy may open meanwhile: the policies themselves, and
# checking a post against them (the safe path stays open). Signing out is not a school page: never gated.
_ALLOWED_WHILE_OUTSTANDING = {
    "draft_check",
    "draft_check_api",
    "draft_check_delete",
    "policies_to_accept",
    "policy_list",
    "policy_version",
    "policy_accept",
    "policy_decline",
    "policy_changes",
    "policy_search",
    "policy_dashboard",  # a governor can see the picture before accepting everything themselves
    "policy_dashboard_csv",
    "policy_dashboard_pdf",
}
# Finishing a policy's publication (who must read it, its questions, its review date): open to the person
# who published the very version they now have to accept, so publishing does not lock its publisher out.
_FINISHING_A_PUBLICATION = {"policy_audience", "policy_questions", "policy_publish", "policy_review_date"}


class CompulsoryPoliciesMiddleware:
    """§2: staff must read and accept the school's compulsory policies before anything else at that school.
    Every method is gated (a form posted from a page opened earlier is refused too, and nothing is written).
    Runs after the access map, which has found ``request.membership`` for school pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        membership = getattr(request, "membership", None)
        match = request.resolver_match
        if membership is None or match is None or match.url_name in _ALLOWED_WHILE_OUTSTANDING:
            return None
        outstanding = _outstanding(membership)
        if not outstanding:
            return None
        if match.url_name in _FINISHING_A_PUBLICATION and all(
            published_by == request.user.pk and str(policy_id) == str(view_kwargs.get("pk"))
            for policy_id, published_by in outstanding
        ):
            return None
        return redirect("policies_to_accept", school=request.school.slug)


def _outstanding(membership) -> list[tuple[int, int | None]]:
    """(policy, publisher) of each compulsory version the member has still to accept, asked on every school
    page: kept per state of the school (ADR 0014). Publishing, accepting, declining, a role given or taken and a
    place changing all go through doors that record an event, so any of them shows on the very next request."""
    return kept(
        "compulsory-outstanding",
        membership.school_id,
        lambda: [(v.policy_id, v.published_by_id) for v in outstanding_compulsory(membership)],
        membership.pk,
        ",".join(sorted(membership.roles)),
        membership.employment_type,
    )
