from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from saferstaff.access import allowed_for
from saferstaff.acknowledgements.status import accept, has_accepted, outstanding_compulsory, policies_for
from saferstaff.audit.log import record
from saferstaff.policy.access import can_see_drafts, get_policy_version
from saferstaff.policy.diff import compare
from saferstaff.policy.models import Policy, PolicyKind, PolicyVersion
from saferstaff.policy.rules import may_accept, may_publish
from saferstaff.policy.service import DocumentError, import_policy
from saferstaff.schools.models import EmploymentType, Role

MAX_POLICY_BYTES = 10 * 1024 * 1024


class PolicyImportForm(forms.Form):
    title = forms.CharField(
        max_length=200, help_text="As staff will see it, e.g. 'Online Safety and Social Media Guidance'"
    )
    kind = forms.ChoiceField(
        choices=PolicyKind.choices,
        widget=forms.RadioSelect,
        initial=PolicyKind.ONLINE_SAFETY,
        label="What kind of policy is it?",
    )
    file = forms.FileField(
        label="The document", help_text="Word (.docx), plain text (.txt) or Markdown (.md), up to 10 MB"
    )


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
        entry = policies.setdefault(version.policy_id, {"policy": version.policy, "versions": []})
        entry["versions"].append(version)
    return render(request, "policy/list.html", {"policies": list(policies.values())})


@require_http_methods(["GET", "POST"])
def policy_import(request, school):
    form = PolicyImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > MAX_POLICY_BYTES:
                raise DocumentError(
                    f"The file is {upload.size / (1024 * 1024):.1f} MB; the limit is 10 MB. Save the document "
                    "without embedded pictures, or as plain text, and upload that."
                )
            version, notes = import_policy(
                request.school,
                title=form.cleaned_data["title"],
                kind=form.cleaned_data["kind"],
                filename=upload.name,
                data=upload.read(),
                by=request.user,
            )
        except DocumentError as exc:
            form.add_error("file", str(exc))
            record("policy.import_refused", ("schools.school", request.school.pk))
        else:
            sections = version.sections.count()
            messages.success(
                request,
                f"Draft version {version.number} imported with {sections} sections. " + " ".join(notes),
            )
            return redirect(
                "policy_version", school=request.school.slug, pk=version.policy_id, number=version.number
            )
    return render(request, "policy/import.html", {"form": form})


class PublishForm(forms.Form):
    minor_change = forms.BooleanField(
        required=False,
        label="This is a minor change (for example a typo): staff who accepted the last version need not accept again",
    )
    review_date = forms.DateField(
        required=False,
        label="Review date",
        help_text="When the school will next review this policy, for example 31/08/2027",
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
    )


class AcceptForm(forms.Form):
    understood = forms.BooleanField(
        required=False, label="I have read and understood this policy, and I will follow it"
    )
    typed_name = forms.CharField(
        max_length=200, label="Your full name", help_text="Typing your name is your signature"
    )


class AudienceForm(forms.ModelForm):
    audience_roles = forms.MultipleChoiceField(
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Roles who must read it",
        help_text="Tick none for everyone",
    )
    audience_employment = forms.MultipleChoiceField(
        choices=EmploymentType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Kinds of staff who must read it",
        help_text="Tick none for everyone (§1 covers employees, agency staff, contractors and volunteers)",
    )

    class Meta:
        model = Policy
        fields = ["compulsory", "audience_roles", "audience_employment"]
        labels = {"compulsory": "Staff must accept it before they can use the rest of saferstaff"}


def _version_page(request, version, publish_form=None, accept_form=None, status=200):
    others = Policy.objects.get(pk=version.policy_id).versions.order_by("-number")
    if not can_see_drafts(request):
        others = others.exclude(status=PolicyVersion.Status.DRAFT)
    if publish_form is None and version.status == PolicyVersion.Status.DRAFT:
        if allowed_for("policy_publish", request.roles):
            publish_form = PublishForm()
    accepted = needs_acceptance = False
    membership = request.membership
    if (
        membership is not None
        and version.status == PolicyVersion.Status.PUBLISHED
        and version.policy.is_for(membership)
    ):
        accepted = has_accepted(membership, version)
        needs_acceptance = not accepted
    if needs_acceptance and accept_form is None:
        accept_form = AcceptForm()
    context = {
        "version": version,
        "sections": list(version.sections.all()),
        "others": others,
        "publish_form": publish_form,
        "accept_form": accept_form,  # its errors are summarised even when the form itself is not shown
        "show_accept_form": needs_acceptance,
        "accepted": accepted,
    }
    return render(request, "policy/version.html", context, status=status)


@require_POST
def policy_accept(request, school, pk, number):
    version = get_policy_version(request, pk, number)
    form = AcceptForm(request.POST)
    form.is_valid()
    decision = may_accept(
        request.membership,
        subject=version,
        typed_name=form.cleaned_data.get("typed_name", ""),
        understood=form.cleaned_data.get("understood", False),
    )
    if not decision:
        for reason in decision.reasons:
            field = "understood" if "Tick" in reason.text else "typed_name" if "name" in reason.text else None
            form.add_error(field, str(reason))
        return _version_page(request, version, accept_form=form)
    accept(
        request.membership,
        version,
        typed_name=form.cleaned_data["typed_name"],
        ip_address=request.META.get("REMOTE_ADDR"),
    )
    messages.success(request, f"Thank you. You accepted {version.policy.title} (version {version.number}).")
    if outstanding_compulsory(request.membership):
        return redirect("policies_to_accept", school=request.school.slug)
    return redirect("school_dashboard", school=request.school.slug)


@require_safe
def policies_to_accept(request, school):
    items = policies_for(request.membership) if request.membership else []
    return render(request, "policy/to_accept.html", {"items": items})


@require_http_methods(["GET", "POST"])
def policy_audience(request, school, pk):
    policy = get_object_or_404(Policy, school=request.school, pk=pk)
    form = AudienceForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        form.save()
        record("policy.audience_changed", policy, detail={"fields": form.changed_data})
        messages.success(request, "Saved who must read it.")
        return redirect("policy_list", school=request.school.slug)
    return render(request, "policy/audience.html", {"policy": policy, "form": form})


@require_safe
def policy_version(request, school, pk, number):
    return _version_page(request, get_policy_version(request, pk, number))


@require_POST
def policy_publish(request, school, pk, number):
    version = get_policy_version(request, pk, number)
    form = PublishForm(request.POST)
    if not form.is_valid():
        return _version_page(request, version, publish_form=form)
    minor = form.cleaned_data["minor_change"]
    decision = may_publish(request.user, subject=version, minor_change=minor)
    if not decision:
        form.add_error(None, decision.summary)
        return _version_page(request, version, publish_form=form)
    version.publish(by=request.user, minor_change=minor, review_date=form.cleaned_data["review_date"])
    record("policy.published", version, detail={"minor_change": minor})
    messages.success(request, f"Version {version.number} is published. Earlier versions are archived.")
    return redirect("policy_version", school=request.school.slug, pk=pk, number=number)


@require_safe
def policy_changes(request, school, pk, number):
    version = get_policy_version(request, pk, number)
    previous = version.previous()
    if previous is not None and previous.status == PolicyVersion.Status.DRAFT and not can_see_drafts(request):
        previous = None
    changes = compare(previous.sections.all(), version.sections.all()) if previous else []
    return render(
        request, "policy/changes.html", {"version": version, "previous": previous, "changes": changes}
    )
