"""What the photo pages share with the pages of the rooms above them (faces, publishing): reading an upload,
finding the pupil a typeahead named, and telling the person what a new tag started."""

from django.conf import settings
from django.contrib import messages

from saferstaff.consent.states import short_name
from saferstaff.numbers import parse_id
from saferstaff.photos.files import FileProblem, zip_members
from saferstaff.rules.images import outside_the_group
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


def tagged_messages(request, image, pupil, tagged) -> None:
    if tagged.takedowns:
        messages.error(
            request,
            f"This image is published where {short_name(pupil)} has no consent: takedown raised (§5).",
        )
    if outside := outside_the_group(image, pupil):
        messages.warning(request, f"Tagged. {outside}.")
    if tagged.no_consent_to_photograph:
        messages.error(
            request,
            f"{short_name(pupil)} has no consent to be photographed. Senior management has been told; "
            "the image should be deleted (§5).",
        )
