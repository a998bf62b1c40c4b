from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from saferstaff.access import allowed_for
from saferstaff.audit.log import record
from saferstaff.policy.access import can_see_drafts, get_policy_version
from saferstaff.policy.diff import compare
from saferstaff.policy.models import Policy, PolicyKind, PolicyVersion
from saferstaff.policy.rules import may_publish
from saferstaff.policy.service import DocumentError, import_policy

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


def _version_page(request, version, publish_form=None, status=200):
    others = Policy.objects.get(pk=version.policy_id).versions.order_by("-number")
    if not can_see_drafts(request):
        others = others.exclude(status=PolicyVersion.Status.DRAFT)
    if publish_form is None and version.status == PolicyVersion.Status.DRAFT:
        if allowed_for("policy_publish", request.roles):
            publish_form = PublishForm()
    context = {
        "version": version,
        "sections": list(version.sections.all()),
        "others": others,
        "publish_form": publish_form,
    }
    return render(request, "policy/version.html", context, status=status)


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
