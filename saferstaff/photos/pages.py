"""What the photo pages share with the pages of the rooms above them (faces, publishing): reading an upload,
finding the pupil a typeahead named, and telling the person what a new tag started."""

from django.conf import settings
from django.contrib import messages
from django.db.models import Count
from django.utils.safestring import SafeString

from saferstaff.numbers import parse_id
from saferstaff.paging import page_of
from saferstaff.photos.files import FileProblem, zip_members
from saferstaff.photos.models import Image, ImageTag
from saferstaff.rows import draw
from saferstaff.rules.engine import Reason
from saferstaff.schools.access import fields_for, search_pupils
from saferstaff.schools.models import Pupil


def uploaded_files(files):
    for f in files:
        if f.name.lower().endswith(".zip"):
            yield from zip_members(f.name, f.file)
        else:
            limit = 1 + max(settings.IMAGE_MAX_BYTES, settings.VIDEO_MAX_BYTES)
            if f.size >= limit:
                raise FileProblem(f.name, f"is {f.size // 1024 // 1024} MB: too big to take.")
            yield f.name, f.read()


def pupil_from_text(request, text: str):
    """The typeahead's value ends with '#<id>'; a name typed without choosing is looked up exactly."""
    text = text.strip()
    if "#" in text and (pk := parse_id(text.rsplit("#", 1)[1])) is not None:
        return Pupil.objects.filter(school=request.school, pk=pk).first()
    pupils = Pupil.objects.filter(school=request.school).current()
    matches = list(search_pupils(pupils, text, fields_for(request))[:2]) if text else []
    return matches[0] if len(matches) == 1 else None


def outside_the_group(image, pupil) -> Reason | None:
    """A pupil tagged in an image of an activity whose group (the year groups senior management approved)
    does not include them. Not refused — they are in the photo, and tagging them is what lets publishing
    check their consent — but the tagger is told: §5 asks staff to be clear about the purpose of the
    activity, and a pupil from outside it may not belong in its images."""
    if image.activity.pupils.filter(pk=pupil.pk).exists():
        return None
    return Reason(
        f"{pupil.short_name} is not in the group approved for this activity: check the image fits the "
        "purpose of the activity, and tell senior management if it does not",
        "§5",
    )


def tagged_messages(request, image, pupil, tagged) -> None:
    if tagged.takedowns:
        messages.error(
            request,
            f"This image is published where {pupil.short_name} has no consent: takedown raised (§5).",
        )
    if outside := outside_the_group(image, pupil):
        messages.warning(request, f"Tagged. {outside}.")
    if tagged.no_consent_to_photograph:
        messages.error(
            request,
            f"{pupil.short_name} has no consent to be photographed. Senior management has been told; "
            "the image should be deleted (§5).",
        )


def grid(request, page, listing) -> SafeString:
    """The items of photos/includes/grid.html for ``page``: thumbnails carry ``listing``, the page's audit row."""
    return draw(
        "photos/includes/grid_items.jinja", images=page.object_list, slug=request.school.slug, listing=listing
    )


def page_of_images(request, images, per_page: int = 48):
    """A page of ``images`` (newest first), each with ``tag_count``: the tags counted for the page's images
    only, in one query, so the page costs the same however many images the school holds (grouping every image
    by its tags before taking the page read them all)."""
    page = page_of(request, images.order_by("-captured_at", "-pk"), per_page)
    shown: list[Image] = list(page.object_list)
    counts = dict(
        ImageTag.objects.filter(image__in=shown).values_list("image").annotate(n=Count("pk")).order_by()
    )
    for image in shown:
        image.tag_count = counts.get(image.pk, 0)
    page.object_list = shown
    return page
