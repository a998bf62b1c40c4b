"""§5: publishing a copy of an image: the request, its faces, senior management's approvals, the copy."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from saferstaff.audit.log import record
from saferstaff.biometrics.blurring import crop_jpeg
from saferstaff.photos.access import (
    get_image,
    sees_all,
)
from saferstaff.photos.forms import PublishImageForm
from saferstaff.photos.models import (
    Publication,
)
from saferstaff.publishing import services as publishing
from saferstaff.publishing.access import get_publication_request
from saferstaff.publishing.models import PublicationRequest
from saferstaff.responses import private_jpeg
from saferstaff.rules.engine import Refused
from saferstaff.rules.images import (
    may_approve_publication,
)
from saferstaff.schools.models import Pupil


@require_http_methods(["GET", "POST"])
def image_publish(request, school, pk):
    image = get_image(request, pk, change=True)
    form = PublishImageForm(request.POST or None, activity=image.activity)
    refusal = None
    if request.method == "POST" and form.is_valid():
        req = publishing.start(
            image,
            form.cleaned_data["channel"],
            form.cleaned_data["where"],
            by=request.user,
            blur_faces=form.cleaned_data["blur_faces"],
            places=form.cleaned_data["places"],
        )
        if req.status != PublicationRequest.Status.REFUSED:
            return redirect("publication_request", school=request.school.slug, pk=req.pk)
        refusal = req.reasons_given
    return render(
        request,
        "publishing/image_publish.html",
        {"image": image, "form": form, "refusal": refusal, "refused": refusal is not None},
        status=409 if refusal is not None else 200,
    )


@require_http_methods(["GET", "POST"])
def publication_request(request, school, pk):
    """Every face found and what the rules decided, before anything is published; the publisher publishes
    or asks for approval here, and senior management approves here, looking at the faces (§5)."""
    req = get_publication_request(request, pk)
    mine = req.requested_by_id == request.user.pk
    problems, problem_field = [], ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "publish" and mine:
                publishing.publish(req, by=request.user)
                messages.success(
                    request, "Published. The copy carries no camera or location data, and is in the register."
                )
                return redirect("image_detail", school=request.school.slug, pk=req.image_id)
            elif action == "ask" and mine:
                if request.POST.get("confirm") != "yes":
                    problems, problem_field = (
                        ["Confirm that you have looked at every face and the reasons"],
                        "confirm",
                    )
                else:
                    publishing.ask_approval(req, by=request.user)
                    messages.success(request, "Sent to senior management for approval.")
                    return redirect("publication_request", school=request.school.slug, pk=req.pk)
            elif action in ("approve", "decline"):
                note = request.POST.get("note", "").strip()
                if action == "decline" and not note:
                    problems, problem_field = ["Say why it is not approved, for the publisher"], "note"
                else:
                    publishing.decide(req, by=request.user, approve=action == "approve", note=note)
                    messages.success(
                        request,
                        "Approved and published."
                        if action == "approve"
                        else "Not approved; the publisher has been told.",
                    )
                    return redirect("publication_request", school=request.school.slug, pk=req.pk)
            else:
                raise PermissionDenied
        except Refused as exc:
            problems = [str(r) for r in exc.decision.reasons]
        req.refresh_from_db()
    names = {
        p.pk: p
        for p in Pupil.objects.filter(
            school=request.school, pk__in=[f["pupil"] for f in req.faces if f["pupil"]] + req.unlocated
        )
    }
    faces = [(n, face, names.get(face["pupil"])) for n, face in enumerate(req.faces)]
    return render(
        request,
        "publishing/publication_request.html",
        {
            "req": req,
            "faces": faces,
            "unlocated": [names[p] for p in req.unlocated if p in names],
            "mine": mine,
            "approver": may_approve_publication.peek(request.actor, subject=req).allowed,
            "problems": problems,
            "problem_field": problem_field,
        },
        status=400 if problems else 200,
    )


def publication_request_face(request, school, pk, n):
    """One face found in a photo about to be published, for the publisher and senior management to look at."""
    req = get_publication_request(request, pk)
    if not 0 <= n < len(req.faces):
        raise Http404
    image = get_image(request, req.image_id, action="images.publication.face_viewed")
    return private_jpeg(crop_jpeg(image, req.faces[n]["box"]))


def publication_approvals(request, school):
    """Photos waiting for senior management's approval before they are published (§5)."""
    waiting = PublicationRequest.objects.filter(
        school=request.school, status=PublicationRequest.Status.WAITING
    ).select_related("image", "channel", "requested_by")
    return render(request, "publishing/publication_approvals.html", {"waiting": waiting})


def publication_copy(request, school, pk):
    pub = get_object_or_404(Publication, school=request.school, pk=pk)
    if not (sees_all(request) or pub.published_by_id == request.user.pk) or not pub.copy:
        raise Http404
    record("images.publication.downloaded", pub)
    extension = pub.copy.name.rsplit(".", 1)[-1]
    return FileResponse(
        pub.copy.open("rb"),
        content_type="video/mp4" if extension == "mp4" else "image/jpeg",
        as_attachment=True,
        filename=f"published-{pub.pk}.{extension}",
    )
