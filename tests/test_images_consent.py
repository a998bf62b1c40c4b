"""§5 consent: the state is derived from every answer recorded, never typed over; the guardian portal."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from saferstaff.consent.models import ConsentRecord, PortalLink
from saferstaff.consent.services import Answer, record_answers
from saferstaff.consent.states import EXPIRED, GIVEN, NOT_ASKED, REFUSED, WAITING, WITHDRAWN, state_of
from saferstaff.rules.engine import Refused
from saferstaff.schools.models import SchoolSettings

from .conftest import signed_in
from .image_samples import pupil_with_parents, purpose

Y, N = ConsentRecord.Answer.YES, ConsentRecord.Answer.NO
G, P, S = ConsentRecord.Source.GUARDIAN, ConsentRecord.Source.PUPIL, ConsentRecord.Source.SENIOR_LEADER


@pytest.fixture(autouse=True)
def _files(storage):
    return storage


@pytest.fixture(autouse=True)
def _commits(monkeypatch):
    """Emails go out after the transaction commits; in a test nothing commits, so run them as it would."""
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda fn, using=None, robust=False: fn())


def answer(pupil, code, value, *, source=G, guardian=None, method="paper", by=None, **kw):
    records, _ = record_answers(
        pupil.school, [Answer(pupil, purpose(pupil.school, code), value)],
        source=source, method=method, guardian=guardian, by=by, **kw,
    )  # fmt: skip
    return records[0]


def test_nothing_recorded_means_not_asked_and_not_allowed(cast):
    pupil, _ = pupil_with_parents(cast.school)
    state = state_of(pupil, purpose(cast.school, "website"))
    assert state.status == NOT_ASKED and not state.allowed
    assert str(state.reasons[0]) == "Amelia O. — no written guardian consent for 'School website' (§5)"


def test_a_written_yes_from_a_parent_with_responsibility_gives_consent(cast):
    pupil, (mum,) = pupil_with_parents(cast.school)
    answer(pupil, "website", Y, guardian=mum)
    assert state_of(pupil, purpose(cast.school, "website")).status == GIVEN
    assert not state_of(pupil, purpose(cast.school, "social_media")).allowed  # per purpose


def test_a_yes_by_phone_waits_for_the_written_form_but_a_no_by_phone_counts(cast):
    pupil, (mum,) = pupil_with_parents(cast.school)
    answer(pupil, "website", Y, guardian=mum, method="phone")
    assert state_of(pupil, purpose(cast.school, "website")).status == WAITING
    answer(pupil, "website", Y, guardian=mum, method="paper")
    assert state_of(pupil, purpose(cast.school, "website")).status == GIVEN
    answer(pupil, "website", N, guardian=mum, method="phone")
    state = state_of(pupil, purpose(cast.school, "website"))
    assert state.status == WITHDRAWN
    assert re.fullmatch(
        r"Amelia O\. — guardian consent for 'School website' withdrawn on \d+ \w+ \d{4} \(§5\)",
        str(state.reasons[0]),
    )


def test_any_no_from_a_parent_with_responsibility_wins_over_the_others_yes(cast):
    pupil, (mum, dad) = pupil_with_parents(cast.school, parents=2)
    answer(pupil, "website", Y, guardian=mum)
    answer(pupil, "website", N, guardian=dad, method="portal")
    state = state_of(pupil, purpose(cast.school, "website"))
    assert state.status == REFUSED and "refused" in state.reasons[0].text


def test_a_contact_without_parental_responsibility_cannot_give_or_refuse(cast):
    pupil, (mum, gran) = pupil_with_parents(cast.school, without_pr=1)
    with pytest.raises(Refused) as exc:
        answer(pupil, "website", Y, guardian=gran, by=cast.office)
    assert "parental responsibility" in str(exc.value)
    assert not ConsentRecord.objects.exists()  # nothing half-saved


def test_an_answer_from_someone_who_has_since_lost_responsibility_no_longer_counts(cast):
    pupil, (mum,) = pupil_with_parents(cast.school)
    answer(pupil, "website", Y, guardian=mum)
    mum.guardianships.update(parental_responsibility=False)
    assert state_of(pupil, purpose(cast.school, "website")).status == NOT_ASKED


def test_from_the_schools_age_the_pupils_own_yes_is_needed_for_publicity_and_their_no_always_wins(cast):
    on = timezone.localdate()
    older, (mum,) = pupil_with_parents(cast.school, "Noah", "Reed", dob=on.replace(year=on.year - 13))
    answer(older, "website", Y, guardian=mum)
    assert state_of(older, purpose(cast.school, "website")).status == WAITING  # 13 ≥ 12
    assert state_of(older, purpose(cast.school, "learning_records")).status == NOT_ASKED
    answer(older, "website", Y, source=P, method="in_person", by=cast.office)
    assert state_of(older, purpose(cast.school, "website")).allowed
    SchoolSettings.objects.filter(school=cast.school).update(pupil_voice_age=14)
    young, (dad,) = pupil_with_parents(cast.school, "Isla", "Ward", dob=on.replace(year=on.year - 6))
    answer(young, "website", Y, guardian=dad)
    answer(young, "website", N, source=P, method="in_person", by=cast.teacher)
    assert state_of(young, purpose(cast.school, "website")).status == REFUSED  # any age


def test_a_senior_leaders_no_wins_and_only_senior_leaders_can_record_it(cast):
    pupil, (mum,) = pupil_with_parents(cast.school)
    answer(pupil, "website", Y, guardian=mum)
    with pytest.raises(Refused):
        answer(pupil, "website", N, source=S, method="in_person", by=cast.teacher)
    answer(pupil, "website", N, source=S, method="in_person", by=cast.slt)
    assert state_of(pupil, purpose(cast.school, "website")).status == REFUSED


def test_annual_consent_lapses_after_the_school_year_and_biometric_does_not(cast):
    pupil, (mum,) = pupil_with_parents(cast.school)
    r = answer(pupil, "website", Y, guardian=mum)
    b = answer(pupil, "biometric", Y, guardian=mum)
    assert r.expires_on.month == 8 and r.expires_on.day == 31 and b.expires_on is None
    later = r.expires_on + datetime.timedelta(days=1)
    assert state_of(pupil, purpose(cast.school, "website"), on=later).status == EXPIRED
    assert state_of(pupil, purpose(cast.school, "biometric"), on=later).status == GIVEN


def test_answers_are_never_changed_only_added(cast):
    pupil, (mum,) = pupil_with_parents(cast.school)
    r = answer(pupil, "website", Y, guardian=mum)
    r.answer = N
    with pytest.raises(ValueError):
        r.save()


def test_the_office_records_a_paper_form_with_its_scan(cast):
    from django.core.files.uploadedfile import SimpleUploadedFile

    pupil, (mum,) = pupil_with_parents(cast.school)
    client = signed_in(cast.office)
    url = reverse("consent_record", kwargs={"school": cast.school.slug, "pk": pupil.pk})
    data = {"purposes": [purpose(cast.school, "website").pk, purpose(cast.school, "print").pk], "answer": "yes",
            "source": "guardian", "guardian": mum.pk, "method": "paper"}  # fmt: skip
    missing_scan = client.post(url, data)
    assert missing_scan.status_code == 400 and b"Attach the scan" in missing_scan.content
    assert not ConsentRecord.objects.exists()
    ok = client.post(url, {**data, "evidence": SimpleUploadedFile("form.pdf", b"%PDF-1.4 form")})
    assert ok.status_code == 302
    assert ConsentRecord.objects.filter(recorded_by=cast.office, method="paper").count() == 2
    assert state_of(pupil, purpose(cast.school, "print")).allowed
    page = client.get(reverse("pupil_consent", kwargs={"school": cast.school.slug, "pk": pupil.pk}))
    assert (
        b"Paper form (scanned)" in page.content and b"Consent given" not in page.content
    )  # tags, not labels


def test_a_teacher_can_see_consent_but_not_record_it(cast):
    pupil, (mum,) = pupil_with_parents(cast.school)
    client = signed_in(cast.teacher)
    assert client.get(reverse("consent_register", kwargs={"school": cast.school.slug})).status_code == 200
    url = reverse("consent_record", kwargs={"school": cast.school.slug, "pk": pupil.pk})
    assert client.post(url, {"answer": "yes"}).status_code == 403


# --- Guardian portal ---------------------------------------------------------------------------------------


def send_links(cast):
    client = signed_in(cast.office, confirmed=True)
    response = client.post(reverse("portal_links", kwargs={"school": cast.school.slug}), {"send": "unsent"})
    assert response.status_code == 302
    return client


def link_in(message) -> str:
    return (
        re.search(r"http://\S+/portal/\S+/", message.body)
        .group(0)
        .split("testserver", 1)[-1]
        .split("8000", 1)[-1]
    )


def test_the_office_sends_each_guardian_a_link_that_names_no_child(cast):
    amelia, (mum,) = pupil_with_parents(cast.school)
    pupil_with_parents(cast.school, "Grace", "Hill", without_pr=1)  # the grandparent gets no link
    send_links(cast)
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert "Amelia" not in message.body and "Grace" not in message.body
        assert "/portal/" in message.body
    assert {m.to[0] for m in mail.outbox} >= {mum.email}
    send_links(cast)  # "without a working link": nobody again
    assert len(mail.outbox) == 2


def test_a_guardian_refuses_website_through_the_link_and_gets_a_receipt(cast, client):
    amelia, (mum,) = pupil_with_parents(cast.school)
    send_links(cast)
    url = link_in(mail.outbox[0])
    page = client.get(url)
    assert page.status_code == 200 and b"Amelia" in page.content and b"School website" in page.content
    website, display = purpose(cast.school, "website"), purpose(cast.school, "display")
    response = client.post(url, {f"c-{amelia.pk}-{website.pk}": "no", f"c-{amelia.pk}-{display.pk}": "yes"})
    assert response.status_code == 302 and "/receipt/" in response["Location"]
    receipt = client.get(response["Location"])
    assert b"Your choices were saved" in receipt.content
    assert state_of(amelia, website).status == REFUSED
    assert state_of(amelia, display).status == GIVEN  # the portal is written consent
    assert ConsentRecord.objects.filter(method="portal", guardian=mum).count() == 2
    assert "your choices were recorded" in mail.outbox[-1].subject
    assert "Amelia" not in mail.outbox[-1].body


def test_a_link_replayed_for_another_child_saves_nothing(cast, client):
    amelia, (mum,) = pupil_with_parents(cast.school)
    other, _ = pupil_with_parents(cast.school, "Grace", "Hill")
    send_links(cast)
    url = next(link_in(m) for m in mail.outbox if m.to == [mum.email])
    website = purpose(cast.school, "website")
    response = client.post(url, {f"c-{amelia.pk}-{website.pk}": "yes", f"c-{other.pk}-{website.pk}": "no"})
    assert response.status_code == 403 and b"only be used for your own children" in response.content
    assert not ConsentRecord.objects.exists()


def test_a_malformed_choice_is_an_error_on_the_page_and_saves_nothing(cast, client):
    """The portal is a form built for the link: each post outside it is named in the error summary (linked to
    the question where there is one), and no answer of the post is saved, not even the good ones."""
    from saferstaff.audit.models import AuditEvent

    amelia, (mum,) = pupil_with_parents(cast.school)
    other, _ = pupil_with_parents(cast.school, "Grace", "Hill")
    send_links(cast)
    url = next(link_in(m) for m in mail.outbox if m.to == [mum.email])
    website, display = purpose(cast.school, "website"), purpose(cast.school, "display")
    good = {f"c-{amelia.pk}-{display.pk}": "yes"}
    for posted, status, message in (
        ({f"c-{amelia.pk}-{website.pk}": "maybe"}, 400, "School website for Amelia: Choose yes or no"),
        ({f"c-{amelia.pk}-999999": "no"}, 400, "The uses the school asks about have changed"),
        ({f"c-{amelia.pk}-x": "no"}, 400, "The form was not sent as the school made it"),
        ({f"c-999999-{website.pk}": "no"}, 403, "only be used for your own children"),
        ({f"c-{other.pk}-{website.pk}": "no"}, 403, "only be used for your own children"),
    ):
        response = client.post(url, {**good, **posted})
        page = response.content.decode()
        summary = page.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0]
        assert response.status_code == status and message in summary, (posted, summary)
        target = re.search(r'<a href="#([^"]+)">', summary).group(1)
        assert f'id="{target}"' in page  # the summary leads to a question on the page
    unchanged = client.post(url, {f"c-{amelia.pk}-{website.pk}": ""})
    assert unchanged.status_code == 200 and "You have not changed any answer" in unchanged.content.decode()
    assert not ConsentRecord.objects.exists()
    assert PortalLink.objects.get(guardian=mum).last_used_at is None
    refused = AuditEvent.objects.filter(action="images.portal.refused").order_by("pk")
    assert [e.detail["pupil"] for e in refused] == [999999, other.pk]


def test_a_forged_or_tampered_link_is_refused(cast, client):
    pupil_with_parents(cast.school)
    send_links(cast)
    url = link_in(mail.outbox[0])
    token = url.split("/portal/")[1].rstrip("/")
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "made-up", token + "x"):
        response = client.get(reverse("portal", kwargs={"token": bad}))
        assert response.status_code == 403 and b"not valid" in response.content


def test_an_expired_or_replaced_link_is_refused(cast, client, settings):
    pupil_with_parents(cast.school)
    send_links(cast)
    url = link_in(mail.outbox[0])
    PortalLink.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    assert b"expired" in client.get(url).content
    settings.PORTAL_LINK_DAYS = 0  # the signature's own clock: older than zero days
    PortalLink.objects.update(expires_at=timezone.now() + datetime.timedelta(days=1))
    assert b"expired" in client.get(url).content
    settings.PORTAL_LINK_DAYS = 14
    assert client.get(url).status_code == 200
    signed_in(cast.office, confirmed=True).post(
        reverse("portal_links", kwargs={"school": cast.school.slug}), {"send": "all"}
    )
    response = client.get(url)
    assert response.status_code == 403 and b"replaced by a newer one" in response.content


def test_a_guardian_who_has_lost_parental_responsibility_cannot_use_an_old_link(cast, client):
    amelia, (mum,) = pupil_with_parents(cast.school)
    send_links(cast)
    mum.guardianships.update(parental_responsibility=False)
    response = client.get(link_in(mail.outbox[0]))
    assert response.status_code == 403 and b"parental responsibility" in response.content


def test_biometric_matching_needs_one_parents_written_yes_and_any_objection_wins(cast):
    on = timezone.localdate()
    pupil, (mum, dad) = pupil_with_parents(cast.school, dob=on.replace(year=on.year - 13), parents=2)
    biometric = purpose(cast.school, "biometric")
    answer(pupil, "biometric", Y, guardian=mum)
    assert state_of(pupil, biometric).allowed  # PoFA: no yes needed from the child, only no objection
    answer(pupil, "biometric", N, source=P, method="in_person", by=cast.office)
    assert state_of(pupil, biometric).status == REFUSED
    other, (mum2, dad2) = pupil_with_parents(cast.school, "Isla", "Ward", parents=2)
    answer(other, "biometric", Y, guardian=mum2)
    answer(other, "biometric", N, guardian=dad2, method="phone")  # an objection need not be on paper
    assert state_of(other, biometric).status == REFUSED


def test_senior_leaders_add_a_use_of_their_own_and_guardians_are_asked_about_it(cast, client):
    amelia, _ = pupil_with_parents(cast.school)
    url = reverse("consent_purposes", kwargs={"school": cast.school.slug})
    data = {"name": "Class blog", "plain_words": "Photos on the class blog, which only families can see.",
            "renew_annually": "on", "active": "on"}  # fmt: skip
    assert signed_in(cast.teacher).post(url, data).status_code == 403
    assert signed_in(cast.slt).post(url, data).status_code == 302
    blog = purpose(cast.school, "class-blog")
    assert not blog.publicity and blog.renew_annually
    biometric = reverse(
        "consent_purpose_edit",
        kwargs={"school": cast.school.slug, "pk": purpose(cast.school, "biometric").pk},
    )
    assert signed_in(cast.head).post(biometric, {**data, "active": ""}).status_code == 403
    send_links(cast)
    assert b"Photos on the class blog" in client.get(link_in(mail.outbox[0])).content


def test_a_use_the_school_adds_gets_its_own_code_and_goes_last_however_it_is_added(cast):
    from saferstaff.consent.models import Purpose

    last = Purpose.objects.filter(school=cast.school).count()
    blog = Purpose.objects.create(
        school=cast.school, name="Class blog", plain_words="Photos on the class blog."
    )
    again = Purpose.objects.create(school=cast.school, name="Class blog!", plain_words="The other one.")
    assert (blog.code, blog.position, again.code, again.position) == (
        "class-blog",
        last,
        "class-blog-2",
        last + 1,
    )


def test_one_senior_leaders_yes_does_not_undo_anothers_no(cast):
    pupil, (mum,) = pupil_with_parents(cast.school)
    answer(pupil, "website", Y, guardian=mum)
    answer(pupil, "website", N, source=S, method="in_person", by=cast.slt)
    answer(pupil, "website", Y, source=S, method="in_person", by=cast.head)
    assert state_of(pupil, purpose(cast.school, "website")).status == REFUSED
    answer(
        pupil, "website", Y, source=S, method="in_person", by=cast.slt
    )  # the same leader changes their mind
    assert state_of(pupil, purpose(cast.school, "website")).allowed


def test_a_link_stops_working_when_the_schools_record_of_the_email_changes(cast, client):
    amelia, (mum,) = pupil_with_parents(cast.school)
    send_links(cast)
    url = link_in(mail.outbox[0])
    mum.email = "new.address@home.example"
    mum.save()
    response = client.get(url)
    assert response.status_code == 403 and b"records for you have changed" in response.content


def test_a_guardian_can_still_withdraw_for_a_child_who_has_left(cast, client):
    amelia, (mum,) = pupil_with_parents(cast.school)
    send_links(cast)
    amelia.leaving_date = timezone.localdate() - datetime.timedelta(days=30)
    amelia.save()
    page = client.get(link_in(mail.outbox[0]))
    assert page.status_code == 200 and b"has left the school" in page.content


def test_portal_pages_are_not_cached_and_the_token_never_reaches_the_log(cast, client, caplog):
    import logging

    from saferstaff.middleware import RequestIdLogFilter

    pupil_with_parents(cast.school)
    send_links(cast)
    url = link_in(mail.outbox[0])
    response = client.get(url)
    assert "no-store" in response["Cache-Control"]
    token = url.split("/portal/")[1].rstrip("/")
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Forbidden: %s", (url,), None)
    RequestIdLogFilter().filter(record)
    assert token not in record.getMessage() and "/portal/…/" in record.getMessage()


def test_a_scan_that_is_not_a_pdf_or_picture_is_refused_and_one_scan_serves_the_whole_form(cast):
    from django.core.files.uploadedfile import SimpleUploadedFile

    pupil, (mum,) = pupil_with_parents(cast.school)
    client = signed_in(cast.office)
    url = reverse("consent_record", kwargs={"school": cast.school.slug, "pk": pupil.pk})
    data = {"purposes": [purpose(cast.school, "website").pk, purpose(cast.school, "print").pk], "answer": "yes",
            "source": "guardian", "guardian": mum.pk, "method": "paper"}  # fmt: skip
    bad = client.post(url, {**data, "evidence": SimpleUploadedFile("form.exe", b"MZ\x90\x00")})
    assert bad.status_code == 400 and b"PDF, JPEG or PNG" in bad.content
    client.post(url, {**data, "evidence": SimpleUploadedFile("form.pdf", b"%PDF-1.4 form")})
    assert len(set(ConsentRecord.objects.values_list("evidence", flat=True))) == 1


def test_the_portal_speaks_to_guardians_not_to_staff(cast, client):
    """The guardian's page carried the staff banner ("Every decision names the clause of your school's online
    safety guidance") and footer ("…for school-based staff"), which mean nothing to a parent."""
    pupil_with_parents(cast.school)
    send_links(cast)
    url = link_in(mail.outbox[0])
    for page in (client.get(url), client.get(url.replace("/portal/", "/portal/x"))):  # the page, a bad link
        html = page.content.decode()
        assert "clause of your school's online safety guidance" not in html
        assert "for school-based staff" not in html
        assert "Your school keeps your choices about photos of your child here" in html


def test_the_same_portal_answers_recorded_twice_at_once_are_recorded_once(cast):
    """A double click on Save sends the form twice before the first is recorded: both pass the form's "have you
    changed anything" check, but the door checks again under a lock on the guardian, so the second records
    nothing and raises Unchanged (the page shows "You have not changed any answer")."""
    from saferstaff.consent.services import Unchanged, record_portal_answers

    pupil, (mum,) = pupil_with_parents(cast.school)
    link = PortalLink.objects.create(
        school=cast.school,
        guardian=mum,
        sent_to=mum.email,
        expires_at=timezone.now() + datetime.timedelta(days=7),
    )
    answers = [Answer(pupil, purpose(cast.school, "website"), "yes")]
    receipt = record_portal_answers(link, answers)
    with pytest.raises(Unchanged):
        record_portal_answers(link, answers)
    assert list(ConsentRecord.objects.filter(guardian=mum).values_list("receipt", flat=True)) == [receipt]
    changed = record_portal_answers(link, [Answer(pupil, purpose(cast.school, "website"), "no")])
    assert changed != receipt and ConsentRecord.objects.filter(guardian=mum).count() == 2
