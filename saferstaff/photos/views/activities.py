"""§5–6 pages: the register of the school's cameras, and photo activities from request to approval,
the photographer's check list and the upload."""

from django.contrib import messages
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from saferstaff.audit.log import record
from saferstaff.photos import pages, services
from saferstaff.photos.access import (
    activities_for,
    get_activity,
    is_senior,
    may_change,
)
from saferstaff.photos.files import FileProblem, StoreUnreachable
from saferstaff.photos.forms import ActivityForm, DecisionForm, DeviceForm, ImageUploadForm
from saferstaff.photos.library import UploadProblems, add_images
from saferstaff.photos.models import (
    Activity,
    Device,
    Image,
)
from saferstaff.rules.engine import Refused
from saferstaff.rules.images import (
    SELF_APPROVED,
    may_decide_activity,
)
from saferstaff.schools.models import Pupil


def device_list(request, school):
    devices = (
        Device.objects.filter(school=request.school)
        .select_related("lent_to__user")
        .annotate(n=Count("images"))
    )
    return render(request, "photos/device_list.html", {"devices": devices})


@require_http_methods(["GET", "POST"])
def device_edit(request, school, pk=None):
    device = (
        get_object_or_404(Device, school=request.school, pk=pk)
        if pk is not None
        else Device(school=request.school)
    )
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
        activity = form.save(commit=False)
        activity.school = request.school
        pupils = Pupil.objects.filter(
            school=request.school, year_group__in=form.cleaned_data["year_groups"]
        ).current()
        try:
            services.request_activity(
                activity, purposes=form.cleaned_data["purposes"], pupils=pupils, by=request.user
            )
        except Refused as exc:  # the date the form checked has just passed out of range
            form.add_error("happens_on", str(exc.decision.reasons[0]))
        else:
            messages.success(request, "Sent to senior management for approval.")
            return redirect("activity_detail", school=request.school.slug, pk=activity.pk)
    return render(request, "photos/activity_new.html", {"form": form})


def activity_detail(request, school, pk):
    activity = get_activity(request, pk)
    page = pages.page_of_images(request, activity.images.all())
    decision = may_decide_activity.peek(request.actor, subject=activity) if is_senior(request) else None
    listing = record("images.listed", activity, detail={"images": [i.pk for i in page.object_list]})
    return render(
        request,
        "photos/activity_detail.html",
        {
            "activity": activity,
            "page": page,
            "grid": pages.grid(request, page, listing),
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
    except Refused as exc:
        messages.error(request, exc.decision.summary)
    else:
        text = "Approved." if approve else "Not approved; the photographer has been told."
        if approve and SELF_APPROVED in decision.reasons:
            text = f"Approved and recorded as self-approved: {SELF_APPROVED}."
        messages.success(request, text)
    return redirect("activity_detail", school=request.school.slug, pk=activity.pk)


def activity_checklist(request, school, pk):
    activity = get_activity(request, pk)
    rows = activity.photograph_list()
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
    posted = request.method == "POST"  # bound even when nothing at all was sent: that is an error to show
    form = ImageUploadForm(request.POST if posted else None, request.FILES if posted else None)
    problems = []
    if posted and form.is_valid():
        try:
            images = add_images(activity, pages.uploaded_files(form.cleaned_data["files"]), by=request.user)
        except UploadProblems as exc:
            problems = [str(p) for p in exc.problems]
        except FileProblem as exc:
            problems = [str(exc)]
        except StoreUnreachable as exc:
            form.add_error("files", exc.message)
        else:
            unregistered = sum(1 for i in images if i.flag == Image.Flag.UNREGISTERED)
            no_camera = sum(1 for i in images if i.flag == Image.Flag.NO_CAMERA)
            text = f"Added {len(images)} image{'s' if len(images) != 1 else ''}."
            if images.already:
                names = ", ".join(images.already[:10]) + (
                    f" and {len(images.already) - 10} more" if len(images.already) > 10 else ""
                )
                text += f" Already in this activity, so not added again: {names}."
            personal = sum(1 for i in images if i.flag == Image.Flag.PERSONAL)
            found = []
            if unregistered:
                found.append(f"{unregistered} came from a camera not in the device register")
            if personal:
                were = "was" if personal == 1 else "were"
                found.append(f"{personal} {were} taken on a personal device (§5: never for images of pupils)")
            if no_camera:
                found.append(f"{no_camera} had no camera details")
            if found:
                text += " " + "; ".join(found) + ": senior management has been told (§6)."
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
