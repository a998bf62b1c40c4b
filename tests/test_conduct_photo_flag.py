"""§5, §6: a photo whose camera is not in the device register but matches a member of staff's personal device
with permission to be used at work is flagged as taken on a personal device, with the permission's conditions
as the reason and a link to it; with no such permission it stays "not in the register" and its page says so."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from saferstaff.conduct import services
from saferstaff.conduct.models import EquipmentPermission
from saferstaff.notifications.models import Notification
from saferstaff.photos.library import add_images
from saferstaff.photos.models import Image
from saferstaff.rules.images import can_publish
from saferstaff.schools.roles import Actor

from .conftest import signed_in
from .image_samples import PERSONAL_PHONE, add_device, approved_activity, jpeg, purpose

TODAY = timezone.localdate
DAY = datetime.timedelta(days=1)
REASON = (
    "Taken on Val Volunteer's personal phone: the permission for {dates} says: Calls and messages only; "
    "No photographs or recordings (§5, §6)"
)


@pytest.fixture(autouse=True)
def _files(storage):
    pass


def phone_permission(cast, *, approve=True, conditions=("calls_only", "no_photos"), **dates):
    """The volunteer (a teaching assistant) asks to use her own phone on a trip; a senior leader decides."""
    permission = services.request_equipment(
        Actor.of(cast.volunteer, cast.school), device_kind="phone", make_model="Apple iPhone 15",
        purpose="Calls to school on the farm trip", starts_on=dates.get("starts_on", TODAY()),
        ends_on=dates.get("ends_on", TODAY() + DAY), conditions=list(conditions),
    )  # fmt: skip
    if approve:
        services.decide(Actor.of(cast.slt, cast.school), permission, approve=True)
    return permission


def upload_phone_photo(cast, activity, name="farm.jpg"):
    url = reverse("activity_upload", kwargs={"school": cast.school.slug, "pk": activity.pk})
    photo = SimpleUploadedFile(name, jpeg(colour=(8, 8, 8), **PERSONAL_PHONE), content_type="image/jpeg")
    response = signed_in(cast.teacher).post(url, {"files": [photo]}, follow=True)
    assert response.status_code == 200
    return Image.objects.get(activity=activity, original_name=name), response.content.decode()


def image_page(user, image):
    url = reverse("image_detail", kwargs={"school": image.school.slug, "pk": image.pk})
    return signed_in(user).get(url).content.decode()


def test_a_photo_from_a_permitted_phone_that_forbids_photos_is_flagged_personal_with_the_reason(cast):
    add_device(cast.school)
    permission = phone_permission(cast)
    activity = approved_activity(cast.school, cast.teacher, cast.slt, codes=("website",))
    image, upload_page = upload_phone_photo(cast, activity)
    assert image.flag == Image.Flag.PERSONAL and image.equipment_permission == permission
    assert "1 was taken on a personal device (§5: never for images of pupils)" in upload_page
    dates = f"{TODAY():%-d %B %Y} to {TODAY() + DAY:%-d %B %Y}"
    reason = REASON.format(dates=dates)

    # Senior management: the reason, and the link to the permission.
    page = image_page(cast.slt, image)
    assert reason.replace("'", "&#x27;") in page
    assert "A personal-equipment permission was recorded for this camera" in page
    link = reverse("equipment_detail", kwargs={"school": cast.school.slug, "pk": permission.pk})
    assert f'href="{link}"' in page
    # The teacher who uploaded it sees the reason but may not open someone else's permission.
    teacher_page = image_page(cast.teacher, image)
    assert "A personal-equipment permission was recorded" in teacher_page and link not in teacher_page
    note = Notification.objects.get(user=cast.slt, kind="images.flagged")
    assert "1 of them taken on a personal device (§5, §6)" in note.title

    # Publishing waits for the flag, with the same reason.
    website = purpose(cast.school, "website")
    decision = can_publish.peek(
        Actor.of(cast.slt, cast.school), subject=image, channel=website, consent=image.consent_on(website)
    )
    assert not decision and reason in [str(r) for r in decision.reasons]

    # Senior management clears it the way it clears any flag, and says what it checked.
    flag_url = reverse("image_flag", kwargs={"school": cast.school.slug, "pk": image.pk})
    signed_in(cast.head).post(flag_url, {"note": "Spoke to Val: deleted from her phone"})
    image.refresh_from_db()
    assert not image.flag_open and image.flag_cleared_by == cast.head
    decision = can_publish.peek(
        Actor.of(cast.slt, cast.school), subject=image, channel=website, consent=image.consent_on(website)
    )
    assert reason not in [str(r) for r in decision.reasons]


def test_a_permission_that_allows_photos_still_flags_them_for_section_5(cast):
    phone_permission(cast, conditions=("out_of_sight",))
    activity = approved_activity(cast.school, cast.teacher, cast.slt)
    image, _ = upload_phone_photo(cast, activity)
    assert image.flag == Image.Flag.PERSONAL
    page = image_page(cast.head, image)
    assert "personal equipment is never used to record images of pupils (§5, §6)" in page


def test_the_same_camera_with_no_permission_is_unregistered_and_the_page_says_so(cast):
    activity = approved_activity(cast.school, cast.teacher, cast.slt)
    image, page = upload_phone_photo(cast, activity)
    assert image.flag == Image.Flag.UNREGISTERED and image.equipment_permission is None
    assert "1 came from a camera not in the device register" in page
    page = image_page(cast.slt, image)
    assert "No personal-equipment permission was recorded for this camera" in page
    assert f'href="{reverse("equipment_register", kwargs={"school": cast.school.slug})}"' in page
    assert "equipment register" not in image_page(cast.teacher, image)  # only leadership opens the register


def test_a_permission_only_requested_does_not_count(cast):
    phone_permission(cast, approve=False)
    image, _ = upload_phone_photo(cast, approved_activity(cast.school, cast.teacher, cast.slt))
    assert image.flag == Image.Flag.UNREGISTERED


def test_a_permission_that_has_expired_does_not_count(cast):
    permission = phone_permission(cast)
    # A fortnight later: the permission ran out before the photo was taken.
    EquipmentPermission.objects.filter(pk=permission.pk).update(
        starts_on=TODAY() - 14 * DAY, ends_on=TODAY() - 13 * DAY
    )
    image, _ = upload_phone_photo(cast, approved_activity(cast.school, cast.teacher, cast.slt))
    assert image.flag == Image.Flag.UNREGISTERED


def test_a_permission_withdrawn_or_refused_does_not_count(cast):
    withdrawn = phone_permission(cast)
    services.withdraw(Actor.of(cast.volunteer, cast.school), withdrawn)
    refused = phone_permission(cast, approve=False)
    services.decide(Actor.of(cast.slt, cast.school), refused, approve=False, reason="Use the school phone")
    image, _ = upload_phone_photo(cast, approved_activity(cast.school, cast.teacher, cast.slt))
    assert image.flag == Image.Flag.UNREGISTERED


def test_an_album_from_one_phone_asks_for_its_permission_once(cast):
    permission = phone_permission(cast)
    activity = approved_activity(cast.school, cast.teacher, cast.slt)
    files = [(f"p{i}.jpg", jpeg(colour=(i, 9, 9), **PERSONAL_PHONE)) for i in range(4)]
    with CaptureQueriesContext(connection) as queries:
        images = add_images(activity, files, by=cast.teacher)
    assert {i.equipment_permission_id for i in images} == {permission.pk}
    asked = [q for q in queries.captured_queries if 'FROM "conduct_equipmentpermission"' in q["sql"]]
    assert len(asked) == 1, asked
