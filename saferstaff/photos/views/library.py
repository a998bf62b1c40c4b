"""§5 pages: the image library: one image, its file, its tags, a flag on equipment, a legal hold."""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from saferstaff.audit.log import listed_in, record
from saferstaff.numbers import parse_id
from saferstaff.photos import pages, services
from saferstaff.photos.access import (
    get_image,
    images_for,
    is_senior,
    may_change,
    sees_all,
)
from saferstaff.photos.files import EXTENSIONS
from saferstaff.photos.filters import filter_choices
from saferstaff.photos.forms import PublishImageForm
from saferstaff.photos.models import (
    ImageTag,
)
from saferstaff.rules.conduct import may_see_permission
from saferstaff.rules.engine import Refused
from saferstaff.rules.images import flag_reason
from saferstaff.schools.access import (
    pupil_views,
)
from saferstaff.schools.models import Pupil

GRID_FIELDS = ("thumbnail", "captured_at", "flag", "flag_cleared_at", "destruction_queued_at")


def image_list(request, school):
    # The grid (photos/includes/grid.html) shows these of each image, and nothing it is linked to.
    images = images_for(request).only(*GRID_FIELDS)
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
    page = pages.page_of_images(request, images)
    # One row for the page and every thumbnail on it (the thumbnails carry its id: image_thumbnail).
    listing = record("images.listed", None, detail={"images": [i.pk for i in page.object_list]})
    ctx = {
        "page": page,
        "grid": pages.grid(request, page, listing),
        "filters": filters,
        "sees_all": sees_all(request),
    }
    if sees_all(request):
        ctx.update(filter_choices(request.school, filters))
    return render(request, "photos/image_list.html", ctx)


def image_detail(request, school, pk, *, takedown_problem=None):
    """An image's page. ``takedown_problem``: (publication id, what is wrong) when its "Take it down" form was
    sent without a reason; shown beside that form's field, the page answering 400."""
    image = get_image(request, pk)
    tags = image.tags.select_related("pupil", "tagged_by")
    group = Pupil.objects.filter(school=request.school).current().order_by("legal_surname", "legal_forename")
    permission = image.equipment_permission  # a photo from a personal device: the permission it had (§6)
    sees_permission = permission is not None and may_see_permission(request.actor, permission)
    return render(
        request,
        "photos/image_detail.html",
        {
            "image": image,
            "tags": tags,
            "group": pupil_views(request, group),
            "publish_form": PublishImageForm(activity=image.activity),
            "publications": image.publications.select_related("channel", "published_by"),
            "senior": is_senior(request),
            "can_change": may_change(request, image),
            "flag_reason": flag_reason(image, request.actor) if image.flag else None,
            "equipment_permission": permission if sees_permission else None,
            "takedown_problem": takedown_problem,
        },
        status=400 if takedown_problem else 200,
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
    try:
        if "remove" in request.POST:
            services.remove_tag(image, parse_id(request.POST.get("remove")), by=request.user)
        elif "no_pupils" in request.POST:
            services.confirm_no_pupils(image, by=request.user)
            messages.info(
                request, "Recorded. Someone else must publish it: they check your confirmation (§5)."
            )
        else:
            pupil = pages.pupil_from_text(request, request.POST.get("pupil", ""))
            if pupil is None:
                messages.error(request, "Choose a pupil from the list as you type their name.")
            else:
                _tag_pupil(request, image, pupil)
    except Refused as exc:
        messages.error(request, exc.decision.summary)
    return redirect(reverse("image_detail", kwargs={"school": request.school.slug, "pk": image.pk}) + "#tags")


def _tag_pupil(request, image, pupil) -> None:
    tagged = services.tag(image, pupil, by=request.user, source=ImageTag.Source.MANUAL)
    pages.tagged_messages(request, image, pupil, tagged)


@require_POST
def image_flag(request, school, pk):
    image = get_image(request, pk)
    note = request.POST.get("note", "").strip()[:300]
    if not note:
        messages.error(
            request, "Say what you checked, e.g. 'Borrowed school iPad 7, not yet in the register'."
        )
        return redirect("image_detail", school=request.school.slug, pk=image.pk)
    try:
        services.clear_flag(image, by=request.user, note=note)
    except Refused as exc:
        messages.error(request, exc.decision.summary)
    else:
        messages.success(request, "The flag is cleared; your note is kept with the image.")
    return redirect("image_detail", school=request.school.slug, pk=image.pk)
