from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from saferstaff.audit.log import record
from saferstaff.policy.access import can_see_drafts, get_policy_version
from saferstaff.policy.models import Policy, PolicyKind, PolicyVersion
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


@require_safe
def policy_version(request, school, pk, number):
    version = get_policy_version(request, pk, number)
    sections = list(version.sections.all())
    others = Policy.objects.get(pk=version.policy_id).versions.order_by("-number")
    if not can_see_drafts(request):
        others = others.exclude(status=PolicyVersion.Status.DRAFT)
    return render(
        request, "policy/version.html", {"version": version, "sections": sections, "others": others}
    )
