"""§5 pages, as a school sees them: what they say and show (the workflows are in test_images_flows.py)."""

import datetime
import io
import re

import pytest
from django.urls import reverse
from PIL import Image as PILImage

from saferstaff.biometrics.models import ScreeningRun
from saferstaff.photos.library import add_images
from saferstaff.photos.models import ImageTag, Publication, Takedown
from saferstaff.templatetags.govuk import full_stop

from .conftest import signed_in
from .image_samples import add_device, approved_activity, jpeg, pupil_with_parents, purpose


@pytest.fixture(autouse=True)
def _files(storage, monkeypatch):
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda fn, using=None, robust=False: fn())


def test_face_finding_progress_updates_without_a_meta_refresh_and_offers_check_again(cast):
    activity = approved_activity(cast.school, cast.teacher, cast.slt)
    run = ScreeningRun.objects.create(
        school=cast.school, activity=activity, started_by=cast.teacher, total=3, status="running"
    )
    url = reverse("screening_progress", kwargs={"school": cast.school.slug, "pk": run.pk})
    page = signed_in(cast.teacher).get(url).content.decode()
    assert 'http-equiv="refresh"' not in page.lower()  # axe: meta-refresh (critical)
    assert f'href="{url}" role="button"' in page and ">Check again</a>" in page  # without JavaScript
    assert "<script nonce=" in page and "fetch(" in page  # with it, the progress updates in place
    part = signed_in(cast.teacher).get(url, {"part": "status"}).content.decode()
    assert part.lstrip().startswith('<div id="screening" data-running>') and "<html" not in part
    ScreeningRun.objects.filter(pk=run.pk).update(status="done", done=3)
    done = signed_in(cast.teacher).get(url).content.decode()
    assert "Check again" not in done and "data-running" not in done


# --- Smaller things a school noticed ---------------------------------------------------------------------


def _upload(client, cast, activity, *files):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("activity_upload", kwargs={"school": cast.school.slug, "pk": activity.pk})
    data = {"files": [SimpleUploadedFile(name, data, content_type="image/jpeg") for name, data in files]}
    return client.post(url, data, follow=True)


def test_a_duplicate_upload_says_which_files_were_already_there(cast):
    add_device(cast.school)
    activity = approved_activity(cast.school, cast.teacher, cast.slt)
    teacher = signed_in(cast.teacher)
    _upload(teacher, cast, activity, ("sports-1.jpg", jpeg()))
    page = _upload(teacher, cast, activity, ("sports-1-again.jpg", jpeg())).content.decode()
    assert "Added 0 images. Already in this activity, so not added again: sports-1-again.jpg." in page


def test_a_short_name_ending_in_an_initial_ends_the_sentence_once(cast):
    ruby, _ = pupil_with_parents(cast.school, "Ruby", "Clark")
    activity = approved_activity(cast.school, cast.teacher, cast.slt, pupils=[ruby])
    image = add_images(activity, [("r.jpg", jpeg())], by=cast.teacher)[0]
    publication = Publication.objects.create(
        school=cast.school, image=image, image_ref=image.pk, channel=purpose(cast.school, "website"),
        where="https://school.example/news", published_by=cast.teacher,
    )  # fmt: skip
    takedown = Takedown.objects.create(
        school=cast.school, publication=publication, pupil=ruby, assigned_to=cast.teacher
    )
    url = reverse("takedown_done", kwargs={"school": cast.school.slug, "pk": takedown.pk})
    page = signed_in(cast.teacher).get(url).content.decode()
    assert "is not given for Ruby C. Remove the image" in page and "C.." not in page
    assert full_stop("Ruby C.") == "Ruby C." and full_stop("Ruby") == "Ruby."


def test_the_links_page_says_how_many_contacts_have_no_parental_responsibility_and_why(cast):
    pupil_with_parents(cast.school, "Grace", "Hill", without_pr=2)
    page = signed_in(cast.office, confirmed=True).get(
        reverse("portal_links", kwargs={"school": cast.school.slug})
    )
    text = page.content.decode()
    assert "2 contacts of pupils on roll have no parental responsibility, so are not sent a link" in text
    assert "only a guardian with parental responsibility can give or withdraw consent (§5)" in text


def test_tagging_a_pupil_outside_the_activitys_year_groups_tells_the_tagger_but_tags(cast):
    in_group, _ = pupil_with_parents(cast.school, "Amelia", "Oakes", year="1")
    outside, _ = pupil_with_parents(cast.school, "Noah", "Reed", year="5")
    activity = approved_activity(cast.school, cast.teacher, cast.slt, pupils=[in_group])
    image = add_images(activity, [("a.jpg", jpeg())], by=cast.teacher)[0]
    url = reverse("image_tags", kwargs={"school": cast.school.slug, "pk": image.pk})
    teacher = signed_in(cast.teacher)
    quiet = teacher.post(url, {"pupil": f"Amelia Oakes #{in_group.pk}"}, follow=True).content.decode()
    assert "not in the group approved" not in quiet
    told = teacher.post(url, {"pupil": f"Noah Reed #{outside.pk}"}, follow=True).content.decode()
    assert "Noah R. is not in the group approved for this activity: check the image fits the purpose" in told
    assert "(§5)" in told
    assert ImageTag.objects.filter(image=image, pupil=outside).exists()  # told, not blocked


def test_the_library_and_the_activity_count_each_shown_images_tags(cast):
    amelia, _ = pupil_with_parents(cast.school, "Amelia", "Oakes")
    noah, _ = pupil_with_parents(cast.school, "Noah", "Reed")
    activity = approved_activity(cast.school, cast.teacher, cast.slt, pupils=[amelia, noah])
    files = [("a.jpg", jpeg(colour=(10, 20, 30))), ("b.jpg", jpeg(colour=(200, 20, 30)))]
    two, none = add_images(activity, files, by=cast.teacher)
    teacher = signed_in(cast.teacher)
    url = reverse("image_tags", kwargs={"school": cast.school.slug, "pk": two.pk})
    for pupil in (amelia, noah):
        teacher.post(url, {"pupil": f"{pupil.legal_forename} {pupil.legal_surname} #{pupil.pk}"})
    assert ImageTag.objects.filter(image=two).count() == 2
    for page in ("image_list", "activity_detail"):
        kwargs = {"school": cast.school.slug} | ({"pk": activity.pk} if page == "activity_detail" else {})
        html = signed_in(cast.slt).get(reverse(page, kwargs=kwargs)).content.decode()
        counts = re.findall(r"· (\d+) tagged", html)
        assert sorted(counts) == ["0", "2"], (page, counts)


def test_a_made_up_receipt_reference_shows_our_own_page_even_with_debug_on(cast, client, settings):
    from django.core import mail

    settings.DEBUG = True
    pupil_with_parents(cast.school)
    signed_in(cast.office, confirmed=True).post(
        reverse("portal_links", kwargs={"school": cast.school.slug}), {"send": "all"}
    )
    token = re.search(r"/portal/([^/\s]+)/", mail.outbox[0].body).group(1)
    response = client.get(reverse("portal_receipt", kwargs={"token": token, "receipt": "MADE-UP-123"}))
    assert response.status_code == 404
    assert [t.name for t in response.templates][0] == "consent/portal_error.html"
    assert b"There is no receipt with this reference" in response.content


def test_the_portal_email_and_the_office_page_give_the_same_number_of_days(cast, settings):
    from django.core import mail

    settings.PORTAL_LINK_DAYS = 10
    pupil_with_parents(cast.school)
    office = signed_in(cast.office, confirmed=True)
    url = reverse("portal_links", kwargs={"school": cast.school.slug})
    office.post(url, {"send": "all"})
    assert "The link works for 10 days" in mail.outbox[0].body
    assert "A link works for 10 days" in office.get(url).content.decode()


def test_a_device_label_says_its_make_once(cast):
    device = add_device(cast.school, make="Canon", model="Canon EOS R50", serial="X1")
    other = add_device(cast.school, make="Apple", model="iPad (9th generation)", serial="X2")
    assert str(device) == "CAM-001 — Canon EOS R50" and str(other) == "CAM-002 — Apple iPad (9th generation)"
    page = signed_in(cast.head).get(reverse("device_list", kwargs={"school": cast.school.slug}))
    assert "Canon Canon" not in page.content.decode() and "Canon EOS R50" in page.content.decode()


def test_a_downloaded_original_is_named_with_its_type_s_extension(cast):
    activity = approved_activity(cast.school, cast.teacher, cast.slt)
    png = io.BytesIO()
    PILImage.new("RGB", (64, 48), (5, 6, 7)).save(png, "PNG")
    photo, drawing = add_images(activity, [("a", jpeg()), ("b", png.getvalue())], by=cast.teacher)
    teacher = signed_in(cast.teacher)
    for image, extension in ((photo, "jpg"), (drawing, "png")):
        response = teacher.get(reverse("image_file", kwargs={"school": cast.school.slug, "pk": image.pk}))
        assert f'filename="image-{image.pk}.{extension}"' in response["Content-Disposition"]


def test_an_upload_with_no_file_is_an_error_by_the_field_not_zero_added(cast):
    add_device(cast.school)
    activity = approved_activity(cast.school, cast.teacher, cast.slt)
    response = _upload(signed_in(cast.teacher), cast, activity)
    page = response.content.decode()
    assert response.status_code == 400 and "Added 0" not in page
    assert 'href="#id_files"' in page and "Choose the photos or videos to add" in page


def test_sending_links_to_nobody_chosen_says_so_instead_of_sent_0(cast):
    links = reverse("portal_links", kwargs={"school": cast.school.slug})
    page = signed_in(cast.office, confirmed=True).post(links, {"send": "selected"}, follow=True)
    text = page.content.decode()
    assert "Sent 0" not in text and "Nobody was chosen" in text


def _options(page: str, name: str) -> set[str]:
    select = re.search(
        rf'<select class="govuk-select" id="f-{name}" name="{name}">(.*?)</select>', page, re.S
    )
    return set(re.findall(r'<option value="(\d+)"', select.group(1)))


def test_the_library_filters_offer_the_schools_photographers_and_tagged_pupils_only(cast):
    """Uploaded by: every member of staff who uploaded an image here, even one who has since left; Pupil:
    every pupil tagged in an image here — nobody else, and nobody of another school."""
    from django.core.cache import caches

    from saferstaff.schools.models import Membership

    (tagged, _), (untagged, _) = (
        pupil_with_parents(cast.school),
        pupil_with_parents(cast.school, "Ben", "Ash"),
    )
    add_device(cast.school)
    mine = add_images(
        approved_activity(cast.school, cast.teacher, cast.slt), [("a.jpg", jpeg())], by=cast.teacher
    )
    ImageTag.objects.create(school=cast.school, image=mine[0], pupil=tagged, tagged_by=cast.teacher)
    elsewhere, _ = pupil_with_parents(cast.other_school, "Cara", "Birch")
    add_device(cast.other_school)
    theirs = add_images(
        approved_activity(cast.other_school, cast.other_teacher, cast.other_teacher),
        [("b.jpg", jpeg())],
        by=cast.other_teacher,
    )
    ImageTag.objects.create(school=cast.other_school, image=theirs[0], pupil=elsewhere)
    Membership.objects.filter(user=cast.teacher, school=cast.school).update(ended_on=datetime.date.today())
    page = (
        signed_in(cast.head).get(reverse("image_list", kwargs={"school": cast.school.slug})).content.decode()
    )
    assert _options(page, "photographer") == {str(cast.teacher.pk)}
    assert _options(page, "pupil") == {str(tagged.pk)}
    assert str(untagged.pk) not in _options(page, "pupil")
    # The options are kept drawn: the chosen one is marked on each page, names stay escaped.
    tagged.preferred_forename = "<b>Amy</b>"
    tagged.save()
    caches["overview"].clear()  # a name changed outside the roster import's door (which records an event)
    url = reverse("image_list", kwargs={"school": cast.school.slug})
    chosen = signed_in(cast.head).get(url, {"pupil": tagged.pk}).content.decode()
    assert chosen.count(" selected>") == 1 and f'<option value="{tagged.pk}" selected>' in chosen
    assert "&lt;b&gt;Amy&lt;/b&gt;" in chosen and "<b>Amy</b>" not in chosen
    plain = signed_in(cast.head).get(url).content.decode()
    assert " selected>" not in plain
