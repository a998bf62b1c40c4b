"""§5 pages: the image library: one image, its file, its tags, a flag on equipment, a legal hold."""

from django.contrib import messages
from django.db import transaction
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from saferstaff.audit.log import listed_in, record
from saferstaff.numbers import parse_id
from saferstaff.paging import page_of
from saferstaff.photos import pages, services
from saferstaff.photos.access import (
    get_image,
    images_for,
    is_senior,
    may_change,
    sees_all,
)
from saferstaff.photos.files import EXTENSIONS
from saferstaff.photos.forms import HoldForm
from saferstaff.photos.models import (
    Activity,
    Device,
    Image,
    ImageTag,
)
from saferstaff.publishing.forms import PublishImageForm
from saferstaff.rules.images import (
    may_clear_flag,
    may_remove_tag,
)
from saferstaff.schools.access import (
    pupil_views,
)
from saferstaff.schools.models import Pupil


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
            "publish_form": PublishImageForm(activity=image.activity),
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
