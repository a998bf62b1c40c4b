"""A Unicode digit such as '²' passes ``str.isdigit()`` but ``int()`` rejects it: every id read from a URL or
a form goes through saferstaff.numbers, so such a value is answered like any other non-number, never a 500."""

import pytest
from django.urls import reverse

from saferstaff.audit.models import AuditEvent
from saferstaff.numbers import parse_id, parse_int
from saferstaff.photos.library import add_images
from saferstaff.photos.models import ImageTag
from saferstaff.schools.forms import SchoolSettingsForm
from saferstaff.schools.rosters.values import normalise_year_group

from .conftest import signed_in
from .image_samples import add_device, approved_activity, jpeg, pupil_with_parents

SUPERSCRIPT_TWO = "²"
ARABIC_INDIC_THREE = "٣"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", 12), ("0012", 12), ("0", None), (SUPERSCRIPT_TWO, None), (ARABIC_INDIC_THREE, None),
     ("1" * 20, None), (str(2**63), None), (str(2**63 - 1), 2**63 - 1), ("-1", None), ("", None),
     (" 1", None), (None, None), ("1²", None)],
)  # fmt: skip
def test_an_id_is_ascii_digits_only_and_fits_an_id_column(text, expected):
    assert parse_id(text) == expected


def test_a_whole_number_may_be_zero_but_not_longer_than_asked():
    assert parse_int("0") == 0 and parse_int("123", max_digits=2) is None and parse_int("²") is None


@pytest.fixture
def photo(cast, storage):
    add_device(cast.school)
    activity = approved_activity(cast.school, cast.teacher, cast.slt)
    return add_images(activity, [("a.jpg", jpeg())], by=cast.teacher)[0]


@pytest.mark.parametrize("key", ["activity", "device", "photographer", "pupil"])
def test_the_image_list_treats_a_unicode_digit_filter_as_no_filter(cast, photo, key):
    url = reverse("image_list", kwargs={"school": cast.school.slug})
    response = signed_in(cast.head).get(url, {key: SUPERSCRIPT_TWO})
    assert response.status_code == 200


def test_a_thumbnail_with_a_unicode_digit_listing_is_shown_and_recorded_on_its_own(cast, photo):
    url = reverse("image_thumbnail", kwargs={"school": cast.school.slug, "pk": photo.pk})
    last = AuditEvent.objects.order_by("-pk").first().pk
    response = signed_in(cast.head).get(url, {"listing": SUPERSCRIPT_TWO})
    assert response.status_code == 200
    (row,) = AuditEvent.objects.filter(pk__gt=last)
    assert (row.action, row.object_id) == ("images.thumbnail_viewed", str(photo.pk))


@pytest.mark.parametrize("record_id", [SUPERSCRIPT_TWO, ARABIC_INDIC_THREE])
def test_the_audit_trail_names_a_unicode_digit_record_number_as_a_form_error(cast, record_id):
    url = reverse("audit_trail", kwargs={"school": cast.school.slug})
    response = signed_in(cast.head).get(url, {"record_type": "schools.pupil", "record_id": record_id})
    page = response.content.decode()
    assert response.status_code == 200 and 'href="#id_record_id"' in page and "in digits" in page


def test_tagging_with_a_unicode_digit_after_the_hash_tags_no_one(cast, photo):
    pupil_with_parents(cast.school, "Amelia", "Oakes", year="1")
    url = reverse("image_tags", kwargs={"school": cast.school.slug, "pk": photo.pk})
    teacher = signed_in(cast.teacher)
    for value in (f"Amelia Oakes #{SUPERSCRIPT_TWO}", SUPERSCRIPT_TWO):
        assert teacher.post(url, {"pupil": value}).status_code in (200, 302)
        assert teacher.post(url, {"remove": value}).status_code in (200, 302)
    assert not ImageTag.objects.filter(image=photo).exists()


def test_a_unicode_digit_in_a_roster_year_group_or_reminder_days_is_a_named_error():
    with pytest.raises(ValueError, match="not a year group"):
        normalise_year_group(SUPERSCRIPT_TWO)
    form = SchoolSettingsForm(data={"reminder_days": f"3,{SUPERSCRIPT_TWO}"})
    assert not form.is_valid() and "Enter days between 1 and 365" in str(form.errors["reminder_days"])
