"""§5 pages. Thin: each view finds its object through ``images.access``, asks the rules (via
``images.service``) and renders. Guardians use the portal pages, which need a signed link instead of an
account."""

import csv
import io
import zipfile

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from saferstaff import scans
from saferstaff.accounts.stepup import step_up
from saferstaff.audit.log import listed_in, record
from saferstaff.consent.states import short_name
from saferstaff.numbers import parse_id
from saferstaff.paging import page_of
from saferstaff.photos import pages, services
from saferstaff.photos.access import (
    activities_for,
    get_activity,
    get_image,
    get_takedown,
    images_for,
    is_senior,
    may_change,
    sees_all,
)
from saferstaff.photos.files import EXTENSIONS, FileProblem
from saferstaff.photos.forms import ActivityForm, DecisionForm, DeviceForm, HoldForm, TakedownForm, UploadForm
from saferstaff.photos.library import UploadProblems, add_images
from saferstaff.photos.models import (
    Activity,
    ActivityPupil,
    Destruction,
    Device,
    Image,
    ImageTag,
    Publication,
    Takedown,
)
from saferstaff.publishing.forms import PublishForm
from saferstaff.rules.images import (
    SELF_APPROVED,
    may_clear_flag,
    may_decide_activity,
    may_remove_tag,
    photograph_list,
)
from saferstaff.schools.access import (
    get_pupil,
    pupil_views,
)
from saferstaff.schools.models import Pupil

# --- Consent register -------------------------------------------------------------------------------------


def device_list(request, school):
    devices = (
        Device.objects.filter(school=request.school)
        .select_related("lent_to__user")
        .annotate(n=Count("images"))
    )
    return render(request, "photos/device_list.html", {"devices": devices})


@require_http_methods(["GET", "POST"])
def device_edit(request, school, pk=None):
    device = get_object_or_404(Device, school=request.school, pk=pk) if pk else Device(school=request.school)
    form = DeviceForm(request.POST or None, instance=device, school=request.school)
    if request.method == "POST" and form.is_valid():
        device = form.save()
        record("images.device.saved", device)
        messages.success(request, f"Saved {device.asset_tag}.")
        return redirect("device_list", school=request.school.slug)
    return render(request, "photos/device_edit.html", {"form": form, "device": device})


# --- Photo activities ------------------------------------------------------------------------------------------


def activity_list(request, school):
    activities = activities_for(request).select_related("requested_by", "device").annotate(n=Count("images"))
    waiting = (
        activities.filter(status=Activity.Status.REQUESTED) if is_senior(request) else Activity.objects.none()
    )
    return render(
        request,
        "photos/activity_list.html",
        {"activities": activities, "waiting": waiting, "senior": is_senior(request)},
    )


@require_http_methods(["GET", "POST"])
def activity_new(request, school):
    years = Pupil.objects.filter(school=request.school).current().year_groups()
    if not Device.objects.filter(school=request.school, retired_on__isnull=True).exists():
        messages.info(
            request, "Add the school's cameras to the device register first (§5: school equipment only)."
        )
    form = ActivityForm(request.POST or None, school=request.school, year_groups=years)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            activity = form.save(commit=False)
            activity.school = request.school
            activity.requested_by = request.user
            activity.save()
            form.save_m2m()
            pupils = Pupil.objects.filter(
                school=request.school, year_group__in=form.cleaned_data["year_groups"]
            ).current()
            ActivityPupil.objects.bulk_create(
                [ActivityPupil(school=request.school, activity=activity, pupil=p) for p in pupils]
            )
            record("images.activity.requested", activity)
        _tell_approvers(request, activity)
        messages.success(request, "Sent to senior management for approval.")
        return redirect("activity_detail", school=request.school.slug, pk=activity.pk)
    return render(request, "photos/activity_new.html", {"form": form})


def _tell_approvers(request, activity):
    services.tell_senior_management(
        request.school,
        title=f"{activity.title} on {activity.happens_on.day} {activity.happens_on:%B %Y} is waiting for your "
        "approval (§5)",
        url=reverse("activity_detail", kwargs={"school": request.school.slug, "pk": activity.pk}),
        kind="images.activity",
        except_user=request.user,
    )


def activity_detail(request, school, pk):
    activity = get_activity(request, pk)
    images = activity.images.annotate(tag_count=Count("tags")).order_by("-captured_at", "-pk")
    page = page_of(request, images, 48)
    decision = may_decide_activity.__wrapped__(request.user, subject=activity) if is_senior(request) else None
    listing = record("images.listed", activity, detail={"images": [i.pk for i in page.object_list]})
    return render(
        request,
        "photos/activity_detail.html",
        {
            "activity": activity,
            "page": page,
            "listing": listing,
            "decision_form": DecisionForm() if decision else None,
            "refused_decision": decision,
            "group_size": activity.pupils.count(),
            "can_upload": activity.status == Activity.Status.APPROVED and may_change(request, activity),
            "self_approved_reason": SELF_APPROVED,
        },
    )


@require_POST
def activity_decide(request, school, pk):
    activity = get_activity(request, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Decision: choose whether to approve the activity.")
        return redirect("activity_detail", school=request.school.slug, pk=activity.pk)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        decision = services.decide_activity(
            activity, by=request.user, approve=approve, note=form.cleaned_data["note"]
        )
    except services.Refused as exc:
        messages.error(request, exc.decision.summary)
    else:
        text = "Approved." if approve else "Not approved; the photographer has been told."
        if approve and SELF_APPROVED in decision.reasons:
            text = f"Approved and recorded as self-approved: {SELF_APPROVED}."
        messages.success(request, text)
    return redirect("activity_detail", school=request.school.slug, pk=activity.pk)


def activity_checklist(request, school, pk):
    activity = get_activity(request, pk)
    rows = photograph_list(activity)
    record("images.activity.checklist_viewed", activity)
    return render(
        request,
        "photos/activity_checklist.html",
        {
            "activity": activity,
            "do_not": [r for r in rows if not r[1]],
            "may": [r for r in rows if r[1]],
            "purposes": activity.purposes.all(),
        },
    )


@require_http_methods(["GET", "POST"])
def activity_upload(request, school, pk):
    activity = get_activity(request, pk, change=True)
    if activity.status != Activity.Status.APPROVED:
        messages.error(request, "Senior management must approve the activity before images are added (§5).")
        return redirect("activity_detail", school=request.school.slug, pk=activity.pk)
    form = UploadForm(request.POST or None, request.FILES or None)
    problems = []
    if request.method == "POST" and form.is_valid():
        try:
            images = add_images(activity, pages.uploaded_files(form.cleaned_data["files"]), by=request.user)
        except UploadProblems as exc:
            problems = [str(p) for p in exc.problems]
        except FileProblem as exc:
            problems = [str(exc)]
        else:
            unregistered = sum(1 for i in images if i.flag == Image.Flag.UNREGISTERED)
            no_camera = sum(1 for i in images if i.flag == Image.Flag.NO_CAMERA)
            text = f"Added {len(images)} image{'s' if len(images) != 1 else ''}."
            if images.already:
                names = ", ".join(images.already[:10]) + (
                    f" and {len(images.already) - 10} more" if len(images.already) > 10 else ""
                )
                text += f" Already in this activity, so not added again: {names}."
            if unregistered:
                text += f" {unregistered} came from a camera not in the device register"
            if no_camera:
                text += f"{';' if unregistered else ''} {no_camera} had no camera details"
            if unregistered or no_camera:
                text += ": senior management has been told (§6)."
            messages.success(request, text)
            url = reverse("activity_detail", kwargs={"school": request.school.slug, "pk": activity.pk})
            if request.headers.get("X-Requested-With") == "XMLHttpRequest":
                # The page's upload script goes there itself: an XHR following a redirect would show (and
                # use up) the message out of sight.
                return HttpResponse(status=204, headers={"X-Location": url})
            return redirect(url)
    status = 400 if problems or form.errors else 200
    return render(
        request,
        "photos/activity_upload.html",
        {"activity": activity, "form": form, "problems": problems},
        status=status,
    )


# --- Image library -------------------------------------------------------------------------------------------


def image_list(request, school):
    images = (
        images_for(request)
        .select_related("activity", "device", "uploaded_by")
        .annotate(tag_count=Count("tags"))
        .order_by("-captured_at", "-pk")
    )
    filters = {}
    for key, field in (
        ("activity", "activity_id"),
        ("device", "device_id"),
        ("photographer", "uploaded_by_id"),
    ):
        value = parse_id(request.GET.get(key))
        if value is not None:
            images = images.filter(**{field: value})
            filters[key] = str(value)
    pupil = parse_id(request.GET.get("pupil"))
    if pupil is not None:
        images = images.filter(tags__pupil_id=pupil)
        filters["pupil"] = str(pupil)
    if request.GET.get("flagged"):
        images = images.exclude(flag="").filter(flag_cleared_at__isnull=True)
        filters["flagged"] = "1"
    page = page_of(request, images, 48)
    # One row for the page and every thumbnail on it (the thumbnails carry its id: image_thumbnail).
    listing = record("images.listed", None, detail={"images": [i.pk for i in page.object_list]})
    ctx = {"page": page, "filters": filters, "sees_all": sees_all(request), "listing": listing}
    if sees_all(request):
        ctx.update(
            activities=Activity.objects.filter(school=request.school),
            devices=Device.objects.filter(school=request.school),
            photographers=_photographers(request.school),
            pupils=Pupil.objects.filter(school=request.school, image_tags__isnull=False).distinct(),
            flagged_count=Image.objects.filter(school=request.school, flag_cleared_at__isnull=True)
            .exclude(flag="")
            .count(),
        )
    return render(request, "photos/image_list.html", ctx)


def _photographers(school):
    from saferstaff.accounts.models import User

    return User.objects.filter(pk__in=Image.objects.filter(school=school).values("uploaded_by")).order_by(
        "last_name"
    )


def image_detail(request, school, pk):
    image = get_image(request, pk)
    tags = image.tags.select_related("pupil", "tagged_by")
    group = Pupil.objects.filter(school=request.school).current().order_by("legal_surname", "legal_forename")
    return render(
        request,
        "photos/image_detail.html",
        {
            "image": image,
            "tags": tags,
            "group": pupil_views(request, group),
            "publish_form": PublishForm(activity=image.activity),
            "hold_form": HoldForm(
                initial={"legal_hold": image.legal_hold, "legal_hold_reason": image.legal_hold_reason}
            ),
            "publications": image.publications.select_related("channel", "published_by"),
            "senior": is_senior(request),
            "can_change": may_change(request, image),
            "can_hold": sees_all(request),
        },
    )


def image_file(request, school, pk):
    image = get_image(request, pk, action="images.downloaded")
    return FileResponse(
        image.original.open("rb"),
        content_type=image.content_type,
        as_attachment=True,
        filename=f"image-{image.pk}.{EXTENSIONS.get(image.content_type, 'bin')}",
    )


def image_thumbnail(request, school, pk):
    listed = listed_in(request.GET.get("listing", ""), "images.listed", "images", pk)
    image = get_image(request, pk, action=None if listed else "images.thumbnail_viewed")
    if not image.thumbnail:
        raise Http404
    response = FileResponse(image.thumbnail.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def image_tags(request, school, pk):
    image = get_image(request, pk, action="images.tags_opened", change=True)
    if "remove" in request.POST:
        decision = may_remove_tag(request.user, subject=image)
        tag = image.tags.filter(pk=parse_id(request.POST.get("remove"))).first()
        if not decision:
            messages.error(request, decision.summary)
        elif tag:
            with transaction.atomic():
                record("images.tag.removed", image, detail={"pupil": tag.pupil_id})
                tag.delete()
    elif "no_pupils" in request.POST:
        if image.tags.exists():
            messages.error(request, "Pupils are tagged in this image.")
        else:
            Image.objects.filter(pk=image.pk).update(no_pupils=True, no_pupils_by=request.user)
            record("images.no_pupils", image, detail={"no_pupils": True})
            messages.info(
                request, "Recorded. Someone else must publish it: they check your confirmation (§5)."
            )
    else:
        pupil = pages.pupil_from_text(request, request.POST.get("pupil", ""))
        if pupil is None:
            messages.error(request, "Choose a pupil from the list as you type their name.")
        else:
            _tag_pupil(request, image, pupil)
    return redirect(reverse("image_detail", kwargs={"school": request.school.slug, "pk": image.pk}) + "#tags")


def _tag_pupil(request, image, pupil) -> None:
    tagged = services.tag(image, pupil, by=request.user, source=ImageTag.Source.MANUAL)
    pages.tagged_messages(request, image, pupil, tagged)


@require_POST
def image_flag(request, school, pk):
    image = get_image(request, pk)
    decision = may_clear_flag(request.user, subject=image)
    note = request.POST.get("note", "").strip()[:300]
    if not decision:
        messages.error(request, decision.summary)
    elif not note:
        messages.error(
            request, "Say what you checked, e.g. 'Borrowed school iPad 7, not yet in the register'."
        )
    else:
        Image.objects.filter(pk=image.pk).update(
            flag_cleared_by=request.user, flag_cleared_at=timezone.now(), flag_note=note
        )
        record("images.flag.cleared", image)
        messages.success(request, "The flag is cleared; your note is kept with the image.")
    return redirect("image_detail", school=request.school.slug, pk=image.pk)


@require_POST
def image_hold(request, school, pk):
    image = get_image(request, pk)
    form = HoldForm(request.POST)
    if (
        form.is_valid()
        and image.legal_hold
        and not form.cleaned_data["legal_hold"]
        and not is_senior(request)
    ):
        messages.error(request, "Only the Headteacher or a senior leader releases a legal hold (§8).")
    elif form.is_valid():
        hold = form.cleaned_data["legal_hold"]
        Image.objects.filter(pk=image.pk).update(
            legal_hold=hold,
            legal_hold_reason=form.cleaned_data["legal_hold_reason"] if hold else "",
            destruction_queued_at=None if hold else image.destruction_queued_at,
        )
        record("images.legal_hold", image, detail={"hold": hold})
        messages.success(
            request, "Legal hold placed: the image will not be destroyed." if hold else "Legal hold released."
        )
    else:
        messages.error(request, "Give the reason for the hold.")
    return redirect("image_detail", school=request.school.slug, pk=image.pk)


# --- Publications and takedowns -----------------------------------------------------------------------------


def publication_list(request, school):
    pubs = Publication.objects.filter(school=request.school).select_related("channel", "published_by")
    if not sees_all(request):
        pubs = pubs.filter(published_by=request.user)
    page = page_of(request, pubs, 50)
    return render(request, "photos/publication_list.html", {"page": page})


def takedown_list(request, school):
    takedowns = Takedown.objects.filter(school=request.school).select_related(
        "publication__channel", "pupil", "assigned_to", "done_by"
    )
    if not is_senior(request):
        takedowns = takedowns.filter(assigned_to=request.user)
    open_ = takedowns.filter(done_at__isnull=True)
    done = takedowns.filter(done_at__isnull=False).order_by("-done_at")[:50]
    now = timezone.now()
    rows = [(t, (now - t.created_at).days) for t in open_]
    return render(
        request, "photos/takedown_list.html", {"rows": rows, "done": done, "senior": is_senior(request)}
    )


@require_safe
def takedown_evidence(request, school, pk):
    takedown = get_takedown(request, pk)  # the publisher's own, or any for senior management
    return scans.audited_download(
        takedown, takedown.evidence, action="images.takedown.evidence_viewed", stem=f"takedown-{takedown.pk}"
    )


@require_http_methods(["GET", "POST"])
def takedown_done(request, school, pk):
    takedown = get_takedown(request, pk)
    form = TakedownForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and takedown.done_at is None and form.is_valid():
        services.finish_takedown(
            takedown, by=request.user, note=form.cleaned_data["note"], evidence=form.cleaned_data["evidence"]
        )
        messages.success(request, "Marked as taken down. Thank you.")
        return redirect("takedown_list", school=request.school.slug)
    return render(
        request,
        "photos/takedown_done.html",
        {"takedown": takedown, "form": form, "name": short_name(takedown.pupil) if takedown.pupil else ""},
    )


@require_POST
def publication_take_down(request, school, pk):
    """The publisher or senior management takes a publication down, giving the reason (§5)."""
    pub = get_object_or_404(Publication.objects.select_related("published_by"), school=request.school, pk=pk)
    if not (is_senior(request) or pub.published_by_id == request.user.pk):
        raise PermissionDenied
    reason = request.POST.get("reason", "").strip()
    back = redirect("image_detail", school=request.school.slug, pk=pub.image_id) if pub.image_id else None
    if not reason:
        messages.error(request, "Say why it is being taken down.")
        return back or redirect("publication_list", school=request.school.slug)
    try:
        takedown = services.take_down(pub, by=request.user, reason=reason)
    except services.Refused as exc:
        messages.error(request, exc.decision.summary)
        return back or redirect("publication_list", school=request.school.slug)
    if takedown.assigned_to_id == request.user.pk:
        messages.info(request, "Remove it from where it was published, then say what you did.")
        return redirect("takedown_done", school=request.school.slug, pk=takedown.pk)
    messages.success(request, "Takedown raised: the person who published it has been told.")
    return back or redirect("takedown_list", school=request.school.slug)


# --- Retention -----------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def destruction_queue(request, school):
    if confirm := step_up(request, "destroying images"):  # the page asks first
        return confirm
    queued = Image.objects.filter(school=request.school, destruction_queued_at__isnull=False).select_related(
        "activity"
    )
    if request.method == "POST":
        ids = [i for i in map(parse_id, request.POST.getlist("image")) if i is not None]
        chosen = queued.filter(pk__in=ids) if "selected" in request.POST else queued
        done, refused = services.destroy(list(chosen), by=request.user)
        messages.success(
            request, f"Destroyed {done} image{'s' if done != 1 else ''}; the destruction record is kept."
        )
        for image, decision in refused[:5]:
            messages.error(request, f"Image {image.pk}: {decision.summary}")
        return redirect("destruction_queue", school=request.school.slug)
    page = page_of(request, queued, 100)
    records = Destruction.objects.filter(school=request.school).select_related("confirmed_by", "activity")[
        :100
    ]
    return render(request, "photos/destruction_queue.html", {"page": page, "records": records})


# --- Subject access --------------------------------------------------------------------------------------------


def pupil_images_export(request, school, pk):
    """Subject access: every image of the pupil, as clean copies (no camera or location data), with a list
    saying when and where each was taken, how long it is kept, where it was published and how many other
    pupils appear in it (not who: their data is not the requester's). Built in a temporary file, one image
    at a time, so a pupil in many videos does not fill the server's memory."""
    import tempfile

    from saferstaff.exports import csv_safe
    from saferstaff.photos.files import clean_copy

    pupil = get_pupil(request, pk)
    if confirm := step_up(request, "exporting a pupil's images"):
        return confirm
    images = list(
        Image.objects.filter(school=request.school, tags__pupil=pupil)
        .select_related("activity")
        .annotate(n_tags=Count("tags"))
        .order_by("captured_at", "pk")
    )
    where = {}
    for p in Publication.objects.filter(school=request.school, image__in=images).select_related("channel"):
        where.setdefault(p.image_id, []).append(
            f"{p.channel.name}: {p.where}" + (" (taken down)" if p.taken_down_at else "")
        )
    listing = io.StringIO()
    writer = csv.writer(listing)
    writer.writerow(["file", "taken", "activity", "place", "kept until", "published", "other pupils in it"])
    spool = tempfile.TemporaryFile()
    with zipfile.ZipFile(spool, "w", zipfile.ZIP_STORED) as zf:
        for image in images:
            name = f"image-{image.pk}.{'mp4' if image.kind == Image.Kind.VIDEO else 'jpg'}"
            zf.writestr(name, clean_copy(image))
            writer.writerow([csv_safe(cell) for cell in (
                name, timezone.localtime(image.captured_at).strftime("%d/%m/%Y %H:%M"), image.activity.title,
                image.activity.place, image.keep_until.strftime("%d/%m/%Y"), "; ".join(where.get(image.pk, [])),
                image.n_tags - 1,
            )])  # fmt: skip
        zf.writestr("list.csv", listing.getvalue())
    spool.seek(0)
    record("images.subject_access.exported", pupil, detail={"images": len(images)})
    return FileResponse(
        spool, content_type="application/zip", as_attachment=True, filename=f"images-pupil-{pupil.pk}.zip"
    )


# --- Faces: enrolment (§5, biometric) ----------------------------------------------------------------------
