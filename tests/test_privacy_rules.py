"""§8: who keeps and reads the privacy room's records (saferstaff.rules.privacy), and the sharing log's entries
that a referral in an incident opens (saferstaff.privacy.sharing)."""

import datetime

import pytest
from django.utils import timezone

from saferstaff.incidents import services as incidents
from saferstaff.incidents.models import Case, Contact
from saferstaff.privacy.models import AccessRequest, Breach, DueRecord, LegalHold, Sharing
from saferstaff.privacy.status import things_to_do
from saferstaff.rules import privacy as rules
from saferstaff.schools.models import Pupil
from saferstaff.schools.roles import Actor


@pytest.fixture
def pupil(cast):
    return Pupil.objects.create(
        school=cast.school, upn="", source_id="p1", legal_forename="Ada", legal_surname="Lovelace",
        date_of_birth=datetime.date(2015, 1, 1),
    )  # fmt: skip


def _request(cast, **kwargs):
    now = timezone.now()
    fields = {"requester_kind": "guardian", "requester_name": "A parent", "received_at": now, "due_at": now}
    return AccessRequest.objects.create(school=cast.school, **{**fields, **kwargs})


def test_s8_only_the_dpo_and_the_headteacher_keep_the_data_protection_records(cast):
    assert rules.may_log_request.peek(cast.actor(cast.dpo))
    assert rules.may_log_request.peek(cast.actor(cast.head))
    for user in (cast.slt, cast.dsl, cast.office, cast.teacher, cast.governor):
        assert not rules.may_log_request.peek(cast.actor(user))
        assert not rules.may_change_retention.peek(cast.actor(user))
        assert not rules.may_place_hold.peek(cast.actor(user))
        assert not rules.may_see_who_saw.peek(cast.actor(user))
        assert not rules.may_export_records.peek(cast.actor(user))


def test_s8_a_request_about_a_member_of_staff_is_never_read_or_answered_by_them(cast):
    head = cast.actor(cast.head)
    refused = rules.may_log_request.peek(head, about_member=cast.member(cast.head))
    assert not refused and refused.reasons[0].field == "about_member"
    about_head = _request(cast, requester_kind="staff", about_member=cast.member(cast.head))
    assert not rules.may_read_request.peek(head, subject=about_head)
    assert rules.may_read_request.peek(cast.actor(cast.dpo), subject=about_head)


def test_art12_an_extension_is_one_or_two_months_once_and_only_within_the_first_month(cast):
    dpo = cast.actor(cast.dpo)
    received = datetime.datetime(2027, 1, 31, 10, tzinfo=datetime.UTC)
    request = _request(cast, received_at=received)
    assert rules.may_extend_request.peek(dpo, subject=request, months=2, today=datetime.date(2027, 2, 28))
    assert not rules.may_extend_request.peek(dpo, subject=request, months=3, today=datetime.date(2027, 2, 1))
    late = rules.may_extend_request.peek(dpo, subject=request, months=1, today=datetime.date(2027, 3, 1))
    assert not late and "first month" in str(late.reasons[0])
    request.extension_months = 1
    assert not rules.may_extend_request.peek(dpo, subject=request, months=1, today=datetime.date(2027, 2, 1))
    request.status = AccessRequest.Status.ANSWERED
    assert not rules.may_work_request.peek(dpo, subject=request)


def test_s8_any_member_of_staff_reports_a_breach_and_reads_only_their_own(cast):
    office = cast.actor(cast.office)
    assert rules.may_report_breach.peek(office)
    now = timezone.now()
    theirs = Breach.objects.create(
        school=cast.school, what="x", aware_at=now, ico_due=now, logged_by=cast.office
    )
    someone_elses = Breach.objects.create(
        school=cast.school, what="x", aware_at=now, ico_due=now, logged_by=cast.teacher
    )
    assert rules.may_read_breach.peek(office, subject=theirs)
    assert not rules.may_read_breach.peek(office, subject=someone_elses)
    assert not rules.may_manage_breach.peek(office, subject=theirs)
    assert rules.may_manage_breach.peek(cast.actor(cast.dpo), subject=someone_elses)
    assert not rules.may_report_breach.peek(Actor.of(cast.other_teacher, cast.school))


def test_s8_a_hold_is_released_once_by_an_officer(cast, pupil):
    hold = LegalHold.objects.create(school=cast.school, scope="pupil", pupil=pupil, reason="An inquiry")
    assert not rules.may_release_hold.peek(cast.actor(cast.dsl), subject=hold)
    assert rules.may_release_hold.peek(cast.actor(cast.dpo), subject=hold)
    hold.released_at = timezone.now()
    assert not rules.may_release_hold.peek(cast.actor(cast.dpo), subject=hold)


# --- The sharing log, prefilled by a referral in an incident ---------------------------------------------------


def _case(cast, pupil):
    return incidents.report(
        cast.actor(cast.teacher), kind=Case.Kind.PUPILS_ONLINE, happened_on=timezone.localdate(),
        what_happened="Pupils shared an image", people=[incidents.Person("target", pupil=pupil)],
    )  # fmt: skip


def test_s8_a_police_referral_in_a_case_opens_an_entry_to_complete_once(cast, pupil):
    case = _case(cast, pupil)
    dsl = cast.actor(cast.dsl)
    incidents.record_contact(
        dsl, case, kind=Contact.Kind.PLATFORM, made_at=timezone.now(), with_whom="The app"
    )
    assert not Sharing.objects.exists()  # telling a platform discloses nothing of the school's
    contact = incidents.record_contact(
        dsl, case, kind=Contact.Kind.POLICE, made_at=timezone.now(), with_whom="PC Smith", reference="CR-1"
    )
    entry = Sharing.objects.get()
    assert (entry.status, entry.source, entry.source_ref, entry.case) == (
        "to_complete",
        "incident",
        str(contact.pk),
        case,
    )
    assert list(entry.about_pupils.all()) == [pupil]
    assert (
        entry.recipient == "PC Smith"
        and entry.organisation == "Police"
        and entry.approved_by == cast.member(cast.dsl)
    )
    assert rules.may_complete_sharing.peek(dsl, subject=entry)
    assert rules.may_read_sharing.peek(cast.actor(cast.dpo), subject=entry)
    assert not rules.may_read_sharing.peek(cast.actor(cast.slt), subject=entry)


def test_kcsie_an_allegations_referral_entry_is_read_by_its_case_manager_and_the_dpo_never_its_subject(cast):
    allegation = incidents.report_allegation(
        cast.actor(cast.teacher), about=cast.member(cast.dsl), happened_on=timezone.localdate(),
        what_happened="Messages to a pupil",
    )  # fmt: skip
    incidents.record_contact(
        cast.actor(cast.head),
        allegation,
        kind=Contact.Kind.LADO,
        made_at=timezone.now(),
        with_whom="The LADO",
    )
    entry = Sharing.objects.get(case=allegation)
    assert list(entry.about_members.all()) == [cast.member(cast.dsl)]
    assert rules.may_read_sharing.peek(cast.actor(cast.head), subject=entry)
    assert rules.may_read_sharing.peek(cast.actor(cast.dpo), subject=entry)
    assert not rules.may_read_sharing.peek(
        cast.actor(cast.dsl), subject=entry
    )  # the subject, though a keeper
    entry.status = Sharing.Status.LOGGED
    assert not rules.may_complete_sharing.peek(cast.actor(cast.head), subject=entry)


# --- The Overview's things to do (privacy.status) ----------------------------------------------------------------


def test_s8_the_overview_lists_breaches_requests_disclosures_and_records_due_until_each_is_done(cast, pupil):
    now = timezone.now()
    Breach.objects.create(
        school=cast.school, what="x", aware_at=now, ico_due=now - datetime.timedelta(hours=1)
    )
    _request(cast, due_at=now + datetime.timedelta(days=3), about_pupil=pupil)
    _request(cast, due_at=now + datetime.timedelta(days=3), about_member=cast.member(cast.dpo))
    DueRecord.objects.create(
        school=cast.school, record_type="images", record_id="1", due_on=timezone.localdate()
    )
    Sharing.objects.create(school=cast.school, recipient="PC", what="x", status="to_complete",
                           approved_by=cast.member(cast.dsl))  # fmt: skip
    dpo = dict(things_to_do(cast.actor(cast.dpo), cast.school))
    assert dpo == {
        "1 breach waits for the decision whether to tell the ICO (1 past the 72 hours) (§8)": "breach_list",
        "1 subject access request is due within a week (§8)": "sar_list",  # not the one about the DPO
        "1 record is past its retention period: confirm destruction (§8)": "retention_due",
        "1 disclosure waits to be completed in the sharing log (§8)": "sharing_list",
    }
    assert len(things_to_do(cast.actor(cast.head), cast.school)) == 4  # the request about the DPO too
    assert things_to_do(cast.actor(cast.dsl), cast.school) == [
        ("1 disclosure waits to be completed in the sharing log (§8)", "sharing_list")
    ]
    assert things_to_do(cast.actor(cast.teacher), cast.school) == []
    Breach.objects.update(decision=Breach.Decision.DONT_REPORT)
    assert len(things_to_do(cast.actor(cast.dpo), cast.school)) == 3


def test_s8_the_sharing_logs_one_query_agrees_with_its_rule_for_every_role_and_entry(cast, pupil):
    """The list, the room's home and the Overview count with ``entries_readable_by``; it must say exactly what
    ``may_read_sharing`` says, for every role, for entries by hand, about a member of staff, and from a case and
    an allegation."""
    from saferstaff.privacy.sharing import entries_readable_by

    Sharing.objects.create(school=cast.school, recipient="Nurse", what="x")
    about_dsl = Sharing.objects.create(school=cast.school, recipient="HR", what="x")
    about_dsl.about_members.set([cast.member(cast.dsl)])
    case = _case(cast, pupil)
    incidents.record_contact(cast.actor(cast.dsl), case, kind=Contact.Kind.POLICE, made_at=timezone.now(),
                             with_whom="PC", reference="CR-2")  # fmt: skip
    allegation = incidents.report_allegation(
        cast.actor(cast.teacher),
        about=cast.member(cast.slt),
        happened_on=timezone.localdate(),
        what_happened="x",
    )
    incidents.record_contact(cast.actor(cast.head), allegation, kind=Contact.Kind.LADO, made_at=timezone.now(),
                             with_whom="LADO")  # fmt: skip
    assert Sharing.objects.count() == 4
    for user in cast.by_role().values():
        actor = cast.actor(user)
        listed = set(entries_readable_by(actor))
        for entry in Sharing.objects.all():
            assert (entry in listed) == bool(rules.may_read_sharing.peek(actor, subject=entry)), (
                user.email,
                entry.pk,
            )
