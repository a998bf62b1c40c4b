"""§4: the Check a post page, its API for the page's script, and the checks a person saved."""

from django import forms
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from saferstaff.biometrics.enrolment import blur_detectors
from saferstaff.faces import FaceError
from saferstaff.faces.blur import find_faces
from saferstaff.faces.images import load_scaled
from saferstaff.postcheck.drafts import check_draft, cited_sections
from saferstaff.postcheck.forms import DraftForm
from saferstaff.postcheck.models import SavedCheck
from saferstaff.schools.access import sees_pupils
from saferstaff.textcheck.check import MAX_CHARS


def _faces_in(upload) -> int:
    """How many faces the blurring detectors find in an attached photo (never stored). The decoding is
    bounded (a 12-megapixel JPEG is decoded at a quarter of its pixels); see benchmarks/publish_blur.py."""
    try:
        image, _scale = load_scaled(upload.read(), max_side=DRAFT_PHOTO_SIDE, max_pixels=DRAFT_PHOTO_PIXELS)
    except FaceError as problem:
        raise forms.ValidationError(str(problem)) from None
    return len(find_faces(image, blur_detectors()))


def _marked(text: str, findings) -> list[tuple[str, int | None]]:
    """The draft in pieces: (text, number of the finding it belongs to, or None)."""
    pieces, at = [], 0
    for n, f in enumerate(findings, start=1):
        if f.end <= f.start or f.start < at:
            continue
        pieces.append((text[at : f.start], None))
        pieces.append((text[f.start : f.end], n))
        at = f.end
    pieces.append((text[at:], None))
    return [p for p in pieces if p[0]]


DRAFT_PHOTO_SIDE = 1000  # a JPEG is decoded with both sides at least this: a 4000 × 3000 photo at 2000 × 1500
DRAFT_PHOTO_PIXELS = 40_000_000  # a photo with more pixels is not opened at all
CHECKS_PER_MINUTE = 30  # far more than anyone types; far fewer than a script guessing names would need


def _checks_rate(group, request) -> str:
    return f"{CHECKS_PER_MINUTE}/m"


# One count per person across the page and the API, kept by django-ratelimit in the shared cache; the view
# answers an over-limit request itself (request.limited), with a message to show.
checks_per_person = ratelimit(
    group="policy.draft_checks", key="user", rate=_checks_rate, method="POST", block=False
)


@sensitive_post_parameters("text")  # an error report never carries the draft
@sensitive_variables("text", "form")
@require_http_methods(["GET", "POST"])
@checks_per_person
def draft_check(request, school):
    form = DraftForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and request.limited:
        form.add_error(None, "Too many checks in a minute: wait a moment, then check again")
    if request.method == "POST" and form.is_valid():
        faces = 0
        if form.cleaned_data["photo"]:
            try:
                faces = _faces_in(form.cleaned_data["photo"])
            except forms.ValidationError as problem:
                form.add_error("photo", problem)
        if form.is_valid():
            text, kind = form.cleaned_data["text"], form.cleaned_data["form"]
            result = check_draft(
                request.school, text, with_pupils=sees_pupils(request), form=kind, faces=faces
            )
            if form.cleaned_data["save"]:
                SavedCheck.keep(request.school, request.user, form=kind, text=text, result=result)
    saved_checks = SavedCheck.objects.filter(school=request.school, author=request.user)[:10]
    sections = {}
    if result is not None:
        cited = cited_sections(request.school).filter(number__in=result.sections).select_related("version")
        sections = {section.number: section for section in cited}
    return render(
        request,
        "postcheck/draft_check.html",
        {
            "form": form,
            "result": result,
            "pieces": _marked(form.cleaned_data["text"], result.findings) if result else [],
            "sections": sections,
            "saved_checks": saved_checks,
            # A draft that names a pupil may be a reply to one: contact with a pupil is told to the
            # Headteacher instead (§3).
            "names_a_pupil": result is not None and any(f.kind == "pupil" for f in result.findings),
        },
        status=400 if form.errors else 200,
    )


@sensitive_variables("body", "text")
@require_POST
@checks_per_person
def draft_check_api(request, school):
    """The same check as a JSON API for the signed-in member of staff (a browser extension, the page's own
    script): POST {"text": ..., "form": "post" | "bio"} → {"verdict", "sections", "findings": [...]}.
    Nothing is stored. Errors are JSON too, with a message to show. ``start``/``end`` count Unicode code
    points, as Python does (JavaScript strings count UTF-16 units: convert before slicing after an emoji).
    A pupil finding does not say which pupil: a check must not become a way to look pupils up."""
    import json

    if request.limited:
        return JsonResponse(
            {"error": "Too many checks in a minute: wait a moment, then try again"}, status=429
        )
    try:
        body = json.loads(request.body or b"{}")
    except RequestDataTooBig:
        return JsonResponse(
            {"error": f"Check one post or profile at a time: the most is {MAX_CHARS:,} characters"},
            status=413,
        )
    except (ValueError, UnicodeDecodeError, RecursionError):
        return JsonResponse({"error": 'Send JSON: {"text": "your draft"}'}, status=400)
    text = body.get("text") if isinstance(body, dict) else None
    kind = body.get("form", "post") if isinstance(body, dict) else "post"
    if not isinstance(text, str) or kind not in ("post", "bio"):
        return JsonResponse({"error": 'Send {"text": "your draft", "form": "post" or "bio"}'}, status=400)
    if len(text) > MAX_CHARS:
        return JsonResponse(
            {"error": f"Check one post or profile at a time: the most is {MAX_CHARS:,} characters"},
            status=413,
        )
    result = check_draft(request.school, text, with_pupils=sees_pupils(request), form=kind)
    return JsonResponse(
        {**result.as_json(identify=False), "sections": result.sections},
        json_dumps_params={"ensure_ascii": False},
    )


@require_POST
def draft_check_delete(request, school, pk):
    """A member of staff deletes one of their own saved checks."""
    get_object_or_404(SavedCheck, school=request.school, author=request.user, pk=pk).discard()
    messages.success(request, "Deleted.")
    return redirect("draft_check", school=request.school.slug)
