"""§2 pages: read and accept (or decline an optional policy), and the Headteacher recording an acceptance
on someone's behalf from a signed paper form."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from saferstaff import scans
from saferstaff.policies.access import get_policy_version
from saferstaff.policies.forms import AcceptForm, AcceptOnBehalfForm, DeclineForm
from saferstaff.policies.models import Acceptance
from saferstaff.policies.status import (
    ACCEPTED,
    accept,
    accept_on_behalf,
    decline,
    outstanding_compulsory,
    policies_for,
    school_overview,
)
from saferstaff.policies.views.versions import version_page
from saferstaff.rules.engine import Refused, show_on_form
from saferstaff.schools.models import Membership


def _back_to_the_version(version):
    """The address a form with a mistake stays on, opened again (reloaded, bookmarked): the policy itself,
    rather than an empty "method not allowed" page."""
    return redirect("policy_version", school=version.school.slug, pk=version.policy_id, number=version.number)


@require_http_methods(["GET", "POST"])
def policy_accept(request, school, pk, number):
    version = get_policy_version(request, pk, number)
    if request.method == "GET":
        return _back_to_the_version(version)
    form = AcceptForm(request.POST, questions=version.questions.all())
    form.is_valid()
    wrong = form.wrong_questions()
    try:
        accept(
            request.actor,
            version,
            typed_name=form.cleaned_data.get("typed_name", ""),
            understood=form.cleaned_data.get("understood", False),
            wrong_answers=len(wrong),
            ip_address=request.META.get("REMOTE_ADDR"),
        )
    except Refused as refused:
        show_on_form(form, refused.decision)
        sections = {s.number: s for s in version.sections.all() if s.number}
        to_reread = []
        for n, question in wrong:
            section = sections.get(question.section)
            where = f": read {section} again" if section else ""
            form.add_error(f"q{question.pk}", f"Question {n} was not answered rightly{where}")
            to_reread.append((n, section))
        return version_page(request, version, accept_form=form, to_reread=to_reread)
    messages.success(request, f"Thank you. You accepted {version.policy.title} (version {version.number}).")
    if outstanding_compulsory(request.membership):
        return redirect("policies_to_accept", school=request.school.slug)
    return redirect("school_dashboard", school=request.school.slug)


@require_http_methods(["GET", "POST"])
def policy_decline(request, school, pk, number):
    version = get_policy_version(request, pk, number)
    if request.method == "GET":
        return _back_to_the_version(version)
    form = DeclineForm(request.POST)
    form.is_valid()
    reason = form.cleaned_data.get("reason", "")
    try:
        decline(request.actor, version, reason=reason, ip_address=request.META.get("REMOTE_ADDR"))
    except Refused as refused:
        summary = refused.decision.summary
        form.add_error("reason" if "Say why" in summary else None, summary)
        return version_page(request, version, decline_form=form)
    messages.success(request, f"You declined {version.policy.title}. The school can see your reason.")
    return redirect("policies_to_accept", school=request.school.slug)


@require_http_methods(["GET", "POST"])
def policy_accept_for(request, school, pk, number):
    version = get_policy_version(request, pk, number)
    # Only other people in the audience who have not accepted it yet: the Back button or a second paper form
    # for someone already recorded is refused as a choice that is not offered, and so is the Headteacher.
    waiting = next(
        (
            [m.pk for m, state in item["members"] if state != ACCEPTED]
            for item in school_overview(request.school)
            if item["version"].pk == version.pk
        ),
        [],
    )
    members = (
        Membership.objects.filter(pk__in=waiting)
        .exclude(user=request.user)
        .select_related("user")
        .order_by("user__last_name")
    )
    form = AcceptOnBehalfForm(request.POST or None, request.FILES or None, members=members)
    form.fields["member"].error_messages["invalid_choice"] = (
        f"Choose someone who must read this policy and has not accepted version {version.number} yet"
    )
    if request.method == "POST" and form.is_valid():
        member = form.cleaned_data["member"]
        try:
            accept_on_behalf(
                request.actor,
                version,
                member=member,
                note=form.cleaned_data["note"],
                evidence=form.cleaned_data["evidence"],
            )
        except Refused as refused:
            show_on_form(form, refused.decision)
        else:
            messages.success(
                request, f"Recorded that {member.user.display_name} accepted version {version.number}."
            )
            return redirect("policy_version", school=request.school.slug, pk=pk, number=number)
    on_paper = version.acceptances.filter(on_behalf_by__isnull=False).select_related("user", "on_behalf_by")
    return render(
        request,
        "policies/accept_for.html",
        {"version": version, "form": form, "on_paper": on_paper, "nobody_waiting": not waiting},
    )


@require_safe
def policy_acceptance_scan(request, school, pk):
    acceptance = get_object_or_404(Acceptance, school=request.school, pk=pk)
    return scans.audited_download(
        acceptance,
        acceptance.evidence,
        action="policy.acceptance.scan_viewed",
        stem=f"acceptance-{acceptance.pk}",
    )


@require_safe
def policies_to_accept(request, school):
    items = policies_for(request.membership) if request.membership else []
    return render(request, "policies/to_accept.html", {"items": items})
