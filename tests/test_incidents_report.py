"""§9 and KCSIE Part 4 reporting pages: a report with its evidence in one form (kept whole or not at all), an
allegation about a member of staff routed to its case manager, My reports, evidence added later, downloads that
re-verify the hash and are never rendered, seals and the chain of custody."""

import datetime
import io
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from saferstaff.audit.models import AuditEvent
from saferstaff.fetching import Fetched
from saferstaff.incidents import services, vault
from saferstaff.incidents.capture import screenshot, warc_of
from saferstaff.incidents.models import Capture, Case, Evidence, EvidenceSeal
from saferstaff.notifications.models import Notification
from saferstaff.rules.incidents import may_read_case
from saferstaff.schools.models import Pupil
from saferstaff.schools.roles import Actor
from tests.conftest import signed_in, skip_or_fail
from tests.test_fetching import site  # noqa: F401  (the loopback test server)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
TODAY = datetime.date.today().isoformat()


def url(name, cast, **kwargs):
    return reverse(name, kwargs={"school": cast.school.slug, **kwargs})


def png(name="shot.png", data=PNG):
    return SimpleUploadedFile(name, data, content_type="image/png")


def report_form(**extra):
    return {
        "kind": "bullying", "by_whom": "parents", "channel": "social", "happened_on": TODAY,
        "what_happened": "A parent posts abuse about me every night", "about_me": "on", "send": "1", **extra,
    }  # fmt: skip


def stored_files() -> list[str]:
    try:
        _, schools = default_storage.listdir("evidence")
    except FileNotFoundError:
        return []
    return [name for school in schools for name in default_storage.listdir(f"evidence/{school}")[1]]


@pytest.fixture
def case(cast, storage):
    return services.report(
        Actor.of(cast.teacher, cast.school), kind=Case.Kind.BULLYING_OF_STAFF,
        happened_on=datetime.date.today(), what_happened="Abusive posts",
    )  # fmt: skip


# --- Reporting -----------------------------------------------------------------------------------------------
def test_the_report_page_gives_the_guidance_advice_citing_s9(cast):
    page = signed_in(cast.teacher).get(url("incident_report", cast)).content.decode()
    for words in ("Do not retaliate", "Keep the evidence", "promptly", "union", "professional association"):
        assert words in page
    assert "Education Support Partnership" in page and "(§9)" in page


def test_a_teacher_reports_abuse_with_three_screenshots_and_a_captured_page(
    cast,
    storage,
    site,  # noqa: F811
    settings,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    """§9: one form, one transaction; the page is captured by the worker (tasks run at once in tests)."""
    settings.CAPTURE_ALLOW_LOOPBACK = True
    shots = [png(f"shot{n}.png", PNG + bytes([n])) for n in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(cast.teacher).post(
            url("incident_report", cast), report_form(file=shots, url=site + "/ok")
        )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == url("case_detail", cast, pk=case.pk)
    assert (case.kind, case.by_whom, case.channel, case.reported_by) == (
        "bullying",
        "parents",
        "social",
        cast.teacher,
    )
    files = case.evidence.filter(kind=Evidence.Kind.FILE)
    assert sorted(files.values_list("original_name", flat=True)) == ["shot0.png", "shot1.png", "shot2.png"]
    assert all(item.sha256 == vault.digest(PNG + bytes([n])) for n, item in enumerate(files.order_by("pk")))
    capture = Capture.objects.get(case=case)
    assert capture.state == Capture.State.KEPT and capture.evidence.kind == Evidence.Kind.PAGE
    assert vault.read(capture.evidence.stored.name).startswith(b"WARC/1.")
    assert Notification.objects.filter(user=cast.teacher, kind="incidents.capture").exists()
    if Path(
        settings.CAPTURE_CHROMIUM
    ).exists():  # a picture of the page, drawn offline, as an item of its own
        picture = case.evidence.get(kind=Evidence.Kind.PAGE, extension="png")
        assert picture.source_url == capture.evidence.source_url == site + "/ok"
    assert case.involved.get().member == cast.member(cast.teacher)
    told = {m.to[0] for m in mailoutbox}
    assert {cast.dsl.email, cast.head.email} <= told
    assert not any("parent" in m.body.lower() or "abuse" in m.body.lower() for m in mailoutbox)


def test_a_file_refused_on_the_form_keeps_nothing_and_says_which(cast, storage, monkeypatch):
    """§9: each file is refused by its size before it is read; nothing of the report is kept."""
    monkeypatch.setattr(vault, "MAX_BYTES", 100)
    response = signed_in(cast.teacher).post(
        url("incident_report", cast), report_form(file=[png("small.png"), png("big.png", PNG * 3)])
    )
    assert response.status_code == 400
    errors = response.context["form"].errors["file"]
    assert errors == ["big.png is larger than 50 MB: keep it safe and tell the designated safeguarding lead"]
    assert not Case.objects.exists() and not Evidence.objects.exists() and not stored_files()
    assert "choose your files again" in response.content.decode()


def test_too_many_and_empty_files_are_named_on_the_field(cast, storage):
    client = signed_in(cast.teacher)
    eleven = [png(f"s{n}.png") for n in range(11)]
    response = client.post(url("incident_report", cast), report_form(file=eleven))
    assert response.status_code == 400 and "up to 10 files" in response.context["form"].errors["file"][0]
    response = client.post(url("incident_report", cast), report_form(file=[png("blank.png", b"")]))
    assert response.context["form"].errors["file"] == ["blank.png is empty: choose the file again"]
    assert not Case.objects.exists()


def test_a_refusal_after_files_were_stored_removes_them_and_keeps_no_row(cast, storage):
    """§9 nothing half-saved: the page address is refused after the files were stored; all of it goes."""
    response = signed_in(cast.teacher).post(
        url("incident_report", cast),
        report_form(file=[png("a.png"), png("b.png")], url="ftp://example.org/x"),
    )
    assert response.status_code == 400
    assert "https://" in response.context["form"].errors["url"][0]
    assert not Case.objects.exists() and not Evidence.objects.exists() and not Capture.objects.exists()
    assert not stored_files()
    refused = AuditEvent.objects.get(action="incidents.report_refused")
    assert refused.detail == {"fields": ["url"]}


def test_the_door_refuses_the_whole_report_naming_the_file(cast, storage):
    teacher = Actor.of(cast.teacher, cast.school)
    with pytest.raises(services.Refused) as refused:
        services.report(
            teacher, kind="bullying", happened_on=datetime.date.today(), what_happened="Posts",
            files=[("fine.png", PNG), ("empty.png", b"")],
        )  # fmt: skip
    (reason,) = refused.value.decision.reasons
    assert reason.field == "file" and "empty.png" in reason.text and reason.section == "§9"
    assert not Case.objects.exists() and not stored_files()
    assert not Notification.objects.filter(kind="incidents.reported").exists()


def test_a_pupil_is_found_then_linked_and_hidden_from_those_who_see_no_pupils(cast, storage):
    pupil = Pupil.objects.create(
        school=cast.school, upn="", source_id="p1", legal_forename="Amira", legal_surname="Khan",
        date_of_birth=datetime.date(2018, 5, 1),
    )  # fmt: skip
    client = signed_in(cast.teacher)
    found = client.post(url("incident_report", cast), report_form(find="1", pupil_q="Amira", kind="pupils"))
    assert found.status_code == 200 and "Amira" in found.content.decode() and not Case.objects.exists()
    client.post(
        url("incident_report", cast),
        report_form(kind="pupils", about_me="", pupil=pupil.pk, pupil_role="target", outsider="An adult on a game",
                    outsider_role="alleged"),
    )  # fmt: skip
    involved = Case.objects.get().involved.order_by("pk")
    assert [(i.pupil, i.outsider, i.role) for i in involved] == [
        (pupil, "", "target"),
        (None, "An adult on a game", "alleged"),
    ]
    governor_page = signed_in(cast.governor).get(url("incident_report", cast))
    assert (
        "pupil" not in governor_page.context["form"].fields and "Amira" not in governor_page.content.decode()
    )


def test_the_enter_key_sends_the_report_when_no_pupil_is_being_found(cast, storage):
    """§9: Enter in a text box, or a phone keyboard's Go, submits the form with its first button — Find. With no
    name to find, that is the report being sent (it used to come back unsent, the files to choose again)."""
    pressed_enter = {**report_form(find="1", pupil_q="", file=[png()])}
    del pressed_enter["send"]  # only the button that submits is sent
    response = signed_in(cast.teacher).post(url("incident_report", cast), pressed_enter)
    assert response.status_code == 302
    assert Case.objects.get().evidence.count() == 1


def test_bad_input_gets_field_errors_never_a_500(cast, storage):
    response = signed_in(cast.teacher).post(
        url("incident_report", cast),
        report_form(
            kind="allegation", member="99999999999999999999999", happened_on="2999-01-01", member_role=""
        ),
    )
    errors = response.context["form"].errors
    assert response.status_code == 400 and {"kind", "member"} <= set(errors)
    response = signed_in(cast.teacher).post(
        url("incident_report", cast), report_form(happened_on="2999-01-01")
    )
    assert response.status_code == 400 and "future" in response.context["form"].errors["happened_on"][0]
    assert not Case.objects.exists()


# --- Allegations about staff (KCSIE Part 4) --------------------------------------------------------------------
def test_an_allegation_about_the_headteacher_goes_to_the_chair_and_never_to_them(cast):
    """KCSIE Part 4: the chair of governors is case manager when it is about the Headteacher."""
    teacher = signed_in(cast.teacher)
    response = teacher.post(
        url("allegation_report", cast),
        {
            "subject": cast.member(cast.head).pk,
            "happened_on": TODAY,
            "what_happened": "Seen messaging a pupil",
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == url("incidents_mine", cast)
    assert case.routed_to == "chair" and case.lado_due is not None
    assert Notification.objects.filter(user=cast.governor, kind="incidents.allegation").exists()
    assert not Notification.objects.filter(user=cast.head).exists()
    assert not may_read_case(Actor.of(cast.head, cast.school), subject=case)
    page = teacher.get(url("incidents_mine", cast)).content.decode()
    assert "chair of governors" in page and "will never see it" in page


def test_an_allegation_page_says_who_reads_it_and_refuses_oneself_and_a_forged_id(cast):
    client = signed_in(cast.teacher)
    page = client.get(url("allegation_report", cast)).content.decode()
    assert "chair of governors when it is about the Headteacher" in page and "never see it" in page
    for forged in (
        cast.member(cast.teacher).pk,
        "12345678901234567890",
        cast.member(cast.other_teacher, cast.other_school).pk,
    ):
        response = client.post(
            url("allegation_report", cast), {"subject": forged, "happened_on": TODAY, "what_happened": "x"}
        )
        assert response.status_code == 400 and "subject" in response.context["form"].errors
    assert not Case.objects.exists()


# --- My reports ----------------------------------------------------------------------------------------------
def test_my_reports_lists_mine_with_status_and_an_allegation_only_received_or_closed(cast, case):
    teacher = Actor.of(cast.teacher, cast.school)
    allegation = services.report_allegation(
        teacher, about=cast.member(cast.slt), happened_on=datetime.date.today(), what_happened="x"
    )
    services.report(Actor.of(cast.office, cast.school), kind="breach", happened_on=datetime.date.today(),
                    what_happened="Someone else's")  # fmt: skip
    head = Actor.of(cast.head, cast.school)
    services.triage(head, allegation, risk="high")
    services.close_case(head, allegation, reason="The LADO advised no further action", outcome="unfounded")
    page = signed_in(cast.teacher).get(url("incidents_mine", cast)).content.decode()
    assert f"Case {case.pk}" in page and f"Case {allegation.pk}" in page and page.count("Case ") == 2
    assert "Sent: waiting for the designated person" in page and "Closed" in page
    assert "Unfounded" not in page and "LADO advised" not in page  # the casework is the case manager's
    assert (
        url("evidence_add", cast, pk=case.pk) in page
        and url("evidence_add", cast, pk=allegation.pk) not in page
    )
    assert AuditEvent.objects.filter(action="incidents.mine_listed").exists()


def test_my_reports_shows_the_designated_person_what_waits_and_the_case_list(cast, case):
    page = signed_in(cast.dsl).get(url("incidents_mine", cast)).content.decode()
    link = f'href="{url("case_list", cast)}"'
    assert "1 new report waiting for triage" in page and link in page
    # What waits is a link to it, as on the Overview.
    assert f'<a class="govuk-link" {link}>1 new report waiting for triage</a>' in page
    assert link not in signed_in(cast.teacher).get(url("incidents_mine", cast)).content.decode()


def test_my_reports_links_the_trends_for_the_designated_persons_and_governors_only(cast):
    """§9: the trends (counts only) are found from the Incidents menu's page by whoever may read them."""
    link = f'href="{url("incident_trends", cast)}"'
    for user in (cast.dsl, cast.head, cast.governor):
        assert link in signed_in(user).get(url("incidents_mine", cast)).content.decode(), user.email
    assert link not in signed_in(cast.teacher).get(url("incidents_mine", cast)).content.decode()


# --- Evidence added later --------------------------------------------------------------------------------------
def test_the_reporter_adds_evidence_to_their_open_case(cast, case):
    response = signed_in(cast.teacher).post(
        url("evidence_add", cast, pk=case.pk),
        {"file": [png("later.png"), png("mail.eml", b"From: a@b.example\r\nSubject: hi\r\n\r\nx")]},
    )
    assert response.status_code == 302 and response["Location"] == url("case_detail", cast, pk=case.pk)
    assert sorted(case.evidence.values_list("kind", "extension")) == [("email", "eml"), ("file", "png")]
    empty = signed_in(cast.teacher).post(url("evidence_add", cast, pk=case.pk), {})
    assert empty.status_code == 400 and "file" in empty.context["form"].errors


def test_evidence_is_refused_on_a_closed_case_audited_and_nothing_kept(cast, case):
    """§9: evidence is added to an open case."""
    dsl = Actor.of(cast.dsl, cast.school)
    services.triage(dsl, case, risk="low")
    services.close_case(dsl, case, reason="Resolved with the parent")
    client = signed_in(cast.teacher)
    assert "The case is closed" in client.get(url("evidence_add", cast, pk=case.pk)).content.decode()
    response = client.post(url("evidence_add", cast, pk=case.pk), {"file": [png()]})
    assert response.status_code == 400 and not Evidence.objects.exists() and not stored_files()
    decision = AuditEvent.objects.filter(
        action="policy.decision", detail__rule="incidents.evidence.add"
    ).last()
    assert decision.detail["allowed"] is False


def test_evidence_pages_are_404_to_anyone_the_case_is_not_for_and_to_forged_ids(cast, case):
    item = services.add_evidence(Actor.of(cast.teacher, cast.school), case, name="s.png", data=PNG)
    for user in (cast.slt, cast.volunteer):
        assert signed_in(user).get(url("evidence_add", cast, pk=case.pk)).status_code == 404
        assert signed_in(user).get(url("evidence_download", cast, pk=item.pk)).status_code == 404
    assert signed_in(cast.teacher).get(url("evidence_add", cast, pk=99999999)).status_code == 404
    assert signed_in(cast.dsl).get(url("evidence_download", cast, pk=99999999)).status_code == 404


# --- Downloads: hostile files never rendered, altered ones refused ----------------------------------------------
def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", b"\0" * 50_000_000)
    return out.getvalue()


HOSTILE = [
    ("page.html", b"<html><body><script>alert(document.cookie)</script></body></html>", "bin"),
    (
        "logo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>',
        "bin",
    ),
    ("bomb.zip", _zip_bomb(), "zip"),
    (
        "invoice.pdf",
        b"%PDF-1.4\n1 0 obj<</OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj\n%%EOF",
        "pdf",
    ),
    ("cat.gif", b"GIF89a/*\x01\x00\x01\x00*/=1;<html><script>alert(1)</script></html>", "gif"),
]


def test_hostile_files_are_kept_as_bytes_and_downloaded_only_as_attachments(cast, storage):
    """§9: never rendered inline; the extension comes from the type sniffed from the bytes."""
    signed_in(cast.teacher).post(
        url("incident_report", cast), report_form(file=[png(name, data) for name, data, _ in HOSTILE])
    )
    items = list(Evidence.objects.order_by("pk"))
    assert len(items) == len(HOSTILE)
    dsl = signed_in(cast.dsl)
    for item, (name, data, extension) in zip(items, HOSTILE, strict=True):
        assert item.original_name == name and item.size == len(data) and item.extension == extension
        response = dsl.get(url("evidence_download", cast, pk=item.pk))
        assert response.status_code == 200 and response.content == data, name
        assert response["Content-Disposition"] == (
            f'attachment; filename="case-{item.case_id}-evidence-{item.pk}.{extension}"'
        )
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"].startswith("sandbox")
        assert response["Content-Type"] not in ("text/html", "image/svg+xml"), name
        assert "no-store" in response["Cache-Control"]
    assert AuditEvent.objects.filter(action="incidents.evidence_opened").count() == len(HOSTILE)


def test_a_corrupted_item_is_refused_the_dsl_told_and_verify_evidence_names_it(cast, case):
    """§9 evidence kept intact: every download re-hashes; a mismatch is refused and raised to the DSL."""
    item = services.add_evidence(Actor.of(cast.teacher, cast.school), case, name="s.png", data=PNG)
    with default_storage.open(item.stored.name, "wb") as handle:
        handle.write(PNG[:-1] + b"\x01")
    response = signed_in(cast.dsl).get(url("evidence_download", cast, pk=item.pk))
    assert response.status_code == 409 and "no longer matches" in response.content.decode()
    assert response["Content-Type"].startswith("text/html") and "Content-Disposition" not in response
    assert Notification.objects.filter(user=cast.dsl, kind="incidents.evidence_altered").exists()
    assert AuditEvent.objects.filter(action="incidents.evidence_altered", object_id=str(item.pk)).exists()
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("verify_evidence", "--school", cast.school.slug, stdout=out)
    assert exited.value.code == 1 and f"evidence {item.pk} of case {case.pk}" in out.getvalue()


def test_an_item_gone_from_the_storage_is_refused_like_an_altered_one(cast, case):
    item = services.add_evidence(Actor.of(cast.teacher, cast.school), case, name="s.png", data=PNG)
    default_storage.delete(item.stored.name)
    assert signed_in(cast.teacher).get(url("evidence_download", cast, pk=item.pk)).status_code == 409
    assert Notification.objects.filter(user=cast.dsl, kind="incidents.evidence_altered").exists()


# --- Captures through the worker ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "address",
    ["http://192.168.1.1/admin", "http://10.0.0.1/", "http://169.254.169.254/latest/", "http://[fd00::1]/"],
)
def test_a_private_address_written_as_numbers_is_refused_on_the_form_and_nothing_is_kept(
    cast, storage, settings, address, django_capture_on_commit_callbacks
):
    """§9: a page on a private address is never fetched; typed as an IP address, the report says so at once,
    beside the address field, and keeps nothing (a name is checked by the worker when it resolves it)."""
    settings.CAPTURE_ALLOW_LOOPBACK = True  # even then, a private address is refused
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(cast.teacher).post(
            url("incident_report", cast), report_form(url=address, file=[png()])
        )
    assert response.status_code == 400
    assert "not on the public internet" in response.context["form"].errors["url"][0]
    assert not Case.objects.exists() and not Capture.objects.exists() and stored_files() == []
    assert AuditEvent.objects.filter(action="incidents.report_refused", detail__fields=["url"]).exists()


def test_a_private_address_is_refused_by_the_worker_and_the_requester_told(
    cast,
    case,
    site,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    """§9: the server fetches only public pages; a name is resolved by the worker, and a name for a private or
    loopback address is refused there: the request is marked refused with its problem."""
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(cast.teacher).post(
            url("evidence_add", cast, pk=case.pk), {"url": site.replace("127.0.0.1", "localhost") + "/ok"}
        )
    assert response.status_code == 302
    capture = Capture.objects.get()
    assert capture.state == Capture.State.REFUSED and "public internet" in capture.problem
    told = Notification.objects.get(user=cast.teacher, kind="incidents.capture")
    assert "could not be captured" in told.title
    assert not Evidence.objects.exists()
    assert AuditEvent.objects.filter(action="incidents.capture_refused").exists()


def test_the_reporter_reads_on_their_report_why_a_page_could_not_be_captured(
    cast,
    case,
    site,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    """§9: told "a page could not be captured", the reporter opens their report and reads which page and why
    (their own requests only)."""
    address = site.replace("127.0.0.1", "localhost") + "/ok"
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(cast.teacher).post(url("evidence_add", cast, pk=case.pk), {"url": address})
    services.queue_capture(Actor.of(cast.dsl, cast.school), case, url="https://elsewhere.example/dsl-only")
    told = Notification.objects.get(user=cast.teacher, kind="incidents.capture")
    response = signed_in(cast.teacher).get(told.url)
    page = response.content.decode()
    assert response.templates[0].name == "incidents/case_reporter.html"
    problem = Capture.objects.get(url=address).problem
    assert address in page and "Could not be captured" in page and problem and problem in page
    assert "dsl-only" not in page


def test_a_redirect_to_a_private_address_is_refused_by_the_worker(
    cast,
    case,
    site,  # noqa: F811
    settings,
    django_capture_on_commit_callbacks,
):
    settings.CAPTURE_ALLOW_LOOPBACK = True
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(cast.teacher).post(url("evidence_add", cast, pk=case.pk), {"url": site + "/to-private"})
    capture = Capture.objects.get()
    assert capture.state == Capture.State.REFUSED and capture.problem and not Evidence.objects.exists()


def test_loopback_is_refused_unless_the_setting_allows_it(
    cast,
    case,
    site,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(cast.teacher).post(url("evidence_add", cast, pk=case.pk), {"url": site + "/ok"})
    assert response.status_code == 400 and "public internet" in response.context["form"].errors["url"][0]
    assert not Capture.objects.exists() and not Evidence.objects.exists()


# --- Seals and the chain of custody ----------------------------------------------------------------------------
def test_the_dsl_seals_an_item_with_a_reason_and_then_only_they_open_it(cast, case):
    """§9: only the designated safeguarding lead seals evidence from view, saying why."""
    item = services.add_evidence(Actor.of(cast.teacher, cast.school), case, name="s.png", data=PNG)
    dsl = signed_in(cast.dsl)
    assert dsl.get(url("evidence_seal", cast, pk=item.pk)).status_code == 200
    empty = dsl.post(url("evidence_seal", cast, pk=item.pk), {"reason": " "})
    assert empty.status_code == 400 and "reason" in empty.context["form"].errors
    head = signed_in(cast.head).post(url("evidence_seal", cast, pk=item.pk), {"reason": "x"})
    assert head.status_code == 302 and not EvidenceSeal.objects.exists()
    sealed = dsl.post(url("evidence_seal", cast, pk=item.pk), {"reason": "Shows another pupil"})
    assert sealed.status_code == 302 and sealed["Location"] == url("case_detail", cast, pk=case.pk)
    assert EvidenceSeal.objects.get().reason == "Shows another pupil"
    assert signed_in(cast.teacher).get(url("evidence_download", cast, pk=item.pk)).status_code == 404
    assert dsl.get(url("evidence_download", cast, pk=item.pk)).status_code == 200


def test_the_chain_of_custody_names_who_received_and_opened_each_item(cast, case):
    signed_in(cast.teacher).post(url("evidence_add", cast, pk=case.pk), {"file": [png()]})
    item = Evidence.objects.get()
    dsl = signed_in(cast.dsl)
    dsl.get(url("evidence_download", cast, pk=item.pk))
    page = dsl.get(url("evidence_custody", cast, pk=item.pk)).content.decode()
    assert "Received and hashed" in page and "Tom Teacher" in page
    assert "Opened (downloaded), hash checked" in page and "Dawn Dsl" in page
    assert item.sha256 in page
    assert signed_in(cast.teacher).get(url("evidence_custody", cast, pk=item.pk)).status_code == 403


# --- The picture of a captured page: drawn offline ------------------------------------------------------------
class Beacon(BaseHTTPRequestHandler):
    asked: list[str] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        Beacon.asked.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def _page(body: bytes) -> bytes:
    headers = [("Content-Type", "text/html; charset=utf-8")]
    return warc_of(
        Fetched("https://social.example/p", "https://social.example/p", 200, headers, body, "192.0.2.1")
    )


def test_the_picture_of_a_page_runs_no_script_and_reaches_nothing(settings):
    """§9 keep the evidence, safely: the kept copy is drawn with no script and no network (loopback included)."""
    if not Path(settings.CAPTURE_CHROMIUM).exists():
        skip_or_fail("Chromium is not installed: apt-get install chromium")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Beacon)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    beacon = f"http://127.0.0.1:{server.server_address[1]}"
    Beacon.asked = []
    try:
        plain = screenshot(_page(b"<!DOCTYPE html><p>You are a liar</p>"), chromium=settings.CAPTURE_CHROMIUM)
        hostile = screenshot(
            _page(
                b"<!DOCTYPE html><p>You are a liar</p>"
                b"<script>document.body.innerHTML = '<h1>Script ran</h1>'</script>"
                + f'<img src="{beacon}/img" alt=""><link rel="stylesheet" href="{beacon}/css">'.encode()
                + f'<meta http-equiv="refresh" content="0;url={beacon}/refresh">'.encode()
                + b'<iframe src="file:///etc/hostname"></iframe>'
            ),
            chromium=settings.CAPTURE_CHROMIUM,
        )
    finally:
        server.shutdown()
    assert plain.startswith(b"\x89PNG") and hostile.startswith(b"\x89PNG")
    assert Beacon.asked == []
    assert (
        screenshot(_page(b"x" * 100_000), chromium=settings.CAPTURE_CHROMIUM) is None
    )  # too long to hand over
    assert screenshot(_page(b"<p>x</p>"), chromium="/nowhere/chromium") is None
