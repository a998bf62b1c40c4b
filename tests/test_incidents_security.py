"""The incidents room reviewed as a hostile insider and an outsider would (§9, §8; KCSIE Part 4): every way the
person a case is about might learn of it (notices, chases, the to-do lists, the audit trail), doors that must
re-check their rule on the case as it is now (double submits, a case closed meanwhile), and a page capture that
must end, kept or refused, so the case can close."""

import datetime
import socket
import threading
import time

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from saferstaff import fetching
from saferstaff.audit.models import AuditEvent
from saferstaff.audit.trail import Filters, events_for
from saferstaff.incidents import daily, services
from saferstaff.incidents.models import Capture, Case, EvidenceSeal, Note
from saferstaff.incidents.status import things_to_do
from saferstaff.notifications.models import Notification
from saferstaff.rules.engine import Refused
from saferstaff.rules.incidents import manages
from saferstaff.schools.models import Role
from saferstaff.schools.roles import Actor

from .conftest import make_person, signed_in

TODAY = timezone.localdate


def bullying(cast, by=None, **extra):
    return services.report(
        cast.actor(by or cast.teacher), kind=Case.Kind.BULLYING_OF_STAFF, happened_on=TODAY(),
        what_happened="Abusive posts about me", **extra,
    )  # fmt: skip


def allegation(cast, about, by=None):
    return services.report_allegation(
        cast.actor(by or cast.teacher), about=cast.member(about), happened_on=TODAY(),
        what_happened="Shared a pupil's photo from a personal account",
    )  # fmt: skip


def told(user) -> set[str]:
    return set(Notification.objects.filter(user=user).values_list("kind", flat=True))


# --- Who is told: the case's managers as the rule names them, never the person it is about ---------------------
def test_a_dsl_named_as_having_done_it_is_not_told_of_the_report_s9(cast):
    """§9: the designated person named in a report as having done it is not alerted to it (the alert's link
    would answer 404, which says the case is about them); the other designated person is."""
    bullying(cast, people=[services.Person("alleged", member=cast.member(cast.dsl))])
    assert "incidents.reported" not in told(cast.dsl)
    assert "incidents.reported" in told(cast.head)


def test_the_managers_of_a_case_are_exactly_those_the_rule_says_run_it_s9_kcsie_part_4(cast):
    """One answer (§9, KCSIE Part 4): ``services.managers`` — who is told, chased, may be assigned — agrees with
    ``rules.incidents.manages`` for casework naming a DSL, and an allegation about someone since made a
    co-Headteacher (the chair runs it, not the other Headteacher)."""
    named = bullying(cast, people=[services.Person("alleged", member=cast.member(cast.dsl))])
    later = allegation(cast, cast.slt)
    cast.member(cast.slt).role_grants.create(school=cast.school, role=Role.HEADTEACHER)
    people = [cast.head, cast.slt, cast.dsl, cast.governor, cast.teacher, cast.dpo]
    for case in (named, later):
        listed = set(services.managers(case).values_list("user_id", flat=True))
        for user in people:
            assert (user.pk in listed) == manages(cast.actor(user), case), (user.email, case.kind)


def test_a_case_is_never_assigned_to_the_dsl_it_names_s9(cast):
    case = bullying(cast, people=[services.Person("alleged", member=cast.member(cast.dsl))])
    with pytest.raises(Refused):
        services.triage(cast.actor(cast.head), case, risk="high", assigned_to=cast.dsl)
    assert "incidents.assigned" not in told(cast.dsl)


def test_the_lado_chase_goes_to_the_chair_not_the_other_headteacher_kcsie_part_4(cast, monkeypatch):
    """KCSIE Part 4: an allegation about someone since made a co-Headteacher is chased to its case manager (the
    chair of governors); the other Headteacher does not manage it and learns nothing of it."""
    allegation(cast, cast.slt)
    cast.member(cast.slt).role_grants.create(school=cast.school, role=Role.HEADTEACHER)
    later = timezone.now() + datetime.timedelta(days=10)
    daily.chase(cast.school, now=later)
    assert daily.CHASE_KIND in told(cast.governor)
    assert daily.CHASE_KIND not in told(cast.head)


# --- The to-do lists: an action never tells the person a case came to name --------------------------------------
def test_an_action_of_someone_later_named_as_having_done_it_leaves_their_lists_s9(cast):
    """§9: once a case names its action's owner as having done it, they no longer read the case — nor its
    action on their case list, their Overview or the daily chase."""
    case = bullying(cast)
    services.add_action(
        cast.actor(cast.dsl), case, what="Interview the colleague about the posts",
        owner=cast.member(cast.slt), due_on=TODAY(),
    )  # fmt: skip
    services.involve(cast.actor(cast.dsl), case, services.Person("alleged", member=cast.member(cast.slt)))
    assert not things_to_do(cast.actor(cast.slt), cast.school)
    page = signed_in(cast.slt).get(reverse("case_list", kwargs={"school": cast.school.slug}))
    assert b"Interview the colleague" not in page.content
    daily.chase(cast.school, now=timezone.now() + datetime.timedelta(days=3))
    assert daily.CHASE_KIND not in told(cast.slt)


# --- The audit trail: a list of case ids tells nothing of a case its reader may not read ------------------------
def test_the_trail_shows_no_list_naming_a_case_about_its_reader_kcsie_part_4(cast):
    """KCSIE Part 4: the Headteacher reading the trail does not see a reporter's "My reports", or the chair's
    look at the Headteacher's timeline, listing the allegation about them (it would name its reporter)."""
    case = allegation(cast, cast.head, by=cast.teacher)
    signed_in(cast.teacher).get(reverse("incidents_mine", kwargs={"school": cast.school.slug}))
    chair = signed_in(cast.governor)
    chair.get(
        reverse("person_timeline", kwargs={"school": cast.school.slug, "pk": cast.member(cast.head).pk})
    )
    chair.get(reverse("case_list", kwargs={"school": cast.school.slug}))
    lists = {"incidents.mine_listed", "incidents.person_timeline_viewed", "incidents.cases_listed"}
    for reader, sees in ((cast.head, False), (cast.governor, True)):
        rows = events_for(cast.school, Filters(), reader=cast.actor(reader)).filter(action__in=lists)
        shown = [row for row in rows if case.pk in row.detail.get("cases", [])]
        assert bool(shown) == sees, reader.email


# --- Doors re-check their rule on the case as it is now ----------------------------------------------------------
def test_a_note_changed_twice_at_once_keeps_one_change_and_refuses_the_other_s9(cast):
    """§9: two submits of the same note's change (two tabs, a double click): one new version, the other refused
    beside its field — not a server error."""
    case = bullying(cast)
    note = services.write_note(cast.actor(cast.dsl), case, text="Called the parent")
    first, second = Note.objects.get(pk=note.pk), Note.objects.get(pk=note.pk)
    services.edit_note(cast.actor(cast.dsl), first, text="Called the parent at 3pm")
    with pytest.raises(Refused):
        services.edit_note(cast.actor(cast.dsl), second, text="Called the parent at 4pm")
    assert Note.objects.filter(case=case).count() == 2


@pytest.mark.parametrize("what", ["seal", "note"])
def test_a_seal_or_note_change_written_by_a_request_at_the_same_moment_is_refused_not_a_server_error_s9(
    cast, storage, monkeypatch, what
):
    """§9: two requests at the same moment both pass the rule before either writes (SQLite's transactions do not
    lock rows until they write): the unique constraint keeps one seal or one change, the other is refused."""
    from django.db import models as dj

    case = bullying(cast)
    dsl = cast.actor(cast.dsl)
    item = services.add_evidence(dsl, case, name="shot.png", data=b"\x89PNG\r\n\x1a\n" + b"2" * 40)
    note = services.write_note(dsl, case, text="Called the parent")
    create = dj.QuerySet.create

    def the_other_request_writes_first(queryset, **fields):
        if queryset.model is EvidenceSeal and what == "seal":
            EvidenceSeal.objects.bulk_create([EvidenceSeal(school=cast.school, evidence=item, reason="Other tab",
                                                           sealed_by=cast.dsl)])  # fmt: skip
        if queryset.model is Note and fields.get("replaces") is not None:
            Note.objects.bulk_create([Note(school=cast.school, case=case, author=cast.dsl, text="Other tab",
                                           replaces=note)])  # fmt: skip
        return create(queryset, **fields)

    monkeypatch.setattr(dj.QuerySet, "create", the_other_request_writes_first)
    with pytest.raises(Refused, match="just been"):
        if what == "seal":
            services.seal_evidence(dsl, item, reason="Shows a pupil")
        else:
            services.edit_note(dsl, note, text="Called the parent at 4pm")
    # Nothing of the refused request is kept (the other request's row, here in the same transaction, goes too).
    assert not AuditEvent.objects.filter(
        action__in=["incidents.evidence_sealed", "incidents.note_changed"]
    ).exists()


def test_a_triage_sent_as_the_case_closed_does_not_reopen_it_s9(cast):
    """§9: a case closed while a triage form was on someone's screen stays closed (one path to each state)."""
    case = bullying(cast)
    services.triage(cast.actor(cast.dsl), case, risk="low")
    seen = Case.objects.get(pk=case.pk)  # as the triage page read it
    services.close_case(cast.actor(cast.head), case, reason="Resolved with the parent")
    with pytest.raises(Refused):
        services.triage(cast.actor(cast.dsl), seen, risk="high")
    assert Case.objects.get(pk=case.pk).status == Case.Status.CLOSED


# --- A capture always ends, kept or refused: the case can then close ---------------------------------------------
@pytest.mark.parametrize("address", ["http://example.com:99999/post", "http://example.com:8o8o/post"])
def test_a_page_address_with_an_impossible_port_is_refused_not_left_waiting_s9(cast, address):
    """§9: an address the form lets through but no server has (a port out of range) is refused with why —
    never a capture left waiting for ever, which would keep the case from closing."""
    case = bullying(cast)
    with pytest.raises(Refused):
        services.queue_capture(cast.actor(cast.teacher), case, url=address)
    with pytest.raises(fetching.FetchRefused):
        fetching.fetch(address)
    pending = Capture.objects.create(
        school=cast.school, case=case, url=address, requested_by=cast.teacher
    )  # as if queued before this check
    services.run_capture(pending.pk)
    assert Capture.objects.get(pk=pending.pk).state == Capture.State.REFUSED


@pytest.mark.parametrize("address", ["64:ff9b::a00:1", "64:ff9b::7f00:1", "::a00:1"])
def test_a_name_resolving_to_a_private_address_inside_ipv6_is_refused_s9(monkeypatch, address):
    """SSRF (§9 capture): an IPv6 address that carries a private IPv4 one (NAT64, IPv4-compatible) is not public."""

    def lookup(host, port, **kwargs):
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))]

    monkeypatch.setattr(fetching.socket, "getaddrinfo", lookup)
    with pytest.raises(fetching.FetchRefused, match="not on the public internet"):
        fetching.resolve("evil.example", 80)


@pytest.fixture
def slow_headers():
    """A server on loopback that answers a status line, then its headers one byte every 0.2 s, for ever."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)
                try:
                    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                    while not stop.is_set():
                        conn.sendall(b"a")
                        time.sleep(0.2)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/page"
    stop.set()
    thread.join(5)
    server.close()


def test_a_page_sending_its_headers_a_byte_at_a_time_is_cut_off_at_the_whole_fetchs_limit_s9(slow_headers):
    """§9 capture: a page that never finishes its headers (each byte in time for the socket's own timeout) is
    refused when the whole fetch's time is up, so the worker is free and the capture ends."""
    started = time.monotonic()
    with pytest.raises(fetching.FetchRefused, match="within 1 seconds"):
        fetching.fetch(slow_headers, allow_loopback=True, timeout=1.0)
    assert time.monotonic() - started < 3


def test_a_capture_that_fails_unexpectedly_is_refused_not_left_waiting_s9(cast, monkeypatch):
    """§9: whatever goes wrong in the worker, the capture ends refused (the person told), so the case can close."""
    case = bullying(cast)
    pending = services.queue_capture(cast.actor(cast.teacher), case, url="https://example.com/post")

    def broken(*args, **kwargs):
        raise RuntimeError("the archive writer broke")

    monkeypatch.setattr(services, "capture", broken)
    with pytest.raises(RuntimeError):
        services.run_capture(pending.pk)
    assert Capture.objects.get(pk=pending.pk).state == Capture.State.REFUSED
    assert "incidents.capture" in told(cast.teacher)
    services.close_case(cast.actor(cast.dsl), case, reason="Dealt with")


# --- A sealed item is sealed from view on the case page too --------------------------------------------------------
def test_a_sealed_items_name_shows_on_the_case_page_only_to_who_may_still_open_it_s9(cast, storage):
    """§9: once the DSL seals an item, its name (which often says what it shows) is not on the case page for the
    Headteacher or a member added to the case — as in the chronology — only for the DSL, who still opens it."""
    case = bullying(cast)
    item = services.add_evidence(
        cast.actor(cast.teacher),
        case,
        name="pupil-in-changing-room.png",
        data=b"\x89PNG\r\n\x1a\n" + b"1" * 40,
    )
    services.share_case(cast.actor(cast.dsl), case, member=cast.member(cast.slt), reason="Line manager")
    services.seal_evidence(cast.actor(cast.dsl), item, reason="Indecent image of a pupil")
    page = reverse("case_detail", kwargs={"school": cast.school.slug, "pk": case.pk})
    assert b"pupil-in-changing-room" in signed_in(cast.dsl).get(page).content
    for user in (cast.head, cast.slt):
        content = signed_in(user).get(page).content
        assert b"pupil-in-changing-room" not in content and b"Sealed" in content, user.email


def test_a_reporter_the_case_came_to_name_is_not_told_it_closed_s9(cast):
    """§9: a reporter the case has since named as having done it no longer reads it; the closing notice (whose
    link would answer 404) would tell them so."""
    case = bullying(cast, by=cast.teacher)
    services.involve(cast.actor(cast.dsl), case, services.Person("alleged", member=cast.member(cast.teacher)))
    services.close_case(cast.actor(cast.dsl), case, reason="The reporter posted it themselves")
    assert "incidents.closed" not in told(cast.teacher)


# --- A reporter reads their report, never the casework's records ----------------------------------------------
def test_a_reporter_gets_404_for_the_notes_and_actions_of_their_case_s9(cast):
    """§9: the casework is not the reporter's: a note's or an action's address on their own case answers 404,
    as for a case they do not read (not a refusal that says the note or action is there)."""
    case = bullying(cast, by=cast.teacher)
    note = services.write_note(cast.actor(cast.dsl), case, text="Spoke to the parent")
    action = services.add_action(
        cast.actor(cast.dsl),
        case,
        what="Report to the platform",
        owner=cast.member(cast.head),
        due_on=TODAY(),
    )
    reporter = signed_in(cast.teacher)
    for name, pk in (("note_edit", note.pk), ("action_done", action.pk)):
        address = reverse(name, kwargs={"school": cast.school.slug, "pk": pk})
        assert reporter.get(address).status_code == 404, name
        assert reporter.post(address, {"text": "Mine now", "note": "done"}).status_code == 404, name


# --- Another school's ids ------------------------------------------------------------------------------------------
def test_every_incidents_address_with_another_schools_ids_is_404_s8(cast, storage):
    """§8: a forged id of another school's case, evidence, action, note or person answers 404 on every page, to
    the designated person of this school (GET and POST alike)."""
    theirs = make_person("olga.dsl@other.example", cast.other_school, {Role.DSL})
    them = Actor.of(theirs, cast.other_school)
    case = services.report(
        Actor.of(cast.other_teacher, cast.other_school), kind=Case.Kind.BULLYING_OF_STAFF, happened_on=TODAY(),
        what_happened="Posts", files=[("a.png", b"\x89PNG\r\n\x1a\n" + b"2" * 40)],
    )  # fmt: skip
    note = services.write_note(them, case, text="Theirs")
    action = services.add_action(
        them, case, what="Theirs", owner=cast.other_school.memberships.get(user=theirs), due_on=TODAY()
    )
    item = case.evidence.get()
    member = cast.other_school.memberships.get(user=cast.other_teacher)
    names = ["case_detail", "case_triage", "case_involve", "case_share", "action_add", "note_add", "case_close",
             "evidence_add", "case_chronology", "case_chronology_pdf"]  # fmt: skip
    addresses = [reverse(n, kwargs={"school": cast.school.slug, "pk": case.pk}) for n in names]
    addresses += [
        reverse("contact_add", kwargs={"school": cast.school.slug, "pk": case.pk, "kind": "police"})
    ]
    addresses += [
        reverse(n, kwargs={"school": cast.school.slug, "pk": pk})
        for n, pk in (("evidence_download", item.pk), ("evidence_seal", item.pk), ("evidence_custody", item.pk),
                      ("action_done", action.pk), ("note_edit", note.pk), ("person_timeline", member.pk))
    ]  # fmt: skip
    dsl = signed_in(cast.dsl, confirmed=True)
    for address in addresses:
        assert dsl.get(address).status_code == 404, address
        assert dsl.post(address, {"reason": "x", "text": "x", "risk": "high"}).status_code in (404, 405), (
            address
        )


def test_an_items_name_shows_only_to_who_may_open_it_s8(cast, storage):
    """§8, §9: a member added to a case (need to know) cannot open its evidence, so never reads its file names
    either — a name often says what an item shows, e.g. a pupil's name."""
    case = bullying(cast)
    services.add_evidence(
        cast.actor(cast.teacher), case, name="year3-pupil-name.png", data=b"\x89PNG\r\n\x1a\n" + b"2" * 40
    )
    services.share_case(cast.actor(cast.dsl), case, member=cast.member(cast.slt), reason="Line manager")
    page = reverse("case_detail", kwargs={"school": cast.school.slug, "pk": case.pk})
    assert b"year3-pupil-name" in signed_in(cast.dsl).get(page).content
    member_view = signed_in(cast.slt).get(page).content
    assert b"year3-pupil-name" not in member_view and b"Item " in member_view


def test_an_altered_item_opened_again_and_again_tells_the_dsl_once_a_day_s9(cast, storage):
    """§9: the DSL is told an item no longer matches its hash — once a day, not at every try to open it."""
    case = bullying(cast)
    item = services.add_evidence(
        cast.actor(cast.teacher), case, name="a.png", data=b"\x89PNG\r\n\x1a\n" + b"3" * 40
    )
    with default_storage.open(item.stored.name, "wb") as handle:
        handle.write(b"changed")
    download = reverse("evidence_download", kwargs={"school": cast.school.slug, "pk": item.pk})
    for _ in range(3):
        assert signed_in(cast.head).get(download).status_code == 409
    assert Notification.objects.filter(user=cast.dsl, kind="incidents.evidence_altered").count() == 1


def test_a_capture_the_worker_lost_is_given_up_after_an_hour_so_its_case_can_close_s9(cast, settings):
    """§9: a capture always ends — even one whose worker never ran — and the person who asked is told."""
    case = bullying(cast)
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}  # no worker runs it
    pending = services.queue_capture(cast.actor(cast.teacher), case, url="https://example.org/post")
    dsl = cast.actor(cast.dsl)
    with pytest.raises(Refused, match="still being captured"):
        services.close_case(dsl, case, reason="Done")
    assert services.give_up_lost_captures() == 0  # not yet an hour
    later = timezone.now() + datetime.timedelta(hours=1, minutes=1)
    assert services.give_up_lost_captures(later) == 1
    pending.refresh_from_db()
    assert pending.state == Capture.State.REFUSED and "not captured in time" in pending.problem
    assert Notification.objects.filter(user=cast.teacher, kind="incidents.capture").exists()
    assert services.close_case(dsl, case, reason="Done").is_closed
