"""§9 evidence kept intact: hashed on receipt, stored once, never changed, re-hashed on every opening (a stored
file altered behind saferstaff's back is refused and named by ``verify_evidence``), sealed only by the DSL."""

import datetime
import io
import threading
from http.server import ThreadingHTTPServer

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command

from saferstaff.audit.models import AppendOnly, AuditEvent
from saferstaff.incidents import services, vault
from saferstaff.incidents.models import Case, Evidence
from saferstaff.notifications.models import Notification
from saferstaff.rules.engine import Refused
from saferstaff.rules.incidents import may_read_case
from saferstaff.schools.roles import Actor
from tests.test_fetching import Pages

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def case(cast, storage):
    return services.report(
        Actor.of(cast.teacher, cast.school), kind=Case.Kind.BULLYING_OF_STAFF,
        happened_on=datetime.date.today(), what_happened="A parent's abusive posts about me",
    )  # fmt: skip


def add(cast, case, name="shot.png", data=PNG, by=None):
    return services.add_evidence(Actor.of(by or cast.teacher, cast.school), case, name=name, data=data)


def test_a_report_tells_the_designated_persons_without_content(cast, case):
    told = set(Notification.objects.filter(kind="incidents.reported").values_list("user_id", flat=True))
    assert told == {cast.dsl.pk, cast.head.pk}
    assert all("parent" not in n.title for n in Notification.objects.all())


def test_an_item_is_hashed_on_receipt_and_opened_only_when_it_still_matches(cast, case):
    item = add(cast, case)
    assert item.sha256 == vault.digest(PNG) and item.content_type == "image/png" and item.extension == "png"
    assert services.open_evidence(Actor.of(cast.dsl, cast.school), item) == PNG
    assert AuditEvent.objects.filter(action="incidents.evidence_opened", object_id=str(item.pk)).exists()
    with default_storage.open(item.stored.name, "wb") as handle:  # altered behind saferstaff's back
        handle.write(PNG + b"tampered")
    with pytest.raises(vault.EvidenceProblem, match="no longer matches"):
        services.open_evidence(Actor.of(cast.dsl, cast.school), item)
    assert Notification.objects.filter(user=cast.dsl, kind="incidents.evidence_altered").exists()
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("verify_evidence", stdout=out)
    assert exited.value.code == 1 and f"evidence {item.pk} of case {case.pk} does not match" in out.getvalue()


def test_verify_evidence_is_quiet_when_everything_matches(cast, case):
    add(cast, case)
    out = io.StringIO()
    call_command("verify_evidence", "--school", cast.school.slug, stdout=out)
    assert "0 items of evidence not matching" in out.getvalue()


def test_an_item_is_never_changed(cast, case):
    item = add(cast, case)
    item.original_name = "renamed.png"
    with pytest.raises(AppendOnly):
        item.save()


def test_hostile_files_are_kept_as_bytes_never_as_what_they_claim(cast, case):
    for name, data in [
        ("page.html", b"<html><script>alert(1)</script></html>"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("fake.eml", b"<script>not an email</script>"),
    ]:
        item = add(cast, case, name, data)
        assert (item.content_type, item.extension) == ("application/octet-stream", "bin"), name
    email = add(cast, case, "abuse.eml", b"From: someone@example.org\r\nSubject: you\r\n\r\nbody")
    assert email.extension == "eml"


def test_empty_huge_and_closed_are_refused_with_nothing_kept(cast, case, monkeypatch):
    with pytest.raises(Refused) as empty:
        add(cast, case, data=b"")
    assert empty.value.decision.reasons[0].field == "file"
    monkeypatch.setattr(vault, "MAX_BYTES", 10)
    with pytest.raises(Refused):
        add(cast, case)
    monkeypatch.undo()
    Case.objects.filter(pk=case.pk).update(status=Case.Status.CLOSED)
    case.refresh_from_db()
    with pytest.raises(Refused) as closed:
        add(cast, case)
    assert "closed" in closed.value.decision.summary
    assert not Evidence.objects.exists()


def test_a_row_that_cannot_be_saved_leaves_no_file(cast, case, monkeypatch):
    saved = []
    real_store = vault.store
    monkeypatch.setattr(vault, "store", lambda path, data: saved.append(real_store(path, data)) or saved[-1])
    monkeypatch.setattr(services, "record", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("audit down")))
    with pytest.raises(RuntimeError):
        add(cast, case)
    assert saved and not default_storage.exists(saved[0]) and not Evidence.objects.exists()


def test_who_opens_and_who_seals(cast, case):
    item = add(cast, case)
    for user in (cast.slt, cast.volunteer, cast.governor):
        with pytest.raises(Refused):
            services.open_evidence(Actor.of(user, cast.school), item)
    assert services.open_evidence(Actor.of(cast.teacher, cast.school), item) == PNG  # who added it
    with pytest.raises(Refused):
        services.seal_evidence(Actor.of(cast.head, cast.school), item, reason="x")
    with pytest.raises(Refused) as no_reason:
        services.seal_evidence(Actor.of(cast.dsl, cast.school), item, reason=" ")
    assert no_reason.value.decision.reasons[0].field == "reason"
    services.seal_evidence(Actor.of(cast.dsl, cast.school), item, reason="Shows another pupil")
    item.refresh_from_db()
    with pytest.raises(Refused):
        services.open_evidence(Actor.of(cast.teacher, cast.school), item)
    assert services.open_evidence(Actor.of(cast.dsl, cast.school), item) == PNG


def test_an_allegation_is_not_reported_through_the_incident_door(cast, storage):
    with pytest.raises(Refused):
        services.report(
            Actor.of(cast.teacher, cast.school), kind=Case.Kind.ALLEGATION, happened_on=datetime.date.today(),
            what_happened="x",
        )  # fmt: skip


def test_a_page_is_captured_as_one_warc_item_and_a_private_address_refused(cast, case, settings):

    server = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        teacher = Actor.of(cast.teacher, cast.school)
        with pytest.raises(Refused) as refused:
            services.add_page(teacher, case, url=base + "/ok")  # loopback is off outside tests that allow it
        assert refused.value.decision.reasons[0].field == "url"
        settings.CAPTURE_ALLOW_LOOPBACK = True
        item = services.add_page(teacher, case, url=base + "/ok")
        assert (
            item.kind == Evidence.Kind.PAGE
            and item.extension == "warc"
            and item.original_name == "127.0.0.1.warc"
        )
        assert services.open_evidence(teacher, item).startswith(b"WARC/1.")
        with pytest.raises(Refused):
            services.add_page(teacher, case, url=base + "/to-private")
        assert Evidence.objects.count() == 1
    finally:
        server.shutdown()


def test_a_designated_person_adds_who_needs_to_know_and_they_read_the_case(cast, case):
    line_manager = cast.member(cast.line_manager)
    assert not may_read_case(Actor.of(cast.line_manager, cast.school), subject=case)
    with pytest.raises(Refused):  # only the designated persons decide who needs to know
        services.share_case(Actor.of(cast.slt, cast.school), case, member=line_manager, reason="Manages Tom")
    with pytest.raises(Refused) as no_reason:
        services.share_case(Actor.of(cast.dsl, cast.school), case, member=line_manager, reason="")
    assert no_reason.value.decision.reasons[0].field == "reason"
    with pytest.raises(Refused) as other_school:
        services.share_case(
            Actor.of(cast.dsl, cast.school),
            case,
            member=cast.member(cast.other_teacher, cast.other_school),
            reason="x",
        )
    assert other_school.value.decision.reasons[0].field == "member"
    services.share_case(Actor.of(cast.dsl, cast.school), case, member=line_manager, reason="Manages Tom")
    assert may_read_case(Actor.of(cast.line_manager, cast.school), subject=case)
    assert Notification.objects.filter(user=cast.line_manager, kind="incidents.shared").exists()
    with pytest.raises(Refused):
        services.share_case(Actor.of(cast.dsl, cast.school), case, member=line_manager, reason="again")


def test_each_item_is_stored_under_its_own_random_name(cast, case):
    """§9: no item can land on another's name (on S3 too), and the sender's file name is never the stored one."""
    first, second = add(cast, case, name="../../etc/passwd.png"), add(cast, case, name="../../etc/passwd.png")
    assert first.stored.name != second.stored.name
    for item in (first, second):
        assert item.stored.name.startswith(f"evidence/{cast.school.pk}/") and "passwd" not in item.stored.name
        assert services.open_evidence(Actor.of(cast.dsl, cast.school), item) == PNG
