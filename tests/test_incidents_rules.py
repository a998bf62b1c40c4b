"""The incidents room's rules and doors, by every path that reaches each state (§9, §8; KCSIE Part 4): who runs a
case, the allegation tier (its case manager; never its subject), a concern escalated into an allegation, the LADO
clock, casework (triage, actions, notes that keep their first version, contacts, closing with a reason)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from saferstaff.audit.models import AuditEvent
from saferstaff.audit.trail import Filters, events_for
from saferstaff.conduct import services as conduct
from saferstaff.incidents import services
from saferstaff.incidents.models import Case, CaseMember, Contact, Involved, Note
from saferstaff.incidents.registers import cases_managed_by, cases_readable_by
from saferstaff.notifications.models import Notification
from saferstaff.rules.engine import Refused
from saferstaff.rules.incidents import manages, may_read_case, may_report_allegation
from saferstaff.rules.policies import may_sign_in_without_mfa
from saferstaff.schools.models import ClosureDay, Membership, Role
from saferstaff.schools.roles import Actor

from .conftest import make_person

UK = ZoneInfo("Europe/London")
TODAY = datetime.date.today


def bullying(cast, by=None, **extra):
    return services.report(
        cast.actor(by or cast.teacher), kind=Case.Kind.BULLYING_OF_STAFF, happened_on=TODAY(),
        what_happened="Abusive posts about me", **extra,
    )  # fmt: skip


def allegation(cast, about, by=None):
    return services.report_allegation(
        cast.actor(by or cast.office),
        about=cast.member(about),
        happened_on=TODAY(),
        what_happened="Said to",
    )


def fields(refused) -> set[str]:
    return {reason.field for reason in refused.value.decision.reasons}


def readers(cast, case) -> set[str]:
    people = {"head": cast.head, "slt": cast.slt, "dsl": cast.dsl, "governor": cast.governor,
              "teacher": cast.teacher, "office": cast.office, "dpo": cast.dpo}  # fmt: skip
    return {name for name, user in people.items() if may_read_case.peek(cast.actor(user), subject=case)}


# --- Who reads a case -----------------------------------------------------------------------------------------
def test_casework_is_read_by_the_designated_persons_and_the_reporter_only(cast):
    """§9: reported to the designated person; §8: nobody else without a need."""
    case = bullying(cast)
    assert readers(cast, case) == {"head", "dsl", "teacher"}


def test_an_allegation_about_a_teacher_is_read_by_the_headteacher_and_its_reporter_never_its_subject(cast):
    """KCSIE Part 4: the Headteacher is case manager; the person it is about never reads it."""
    case = allegation(cast, cast.teacher, by=cast.office)
    assert case.routed_to == "headteacher" and case.subject == cast.member(cast.teacher)
    assert readers(cast, case) == {"head", "office"}
    told = set(Notification.objects.filter(kind="incidents.allegation").values_list("user_id", flat=True))
    assert told == {cast.head.pk}


def test_an_allegation_about_the_headteacher_reaches_only_the_chair_of_governors(cast):
    """KCSIE Part 4: the chair of governors is case manager when the Headteacher is the subject."""
    case = allegation(cast, cast.head)
    assert case.routed_to == "chair"
    assert readers(cast, case) == {"governor", "office"}
    told = set(Notification.objects.filter(kind="incidents.allegation").values_list("user_id", flat=True))
    assert told == {cast.governor.pk}
    assert "Said to" not in Notification.objects.get(kind="incidents.allegation").title


def test_a_dsl_who_is_the_subject_never_reads_the_allegation_nor_a_case_naming_them(cast):
    """KCSIE Part 4: the subject is refused whatever their role."""
    case = allegation(cast, cast.dsl)
    assert not may_read_case.peek(cast.actor(cast.dsl), subject=case)
    named = bullying(cast, people=[services.Person("alleged", member=cast.member(cast.dsl))])
    assert not may_read_case.peek(cast.actor(cast.dsl), subject=named)
    assert not manages(cast.actor(cast.dsl), named)
    with pytest.raises(Refused) as refused:
        services.share_case(cast.actor(cast.head), named, member=cast.member(cast.dsl), reason="Needs to")
    assert fields(refused) == {"member"}


def test_an_allegation_is_about_someone_else_at_this_school(cast):
    """KCSIE Part 4: the reporter chooses a current member of staff, not themselves."""
    assert not may_report_allegation.peek(cast.actor(cast.teacher), about=cast.member(cast.teacher))
    assert not may_report_allegation.peek(
        cast.actor(cast.teacher), about=cast.member(cast.other_teacher, cast.other_school)
    )
    assert not may_report_allegation.peek(cast.actor(cast.teacher), about=None)


def test_an_allegation_about_the_headteacher_with_no_chair_says_tell_the_lado(cast):
    """KCSIE Part 4: with nobody to manage it in school, the reporter is told to go to the LADO, today."""
    Membership.objects.filter(user=cast.governor).update(is_chair_of_governors=False)
    with pytest.raises(Refused, match="LADO") as refused:
        allegation(cast, cast.head)
    assert fields(refused) == {"subject"} and not Case.objects.exists()


def test_the_chair_of_governors_needs_a_second_factor(cast):
    """KCSIE Part 4 and §7: the case manager of an allegation about the Headteacher guards it with two factors."""
    decision = may_sign_in_without_mfa({cast.school.pk: frozenset({Role.GOVERNOR})}, False, True)
    assert not decision and {"KCSIE Part 4", "§7"} <= set(decision.sections)
    assert may_sign_in_without_mfa({cast.school.pk: frozenset({Role.GOVERNOR})}, False, False)


# --- The LADO clock -------------------------------------------------------------------------------------------
def test_the_lado_clock_starts_on_receipt_and_skips_the_bank_holiday_and_closure_days(cast, monkeypatch):
    """KCSIE Part 4: referred within one working day — received 16:00 on the Friday before the late-May bank
    holiday, due at the end of Tuesday; a closure day on the Tuesday moves it to Wednesday."""
    friday = datetime.datetime(2027, 5, 28, 16, 0, tzinfo=UK)
    monkeypatch.setattr(timezone, "now", lambda: friday)
    case = allegation(cast, cast.teacher)
    assert case.lado_due.astimezone(UK) == datetime.datetime(2027, 6, 1, 23, 59, 59, tzinfo=UK)
    ClosureDay.objects.create(school=cast.school, day=datetime.date(2027, 6, 1), reason="INSET")
    later = allegation(cast, cast.slt)
    assert later.lado_due.astimezone(UK).date() == datetime.date(2027, 6, 2)


# --- A low-level concern escalated ----------------------------------------------------------------------------
def test_escalating_a_concern_opens_its_allegation_linked_with_the_clock_running(cast):
    """KCSIE Part 4: a low-level concern that meets the harm threshold becomes an allegation, its history linked."""
    concern = conduct.raise_concern(
        cast.actor(cast.office),
        subject=cast.member(cast.teacher),
        happened_on=TODAY(),
        what="Private messages",
    )
    conduct.escalate_concern(cast.actor(cast.head), concern, rationale="Meets the harm threshold")
    case = Case.objects.get(from_concern=concern)
    assert (
        case.is_allegation and case.subject == cast.member(cast.teacher) and case.routed_to == "headteacher"
    )
    assert case.reported_by == cast.head and case.lado_due > case.reported_at
    assert not may_read_case.peek(cast.actor(cast.teacher), subject=case)
    assert may_read_case.peek(cast.actor(cast.head), subject=case)


def test_a_concern_about_the_headteacher_escalated_by_the_chair_is_the_chairs_allegation(cast):
    concern = conduct.raise_concern(
        cast.actor(cast.office), subject=cast.member(cast.head), happened_on=TODAY(), what="Private messages"
    )
    conduct.escalate_concern(cast.actor(cast.governor), concern, rationale="Meets the harm threshold")
    case = Case.objects.get(from_concern=concern)
    assert case.routed_to == "chair" and readers(cast, case) == {"governor"}


# --- Reporting ------------------------------------------------------------------------------------------------
def test_a_report_links_the_people_involved_and_refuses_initials_without_a_person(cast):
    """§9: linked people and pupils, or someone outside school described; one person each."""
    case = bullying(cast, people=[
        services.Person("target", member=cast.member(cast.teacher)),
        services.Person("alleged", outsider="A parent on the class Facebook group"),
    ])  # fmt: skip
    assert list(case.involved.values_list("role", flat=True)) == ["target", "alleged"]
    with pytest.raises(Refused) as refused:
        bullying(cast, people=[services.Person("alleged")])
    assert fields(refused) == {"person"}
    with pytest.raises(Refused) as refused:
        bullying(
            cast,
            people=[services.Person("alleged", member=cast.member(cast.other_teacher, cast.other_school))],
        )
    assert fields(refused) == {"member"}
    assert Case.objects.count() == 1  # nothing half-saved


@pytest.mark.parametrize(
    "change, field",
    [({"kind": "allegation"}, "kind"), ({"kind": "nonsense"}, "kind"), ({"what_happened": "  "}, "what_happened"),
     ({"by_whom": "aliens"}, "by_whom"), ({"channel": "pigeon"}, "channel"),
     ({"happened_on": TODAY() + datetime.timedelta(days=2)}, "happened_on")],
)  # fmt: skip
def test_bad_reports_are_refused_beside_their_field(cast, change, field):
    values = {"kind": "bullying", "happened_on": TODAY(), "what_happened": "Posts"} | change
    with pytest.raises(Refused) as refused:
        services.report(cast.actor(cast.teacher), **values)
    assert fields(refused) == {field} and not Case.objects.exists()


# --- Casework -------------------------------------------------------------------------------------------------
def test_triage_opens_the_case_and_assigns_only_someone_who_runs_it(cast):
    """§9: the designated person triages."""
    case = bullying(cast)
    with pytest.raises(Refused):
        services.triage(cast.actor(cast.slt), case, risk="high")
    with pytest.raises(Refused) as refused:
        services.triage(cast.actor(cast.dsl), case, risk="high", assigned_to=cast.teacher)
    assert fields(refused) == {"assigned_to"}
    case = services.triage(cast.actor(cast.dsl), case, risk="high", assigned_to=cast.head)
    assert case.status == "open" and case.risk == "high"
    assert Notification.objects.filter(user=cast.head, kind="incidents.assigned").exists()


def test_an_action_goes_to_its_owner_who_may_then_read_the_case_and_mark_it_done(cast):
    case = bullying(cast)
    action = services.add_action(cast.actor(cast.dsl), case, what="Call the parent", owner=cast.member(cast.slt),
                                 due_on=TODAY())  # fmt: skip
    assert Notification.objects.filter(user=cast.slt, kind="incidents.action").exists()
    assert CaseMember.objects.filter(case=case, member=cast.member(cast.slt)).exists()
    with pytest.raises(Refused):
        services.complete_action(cast.actor(cast.office), action)
    services.complete_action(cast.actor(cast.slt), action, note="Called")
    with pytest.raises(Refused, match="already done"):
        services.complete_action(cast.actor(cast.dsl), action)


def test_the_subject_of_an_allegation_is_never_given_its_actions(cast):
    case = allegation(cast, cast.teacher)
    with pytest.raises(Refused) as refused:
        services.add_action(
            cast.actor(cast.head), case, what="x", owner=cast.member(cast.teacher), due_on=TODAY()
        )
    assert fields(refused) == {"owner"}


def test_a_note_is_changed_only_by_its_author_and_keeps_its_first_version(cast):
    """§9: the record is added to, never rewritten."""
    case = bullying(cast)
    note = services.write_note(cast.actor(cast.dsl), case, text="First")
    with pytest.raises(Refused):
        services.edit_note(cast.actor(cast.head), note, text="Changed by someone else")
    new = services.edit_note(cast.actor(cast.dsl), note, text="Second")
    assert new.replaces == note and Note.objects.get(pk=note.pk).text == "First"
    with pytest.raises(Refused, match="already been changed"):
        services.edit_note(cast.actor(cast.dsl), note, text="Third")
    refusals = AuditEvent.objects.filter(action="policy.decision", detail__rule="incidents.note.edit")
    assert [e.detail["allowed"] for e in refusals.order_by("seq")] == [False, True, False]


def test_the_reporter_writes_no_notes_and_a_member_added_does(cast):
    case = bullying(cast)
    with pytest.raises(Refused):
        services.write_note(cast.actor(cast.teacher), case, text="Me too")
    services.share_case(cast.actor(cast.dsl), case, member=cast.member(cast.slt), reason="Line manager")
    assert services.write_note(cast.actor(cast.slt), case, text="Seen")


def test_contacts_by_kind_police_needs_its_crime_reference(cast):
    """§9: escalation to the police or the Local Authority, recorded with its reference."""
    case = bullying(cast)
    dsl = cast.actor(cast.dsl)
    with pytest.raises(Refused) as refused:
        services.record_contact(dsl, case, kind="police", made_at=timezone.now(), with_whom="Met Police")
    assert fields(refused) == {"reference"}
    with pytest.raises(Refused) as refused:
        services.record_contact(dsl, case, kind="platform", made_at=timezone.now(), with_whom=" ")
    assert fields(refused) == {"with_whom"}
    with pytest.raises(Refused) as refused:
        services.record_contact(dsl, case, kind="platform", made_at=timezone.now() + datetime.timedelta(days=1),
                                with_whom="Facebook")  # fmt: skip
    assert fields(refused) == {"made_at"}
    services.record_contact(
        dsl, case, kind="police", made_at=timezone.now(), with_whom="Met", reference="CR/1"
    )
    services.record_contact(
        dsl, case, kind="platform", made_at=timezone.now(), with_whom="Facebook", reference="F1"
    )
    assert set(Contact.objects.values_list("kind", flat=True)) == {"police", "platform"}
    with pytest.raises(Refused):
        services.record_contact(
            cast.actor(cast.teacher), case, kind="support", made_at=timezone.now(), with_whom="x"
        )


def test_closing_needs_a_reason_no_open_action_and_for_an_allegation_kcsies_outcome(cast):
    """Closure reason required (§9); KCSIE Part 4's outcomes for allegations."""
    case = bullying(cast)
    dsl = cast.actor(cast.dsl)
    action = services.add_action(dsl, case, what="Call", owner=cast.member(cast.dsl), due_on=TODAY())
    with pytest.raises(Refused) as refused:
        services.close_case(dsl, case, reason="")
    assert fields(refused) == {"closed_reason"}
    with pytest.raises(Refused, match="still to do"):
        services.close_case(dsl, case, reason="Resolved")
    services.complete_action(dsl, action)
    with pytest.raises(Refused) as refused:
        services.close_case(dsl, case, reason="Resolved", outcome="malicious")
    assert fields(refused) == {"outcome"}
    closed = services.close_case(dsl, case, reason="Posts removed by the platform")
    assert (
        closed.is_closed and Notification.objects.filter(user=cast.teacher, kind="incidents.closed").exists()
    )
    with pytest.raises(Refused, match="closed"):
        services.write_note(dsl, closed, text="After")
    alleged = allegation(cast, cast.teacher)
    with pytest.raises(Refused) as refused:
        services.close_case(cast.actor(cast.head), alleged, reason="Looked into")
    assert fields(refused) == {"outcome"}
    assert services.close_case(
        cast.actor(cast.head), alleged, reason="LADO advice", outcome="unfounded"
    ).outcome


def test_only_the_case_manager_works_on_an_allegation(cast):
    case = allegation(cast, cast.teacher)
    with pytest.raises(Refused, match="case manager"):
        services.triage(cast.actor(cast.dsl), case, risk="low")
    assert services.triage(cast.actor(cast.head), case, risk="low").status == "open"


def test_a_headteacher_appointed_later_hands_their_allegation_to_the_chair(cast):
    """KCSIE Part 4: an allegation about someone who has since become the Headteacher is never left to them."""
    case = allegation(cast, cast.slt)
    member = cast.member(cast.slt)
    member.role_grants.create(school=cast.school, role=Role.HEADTEACHER)
    assert manages(cast.actor(cast.governor), case)
    assert not may_read_case.peek(cast.actor(cast.slt), subject=case)


def test_a_member_of_another_school_reads_nothing(cast):
    case = bullying(cast)
    other = make_person("olga.dsl@school.example", cast.other_school, {Role.DSL})
    assert not may_read_case.peek(Actor.of(other, cast.other_school), subject=case)
    assert not may_read_case.peek(Actor.of(cast.other_teacher, cast.other_school), subject=case)


def test_involving_someone_later_is_for_the_manager_of_an_open_case(cast):
    case = bullying(cast)
    with pytest.raises(Refused):
        services.involve(
            cast.actor(cast.teacher), case, services.Person("witness", member=cast.member(cast.slt))
        )
    services.involve(cast.actor(cast.dsl), case, services.Person("witness", member=cast.member(cast.slt)))
    assert Involved.objects.filter(case=case, role="witness").count() == 1


# --- One answer: the rule for one case and the query for many -------------------------------------------------
def test_the_readable_and_managed_queries_agree_with_the_rules_for_every_role_and_kind(cast):
    """§8: a list, a count or the audit trail never shows a case the rule would not open (and shows every one it
    would), whoever is looking: casework, allegations about a teacher, the DSL and the Headteacher, a case naming
    a DSL as having done it, one shared with a senior leader."""
    made = [
        bullying(cast),
        bullying(cast, people=[services.Person("alleged", member=cast.member(cast.dsl))]),
        allegation(cast, cast.teacher),
        allegation(cast, cast.dsl),
        allegation(cast, cast.head, by=cast.teacher),
    ]
    services.share_case(cast.actor(cast.dsl), made[0], member=cast.member(cast.slt), reason="Line manager")
    later = allegation(cast, cast.slt)
    cast.member(cast.slt).role_grants.create(
        school=cast.school, role=Role.HEADTEACHER
    )  # now a co-Headteacher
    made.append(later)
    people = [
        cast.head,
        cast.slt,
        cast.dsl,
        cast.governor,
        cast.teacher,
        cast.office,
        cast.dpo,
        cast.line_manager,
    ]
    for user in people:
        who = cast.actor(user)
        readable = set(cases_readable_by(who).values_list("pk", flat=True))
        managed = set(cases_managed_by(who).values_list("pk", flat=True))
        for case in made:
            assert (case.pk in readable) == bool(may_read_case.peek(who, subject=case)), (user.email, case.pk)
            assert (case.pk in managed) == manages(who, case), (user.email, case.pk)


def test_the_audit_trail_tells_nobody_of_a_case_they_may_not_read(cast):
    """KCSIE Part 4: the Headteacher reading the trail learns nothing of an allegation about themselves."""
    case = allegation(cast, cast.head, by=cast.teacher)
    services.add_evidence(
        cast.actor(cast.teacher), case, name="shot.png", data=b"\x89PNG\r\n\x1a\n" + b"0" * 32
    )
    seen_by = {
        user: set(
            events_for(cast.school, Filters(), reader=cast.actor(user)).values_list("action", flat=True)
        )
        for user in (cast.head, cast.governor, cast.dpo)
    }
    assert "incidents.allegation_reported" in seen_by[cast.governor]
    assert "incidents.evidence_added" in seen_by[cast.governor]
    for user in (cast.head, cast.dpo):
        assert not {"incidents.allegation_reported", "incidents.evidence_added"} & seen_by[user]
    rule_rows = events_for(cast.school, Filters(), reader=cast.actor(cast.head)).filter(
        action="policy.decision"
    )
    assert not rule_rows.filter(detail__rule="incidents.allegation.report").exists()


def test_a_report_naming_every_designated_person_as_having_done_it_is_sent_to_the_allegation_form(cast):
    """KCSIE Part 4: a case is never left with nobody to run it (the review's finding: nobody was alerted)."""
    both = [
        services.Person("alleged", member=cast.member(cast.dsl)),
        services.Person("alleged", member=cast.member(cast.head)),
    ]
    with pytest.raises(Refused, match="allegation about a member of staff") as refused:
        bullying(cast, people=both)
    assert fields(refused) == {"person"} and not Case.objects.exists()
    case = bullying(cast, people=both[:1])  # the Headteacher still runs it
    with pytest.raises(Refused, match="allegation"):
        services.involve(cast.actor(cast.head), case, both[1])
    assert list(case.involved.values_list("member", flat=True)) == [cast.member(cast.dsl).pk]
