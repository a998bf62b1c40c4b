"""§1–2 pages: the school's policies, each version (imported, published, its review date, its questions
staff answer, who must read it), and a trust publishing one document to all its schools."""

from django.contrib import messages
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from saferstaff.access import allowed_for
from saferstaff.audit.log import record
from saferstaff.policies.access import can_see_drafts, get_policy_version
from saferstaff.policies.diff import compare
from saferstaff.policies.forms import (
    AcceptForm,
    AudienceForm,
    DeclineForm,
    DeleteQuestionForm,
    PolicyImportForm,
    PublishVersionForm,
    QuestionForm,
    ReviewDateForm,
)
from saferstaff.policies.models import Policy, PolicyVersion, QuizQuestion
from saferstaff.policies.services import (
    DocumentError,
    add_question,
    change_review_date,
    delete_draft,
    import_policy,
    publish_to_trust,
    publish_version,
    remove_question,
)
from saferstaff.policies.status import ACCEPTED, DECLINED, TO_ACCEPT, state_of
from saferstaff.rules.engine import show_on_form


@require_safe
def policy_list(request, school):
    versions = (
        PolicyVersion.objects.filter(school=request.school)
        .select_related("policy")
        .order_by("policy__title", "-number")
    )
    if not can_see_drafts(request):
        versions = versions.exclude(status=PolicyVersion.Status.DRAFT)
    policies: dict[int, dict] = {}
    for version in versions:
        entry = policies.setdefault(
            version.policy_id, {"policy": version.policy, "versions": [], "published": False}
        )
        entry["versions"].append(version)
        entry["published"] |= version.status != PolicyVersion.Status.DRAFT
    return render(request, "policies/list.html", {"policies": list(policies.values())})


@require_http_methods(["GET", "POST"])
def policy_import(request, school):
    form = PolicyImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            version, notes = import_policy(request.school, **form.document(), by=request.user)
        except DocumentError as exc:
            form.add_error("file", str(exc))
            record("policy.import_refused", ("schools.school", request.school.pk))
        else:
            sections = version.sections.count()
            messages.success(
                request,
                f"Draft version {version.number} imported with {sections} section{'' if sections == 1 else 's'}. "
                + " ".join(notes),
            )
            return redirect(
                "policy_version", school=request.school.slug, pk=version.policy_id, number=version.number
            )
    return render(request, "policies/import.html", {"form": form})


def version_page(
    request,
    version,
    publish_form=None,
    accept_form=None,
    decline_form=None,
    status=200,
    to_reread=(),
    review_form=None,
):
    others = Policy.objects.get(pk=version.policy_id).versions.order_by("-number")
    if not can_see_drafts(request):
        others = others.exclude(status=PolicyVersion.Status.DRAFT)
    in_force = version.in_force() if version.status == PolicyVersion.Status.DRAFT else None
    same_text = version.same_text_as(in_force)
    if publish_form is None and version.status == PolicyVersion.Status.DRAFT:
        if allowed_for("policy_publish", request.roles):
            publish_form = PublishVersionForm(initial={"minor_change": "on" if same_text else "off"})
    if review_form is None and version.status != PolicyVersion.Status.ARCHIVED:
        if (
            allowed_for("policy_review_date", request.roles)
            and version.status == PolicyVersion.Status.PUBLISHED
        ):
            review_form = ReviewDateForm(initial={"review_date": version.review_date})
    state = state_of(request.membership, version) if request.membership is not None else None
    needs_acceptance = state == TO_ACCEPT
    if needs_acceptance and accept_form is None:
        accept_form = AcceptForm(questions=version.questions.all())
    if needs_acceptance and not version.policy.compulsory and decline_form is None:
        decline_form = DeclineForm()
    context = {
        "version": version,
        "sections": list(version.sections.all()),
        "others": others,
        "publish_form": publish_form,
        "same_text_as": in_force if same_text else None,  # the version in force, when the text is the same
        "review_form": review_form,
        "accept_form": accept_form,  # its errors are summarised even when the form itself is not shown
        "show_accept_form": needs_acceptance,
        "decline_form": decline_form,
        "accepted": state == ACCEPTED,
        "to_reread": to_reread,  # (question number, its section or None) for answers that were wrong
        "declined": state == DECLINED,
        "can_accept_for_others": version.status == PolicyVersion.Status.PUBLISHED
        and allowed_for("policy_accept_for", request.roles),
    }
    return render(request, "policies/version.html", context, status=status)


@require_safe
def policy_version(request, school, pk, number):
    return version_page(request, get_policy_version(request, pk, number))


@require_POST
def policy_publish(request, school, pk, number):
    version = get_policy_version(request, pk, number)
    form = PublishVersionForm(request.POST)
    if not form.is_valid():
        return version_page(request, version, publish_form=form)
    same_as = version.same_text_as(version.in_force())
    decision = publish_version(
        version,
        by=request.user,
        minor_change=form.minor(),
        review_date=form.cleaned_data["review_date"],
        change_note=form.cleaned_data["change_note"],
    )
    if not decision:
        show_on_form(form, decision)
        return version_page(request, version, publish_form=form)
    if same_as and version.minor_change:
        messages.warning(
            request,
            f"The text of version {version.number} is the same as the version it replaces: it is published as "
            "a minor change, so everyone's acceptance still counts.",
        )
    messages.success(request, f"Version {version.number} is published. Earlier versions are archived.")
    return redirect("policy_version", school=request.school.slug, pk=pk, number=number)


@require_POST
def policy_review_date(request, school, pk, number):
    """The Headteacher or a senior leader moves the review date of the version in force (audited)."""
    version = get_policy_version(request, pk, number)
    form = ReviewDateForm(request.POST)
    if form.is_valid():
        decision = change_review_date(version, form.cleaned_data["review_date"], by=request.user)
        if decision:
            messages.success(request, f"The review date is now {version.review_date:%-d %B %Y}.")
            return redirect("policy_version", school=request.school.slug, pk=pk, number=number)
        show_on_form(form, decision)
    return version_page(request, version, review_form=form, status=400)


@require_POST
def policy_draft_delete(request, school, pk, number):
    version = get_policy_version(request, pk, number)
    decision = delete_draft(version, by=request.user)
    if not decision:
        messages.error(request, decision.summary)
        return redirect("policy_version", school=request.school.slug, pk=pk, number=number)
    messages.success(request, f"Draft version {number} of {version.policy.title} is deleted.")
    return redirect("policy_list", school=request.school.slug)


@require_safe
def policy_changes(request, school, pk, number):
    version = get_policy_version(request, pk, number)
    previous = version.previous()
    if previous is not None and previous.status == PolicyVersion.Status.DRAFT and not can_see_drafts(request):
        previous = None
    changes = compare(previous.sections.all(), version.sections.all()) if previous else []
    return render(
        request, "policies/changes.html", {"version": version, "previous": previous, "changes": changes}
    )


@require_http_methods(["GET", "POST"])
def policy_audience(request, school, pk):
    policy = get_object_or_404(Policy, school=request.school, pk=pk)
    form = AudienceForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        form.save()
        record("policy.audience_changed", policy, detail={"fields": form.changed_data})
        messages.success(request, "Saved who must read it.")
        return redirect("policy_list", school=request.school.slug)
    return render(request, "policies/audience.html", {"policy": policy, "form": form})


@require_http_methods(["GET", "POST"])
def policy_questions(request, school, pk, number):
    version = get_policy_version(request, pk, number)
    questions = list(version.questions.all())
    form = QuestionForm(request.POST if request.method == "POST" else None, version=version)
    if request.method == "POST":
        decision = None
        if "delete" in request.POST:
            removal = DeleteQuestionForm(request.POST)
            if not removal.is_valid():
                return HttpResponseBadRequest("Choose a question to remove.")
            question = get_object_or_404(QuizQuestion, version=version, pk=removal.cleaned_data["delete"])
            decision = remove_question(question, by=request.user)
        elif form.is_valid():
            answers, correct = form.cleaned_data["answers"]
            decision = add_question(
                version, text=form.cleaned_data["text"], answers=answers, correct=correct,
                section=form.cleaned_data["section"], by=request.user,
            )  # fmt: skip
        if decision:
            return redirect("policy_questions", school=request.school.slug, pk=pk, number=number)
        if decision is not None:
            show_on_form(form, decision)
    return render(
        request, "policies/questions.html", {"version": version, "questions": questions, "form": form}
    )


@require_http_methods(["GET", "POST"])
def trust_policy_publish(request, trust):
    form = PolicyImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            versions = publish_to_trust(request.trust, **form.document(), by=request.user)
        except DocumentError as exc:
            form.add_error("file", str(exc))
        else:
            messages.success(request, f"Published to {len(versions)} schools. Each shows its own name.")
            return redirect("trust_dashboard", trust=request.trust.slug)
    return render(request, "policies/trust_publish.html", {"form": form, "trust": request.trust})
