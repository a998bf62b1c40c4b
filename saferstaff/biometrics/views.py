"""§5 faces: enrolling pupils' faces (only with biometric consent), screening an album, and the review
queue of faces the screening was not sure of."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from saferstaff.accounts.stepup import step_up
from saferstaff.audit.log import record
from saferstaff.biometrics import enrolment, screening
from saferstaff.biometrics.blurring import crop_jpeg
from saferstaff.biometrics.enrolment import unseal
from saferstaff.biometrics.forms import MisPhotosForm
from saferstaff.biometrics.models import FaceDetection, FaceTemplate, ScreeningRun
from saferstaff.consent.states import face_matching_consent
from saferstaff.faces import FaceError
from saferstaff.numbers import parse_id
from saferstaff.photos import pages
from saferstaff.photos.access import (
    get_activity,
    get_image,
    images_for,
)
from saferstaff.photos.files import FileProblem
from saferstaff.photos.library import UploadProblems
from saferstaff.responses import private_jpeg
from saferstaff.rules.biometrics import may_enrol
from saferstaff.rules.engine import Refused
from saferstaff.schools.access import (
    get_pupil,
    pupil_views,
)
from saferstaff.schools.models import Pupil


@require_http_methods(["GET", "POST"])
def pupil_faces(request, school, pk):
    pupil = get_pupil(request, pk)
    if confirm := step_up(request, "enrolling a pupil for face matching"):  # the form page asks first
        return confirm
    problems = []
    if request.method == "POST":
        upload = request.FILES.get("photo")
        if upload is None:
            problems = ["Choose a photo of the pupil's face."]
        elif upload.size > settings.IMAGE_MAX_BYTES:
            problems = [f"The photo must be smaller than {settings.IMAGE_MAX_BYTES // 1024 // 1024} MB."]
        else:
            try:
                enrolment.enrol(pupil, upload.read(), by=request.user)
            except Refused as exc:
                problems = [str(r) for r in exc.decision.reasons]
            except FaceError as exc:
                problems = [str(exc)]
            else:
                messages.success(
                    request, "Enrolled. The photo itself is not kept; the face data is encrypted."
                )
                return redirect("pupil_faces", school=request.school.slug, pk=pupil.pk)
    decision = may_enrol.peek(request.actor, subject=pupil, consent=face_matching_consent(pupil))
    templates = (
        FaceTemplate.objects.filter(pupil=pupil).select_related("enrolled_by").defer("vector", "reference")
    )
    return render(
        request,
        "biometrics/pupil_faces.html",
        {"pupil": pupil, "decision": decision, "templates": templates, "problems": problems},
        status=400 if problems else 200,
    )


@require_http_methods(["GET", "POST"])
def faces_import(request, school):
    """Enrol pupils with biometric consent from the MIS's photo export (§5)."""
    if confirm := step_up(request, "enrolling pupils for face matching from the MIS photos"):
        return confirm
    form = MisPhotosForm(request.POST or None, request.FILES or None)
    problems, rows = [], None
    if request.method == "POST" and form.is_valid():
        try:
            rows = enrolment.import_mis_photos(
                request.school, pages.uploaded_files(form.cleaned_data["files"]), by=request.user
            )
        except UploadProblems as exc:
            problems = [str(p) for p in exc.problems]
        except FileProblem as exc:
            problems = [str(exc)]
    enrolled = sum(1 for row in rows or [] if row.enrolled)
    return render(
        request,
        "biometrics/faces_import.html",
        {"form": form, "problems": problems, "rows": rows, "enrolled": enrolled},
        status=400 if problems or form.errors else 200,
    )


# --- Faces: screening an album and reviewing uncertain matches (§5) ----------------------------------------


@require_POST
def activity_screen(request, school, pk):
    activity = get_activity(request, pk, change=True)
    run = screening.start(activity, by=request.user)
    return redirect("screening_progress", school=request.school.slug, pk=run.pk)


def screening_progress(request, school, pk):
    run = get_object_or_404(ScreeningRun.objects.select_related("activity"), school=request.school, pk=pk)
    get_activity(request, run.activity_id)  # the same people as the album
    waiting = FaceDetection.objects.filter(
        image__activity=run.activity, verdict=FaceDetection.Verdict.REVIEW, decision=""
    ).count()
    # ?part=status: only the part that changes, for the page's script to put in place (no reload).
    part = request.GET.get("part") == "status"
    return render(
        request,
        "biometrics/includes/screening_status.html" if part else "biometrics/screening_progress.html",
        {"run": run, "waiting": waiting, "running": run.live and not run.stalled},
    )


def _reviewable(request):
    qs = FaceDetection.objects.filter(
        school=request.school,
        verdict=FaceDetection.Verdict.REVIEW,
        decision="",
        image__in=images_for(request, change=True),  # a decision tags the image: the owner's to make
    )
    return qs.select_related("image", "proposed_pupil")


@require_http_methods(["GET", "POST"])
def face_review(request, school):
    queue = _reviewable(request)
    if request.method == "POST":
        detection = get_object_or_404(
            FaceDetection, school=request.school, verdict=FaceDetection.Verdict.REVIEW, decision="",
            pk=parse_id(request.POST.get("detection")),
        )  # fmt: skip
        if not queue.filter(pk=detection.pk).exists():
            raise PermissionDenied  # seen in scrutiny, but not this person's album to tag
        choice = request.POST.get("choice")
        pupil = pages.pupil_from_text(request, request.POST.get("pupil", "")) if choice == "other" else None
        tagged = screening.decide(detection, by=request.user, confirmed=choice == "yes", pupil=pupil)
        if tagged.created:
            pages.tagged_messages(request, detection.image, detection.decided_pupil, tagged)
        return redirect(reverse("face_review", kwargs={"school": request.school.slug}) + "#next")
    first = queue.order_by("image_id", "left").first()
    group = Pupil.objects.filter(school=request.school).current().order_by("legal_surname", "legal_forename")
    return render(
        request,
        "biometrics/face_review.html",
        {"detection": first, "left": queue.count(), "group": pupil_views(request, group)},
    )


def face_crop(request, school, pk):
    """The face as found in the photo (for review), cut from the original; recorded as a view."""
    detection = get_object_or_404(FaceDetection, school=request.school, pk=pk)
    image = get_image(request, detection.image_id, action="faces.crop_viewed")
    return private_jpeg(crop_jpeg(image, detection.box))


def face_reference(request, school, pk):
    """The enrolled reference face of a pupil (decrypted for the reviewer); recorded as a view."""
    template = (
        FaceTemplate.objects.filter(school=request.school, pupil_id=pk).order_by("-enrolled_at").first()
    )
    if template is None or not _reviewable(request).filter(proposed_pupil_id=pk).exists():
        raise Http404
    record("faces.reference_viewed", template.pupil)
    return HttpResponse(
        unseal(template.reference), content_type="image/jpeg", headers={"Cache-Control": "private, no-store"}
    )
