"""§8, UK GDPR art. 15: subject access requests — logged by a page or the door, due by the ICO's month (pauses,
an extension announced within the first month), a checklist of everything held that keeps its decisions when
refreshed, a bundle with other pupils' faces blurred, closing — and "who saw my child's record?"."""

import datetime
import io
import zipfile

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image as PILImage

from saferstaff import clocks
from saferstaff.audit.log import record
from saferstaff.audit.models import AuditEvent
from saferstaff.biometrics.models import FaceDetection
from saferstaff.faces.standin import StandInEmbedder, draw_face
from saferstaff.incidents.models import Case
from saferstaff.photos.library import add_images
from saferstaff.photos.models import ImageTag
from saferstaff.privacy import requests as doors
from saferstaff.privacy.models import AccessRequest, Bundle, Found, Pause, Sharing
from saferstaff.rules.engine import Refused
from saferstaff.schools.roles import Actor

from .conftest import signed_in
from .image_samples import add_device, approved_activity, pupil_with_parents

SUBJECT_BOX, OTHER_BOX = (40, 60, 120, 120), (400, 60, 120, 120)


@pytest.fixture(autouse=True)
def _files(storage, settings, monkeypatch):
    from django.db import transaction

    settings.FACE_MODELS = "standin"
    monkeypatch.setattr(transaction, "on_commit", lambda fn, using=None, robust=False: fn())


def url(cast, name, **kwargs):
    return reverse(name, kwargs={"school": cast.school.slug, **kwargs})


def dpo(cast):
    return Actor.of(cast.dpo, cast.school)


def at(day: datetime.date, hour=10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


@pytest.fixture
def amelia(cast):
    return pupil_with_parents(cast.school, "Amelia", "Oakes")[0]


def log(cast, pupil, received=None, **extra):
    return doors.log_request(
        dpo(cast), requester_kind="guardian", requester_name="Mrs Oakes", about_pupil=pupil,
        received_at=received or ago(2), **extra,
    )  # fmt: skip


# --- Logging and the due date ---------------------------------------------------------------------------------


def test_the_dpo_logs_a_request_from_a_guardian_and_sees_its_due_date(cast, amelia):
    client = signed_in(cast.dpo)
    assert client.get(url(cast, "sar_add")).status_code == 200
    found = client.post(url(cast, "sar_add"), {"about_pupil_q": "Amelia", "find": "1"})
    assert found.status_code == 200 and b"Amelia" in found.content and not AccessRequest.objects.exists()
    received = datetime.date(2026, 1, 31)
    response = client.post(
        url(cast, "sar_add"),
        {"requester_kind": "guardian", "requester_name": "Mrs Oakes", "about_pupil": amelia.pk,
         "received_at": received.isoformat(), "what_asked": "Everything about my daughter"},
    )  # fmt: skip
    req = AccessRequest.objects.get()
    assert response.status_code == 302 and response.url == url(cast, "sar_detail", pk=req.pk)
    # 31 January: February has no 31st, so its last day; 28 February 2026 is a Saturday: Monday 2 March.
    assert clocks.local(req.due_at).date() == datetime.date(2026, 3, 2)
    page = client.get(url(cast, "sar_detail", pk=req.pk)).content.decode()
    assert "Monday 2 March 2026" in page and "bank holiday" in page and "the next working day" in page
    assert AuditEvent.objects.filter(action="privacy.sar.logged", object_id=str(req.pk)).exists()
    assert "Mrs Oakes" not in str(AuditEvent.objects.get(action="privacy.sar.logged").detail)


@pytest.mark.parametrize(
    "received, due, words",
    [
        (datetime.date(2026, 3, 31), "Thursday 30 April 2026", "that month has no such date: its last day"),
        (
            datetime.date(2024, 1, 31),
            "Thursday 29 February 2024",
            "that month has no such date",
        ),  # a leap year
        (
            datetime.date(2026, 11, 28),
            "Tuesday 29 December 2026",
            "28 December 2026 is a bank holiday, so it is due the next working day",
        ),  # Boxing Day moved to Monday 28th
        (
            datetime.date(2026, 1, 31),
            "Monday 2 March 2026",
            "28 February 2026 is a Saturday, so it is due the next working day",
        ),  # the month's last day is a weekend: the page says which day it is
    ],
)
def test_the_due_date_is_shown_with_why(cast, amelia, received, due, words):
    req = log(cast, amelia, received=at(received))
    page = signed_in(cast.dpo).get(url(cast, "sar_detail", pk=req.pk)).content.decode()
    assert due in page and words in page


def test_a_pupils_page_leads_to_a_request_about_them(cast, amelia):
    client = signed_in(cast.dpo)
    page = client.get(url(cast, "pupil_consent", pk=amelia.pk)).content.decode()
    link = f"{url(cast, 'sar_add')}?about_pupil={amelia.pk}"
    assert link in page.replace("&amp;", "&")
    form = client.get(link).content.decode()
    assert f'<option value="{amelia.pk}" selected>' in form


def test_the_request_form_asks_who_it_is_about_first_and_uses_only_that_answer(cast, amelia):
    """Who it is about is chosen first; under each choice only its own question (GOV.UK conditional reveal,
    by CSS alone, so without JavaScript too); what was typed under another choice is not used; a
    missing answer is named beside its own field."""
    client = signed_in(cast.dpo)
    form = client.get(url(cast, "sar_add")).content.decode()
    for kind, field in (("pupil", "about_pupil"), ("member", "about_member"), ("other", "about_other")):
        assert f'name="about_kind" type="radio" value="{kind}">' in form
        block = form.split(f'id="about-{kind}"', 1)[1].split("govuk-radios__item", 1)[0]
        assert f'name="{field}"' in block and block.count('name="about_') == (2 if kind == "pupil" else 1)
    # Nothing chosen yet: no choice's questions show.
    assert (
        'class="govuk-radios app-reveal"' in form
        and 'name="about_kind" type="radio" value="pupil" checked' not in form
    )
    linked = client.get(f"{url(cast, 'sar_add')}?about_pupil={amelia.pk}").content.decode()
    assert 'value="pupil" checked' in linked and linked.count('name="about_kind"') == 3
    base = {"requester_kind": "staff", "requester_name": "T", "received_at": "2026-11-05"}
    nobody = client.post(url(cast, "sar_add"), base)
    assert 'href="#id_about_kind_0">Who is the request about?: Choose who the request is about' in (
        nobody.content.decode()
    )
    missing = client.post(url(cast, "sar_add"), {**base, "about_kind": "member", "about_other": "Left over"})
    text = missing.content.decode()
    assert missing.status_code == 400 and not AccessRequest.objects.exists()
    assert 'href="#id_about_member">The member of staff: Choose one person the request is about' in text
    assert (
        'value="member" checked' in text
        and 'value="pupil" checked' not in text
        and 'value="other" checked' not in text
    )
    member = cast.member(cast.teacher)
    ok = client.post(
        url(cast, "sar_add"),
        {**base, "about_kind": "member", "about_member": member.pk, "about_other": "Left over",
         "about_pupil": amelia.pk},
    )  # fmt: skip
    req = AccessRequest.objects.get()
    assert (
        ok.status_code == 302 and req.about_member == member and not req.about_other and not req.about_pupil
    )


def test_a_request_received_in_the_future_is_refused_beside_its_field(cast, amelia):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = signed_in(cast.dpo).post(
        url(cast, "sar_add"),
        {"requester_kind": "guardian", "requester_name": "Mrs Oakes", "about_pupil": amelia.pk,
         "received_at": tomorrow.isoformat()},
    )  # fmt: skip
    assert response.status_code == 400 and not AccessRequest.objects.exists()
    assert "When did the request arrive?: The date the request arrived cannot be in the future" in (
        response.content.decode()
    )


@pytest.mark.parametrize(
    "data",
    [
        {},  # nothing
        {"about_pupil": "99999999999999999999"},  # a forged, oversized id
        {"about_pupil": "1", "about_other": "Someone"},  # two people
        {"about_member": "abc"},
    ],
)
def test_bad_input_is_a_clear_error_never_a_500(cast, amelia, data):
    response = signed_in(cast.dpo).post(
        url(cast, "sar_add"),
        {"requester_kind": "guardian", "requester_name": "X", "received_at": "2026-01-05", **data},
    )
    assert response.status_code == 400 and not AccessRequest.objects.exists()
    assert "govuk-error-summary" in response.content.decode()


def test_a_request_about_someone_not_in_saferstaff_finds_nothing_held(cast):
    client = signed_in(cast.dpo)
    client.post(
        url(cast, "sar_add"),
        {"requester_kind": "former_pupil", "requester_name": "Jo Bloggs", "about_other": "Jo Bloggs",
         "received_at": "2026-11-30"},
    )  # fmt: skip
    req = AccessRequest.objects.get()
    page = client.get(url(cast, "sar_checklist", pk=req.pk)).content.decode()
    assert "saferstaff holds nothing about them" in page and not Found.objects.exists()


def test_pages_of_a_request_are_404_to_anyone_the_rule_does_not_name(cast, amelia):
    req = log(cast, amelia)
    assert signed_in(cast.dpo).get(url(cast, "sar_detail", pk=req.pk + 1000)).status_code == 404
    assert signed_in(cast.teacher).get(url(cast, "sar_detail", pk=req.pk)).status_code == 403
    # A request about the Headteacher is not theirs to read.
    about_head = doors.log_request(
        dpo(cast), requester_kind="staff", requester_name="H", about_member=cast.member(cast.head),
        received_at=ago(1),
    )  # fmt: skip
    assert signed_in(cast.head).get(url(cast, "sar_detail", pk=about_head.pk)).status_code == 404
    with pytest.raises(Refused):
        doors.log_request(
            Actor.of(cast.head, cast.school), requester_kind="staff", requester_name="H",
            about_member=cast.member(cast.head), received_at=ago(1),
        )  # fmt: skip


# --- Pauses, identity, the extension ---------------------------------------------------------------------------


def test_a_pause_moves_the_due_date_and_a_second_pause_is_refused(cast, amelia):
    req = log(cast, amelia, received=ago(10))
    before = req.due_at
    client = signed_in(cast.dpo)
    assert client.get(url(cast, "sar_pause", pk=req.pk)).status_code == 200
    assert client.post(url(cast, "sar_pause", pk=req.pk), {"why": "identity"}).status_code == 302
    req.refresh_from_db()
    assert req.status == AccessRequest.Status.PAUSED
    assert "Paused" in client.get(url(cast, "sar_detail", pk=req.pk)).content.decode()
    second = client.post(url(cast, "sar_pause", pk=req.pk), {"why": "clarification"})
    assert second.status_code == 400 and "resume it first" in second.content.decode()
    assert Pause.objects.count() == 1
    # Three days later identity is checked: the identity pause ends, the due date moves by three days.
    Pause.objects.update(started_on=timezone.localdate() - datetime.timedelta(days=3))
    assert (
        client.post(url(cast, "sar_identity", pk=req.pk), {"how": "Known to the office"}).status_code == 302
    )
    req.refresh_from_db()
    assert req.status == AccessRequest.Status.OPEN and req.identity_how == "Known to the office"
    received_on = clocks.local(req.received_at).date()
    assert req.due_at == clocks.due("sar", req.received_at, paused_days=3) and req.due_at >= before
    assert clocks.local(req.due_at).date() >= clocks.add_months(received_on + datetime.timedelta(days=3), 1)


def test_resume_by_page_and_by_door(cast, amelia):
    req = log(cast, amelia)
    doors.pause_request(dpo(cast), req, why="clarification")
    client = signed_in(cast.dpo)
    assert client.get(url(cast, "sar_resume", pk=req.pk)).status_code == 200
    assert client.post(url(cast, "sar_resume", pk=req.pk)).status_code == 302
    req.refresh_from_db()
    assert req.status == AccessRequest.Status.OPEN
    with pytest.raises(Refused):
        doors.resume_request(dpo(cast), req)  # not paused


def test_an_extension_within_the_first_month_and_not_after(cast, amelia):
    client = signed_in(cast.dpo)
    early = log(cast, amelia, received=ago(5))
    missing = client.post(url(cast, "sar_extend", pk=early.pk), {"months": "2"})
    assert missing.status_code == 400 and "Why does it need longer?" in missing.content.decode()
    assert (
        client.post(
            url(cast, "sar_extend", pk=early.pk), {"months": "2", "reason": "Many records"}
        ).status_code
        == 302
    )
    early.refresh_from_db()
    assert early.extension_months == 2
    assert early.due_at == clocks.due("sar", early.received_at, extension_months=2)
    forged = client.post(url(cast, "sar_extend", pk=log(cast, amelia).pk), {"months": "7", "reason": "x"})
    assert forged.status_code == 400 and 'href="#id_months_0">How much longer?' in forged.content.decode()
    late = log(cast, amelia, received=ago(40))
    refused = client.post(url(cast, "sar_extend", pk=late.pk), {"months": "1", "reason": "Many records"})
    assert refused.status_code == 400 and "within the first month: it has passed" in refused.content.decode()
    late.refresh_from_db()
    assert late.extension_months == 0


@pytest.mark.parametrize("why", ["late", "extended"])
def test_a_request_that_cannot_be_extended_says_why_and_offers_no_form(cast, amelia, why):
    """After the first month, or once extended, the page says why (the rule's reason and its clause) with a
    link back, and no form that could only fail; the request's page offers no Extend link, by the same rule."""
    client = signed_in(cast.dpo)
    req = log(cast, amelia, received=ago(40 if why == "late" else 3))
    if why == "extended":
        doors.extend_request(dpo(cast), req, months=1, reason="Many records")
    page = client.get(url(cast, "sar_extend", pk=req.pk))
    text = page.content.decode()
    said = "it has passed (UK GDPR art. 12(3))" if why == "late" else "extended already (UK GDPR art. 12(3))"
    assert page.status_code == 200 and said in text
    assert "<form" not in text.split("<main", 1)[1] and 'name="months"' not in text
    assert f'href="{url(cast, "sar_detail", pk=req.pk)}"' in text
    detail = client.get(url(cast, "sar_detail", pk=req.pk)).content.decode()
    assert url(cast, "sar_extend", pk=req.pk) not in detail
    fresh = log(cast, amelia, received=ago(3))
    assert (
        url(cast, "sar_extend", pk=fresh.pk)
        in client.get(url(cast, "sar_detail", pk=fresh.pk)).content.decode()
    )


# --- The checklist ---------------------------------------------------------------------------------------------


@pytest.fixture
def photos(cast, amelia):
    """Amelia alone in one photo, and with Noah (a face nobody named) in another."""
    noah, _ = pupil_with_parents(cast.school, "Noah", "Reed")
    add_device(cast.school)
    activity = approved_activity(cast.school, cast.teacher, cast.slt, pupils=[amelia, noah])
    picture = np.full((300, 600, 3), 80, dtype=np.uint8)
    draw_face(picture, SUBJECT_BOX, 7)
    draw_face(picture, OTHER_BOX, 3)
    out = io.BytesIO()
    PILImage.fromarray(picture[:, :, ::-1]).save(out, "JPEG", quality=95)
    (together,) = add_images(activity, [("together.jpg", out.getvalue())], by=cast.teacher)
    ImageTag.objects.create(school=cast.school, image=together, pupil=amelia, tagged_by=cast.teacher)
    ImageTag.objects.create(school=cast.school, image=together, pupil=noah, tagged_by=cast.teacher)
    version = StandInEmbedder.version
    together.faces_screened_with = version
    together.save(update_fields=["faces_screened_with"])
    FaceDetection.objects.create(
        school=cast.school, image=together, left=SUBJECT_BOX[0], top=SUBJECT_BOX[1], width=SUBJECT_BOX[2],
        height=SUBJECT_BOX[3], detector_score=0.9, model_version=version, verdict="review", decision="confirmed",
        decided_pupil=amelia,
    )  # fmt: skip
    return {"together": together, "noah": noah, "picture": picture}


def test_the_checklist_finds_what_is_held_and_keeps_decisions_when_refreshed(cast, amelia, photos):
    req = log(cast, amelia)
    client = signed_in(cast.dpo)
    page = client.get(url(cast, "sar_checklist", pk=req.pk)).content.decode()
    assert "Everything saferstaff holds" in page
    rows = {f.record_type: f for f in req.found.all()}
    assert {"pupils", "guardians", "images", "activities"} <= set(rows)
    image = rows["images"]
    assert image.others_in_it and image.decision == Found.Decision.REDACT and image.exemption == "third_party"
    pupil_row = rows["pupils"]
    assert pupil_row.decision == Found.Decision.UNDECIDED
    # Withhold with no exemption: an error beside the field.
    bad = client.post(url(cast, "sar_checklist", pk=req.pk), {"found": pupil_row.pk, "decision": "withhold"})
    assert (
        bad.status_code == 400
        and "Exemption (to redact or withhold): Choose the exemption" in bad.content.decode()
    )
    ok = client.post(url(cast, "sar_checklist", pk=req.pk), {"found": pupil_row.pk, "decision": "disclose"})
    assert ok.status_code == 302
    # A forged row: 404, never a 500.
    assert (
        client.post(
            url(cast, "sar_checklist", pk=req.pk), {"found": 999999, "decision": "disclose"}
        ).status_code
        == 404
    )
    # New records are found by refreshing; decisions made stay.
    ImageTag.objects.filter(pupil=photos["noah"]).delete()
    assert client.post(url(cast, "sar_checklist", pk=req.pk), {"refresh": "1"}).status_code == 302
    pupil_row.refresh_from_db()
    assert pupil_row.decision == Found.Decision.DISCLOSE and pupil_row.decided_by == cast.dpo


def test_disclose_everything_not_yet_decided_in_one_go_leaves_other_peoples_data(cast, amelia, photos):
    """One button discloses every undecided row through the door that decides one row (audited per row); the
    photo with Noah in it stays proposed for redaction, and the page says how many were left."""
    req = log(cast, amelia)
    client = signed_in(cast.dpo)
    page = client.get(url(cast, "sar_checklist", pk=req.pk)).content.decode()
    undecided = list(req.found.filter(decision=Found.Decision.UNDECIDED))
    image = req.found.get(record_type="images")
    assert len(undecided) >= 2 and image.others_in_it and req.found.filter(others_in_it=True).count() > 1
    assert f"Disclose the {len(undecided)} records not yet decided" in page
    response = client.post(url(cast, "sar_checklist", pk=req.pk), {"disclose_rest": "1"}, follow=True)
    said = response.content.decode()
    assert f"Disclosed {len(undecided)} records nobody had decided yet" in said
    others = req.found.filter(others_in_it=True).count()
    assert (
        f"{others} records are left for a decision one by one: {others} with other people&#x27;s data" in said
    )
    assert not req.found.filter(decision=Found.Decision.UNDECIDED).exists()
    assert set(req.found.filter(decision="disclose", decided_by=cast.dpo)) == set(undecided)
    image.refresh_from_db()
    assert image.decision == Found.Decision.REDACT and image.decided_by is None  # still only proposed
    events = AuditEvent.objects.filter(action="privacy.sar.decided", object_id=str(req.pk))
    assert sorted(e.detail["found"] for e in events) == sorted(f.pk for f in undecided)
    assert AuditEvent.objects.filter(action="privacy.sar.disclosed_undecided", object_id=str(req.pk)).exists()
    assert "not yet decided" not in said.split("<main", 1)[1].split("Disclosed", 1)[1]  # no button left
    # A closed request: refused by the door, nothing changed.
    doors.close_request(dpo(cast), req, status="withdrawn")
    with pytest.raises(Refused):
        doors.disclose_undecided(dpo(cast), req)


def test_a_proposed_exemption_is_not_chosen_for_the_officer(cast, amelia, photos):
    """A row proposed for redaction starts with no exemption chosen ("Choose the exemption"): saving it as
    withheld without choosing one is refused beside the field; an exemption the officer chose shows again."""
    req = log(cast, amelia)
    client = signed_in(cast.dpo)
    client.get(url(cast, "sar_checklist", pk=req.pk))
    image = req.found.get(record_type="images")
    assert image.exemption == "third_party" and image.decided_by is None
    page = client.get(url(cast, "sar_checklist", pk=req.pk)).content.decode()
    card = page.split(f'id="row-{image.pk}"', 1)[1].split("</form>", 1)[0]
    assert '<option value="" selected>Choose the exemption</option>' in card
    assert '<option value="third_party" selected>' not in card
    bad = client.post(url(cast, "sar_checklist", pk=req.pk), {"found": image.pk, "decision": "withhold"})
    assert bad.status_code == 400
    assert f'href="#row{image.pk}-exemption">Exemption (to redact or withhold): Choose the exemption' in (
        bad.content.decode()
    )
    image.refresh_from_db()
    assert image.decision == Found.Decision.REDACT and image.decided_by is None
    chosen = {"found": image.pk, "decision": "withhold", "exemption": "serious_harm"}
    assert client.post(url(cast, "sar_checklist", pk=req.pk), chosen).status_code == 302
    page = client.get(url(cast, "sar_checklist", pk=req.pk)).content.decode()
    card = page.split(f'id="row-{image.pk}"', 1)[1].split("</form>", 1)[0]
    assert '<option value="serious_harm" selected>' in card


@pytest.mark.parametrize(
    "data",
    [
        {"found": "abc", "decision": "disclose"},
        {"found": "9" * 30, "decision": "disclose"},
        {"decision": "x"},
        {},
    ],
)
def test_a_malformed_decision_is_an_error_not_a_500(cast, amelia, data):
    req = log(cast, amelia)
    doors.refresh_checklist(dpo(cast), req)
    response = signed_in(cast.dpo).post(url(cast, "sar_checklist", pk=req.pk), data)
    assert response.status_code == 400 and "govuk-error-summary" in response.content.decode()
    assert not req.found.exclude(decided_by=None).exists()


def test_the_bundle_blurs_every_other_face(cast, amelia, photos):
    req = log(cast, amelia)
    doors.refresh_checklist(dpo(cast), req)
    client = signed_in(cast.dpo, confirmed=True)
    # Undecided rows: refused, nothing made.
    response = client.post(url(cast, "sar_bundle", pk=req.pk))
    assert response.status_code == 302 and not Bundle.objects.exists()
    for row in req.found.filter(decision=Found.Decision.UNDECIDED):
        doors.decide_found(dpo(cast), row, decision="disclose")
    assert client.get(url(cast, "sar_bundle", pk=req.pk)).status_code == 200
    assert client.post(url(cast, "sar_bundle", pk=req.pk)).status_code == 302
    bundle = Bundle.objects.get()
    download = client.get(url(cast, "sar_bundle_download", pk=bundle.pk))
    assert download.status_code == 200 and download["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in download["Content-Disposition"]
    zf = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    names = zf.namelist()
    assert "index.pdf" in names and zf.read("index.pdf").startswith(b"%PDF")
    assert zf.read("records.pdf").startswith(b"%PDF")  # the pupil's record, the guardian (redacted), …
    photo = next(n for n in names if n.startswith("images/"))
    assert not PILImage.open(io.BytesIO(zf.read(photo))).getexif()  # a clean copy: no camera or location data
    copy = np.asarray(PILImage.open(io.BytesIO(zf.read(photo))).convert("RGB"))[:, :, ::-1].astype(int)
    with photos["together"].original.open(
        "rb"
    ) as f:  # as stored: the copy differs from it only where blurred
        original = np.asarray(PILImage.open(f).convert("RGB"))[:, :, ::-1].astype(int)

    def detail(picture, box):  # how sharp the region is: a blurred face has lost its edges
        x, y, w, h = box
        return np.abs(np.diff(picture[y : y + h, x : x + w], axis=1)).mean()

    kept = detail(copy, SUBJECT_BOX) / detail(original, SUBJECT_BOX)
    blurred = detail(copy, OTHER_BOX) / detail(original, OTHER_BOX)
    assert kept > 0.7 and blurred < 0.3, (kept, blurred)  # Noah blurred, Amelia as she is
    # Made once, audited, and its disclosure opened in the sharing log.
    entry = Sharing.objects.get(source=Sharing.Source.ACCESS_REQUEST)
    assert entry.status == Sharing.Status.TO_COMPLETE and list(entry.about_pupils.all()) == [amelia]
    assert AuditEvent.objects.filter(action="privacy.sar.bundle_made").exists()
    assert AuditEvent.objects.filter(action="privacy.sar.bundle_downloaded").exists()


def test_a_redacted_record_keeps_the_subject_and_hides_others(cast, amelia, photos):
    req = log(cast, amelia)
    doors.refresh_checklist(dpo(cast), req)
    guardian = req.found.get(record_type="guardians")
    assert guardian.decision == Found.Decision.REDACT
    pupil_row = req.found.get(record_type="pupils")
    doors.decide_found(dpo(cast), pupil_row, decision="disclose")
    pages = {
        p["kind"]: dict(p["fields"])
        for p in doors.record_pages([doors.Item(guardian), doors.Item(pupil_row)], amelia)
    }
    shown = pages["Guardians of pupils who have left, and their history"]
    assert shown["Forename"] == shown["Email"] == doors.REDACTED and "Parent0" not in str(shown)
    assert pages["Pupils who have left, and their records' history"]["Legal forename"] == "Amelia"


def test_a_bundle_that_fails_half_way_leaves_no_file(cast, amelia, monkeypatch):
    from django.core.files.storage import default_storage

    req = log(cast, amelia)
    doors.refresh_checklist(dpo(cast), req)
    for row in req.found.filter(decision=Found.Decision.UNDECIDED):
        doors.decide_found(dpo(cast), row, decision="withhold", exemption="serious_harm")

    def broken(**kwargs):
        raise RuntimeError("the sharing log is unavailable")

    monkeypatch.setattr(doors.sharing, "open_prefilled", broken)
    with pytest.raises(RuntimeError):
        doors.make_bundle(dpo(cast), req)
    assert not Bundle.objects.exists()
    folders = (
        default_storage.listdir("privacy/bundles")[1] if default_storage.exists("privacy/bundles") else []
    )
    assert folders == []


def test_a_second_click_gives_back_the_same_bundle_and_a_changed_decision_a_new_one(cast, amelia):
    req = log(cast, amelia)
    doors.refresh_checklist(dpo(cast), req)
    rows = list(req.found.filter(decision=Found.Decision.UNDECIDED))
    for row in rows:
        doors.decide_found(dpo(cast), row, decision="withhold", exemption="serious_harm")
    client = signed_in(cast.dpo, confirmed=True)
    for _ in range(2):  # a double click, or the same page in a second tab
        assert client.post(url(cast, "sar_bundle", pk=req.pk)).status_code == 302
    first = Bundle.objects.get()
    assert Sharing.objects.filter(source=Sharing.Source.ACCESS_REQUEST).count() == 1
    assert AuditEvent.objects.filter(action="privacy.sar.bundle_made").count() == 1
    doors.decide_found(dpo(cast), rows[0], decision="disclose")
    second = doors.make_bundle(dpo(cast), req)
    assert second.pk != first.pk and second.decisions != first.decisions
    assert Sharing.objects.filter(source=Sharing.Source.ACCESS_REQUEST).count() == 2


def test_the_bundle_needs_the_person_to_confirm_it_is_them(cast, amelia):
    req = log(cast, amelia)
    response = signed_in(cast.dpo).post(url(cast, "sar_bundle", pk=req.pk))
    assert response.status_code == 302 and "reauthenticate" in response.url and not Bundle.objects.exists()


def test_closing_a_request(cast, amelia):
    req = log(cast, amelia)
    client = signed_in(cast.dpo)
    refused = client.post(url(cast, "sar_close", pk=req.pk), {"status": "refused"})
    assert refused.status_code == 400 and "Why (required to refuse)" in refused.content.decode()
    assert client.post(url(cast, "sar_close", pk=req.pk), {"status": "answered"}).status_code == 302
    req.refresh_from_db()
    assert req.status == AccessRequest.Status.ANSWERED and req.closed_at
    # Closed: no more work on it, by page or by door.
    assert client.post(url(cast, "sar_pause", pk=req.pk), {"why": "identity"}).status_code == 302
    assert not Pause.objects.exists()
    with pytest.raises(Refused):
        doors.pause_request(dpo(cast), req, why="identity")


def test_the_list_shows_open_requests_by_due_date_overdue_in_red(cast, amelia):
    late = log(cast, amelia, received=ago(60))
    soon = log(cast, amelia, received=ago(1))
    page = signed_in(cast.dpo).get(url(cast, "sar_list")).content.decode()
    assert page.index(f"Request {late.pk}<") < page.index(f"Request {soon.pk}<")
    assert page.count("govuk-tag--red") == 1


# --- Who saw my child's record -------------------------------------------------------------------------------


def test_who_saw_a_pupils_record(cast, amelia, photos):
    teacher = signed_in(cast.teacher)
    assert (
        teacher.get(
            reverse("image_detail", kwargs={"school": cast.school.slug, "pk": photos["together"].pk})
        ).status_code
        == 200
    )
    assert signed_in(cast.office).get(url(cast, "pupil_detail", pk=amelia.pk)).status_code == 200
    # An allegation case involving her, opened by its case manager: withheld from the DPO, who may not read it.
    allegation = Case.objects.create(
        school=cast.school, kind=Case.Kind.ALLEGATION, subject=cast.member(cast.teacher), routed_to="headteacher",
        reported_by=cast.slt, happened_on=timezone.localdate(), what_happened="x",
    )  # fmt: skip
    allegation.involved.create(school=cast.school, role="target", pupil=amelia, added_by=cast.head)
    record("incidents.case_viewed", allegation, actor=cast.head)
    client = signed_in(cast.dpo)
    search = client.get(url(cast, "seen_search"), {"q": "Amelia"}).content.decode()
    assert url(cast, "seen_pupil", pk=amelia.pk) in search
    page = client.get(url(cast, "seen_pupil", pk=amelia.pk)).content.decode()
    assert "Tom Teacher" in page and "Opened an image" in page
    assert "Olive Office" in page and "Opened a pupil&#x27;s record" in page
    assert "Helen Head" not in page  # the allegation's event is withheld
    assert AuditEvent.objects.filter(action="privacy.seen.viewed", object_id=str(amelia.pk)).exists()
    # Only the officers: the teacher is refused by the access map, a forged pupil is 404.
    assert signed_in(cast.teacher).get(url(cast, "seen_pupil", pk=amelia.pk)).status_code == 403
    assert client.get(url(cast, "seen_pupil", pk=999999)).status_code == 404


def test_nobody_reads_who_saw_their_own_records(cast):
    teacher = cast.member(cast.teacher)
    assert signed_in(cast.dpo).get(url(cast, "staff_detail", pk=teacher.pk)).status_code == 200
    head = signed_in(cast.head)
    assert head.get(url(cast, "seen_member", pk=cast.member(cast.head).pk)).status_code == 404
    page = head.get(url(cast, "seen_member", pk=teacher.pk)).content.decode()
    assert "Priya Dpo" in page and "Opened a staff record" in page
