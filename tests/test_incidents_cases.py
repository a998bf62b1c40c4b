"""The designated person's casework (§9, §8) and the allegations tier (KCSIE Part 4), through the pages: the case
list and search, a case's two faces, triage, people involved, need to know, actions, notes, contacts, closing;
the Overview's to-do list and the daily chase. Cases are made through the doors (``incidents.services``), as a
member of staff would make them; every write a page makes goes through its door too."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from saferstaff.audit.models import AuditEvent
from saferstaff.conduct import services as conduct
from saferstaff.incidents import daily, services
from saferstaff.incidents.models import CONTACT_FIELDS, Action, Case, CaseMember, Contact, Involved, Note
from saferstaff.incidents.registers import cases_listed_for
from saferstaff.notifications.models import Notification
from saferstaff.rules.incidents import is_member, manages, may_read_case
from saferstaff.schools.models import Membership, Pupil

from .conftest import signed_in

TODAY = timezone.localdate
WHAT = "A parent has posted abusive comments about me on the class page"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def url(cast, name, **kwargs):
    return reverse(name, kwargs={"school": cast.school.slug, **kwargs})


def report(cast, by=None, **extra):
    return services.report(
        cast.actor(by or cast.teacher), kind=Case.Kind.BULLYING_OF_STAFF, happened_on=TODAY(),
        what_happened=WHAT, **extra,
    )  # fmt: skip


def allegation(cast, about, by=None):
    return services.report_allegation(
        cast.actor(by or cast.teacher), about=cast.member(about), happened_on=TODAY(),
        what_happened="Shared a pupil's photo from a personal account",
    )  # fmt: skip


def add_action(cast, case, owner, by=None, due_on=None):
    return services.add_action(
        cast.actor(by or cast.dsl), case, what="Ask the platform to remove the posts", owner=cast.member(owner),
        due_on=due_on or TODAY(),
    )  # fmt: skip


def case_urls(cast, case) -> list[str]:
    """Every casework address of ``case``, and of an action and a note on it."""
    action = Action.objects.filter(case=case).first()
    note = Note.objects.filter(case=case).first()
    urls = [
        url(cast, name, pk=case.pk)
        for name in (
            "case_detail",
            "case_triage",
            "case_involve",
            "case_share",
            "action_add",
            "note_add",
            "case_close",
        )
    ]
    urls += [url(cast, "contact_add", pk=case.pk, kind=kind) for kind in Contact.Kind.values]
    urls += [url(cast, "action_done", pk=action.pk)] if action else []
    urls += [url(cast, "note_edit", pk=note.pk)] if note else []
    return urls


# --- Triage, actions -----------------------------------------------------------------------------------------
def test_a_designated_person_triages_and_assigns_a_new_case_s9(cast):
    case = report(cast)
    dsl = signed_in(cast.dsl)
    page = dsl.get(url(cast, "case_detail", pk=case.pk))
    assert page.status_code == 200 and "New: waiting for triage" in page.content.decode()
    assert dsl.get(url(cast, "case_triage", pk=case.pk)).status_code == 200
    head = cast.member(cast.head)
    response = dsl.post(url(cast, "case_triage", pk=case.pk), {"risk": "high", "assigned_to": head.pk})
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.risk, case.assigned_to, case.triaged_by) == (
        "open",
        "high",
        cast.head,
        cast.dsl,
    )
    assert Notification.objects.filter(user=cast.head, kind="incidents.assigned").exists()
    assert AuditEvent.objects.filter(action="incidents.triaged", object_id=str(case.pk)).exists()


def test_triage_names_its_field_and_assigns_only_a_case_manager_s9(cast):
    case = report(cast)
    dsl = signed_in(cast.dsl)
    missing = dsl.post(url(cast, "case_triage", pk=case.pk), {"risk": ""})
    assert missing.status_code == 400
    assert "Risk: Choose the risk (§9)" in missing.content.decode()
    teacher = cast.member(cast.teacher)
    wrong = dsl.post(url(cast, "case_triage", pk=case.pk), {"risk": "low", "assigned_to": teacher.pk})
    assert wrong.status_code == 400 and "Choose one of the people listed" in wrong.content.decode()
    case.refresh_from_db()
    assert case.status == "new" and case.triaged_at is None


def test_an_action_tells_its_owner_who_marks_it_done_s9(cast):
    case = report(cast)
    dsl = signed_in(cast.dsl)
    response = dsl.post(
        url(cast, "action_add", pk=case.pk),
        {
            "what": "Report the posts to the platform",
            "owner": cast.member(cast.slt).pk,
            "due_on": TODAY().isoformat(),
        },
    )
    assert response.status_code == 302
    action = Action.objects.get(case=case)
    assert Notification.objects.filter(user=cast.slt, kind="incidents.action").exists()
    slt = signed_in(cast.slt)
    page = slt.get(
        url(cast, "case_detail", pk=case.pk)
    ).content.decode()  # given an action: they need to know
    assert url(cast, "action_done", pk=action.pk) in page
    assert slt.get(url(cast, "action_done", pk=action.pk)).status_code == 200
    assert (
        slt.post(url(cast, "action_done", pk=action.pk), {"note": "Reported; reference 123"}).status_code
        == 302
    )
    action.refresh_from_db()
    assert action.done_by == cast.slt and action.done_note == "Reported; reference 123"
    again = slt.post(url(cast, "action_done", pk=action.pk), {})
    assert again.status_code == 403 and "already done" in again.content.decode()


def test_an_action_is_marked_done_only_by_its_owner_or_the_manager_s9(cast):
    case = report(cast)
    action = add_action(cast, case, cast.slt)
    services.share_case(cast.actor(cast.dsl), case, member=cast.member(cast.office), reason="Office records")
    office = signed_in(cast.office)
    assert office.get(url(cast, "action_done", pk=action.pk)).status_code == 403
    assert office.post(url(cast, "action_done", pk=action.pk), {}).status_code == 403
    assert signed_in(cast.volunteer).post(url(cast, "action_done", pk=action.pk), {}).status_code == 404
    action.refresh_from_db()
    assert action.done_at is None


def test_an_action_for_a_past_date_is_refused_beside_its_field_s9(cast):
    case = report(cast)
    response = signed_in(cast.dsl).post(
        url(cast, "action_add", pk=case.pk),
        {
            "what": "Call",
            "owner": cast.member(cast.slt).pk,
            "due_on": (TODAY() - datetime.timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 400 and 'id="id_due_on-error"' in response.content.decode()
    assert not Action.objects.exists()


# --- Notes ---------------------------------------------------------------------------------------------------
def test_a_changed_note_keeps_its_first_version_s9(cast):
    case = report(cast)
    dsl = signed_in(cast.dsl)
    assert dsl.post(url(cast, "note_add", pk=case.pk), {"text": "Spoke to the teacher"}).status_code == 302
    note = Note.objects.get()
    assert dsl.get(url(cast, "note_edit", pk=note.pk)).status_code == 200
    assert (
        dsl.post(url(cast, "note_edit", pk=note.pk), {"text": "Spoke to the teacher at 3pm"}).status_code
        == 302
    )
    first, latest = Note.objects.order_by("pk")
    assert first.text == "Spoke to the teacher" and latest.replaces == first
    page = dsl.get(url(cast, "case_detail", pk=case.pk)).content.decode()
    assert "Spoke to the teacher at 3pm" in page and "Changed" in page and "(first version)" in page
    stale = dsl.post(url(cast, "note_edit", pk=first.pk), {"text": "Again"})
    assert stale.status_code == 403 and "latest version" in stale.content.decode()


def test_only_a_notes_author_changes_it_another_is_refused_and_audited_s9(cast):
    case = report(cast)
    note = services.write_note(cast.actor(cast.dsl), case, text="Only mine to change")
    head = signed_in(cast.head)  # reads the case (a designated person), did not write the note
    for response in (
        head.get(url(cast, "note_edit", pk=note.pk)),
        head.post(url(cast, "note_edit", pk=note.pk), {"text": "Mine now"}),
    ):
        assert (
            response.status_code == 403
            and "Only the person who wrote a note changes it (§9)" in response.content.decode()
        )
    refusals = AuditEvent.objects.filter(
        action="policy.decision",
        actor_id=cast.head.pk,
        detail__rule="incidents.note.edit",
        detail__allowed=False,
    )
    assert refusals.count() == 2
    assert (
        signed_in(cast.volunteer).post(url(cast, "note_edit", pk=note.pk), {"text": "x"}).status_code == 404
    )
    assert list(Note.objects.values_list("text", flat=True)) == ["Only mine to change"]


def test_an_empty_note_is_refused_beside_its_field_s9(cast):
    case = report(cast)
    response = signed_in(cast.dsl).post(url(cast, "note_add", pk=case.pk), {"text": "  "})
    assert response.status_code == 400 and 'id="id_text-error"' in response.content.decode()
    assert not Note.objects.exists()


# --- Contacts ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", Contact.Kind.values)
def test_each_kind_of_contact_has_its_own_labels_s9(cast, kind):
    case = report(cast)
    page = signed_in(cast.dsl).get(url(cast, "contact_add", pk=case.pk, kind=kind)).content.decode()
    for label in CONTACT_FIELDS[Contact.Kind(kind)]:
        assert escape(label) in page
    assert ('name="reference"' in page) == bool(CONTACT_FIELDS[Contact.Kind(kind)][1])


def test_a_police_report_needs_its_crime_reference_s9(cast):
    case = report(cast)
    dsl = signed_in(cast.dsl)
    when = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    missing = dsl.post(
        url(cast, "contact_add", pk=case.pk, kind="police"), {"made_at": when, "with_whom": "Met"}
    )
    html = missing.content.decode()
    assert missing.status_code == 400 and 'id="id_reference-error"' in html
    assert "Crime reference number: Enter the crime reference number the police gave (§9)" in html
    assert not Contact.objects.exists()
    done = dsl.post(
        url(cast, "contact_add", pk=case.pk, kind="police"),
        {"made_at": when, "with_whom": "Met", "reference": "CR/123/26", "detail": "Logged"},
    )
    assert done.status_code == 302
    assert Contact.objects.get().reference == "CR/123/26"
    assert "CR/123/26" in dsl.get(url(cast, "case_detail", pk=case.pk)).content.decode()


def test_a_platform_report_and_support_need_no_reference_and_an_unknown_kind_is_404_s9(cast):
    case = report(cast)
    dsl = signed_in(cast.dsl)
    when = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    for kind in ("platform", "support"):
        response = dsl.post(
            url(cast, "contact_add", pk=case.pk, kind=kind), {"made_at": when, "with_whom": "X"}
        )
        assert response.status_code == 302, kind
    empty = dsl.post(url(cast, "contact_add", pk=case.pk, kind="parents"), {"made_at": when, "with_whom": ""})
    assert empty.status_code == 400 and 'id="id_with_whom-error"' in empty.content.decode()
    assert dsl.get(url(cast, "contact_add", pk=case.pk, kind="newspaper")).status_code == 404
    assert set(Contact.objects.values_list("kind", flat=True)) == {"platform", "support"}


# --- Closing -------------------------------------------------------------------------------------------------
def test_a_case_closes_only_with_a_reason_s9(cast):
    case = report(cast)
    dsl = signed_in(cast.dsl)
    assert dsl.get(url(cast, "case_close", pk=case.pk)).status_code == 200
    for sent in ({"closed_reason": " "}, {}):  # a reason of spaces, or nothing posted at all
        response = dsl.post(url(cast, "case_close", pk=case.pk), sent)
        assert response.status_code == 400 and 'id="id_closed_reason-error"' in response.content.decode()
        assert "Why it is closed: Say why the case is closed (§9)" in response.content.decode()
    case.refresh_from_db()
    assert not case.is_closed
    assert (
        dsl.post(url(cast, "case_close", pk=case.pk), {"closed_reason": "Posts removed"}).status_code == 302
    )
    case.refresh_from_db()
    assert case.is_closed and case.closed_reason == "Posts removed"
    assert Notification.objects.filter(user=cast.teacher, kind="incidents.closed").exists()
    closed = dsl.get(url(cast, "case_triage", pk=case.pk))
    assert closed.status_code == 403 and "The case is closed (§9)" in closed.content.decode()


def test_close_is_refused_while_an_action_is_open_s9(cast):
    case = report(cast)
    action = add_action(cast, case, cast.slt)
    dsl = signed_in(cast.dsl)
    assert "1 action still to do" in dsl.get(url(cast, "case_close", pk=case.pk)).content.decode()
    response = dsl.post(url(cast, "case_close", pk=case.pk), {"closed_reason": "Done"})
    assert response.status_code == 400 and "1 action(s) still to do" in response.content.decode()
    case.refresh_from_db()
    assert not case.is_closed
    services.complete_action(cast.actor(cast.slt), action)
    assert dsl.post(url(cast, "case_close", pk=case.pk), {"closed_reason": "Done"}).status_code == 302


def test_an_allegation_closes_with_a_kcsie_outcome_kcsie_part_4(cast):
    case = allegation(cast, cast.slt)
    head = signed_in(cast.head)
    page = head.get(url(cast, "case_close", pk=case.pk)).content.decode()
    assert "Unsubstantiated" in page and "Malicious" in page
    response = head.post(url(cast, "case_close", pk=case.pk), {"closed_reason": "Investigated"})
    assert response.status_code == 400
    assert "Choose the outcome (KCSIE Part 4)" in response.content.decode()
    bad = head.post(url(cast, "case_close", pk=case.pk), {"closed_reason": "x", "outcome": "guilty"})
    assert bad.status_code == 400
    ok = head.post(
        url(cast, "case_close", pk=case.pk), {"closed_reason": "Investigated", "outcome": "unfounded"}
    )
    assert ok.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.outcome) == ("closed", "unfounded")


# --- Who reads what ------------------------------------------------------------------------------------------
def test_the_reporter_sees_only_their_report_and_its_outcome_s9(cast, storage):
    case = report(cast)
    services.add_evidence(cast.actor(cast.teacher), case, name="mine.png", data=PNG)
    services.add_evidence(cast.actor(cast.dsl), case, name="dsl-found.png", data=PNG)
    services.write_note(cast.actor(cast.dsl), case, text="Confidential: the parent has a history")
    services.triage(cast.actor(cast.dsl), case, risk="high")
    teacher = signed_in(cast.teacher)
    page = teacher.get(url(cast, "case_detail", pk=case.pk)).content.decode()
    assert WHAT in page and "mine.png" in page
    assert "dsl-found.png" not in page and "Confidential" not in page and "High" not in page
    for name in ("case_triage", "note_add", "case_close"):
        assert teacher.get(url(cast, name, pk=case.pk)).status_code == 403  # their case, not their casework
    services.close_case(cast.actor(cast.dsl), case, reason="The posts were taken down")
    assert "The posts were taken down" in teacher.get(url(cast, "case_detail", pk=case.pk)).content.decode()


def test_an_allegations_reporter_is_told_it_closed_never_its_outcome_kcsie_part_4(cast):
    case = allegation(cast, cast.slt)
    services.close_case(cast.actor(cast.head), case, reason="Parent withdrew it", outcome="malicious")
    page = signed_in(cast.teacher).get(url(cast, "case_detail", pk=case.pk)).content.decode()
    assert "Closed on" in page
    assert "Malicious" not in page and "Parent withdrew it" not in page and cast.slt.display_name not in page


def test_the_subject_of_an_allegation_gets_404_on_every_case_url_even_as_a_dsl_kcsie_part_4(cast):
    case = allegation(cast, cast.dsl)
    add_action(cast, case, cast.slt, by=cast.head)
    services.write_note(cast.actor(cast.head), case, text="Called the LADO")
    dsl = signed_in(cast.dsl)
    for address in case_urls(cast, case):
        assert dsl.get(address).status_code == 404, address
    for address in case_urls(cast, case)[1:]:  # the case page itself takes no POST (405, whatever the id)
        assert dsl.post(address, {"text": "x", "risk": "low", "closed_reason": "x"}).status_code == 404, (
            address
        )
    assert not [c for c in dsl.get(url(cast, "case_list")).context["page"].object_list if c.pk == case.pk]
    assert Note.objects.count() == 1 and Case.objects.get(pk=case.pk).status == "new"


def test_a_designated_person_named_as_having_done_it_gets_404_on_every_case_url_s9(cast):
    case = report(cast, people=[services.Person(role=Involved.Role.ALLEGED, member=cast.member(cast.dsl))])
    services.write_note(cast.actor(cast.head), case, text="The DSL is named")
    dsl = signed_in(cast.dsl)
    for address in case_urls(cast, case):
        assert dsl.get(address).status_code == 404, address
    for address in case_urls(cast, case)[1:]:
        assert dsl.post(address, {}).status_code == 404, address
    assert signed_in(cast.head).get(url(cast, "case_detail", pk=case.pk)).status_code == 200


def test_an_allegation_about_the_headteacher_is_read_only_by_the_chair_kcsie_part_4(cast):
    case = allegation(cast, cast.head)
    assert case.routed_to == "chair"
    chair = signed_in(cast.governor)
    assert chair.get(url(cast, "case_detail", pk=case.pk)).status_code == 200
    assert chair.get(url(cast, "case_triage", pk=case.pk)).status_code == 200
    assert [c.pk for c in chair.get(url(cast, "case_list")).context["page"].object_list] == [case.pk]
    for user in (cast.head, cast.dsl):
        client = signed_in(user)
        for address in case_urls(cast, case):
            assert client.get(address).status_code == 404, (user.email, address)
        assert not client.get(url(cast, "case_list")).context["page"].object_list
    assert signed_in(cast.slt).get(url(cast, "case_detail", pk=case.pk)).status_code == 404


def test_the_case_list_never_lists_a_case_to_someone_who_may_not_read_it_s8(cast, storage):
    cases = [
        report(cast),
        report(cast, people=[services.Person(role=Involved.Role.ALLEGED, member=cast.member(cast.dsl))]),
        allegation(cast, cast.slt),
        allegation(cast, cast.head),
        allegation(cast, cast.dsl, by=cast.office),
    ]
    services.share_case(cast.actor(cast.dsl), cases[0], member=cast.member(cast.office), reason="Records")
    add_action(cast, cases[2], cast.line_manager, by=cast.head)
    people = Membership.objects.filter(school=cast.school).select_related("user")
    for member in people:
        who = cast.actor(member.user)
        listed = set(cases_listed_for(who).values_list("pk", flat=True))
        expected = {
            c.pk
            for c in cases
            if may_read_case.peek(who, subject=c) and (manages(who, c) or is_member(who, c))
        }
        assert listed == expected, member.user.email
        shown = {c.pk for c in signed_in(member.user).get(url(cast, "case_list")).context["page"].object_list}
        assert shown == listed, member.user.email
    assert CaseMember.objects.filter(member=cast.member(cast.line_manager)).exists()


def test_searching_cases_is_for_the_designated_persons_s8(cast):
    wanted = report(cast)
    services.report(
        cast.actor(cast.slt), kind=Case.Kind.BREACH, happened_on=TODAY(), what_happened="Password shared"
    )
    services.share_case(cast.actor(cast.dsl), wanted, member=cast.member(cast.office), reason="Records")
    dsl = signed_in(cast.dsl).get(url(cast, "case_list"), {"q": "password"})
    assert dsl.context["search"] is not None
    assert [c.kind for c in dsl.context["page"].object_list] == ["breach"]
    by_number = signed_in(cast.dsl).get(url(cast, "case_list"), {"q": f"#{wanted.pk}", "kind": "bullying"})
    assert [c.pk for c in by_number.context["page"].object_list] == [wanted.pk]
    office = signed_in(cast.office).get(url(cast, "case_list"), {"q": "password", "kind": "breach"})
    assert office.context["search"] is None  # no search: their list is only what they were added to
    assert [c.pk for c in office.context["page"].object_list] == [wanted.pk]
    assert not signed_in(cast.teacher).get(url(cast, "case_list")).context["page"].object_list
    # The chair of governors lists the allegations they manage, and searches nothing (§8).
    assert signed_in(cast.governor).get(url(cast, "case_list"), {"q": "password"}).context["search"] is None
    listed = AuditEvent.objects.filter(action="incidents.cases_listed", actor_id=cast.dsl.pk).latest("seq")
    assert "password" not in str(listed.detail)


def test_need_to_know_needs_a_reason_and_never_adds_the_subject_s8(cast):
    case = allegation(cast, cast.slt)
    head = signed_in(cast.head)
    no_reason = head.post(
        url(cast, "case_share", pk=case.pk), {"member": cast.member(cast.dsl).pk, "reason": ""}
    )
    assert no_reason.status_code == 400 and 'id="id_reason-error"' in no_reason.content.decode()
    subject = head.post(
        url(cast, "case_share", pk=case.pk), {"member": cast.member(cast.slt).pk, "reason": "x"}
    )
    assert subject.status_code == 400 and "never reads it" in subject.content.decode()
    ok = head.post(
        url(cast, "case_share", pk=case.pk), {"member": cast.member(cast.dsl).pk, "reason": "Safeguarding"}
    )
    assert ok.status_code == 302
    assert signed_in(cast.dsl).get(url(cast, "case_detail", pk=case.pk)).status_code == 200
    assert signed_in(cast.slt).get(url(cast, "case_detail", pk=case.pk)).status_code == 404


def test_the_enter_key_adds_someone_involved_when_no_pupil_is_being_found_s9(cast):
    """§9: Enter in "Someone outside school" submits with the form's first button, Find; with no name to find,
    the person is added (it used to come back with nothing added)."""
    case = report(cast)
    pressed_enter = {
        "role": "alleged",
        "outsider": "The parent posting as @westfieldmum",
        "pupil_q": "",
        "find": "1",
    }
    assert signed_in(cast.dsl).post(url(cast, "case_involve", pk=case.pk), pressed_enter).status_code == 302
    assert case.involved.filter(outsider="The parent posting as @westfieldmum").exists()


def test_people_involved_staff_pupils_and_someone_outside_school_s9(cast):
    pupil = Pupil.objects.create(
        school=cast.school, source_id="p1", legal_forename="Ada", legal_surname="Lovelace",
        date_of_birth=datetime.date(2016, 1, 1),
    )  # fmt: skip
    case = report(cast)
    dsl = signed_in(cast.dsl)
    found = dsl.post(
        url(cast, "case_involve", pk=case.pk), {"pupil_q": "Ada", "find": "1", "role": "witness"}
    )
    assert (
        found.status_code == 200
        and "Ada Lovelace" in found.content.decode()
        and not Involved.objects.exists()
    )
    assert (
        dsl.post(url(cast, "case_involve", pk=case.pk), {"role": "witness", "pupil": pupil.pk}).status_code
        == 302
    )
    outsider = {"role": "alleged", "outsider": "The parent posting as @westfieldmum"}
    assert dsl.post(url(cast, "case_involve", pk=case.pk), outsider).status_code == 302
    two = dsl.post(
        url(cast, "case_involve", pk=case.pk),
        {"role": "other", "member": cast.member(cast.slt).pk, "outsider": "x"},
    )
    assert two.status_code == 400 and 'id="id_member-error"' in two.content.decode()
    page = dsl.get(url(cast, "case_detail", pk=case.pk)).content.decode()
    assert "Ada Lovelace" in page and "@westfieldmum" in page
    # A governor added to the case sees no pupils (§8): the pupil is "A pupil", and there is no pupil picker.
    services.share_case(cast.actor(cast.dsl), case, member=cast.member(cast.governor), reason="Oversight")
    governor = signed_in(cast.governor).get(url(cast, "case_detail", pk=case.pk)).content.decode()
    assert "Ada Lovelace" not in governor and "A pupil" in governor


def test_an_allegation_escalated_from_a_low_level_concern_links_to_it_kcsie_part_4(cast):
    concern = conduct.raise_concern(
        cast.actor(cast.teacher),
        subject=cast.member(cast.slt),
        happened_on=TODAY(),
        what="Photos on a phone",
    )
    conduct.escalate_concern(cast.actor(cast.head), concern, rationale="A risk of harm")
    case = Case.objects.get(from_concern=concern)
    page = signed_in(cast.head).get(url(cast, "case_detail", pk=case.pk)).content.decode()
    assert reverse("concern_detail", kwargs={"school": cast.school.slug, "pk": concern.pk}) in page
    assert "Due</strong> by" in page


# --- The LADO clock, the Overview and the daily chase ---------------------------------------------------------
def _received(monkeypatch, moment):
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_the_lado_clock_shows_due_then_overdue_then_referred_kcsie_part_4(cast, monkeypatch):
    due_now = allegation(cast, cast.slt)
    page = signed_in(cast.head).get(url(cast, "case_detail", pk=due_now.pk)).content.decode()
    assert 'govuk-tag--yellow">Due</strong> by' in page
    _received(monkeypatch, timezone.now() - datetime.timedelta(days=8))
    late = allegation(cast, cast.line_manager)
    monkeypatch.undo()
    head = signed_in(cast.head)
    page = head.get(url(cast, "case_detail", pk=late.pk)).content.decode()
    assert 'govuk-tag--red">Overdue</strong>' in page and "Record the LADO referral" in page
    listing = head.get(url(cast, "case_list")).content.decode()
    assert "Overdue</strong> since" in listing and "Due</strong> by" in listing
    services.record_contact(
        cast.actor(cast.head),
        late,
        kind="lado",
        made_at=timezone.now(),
        with_whom="County LADO",
        reference="L1",
    )
    page = head.get(url(cast, "case_detail", pk=late.pk)).content.decode()
    assert "Referred to the Local Authority designated officer" in page and "Overdue</strong>" not in page
    # The list (whose referred cases are kept per state of the school) says so on the very next visit.
    listing = head.get(url(cast, "case_list")).content.decode()
    assert "Overdue</strong> since" not in listing and ">Referred\n</td>" in listing


def _to_do(user, cast) -> str:
    return signed_in(user).get(url(cast, "school_dashboard")).content.decode()


def test_the_overview_keeps_a_new_case_until_it_is_triaged_s9(cast):
    case = report(cast)
    assert "1 new case waits for triage (§9)" in _to_do(cast.dsl, cast)
    signed_in(cast.dsl).get(url(cast, "case_detail", pk=case.pk))  # opening it takes nothing off
    notice = Notification.objects.get(user=cast.dsl, kind="incidents.reported")
    signed_in(cast.dsl).get(reverse("notification_open", kwargs={"pk": notice.pk}))
    assert "1 new case waits for triage" in _to_do(cast.dsl, cast)
    assert "new case" not in _to_do(cast.teacher, cast)
    services.triage(cast.actor(cast.dsl), case, risk="low")
    assert "new case" not in _to_do(cast.dsl, cast)


def test_the_overview_keeps_an_action_until_it_is_done_s9(cast):
    case = report(cast)
    action = add_action(cast, case, cast.slt)
    assert "1 action on a case is yours to do (§9)" in _to_do(cast.slt, cast)
    signed_in(cast.slt).get(url(cast, "case_detail", pk=case.pk))
    assert "1 action on a case is yours to do" in _to_do(cast.slt, cast)
    services.complete_action(cast.actor(cast.slt), action)
    assert "yours to do" not in _to_do(cast.slt, cast)


def test_the_overview_keeps_an_allegation_until_the_lado_referral_is_recorded_kcsie_part_4(cast):
    case = allegation(cast, cast.slt)
    assert "1 allegation needs referring to the LADO" in _to_do(cast.head, cast)
    assert "LADO" not in _to_do(cast.dsl, cast) and "LADO" not in _to_do(cast.slt, cast)
    services.record_contact(
        cast.actor(cast.head), case, kind="lado", made_at=timezone.now(), with_whom="LADO"
    )
    assert "LADO" not in _to_do(cast.head, cast)


def test_the_daily_chase_tells_owners_of_overdue_actions_and_case_managers_once_a_day_kcsie_part_4(
    cast, monkeypatch
):
    case = report(cast)
    _received(monkeypatch, timezone.now() - datetime.timedelta(days=8))
    add_action(cast, case, cast.slt)  # due on the day it was set: overdue now
    allegation(cast, cast.line_manager)
    monkeypatch.undo()
    assert daily.chase(cast.school) == 2
    assert daily.chase(cast.school) == 0  # once a day each
    chased = set(Notification.objects.filter(kind="incidents.chase").values_list("user_id", flat=True))
    assert chased == {cast.slt.pk, cast.head.pk}
    lines = list(daily.daily())
    assert lines[0].endswith("items of evidence not matching their hash (DSLs told)")
    assert lines[2] == "0 people chased about overdue actions and LADO referrals"


# --- Both paths through the doors -----------------------------------------------------------------------------
def test_a_get_never_writes_and_a_refused_post_changes_nothing_s9(cast):
    case = report(cast)
    note = services.write_note(cast.actor(cast.dsl), case, text="First")
    add_action(cast, case, cast.slt)
    dsl = signed_in(cast.dsl)
    before = (
        Case.objects.get(pk=case.pk).status,
        Note.objects.count(),
        Action.objects.count(),
        Contact.objects.count(),
    )
    for address in case_urls(cast, case):
        assert dsl.get(address).status_code in (200, 403), address
    after = (
        Case.objects.get(pk=case.pk).status,
        Note.objects.count(),
        Action.objects.count(),
        Contact.objects.count(),
    )
    assert before == after
    slt = signed_in(cast.slt)  # added by their action: reads the case, does not run it
    for name in ("case_triage", "case_involve", "case_share", "action_add", "case_close"):
        assert slt.post(url(cast, name, pk=case.pk), {"risk": "low", "closed_reason": "x"}).status_code == 403
    assert slt.post(url(cast, "contact_add", pk=case.pk, kind="police"), {}).status_code == 403
    assert slt.post(url(cast, "note_edit", pk=note.pk), {"text": "Changed"}).status_code == 403
    assert slt.post(url(cast, "note_add", pk=case.pk), {"text": "From the owner"}).status_code == 302
    assert (Case.objects.get(pk=case.pk).status, Action.objects.count(), Contact.objects.count()) == (
        "new",
        1,
        0,
    )


def test_another_schools_case_and_a_forged_id_are_404(cast):
    case = report(cast)
    assert signed_in(cast.dsl).get(url(cast, "case_detail", pk=case.pk + 1000)).status_code == 404
    assert signed_in(cast.other_teacher).get(url(cast, "case_detail", pk=case.pk)).status_code == 404
