"""§9 and KCSIE Part 4: the chronology of a case (one timeline from every record, as a page and as a signed PDF with
its evidence manifest), the timelines of a member of staff and of a pupil, the trends (counts only; governors see
small numbers blurred), and the school's closure days that the LADO clock skips."""

import datetime
import io
import os

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from saferstaff import clocks
from saferstaff.audit.models import AuditEvent
from saferstaff.incidents import services, signing
from saferstaff.incidents.chronology import SEALED, Viewer, timeline
from saferstaff.incidents.models import Case, Contact
from saferstaff.incidents.trends import trends
from saferstaff.rules.engine import Refused
from saferstaff.rules.incidents import may_export_case, may_see_pupil_timeline
from saferstaff.rules.policies import may_change_closure_days
from saferstaff.schools.closures import add_closure_day, remove_closure_day
from saferstaff.schools.models import ClosureDay, Pupil
from saferstaff.schools.roles import Actor

from .conftest import signed_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 40
TODAY = datetime.date.today


@pytest.fixture(scope="module")
def key_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("signing")  # one key for the module: an RSA key takes a moment to make


@pytest.fixture(autouse=True)
def _signing_key(settings, key_dir):
    settings.EVIDENCE_SIGNING_KEY = key_dir / "key.pem"
    settings.EVIDENCE_SIGNING_CERT = key_dir / "cert.pem"


@pytest.fixture
def pupil(cast):
    return Pupil.objects.create(
        school=cast.school, upn="", source_id="p1", legal_forename="Ada", legal_surname="Lovelace",
        date_of_birth=datetime.date(2015, 1, 1),
    )  # fmt: skip


@pytest.fixture
def case(cast, storage, pupil):
    """A teacher's report of a parent's posts, worked on from start to close: every kind of record."""
    case = services.report(
        cast.actor(cast.teacher), kind=Case.Kind.BULLYING_OF_STAFF, happened_on=TODAY(), by_whom="parents",
        channel="social", what_happened="A parent's abusive posts about me",
        people=[services.Person("target", member=cast.member(cast.teacher)), services.Person("witness", pupil=pupil)],
    )  # fmt: skip
    dsl = cast.actor(cast.dsl)
    services.add_evidence(cast.actor(cast.teacher), case, name="first.png", data=PNG)
    sealed = services.add_evidence(cast.actor(cast.teacher), case, name="Ada-private.png", data=PNG + b"2")
    services.triage(dsl, case, risk="medium", assigned_to=cast.dsl)
    services.triage(dsl, case, risk="high")
    action = services.add_action(dsl, case, what="Ask the platform to remove the posts", owner=cast.member(cast.dsl),
                                 due_on=TODAY())  # fmt: skip
    services.complete_action(dsl, action, note="Reported through the platform's form")
    note = services.write_note(dsl, case, text="Spoke to the teacher")
    services.edit_note(dsl, note, text="Spoke to the teacher; support offered")
    services.record_contact(dsl, case, kind=Contact.Kind.POLICE, made_at=timezone.now(), with_whom="Met Police",
                            reference="CR-123")  # fmt: skip
    services.seal_evidence(dsl, sealed, reason="Shows a pupil's private messages")
    services.share_case(dsl, case, member=cast.member(cast.slt), reason="Leads staff wellbeing")
    services.close_case(dsl, case, reason="Posts removed; support in place")
    return case


def test_the_chronology_holds_every_record_of_the_case_in_order(cast, case):
    entries = timeline([case], Viewer(sees_pupils=True, sees_sealed=frozenset({case.pk})))
    kinds = [e.kind for e in entries]
    assert kinds[0] == "reported" and kinds[-1] == "closed"
    for kind in ("involved", "evidence", "triage", "action", "done", "note", "contact", "seal", "shared"):
        assert kind in kinds, kind
    minutes = [e.at.replace(second=0, microsecond=0) for e in entries]
    assert minutes == sorted(minutes)  # in order by the minute (within one, by the order of the casework)
    (note,) = [e for e in entries if e.kind == "note"]
    assert note.lines == [("Note", "Spoke to the teacher; support offered")] and note.changed.startswith(
        "Changed 1"
    )
    triages = [(e.what, e.lines[0]) for e in entries if e.kind == "triage"]
    assert triages == [
        ("Triaged", ("Risk", "Medium")),
        ("Risk reviewed", ("Risk", "High")),
    ]  # each as it was then
    hashes = [v for e in entries if e.kind == "evidence" for label, v in e.lines if label == "SHA-256"]
    assert len(hashes) == 2 and all(len(h) == 64 for h in hashes)
    (police,) = [e for e in entries if e.kind == "contact"]
    assert ("Crime reference number", "CR-123") in police.lines
    assert ("Who", "Ada Lovelace") in [line for e in entries if e.kind == "involved" for line in e.lines]


def test_the_first_triage_stays_on_the_case_when_the_risk_is_reviewed(cast, storage):
    """Time to first action (§9) is measured from the first triage, not the latest review."""
    case = services.report(cast.actor(cast.teacher), kind="breach", happened_on=TODAY(), what_happened="x")
    first = services.triage(cast.actor(cast.dsl), case, risk="low").triaged_at
    again = services.triage(cast.actor(cast.head), case, risk="high")
    assert again.triaged_at == first and again.triaged_by == cast.dsl and again.risk == "high"


def test_pupils_and_sealed_items_are_shown_only_to_who_may_see_them(cast, case):
    """§8: a pupil's name only to staff who see pupils; a sealed item's name only to those who still open it."""
    entries = timeline([case], Viewer())
    text = repr([e.lines for e in entries])
    assert "Ada Lovelace" not in text and "Ada-private.png" not in text and SEALED in text
    assert "Shows a pupil's private messages" not in text  # the seal's reason is as private as the item


def test_the_page_shows_the_chronology_to_the_case_manager_and_is_audited(cast, case):
    response = signed_in(cast.dsl).get(
        reverse("case_chronology", kwargs={"school": cast.school.slug, "pk": case.pk})
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ada-private.png" in page  # the DSL still opens sealed items
    assert case.evidence.first().sha256 in page and "Risk reviewed" in page
    event = AuditEvent.objects.get(action="incidents.chronology_viewed")
    assert event.object_id == str(case.pk) and set(event.detail) == {"entries"}
    head_page = signed_in(cast.head).get(
        reverse("case_chronology", kwargs={"school": cast.school.slug, "pk": case.pk})
    )
    assert "Ada-private.png" not in head_page.content.decode()  # the Headteacher does not open sealed items


def _allegation_about_teacher(cast):
    return services.report_allegation(
        cast.actor(cast.dsl),
        about=cast.member(cast.teacher),
        happened_on=TODAY(),
        what_happened="Said to have…",
    )


def test_the_chronology_is_404_to_whoever_does_not_read_the_casework(cast, case):
    """KCSIE Part 4: an allegation is read by its case manager only; §9: a reporter reads their report, not the
    casework."""
    allegation = _allegation_about_teacher(cast)
    for name in ("case_chronology", "case_chronology_pdf"):
        url = reverse(name, kwargs={"school": cast.school.slug, "pk": allegation.pk})
        assert signed_in(cast.dsl).get(url).status_code == 404  # reported it; does not manage it
        assert signed_in(cast.teacher).get(url).status_code == 403  # the access map: not a page for staff
        assert signed_in(cast.other_teacher).get(url).status_code == 404
    head = signed_in(cast.head).get(
        reverse("case_chronology", kwargs={"school": cast.school.slug, "pk": allegation.pk})
    )
    assert (
        head.status_code == 200
        and "Referral to the Local Authority designated officer" in head.content.decode()
    )
    forged = reverse("case_chronology", kwargs={"school": cast.school.slug, "pk": 10**15})
    assert signed_in(cast.dsl).get(forged).status_code == 404
    assert (
        signed_in(cast.dsl)
        .post(reverse("case_chronology", kwargs={"school": cast.school.slug, "pk": case.pk}))
        .status_code
        == 405
    )


def test_the_export_is_for_the_case_manager_only(cast, case):
    """§9: the chronology is handed to the police or the LADO by the case's manager (``may_export_case``)."""
    assert may_export_case.peek(cast.actor(cast.dsl), subject=case)
    assert not may_export_case.peek(cast.actor(cast.teacher), subject=case)
    assert not may_export_case.peek(cast.actor(cast.governor), subject=case)


def _pdf(cast, case, user=None):
    client = signed_in(user or cast.dsl, confirmed=True)
    response = client.get(reverse("case_chronology_pdf", kwargs={"school": cast.school.slug, "pk": case.pk}))
    assert response.status_code == 200, response.status_code
    return response


def _validate(data: bytes, cert_path):
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    (sig,) = PdfFileReader(io.BytesIO(data)).embedded_signatures
    return validate_pdf_signature(sig, ValidationContext(trust_roots=[load_cert_from_pemder(str(cert_path))]))


def test_the_pdf_is_signed_over_the_whole_file_and_one_flipped_byte_breaks_it(cast, case, settings):
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    response = _pdf(cast, case)
    data = response.content
    assert response["Content-Disposition"] == f'attachment; filename="case-{case.pk}-chronology.pdf"'
    status = _validate(data, settings.EVIDENCE_SIGNING_CERT)
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    flipped = bytearray(data)
    flipped[len(data) // 3] ^= 0x01  # inside the signed bytes (the signature itself sits near the end)
    assert not _validate(bytes(flipped), settings.EVIDENCE_SIGNING_CERT).bottom_line
    event = AuditEvent.objects.get(action="incidents.chronology_exported")
    assert event.detail["sha256"] == __import__("hashlib").sha256(data).hexdigest()
    assert sorted(event.detail["evidence"]) == sorted(case.evidence.values_list("pk", flat=True))


def test_the_pdf_lists_every_hash_and_never_names_a_sealed_item(cast, case):
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(_pdf(cast, case).content)).pages)
    flat = text.replace("\n", "").replace(" ", "")
    for item in case.evidence.all():
        assert item.sha256 in flat, item.pk
    assert "first.png" in text and "Ada-private" not in text and "(sealed)" in text
    assert "CR-123" in text and signing.fingerprint().replace(":", "")[:20] in flat.replace(":", "")


def test_the_pdf_asks_to_confirm_who_you_are_first(cast, case):
    response = signed_in(cast.dsl).get(
        reverse("case_chronology_pdf", kwargs={"school": cast.school.slug, "pk": case.pk})
    )
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_reauthenticate"))
    assert not AuditEvent.objects.filter(action="incidents.chronology_exported").exists()


def test_the_signing_key_is_made_on_first_use_readable_by_its_owner_only(settings, tmp_path):
    settings.EVIDENCE_SIGNING_KEY = tmp_path / "new" / "key.pem"
    settings.EVIDENCE_SIGNING_CERT = tmp_path / "new" / "cert.pem"
    key, cert = signing.ensure_keys()
    assert key.exists() and cert.exists() and os.stat(key).st_mode & 0o777 == 0o600
    before = key.read_bytes(), cert.read_bytes()
    signing.ensure_keys()
    assert (key.read_bytes(), cert.read_bytes()) == before  # never made twice
    settings.EVIDENCE_SIGNING_KEY = tmp_path / "none.pem"
    with pytest.raises(ImproperlyConfigured, match="exists but its key"):
        signing.ensure_keys()  # a certificate without its key is never paired with a new one
    settings.EVIDENCE_SIGNING_KEY = tmp_path / "other" / "key.pem"
    settings.EVIDENCE_SIGNING_CERT = tmp_path / "other" / "cert.pem"
    signing.ensure_keys()
    settings.EVIDENCE_SIGNING_CERT = cert  # another key's certificate
    with pytest.raises(ImproperlyConfigured, match="not the certificate of the key"):
        signing.sign_pdf(b"%PDF-1.4", reason="x")


def test_a_person_timeline_shows_each_case_as_far_as_the_viewer_reads_it(cast, case):
    """KCSIE Part 4: an allegation about the teacher is on their timeline for the Headteacher (its case manager)
    and not for the DSL; §9: the teacher's own report is on it for both."""
    allegation = _allegation_about_teacher(cast)
    url = reverse("person_timeline", kwargs={"school": cast.school.slug, "pk": cast.member(cast.teacher).pk})
    dsl_page = signed_in(cast.dsl).get(url).content.decode()
    assert (
        f"Chronology of case {case.pk}" in dsl_page and f"Chronology of case {allegation.pk}" not in dsl_page
    )
    head_page = signed_in(cast.head).get(url).content.decode()
    assert f"Chronology of case {allegation.pk}" in head_page and f"Chronology of case {case.pk}" in head_page
    event = AuditEvent.objects.filter(action="incidents.person_timeline_viewed").last()
    assert event.detail == {"cases": [allegation.pk, case.pk]}
    own = reverse("person_timeline", kwargs={"school": cast.school.slug, "pk": cast.member(cast.head).pk})
    assert signed_in(cast.head).get(own).status_code == 200
    other = reverse("person_timeline", kwargs={"school": cast.school.slug, "pk": 10**15})
    assert signed_in(cast.head).get(other).status_code == 404


def test_a_pupil_timeline_is_for_the_designated_persons(cast, case, pupil):
    """§8: a pupil's timeline across cases is for the designated persons only; the view is audited by ids."""
    assert may_see_pupil_timeline.peek(cast.actor(cast.dsl)) and may_see_pupil_timeline.peek(
        cast.actor(cast.head)
    )
    assert not may_see_pupil_timeline.peek(cast.actor(cast.slt))
    url = reverse("pupil_timeline", kwargs={"school": cast.school.slug, "pk": pupil.pk})
    page = signed_in(cast.dsl).get(url)
    assert page.status_code == 200 and "Ada Lovelace" in page.content.decode()
    assert AuditEvent.objects.filter(
        action="incidents.pupil_timeline_viewed", object_id=str(pupil.pk)
    ).get().detail == {"cases": [case.pk]}
    for user in (cast.governor, cast.slt, cast.teacher):
        assert signed_in(user).get(url).status_code == 403


def _make(cast, kind="breach", days_ago=0, **extra):
    case = services.report(
        cast.actor(cast.teacher), kind=kind, happened_on=TODAY(), what_happened="Secret words"
    )
    Case.objects.filter(pk=case.pk).update(
        reported_at=timezone.now() - datetime.timedelta(days=days_ago), **extra
    )
    return case


def test_trends_count_by_kind_month_age_triage_and_lado(cast, storage):
    now = timezone.now()
    for days in (0, 0, 10, 40, 100):
        _make(cast, days_ago=days)
    triaged = _make(cast, kind="pupils", days_ago=1)
    triaged.refresh_from_db()
    Case.objects.filter(pk=triaged.pk).update(triaged_at=triaged.reported_at + datetime.timedelta(hours=5))
    on_time = _allegation_about_teacher(cast)
    late = _allegation_about_teacher(cast)
    Case.objects.filter(pk=late.pk).update(lado_due=now - datetime.timedelta(hours=2))
    overdue = _allegation_about_teacher(cast)
    Case.objects.filter(pk=overdue.pk).update(lado_due=now - datetime.timedelta(hours=1))
    head = cast.actor(cast.head)
    services.record_contact(head, on_time, kind="lado", made_at=now, with_whom="LA")
    services.record_contact(head, late, kind="lado", made_at=now, with_whom="LA")
    figures = trends(cast.actor(cast.dsl), now + datetime.timedelta(seconds=1))
    by_kind = [sum(cells[i].n for _, cells, _ in figures["months"]) for i in range(4)]
    assert figures["kinds"][3] == Case.Kind.ALLEGATION.label
    assert by_kind == [0, 1, 5, 3]  # bullying, pupils, breach, allegation: all within the 12 months
    assert [(label, f.n) for label, f in figures["ages"]] == [
        ("Up to a week", 6), ("1 to 4 weeks", 1), ("1 to 3 months", 1), ("Over 3 months", 1),
    ]  # fmt: skip
    assert figures["triage_median"] == "5 hours" and figures["triaged"].n == 1
    assert {k: f.n for k, f in figures["lado"].items()} == {
        "on_time": 1,
        "late": 1,
        "overdue": 1,
        "waiting": 0,
    }


def test_trends_leave_out_cases_about_the_viewer_and_blur_small_numbers_for_governors(cast, storage):
    """KCSIE Part 4: nobody learns of an allegation about themselves from a count; governors see counts only,
    never a count of one or two that could point at a person (§9)."""
    _allegation_about_teacher(cast)
    services.report_allegation(cast.actor(cast.dsl), about=cast.member(cast.head), happened_on=TODAY(),
                               what_happened="About the Head")  # fmt: skip
    allegations = lambda user: sum(row[1][3].n for row in trends(cast.actor(user))["months"])  # noqa: E731
    assert allegations(cast.dsl) == 2 and allegations(cast.head) == 1
    governor = trends(cast.actor(cast.governor))
    assert governor["blurred"] and governor["months"][-1][1][3].shown == "fewer than 3"
    page = signed_in(cast.governor).get(reverse("incident_trends", kwargs={"school": cast.school.slug}))
    text = page.content.decode()
    assert page.status_code == 200 and "fewer than 3" in text
    assert "About the Head" not in text and cast.head.display_name not in text.split("<main", 1)[1]
    assert (
        signed_in(cast.teacher)
        .get(reverse("incident_trends", kwargs={"school": cast.school.slug}))
        .status_code
        == 403
    )


def test_trends_take_the_same_queries_for_many_cases_as_for_few(cast, storage, django_assert_max_num_queries):
    """One query per figure: never a query per case."""
    actor = cast.actor(cast.dsl)
    _make(cast)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        trends(actor)
    for days in range(30):
        _make(cast, days_ago=days * 7)
    with django_assert_max_num_queries(len(few)):
        trends(actor)


# --- Closure days (KCSIE Part 4: the LADO's one working day) ---------------------------------------------------


def _next_weekday(after: datetime.date) -> datetime.date:
    return clocks.next_working_day(after)


def test_who_keeps_the_closure_days(cast):
    """KCSIE Part 4: senior management and the school office keep the days the school is closed."""
    day = _next_weekday(timezone.localdate())
    for user in (cast.head, cast.slt, cast.office):
        assert may_change_closure_days.peek(cast.actor(user), day=day, adding=True), user
    for user in (cast.dsl, cast.teacher, cast.governor, cast.dpo):
        assert not may_change_closure_days.peek(cast.actor(user), day=day, adding=True), user
    saturday = day + datetime.timedelta(days=(5 - day.weekday()) % 7)
    refused = may_change_closure_days.peek(cast.actor(cast.office), day=saturday, adding=True)
    assert not refused and refused.reasons[0].field == "day"
    past = may_change_closure_days.peek(
        cast.actor(cast.office), day=timezone.localdate() - datetime.timedelta(days=1), adding=True
    )
    assert not past and "past" in past.summary


def test_a_closure_day_moves_the_lado_clock_of_an_allegation_still_waiting(cast, storage):
    allegation = _allegation_about_teacher(cast)
    was = allegation.lado_due
    closure = add_closure_day(cast.actor(cast.office), day=clocks.local(was).date(), reason="INSET day")
    allegation.refresh_from_db()
    assert allegation.lado_due == clocks.end_of_day(_next_weekday(clocks.local(was).date()))
    assert AuditEvent.objects.filter(
        action="incidents.lado_due_changed", object_id=str(allegation.pk)
    ).exists()
    remove_closure_day(cast.actor(cast.office), closure)
    allegation.refresh_from_db()
    assert allegation.lado_due == was


def test_the_closure_days_page_adds_and_removes_with_errors_beside_their_fields(cast):
    url = reverse("closure_days", kwargs={"school": cast.school.slug})
    office = signed_in(cast.office)
    assert office.get(url).status_code == 200
    day = _next_weekday(timezone.localdate() + datetime.timedelta(days=1))
    response = office.post(url, {"action": "add", "day": day.isoformat(), "reason": "INSET day"})
    assert response.status_code == 302
    closure = ClosureDay.objects.get(school=cast.school, day=day)
    assert AuditEvent.objects.filter(action="school.closure_day_added", object_id=str(closure.pk)).exists()
    again = office.post(url, {"action": "add", "day": day.isoformat(), "reason": "INSET day"})
    assert again.status_code == 400 and "already a closure day" in again.content.decode()
    empty = office.post(url, {"action": "add", "day": "", "reason": ""})
    text = empty.content.decode()
    assert empty.status_code == 400 and "Enter the day the school is closed" in text and "Say why" in text
    bad = office.post(url, {"action": "add", "day": "2026-02-31", "reason": "x"})
    assert bad.status_code == 400 and "Enter a real date" in bad.content.decode()
    assert office.post(url, {"action": "remove", "closure": "99999999999999999999"}).status_code == 404
    assert office.post(url, {"action": "remove", "closure": str(closure.pk)}).status_code == 302
    assert not ClosureDay.objects.filter(pk=closure.pk).exists()
    past = ClosureDay.objects.create(
        school=cast.school, day=timezone.localdate() - datetime.timedelta(days=3), reason="x"
    )
    office.post(url, {"action": "remove", "closure": str(past.pk)})
    assert ClosureDay.objects.filter(pk=past.pk).exists()
    other = ClosureDay.objects.create(school=cast.other_school, day=day, reason="x")
    assert office.post(url, {"action": "remove", "closure": str(other.pk)}).status_code == 404
    assert signed_in(cast.teacher).get(url).status_code == 403
    with pytest.raises(Refused):
        add_closure_day(cast.actor(cast.office), day=day, reason=" ")


def test_the_pupil_and_staff_pages_lead_to_their_timelines_for_who_may_read_them(cast, pupil):
    timeline_url = reverse("pupil_timeline", kwargs={"school": cast.school.slug, "pk": pupil.pk})
    pupil_url = reverse("pupil_detail", kwargs={"school": cast.school.slug, "pk": pupil.pk})
    assert timeline_url in signed_in(cast.dsl).get(pupil_url).content.decode()
    assert timeline_url not in signed_in(cast.office).get(pupil_url).content.decode()
    member = cast.member(cast.teacher)
    staff_url = reverse("staff_detail", kwargs={"school": cast.school.slug, "pk": member.pk})
    person_url = reverse("person_timeline", kwargs={"school": cast.school.slug, "pk": member.pk})
    assert person_url in signed_in(cast.dsl).get(staff_url).content.decode()
    assert person_url not in signed_in(cast.dpo).get(staff_url).content.decode()


def test_the_chair_reads_an_allegation_about_the_head_without_pupils_names(cast, storage, pupil):
    """KCSIE Part 4: the chair of governors manages an allegation about the Headteacher and exports it; §8:
    governors do not see pupils' records, so a pupil involved is never named to them."""
    allegation = services.report_allegation(
        cast.actor(cast.dsl),
        about=cast.member(cast.head),
        happened_on=TODAY(),
        what_happened="About the Head",
    )
    services.involve(cast.actor(cast.governor), allegation, services.Person("witness", pupil=pupil))
    services.record_contact(cast.actor(cast.governor), allegation, kind="lado", made_at=timezone.now(),
                            with_whom="Leeds LADO", reference="L-77")  # fmt: skip
    url = reverse("case_chronology", kwargs={"school": cast.school.slug, "pk": allegation.pk})
    page = signed_in(cast.governor).get(url).content.decode()
    assert "About the Head" in page and "Ada Lovelace" not in page and "only staff who see pupils" in page
    assert "L-77" in page and ": on time" in page  # the referral against its due time
    assert signed_in(cast.head).get(url).status_code == 404  # its subject, by any URL
    text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(_pdf(cast, allegation, cast.governor).content)).pages
    )
    assert "Referral to the Local Authority designated officer due by" in text and "Ada Lovelace" not in text


def test_two_processes_making_the_key_at_once_end_with_one_pair(settings, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    settings.EVIDENCE_SIGNING_KEY = tmp_path / "race" / "key.pem"
    settings.EVIDENCE_SIGNING_CERT = tmp_path / "race" / "cert.pem"
    with ThreadPoolExecutor(4) as pool:
        made = list(pool.map(lambda _: signing.ensure_keys(), range(4)))
    assert len(set(made)) == 1
    assert sorted(p.name for p in (tmp_path / "race").iterdir()) == ["cert.pem", "key.pem"]  # no leftovers
    assert signing.sign_pdf(blank_pdf(), reason="x").startswith(b"%PDF")  # the pair belongs together


def blank_pdf() -> bytes:
    from pypdf import PdfWriter

    out = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.write(out)
    return out.getvalue()


def test_a_post_to_the_closure_days_page_without_its_action_is_checked_as_an_addition(cast):
    response = signed_in(cast.office).post(reverse("closure_days", kwargs={"school": cast.school.slug}), {})
    assert response.status_code == 400 and "Enter the day the school is closed" in response.content.decode()
    assert not ClosureDay.objects.exists()


def test_a_contact_typed_in_the_minute_of_the_report_comes_after_it(cast):
    """§9: a contact's time is typed to the minute; in the same minute the report still comes first."""
    case = services.report(
        Actor.of(cast.teacher, cast.school),
        kind="bullying",
        happened_on=datetime.date.today(),
        what_happened="Posts",
    )
    services.record_contact(
        Actor.of(cast.dsl, cast.school), case, kind="platform", with_whom="Facebook",
        made_at=case.reported_at.replace(second=0, microsecond=0),
    )  # fmt: skip
    kinds = [entry.kind for entry in timeline([case], Viewer(sees_pupils=True))]
    assert kinds.index("reported") < kinds.index("contact")
