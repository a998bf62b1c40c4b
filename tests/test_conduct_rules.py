"""§3, §4, §6 and KCSIE Part 4: every rule of the conduct room, reached through its door (conduct.services),
with the clause each decision cites."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from saferstaff.conduct import services
from saferstaff.conduct.models import ContactChannel, Decided, Disclosure, LowLevelConcern
from saferstaff.conduct.registers import (
    concerns_readable_by,
    contact_register,
    equipment_register,
    patterns,
    personal_device_permission,
)
from saferstaff.notifications.models import Notification
from saferstaff.rules.conduct import may_read_concern, may_read_disclosure
from saferstaff.rules.engine import Refused
from saferstaff.schools.models import Pupil, Role, RoleGrant, SchoolSettings

TODAY = timezone.localdate
DAY = datetime.timedelta(days=1)


def channel(cast, name="Instagram", school=None):
    return ContactChannel.objects.get(school=school or cast.school, name=name)


def pupil(school, n=1):
    return Pupil.objects.create(
        school=school, upn="", source_id=f"p{school.pk}-{n}", legal_forename="Ada", legal_surname=f"Lovelace{n}",
        date_of_birth=datetime.date(2015, 1, 1), year_group="6",
    )  # fmt: skip


def refused(fn, *args, **kwargs):
    with pytest.raises(Refused) as exc:
        fn(*args, **kwargs)
    return exc.value.decision


def disclose(cast, user, **extra):
    fields = dict(
        who=Disclosure.Who.THINK_PUPIL, channel=channel(cast), happened_on=TODAY(),
        what_happened="A friend request from an account that looks like a Year 6 pupil", did=["declined"],
    ) | extra  # fmt: skip
    return services.disclose(cast.actor(user), **fields)


def test_every_school_starts_with_its_channels(cast):
    assert channel(cast).is_social_media
    assert ContactChannel.objects.get(
        school=cast.school, name="The school's messaging platform"
    ).run_by_school
    assert channel(cast, school=cast.other_school).school == cast.other_school


def test_a_disclosure_alerts_the_headteacher_at_once_with_a_content_free_email(cast, settings):
    d = disclose(cast, cast.teacher)
    assert d.routed_to == "headteacher"
    note = Notification.objects.get(user=cast.head, kind="conduct.disclosure")
    assert "§3" in note.title and "Ada" not in note.title
    assert not Notification.objects.filter(user=cast.dsl, kind="conduct.disclosure").exists()


def test_the_dsl_is_told_too_when_the_school_says_so(cast):
    SchoolSettings.objects.filter(school=cast.school).update(disclosures_to_dsl=True)
    d = disclose(cast, cast.teacher)
    assert Notification.objects.filter(user=cast.dsl, kind="conduct.disclosure").exists()
    assert may_read_disclosure(cast.actor(cast.dsl), subject=d)


def test_only_the_discloser_and_the_headteacher_read_a_disclosure(cast):
    d = disclose(cast, cast.teacher)
    assert may_read_disclosure(cast.actor(cast.teacher), subject=d)
    assert may_read_disclosure(cast.actor(cast.head), subject=d)
    for user in (cast.slt, cast.dsl, cast.volunteer, cast.governor):
        decision = may_read_disclosure(cast.actor(user), subject=d)
        assert not decision and decision.sections == ["§3"]
    assert not may_read_disclosure(cast.actor(cast.other_teacher, cast.other_school), subject=d)


def test_the_headteachers_own_disclosure_goes_to_the_chair_of_governors(cast):
    d = disclose(cast, cast.head)
    assert d.routed_to == "chair"
    assert Notification.objects.filter(user=cast.governor, kind="conduct.disclosure").exists()
    assert not may_read_disclosure(cast.actor(cast.slt), subject=d)
    assert (
        "other than" in refused(services.record_outcome, cast.actor(cast.head), d, outcome="advice").summary
    )
    services.record_outcome(cast.actor(cast.governor), d, outcome="advice", note="Fine")


def test_a_pupil_of_another_school_is_refused(cast):
    other = pupil(cast.other_school)
    decision = refused(disclose, cast, cast.teacher, who=Disclosure.Who.PUPIL, pupil=other)
    assert decision.reasons[0].field == "pupil" and decision.sections == ["§3"]
    assert not Disclosure.objects.exists()


def test_a_disclosure_dated_in_the_future_is_refused(cast):
    decision = refused(disclose, cast, cast.teacher, happened_on=TODAY() + DAY)
    assert decision.reasons[0].field == "happened_on"


def test_the_outcome_is_recorded_once_and_the_discloser_is_told(cast):
    d = disclose(cast, cast.teacher)
    assert (
        "Headteacher" in refused(services.record_outcome, cast.actor(cast.slt), d, outcome="advice").summary
    )
    services.record_outcome(cast.actor(cast.head), d, outcome="advice", note="Do not accept; block.")
    d.refresh_from_db()
    assert d.outcome == "advice" and d.decided_by == cast.head
    assert Notification.objects.filter(user=cast.teacher, kind="conduct.outcome").exists()
    again = refused(services.record_outcome, cast.actor(cast.head), d, outcome="no_action")
    assert "already" in again.summary


def test_a_disclosure_cannot_be_edited_after_its_outcome(cast):
    d = disclose(cast, cast.teacher)
    services.edit_disclosure(cast.actor(cast.teacher), d, did_note="Blocked them too")
    assert (
        "Only the person" in refused(services.edit_disclosure, cast.actor(cast.slt), d, did_note="x").summary
    )
    services.record_outcome(cast.actor(cast.head), d, outcome="no_action")
    decision = refused(services.edit_disclosure, cast.actor(cast.teacher), d, did_note="changed")
    assert decision.sections == ["§3"] and "outcome" in decision.summary
    d.refresh_from_db()
    assert d.did_note == "Blocked them too"


def test_outcome_low_level_concern_records_one_about_the_discloser(cast):
    d = disclose(cast, cast.teacher)
    services.record_outcome(cast.actor(cast.head), d, outcome="concern", note="Accepted it first")
    d.refresh_from_db()
    assert d.concern.subject == cast.member(cast.teacher) and d.concern.routed_to == "headteacher"


def test_outcome_refer_to_the_dsl_tells_the_dsl(cast):
    d = disclose(cast, cast.teacher)
    services.record_outcome(cast.actor(cast.head), d, outcome="dsl")
    assert Notification.objects.filter(user=cast.dsl, kind="conduct.referred").exists()


# --- permissions -----------------------------------------------------------------------------------------
def ask_contact(cast, user, **extra):
    fields = dict(
        channel=channel(cast, "The school's messaging platform"), purpose="Year 6 trip updates",
        starts_on=TODAY(), ends_on=TODAY() + 3 * DAY, year_groups=["Year 6"],
    ) | extra  # fmt: skip
    return services.request_contact(cast.actor(user), **fields)


def test_a_permission_that_ends_before_it_starts_is_refused(cast):
    decision = refused(
        ask_contact, cast, cast.teacher, starts_on=TODAY() + 5 * DAY, ends_on=TODAY() + 2 * DAY
    )
    assert decision.reasons[0].field == "ends_on" and decision.sections == ["§3"]


def test_a_request_naming_a_pupil_of_another_school_is_refused(cast):
    decision = refused(ask_contact, cast, cast.teacher, pupils=[pupil(cast.other_school)])
    assert any(r.field == "pupils" for r in decision.reasons)


def test_personal_numbers_and_email_are_refused_as_channels(cast):
    decision = refused(ask_contact, cast, cast.teacher, channel=channel(cast, "Text message or phone call"))
    assert decision.sections == ["§3"] and "personal" in decision.summary


def test_approving_your_own_request_is_refused(cast):
    p = ask_contact(cast, cast.slt)
    assert "other than" in refused(services.decide, cast.actor(cast.slt), p, approve=True).summary
    services.decide(cast.actor(cast.head), p, approve=True)
    assert p in list(contact_register(cast.school))


def test_social_media_contact_is_the_headteachers_decision(cast):
    p = ask_contact(cast, cast.teacher, channel=channel(cast, "The school's social media accounts"))
    assert p.routed_to == "headteacher"
    decision = refused(services.decide, cast.actor(cast.slt), p, approve=True)
    assert "§4" in decision.sections
    unexplained = refused(services.decide, cast.actor(cast.head), p, approve=False, reason="")
    assert unexplained.reasons[0].field == "reason" and unexplained.sections == ["§4"]
    services.decide(cast.actor(cast.head), p, approve=True)


def test_a_headteachers_own_social_media_request_goes_to_the_chair(cast):
    p = ask_contact(cast, cast.head, channel=channel(cast))
    assert p.routed_to == "chair"
    assert Notification.objects.filter(user=cast.governor, kind="conduct.permission_requested").exists()
    refused(services.decide, cast.actor(cast.slt), p, approve=True)
    refused(services.decide, cast.actor(cast.head), p, approve=True)
    services.decide(cast.actor(cast.governor), p, approve=False, reason="Use the school account instead")


def test_a_refusal_says_why_and_permissions_expire(cast):
    p = ask_contact(cast, cast.teacher)
    decision = refused(services.decide, cast.actor(cast.slt), p, approve=False, reason="  ")
    assert decision.reasons[0].field == "reason"
    services.decide(cast.actor(cast.slt), p, approve=True)
    assert p in list(contact_register(cast.school))
    assert p not in list(contact_register(cast.school, on=TODAY() + 10 * DAY))


def test_equipment_permission_matches_the_camera_of_a_photo(cast):
    p = services.request_equipment(
        cast.actor(cast.volunteer), device_kind="phone", make_model="Apple iPhone 13", purpose="Trip calls",
        starts_on=TODAY(), ends_on=TODAY(), conditions=["calls_only", "no_photos"],
    )  # fmt: skip
    assert p.routed_to == "senior"
    assert personal_device_permission(cast.school, camera="Apple iPhone 13", on=TODAY()) is None  # not yet
    services.decide(cast.actor(cast.slt), p, approve=True)
    found = personal_device_permission(cast.school, camera="apple  iphone 13", on=TODAY())
    assert found == p and found.forbids_photos
    assert personal_device_permission(cast.school, camera="Apple iPhone 13", on=TODAY() + DAY) is None
    assert list(equipment_register(cast.school)) == [p]


def test_withdrawing_a_permission_ends_it(cast):
    p = ask_contact(cast, cast.teacher)
    services.decide(cast.actor(cast.head), p, approve=True)
    refused(services.withdraw, cast.actor(cast.volunteer), p)
    services.withdraw(cast.actor(cast.teacher), p, reason="Trip cancelled")
    p.refresh_from_db()
    assert p.status == Decided.WITHDRAWN and p not in list(contact_register(cast.school))


# --- low-level concerns ----------------------------------------------------------------------------------
def raise_about(cast, by, subject_user, **extra):
    fields = dict(happened_on=TODAY(), what="Took photos of pupils on a personal phone") | extra
    return services.raise_concern(cast.actor(by), subject=cast.member(subject_user), **fields)


def test_a_concern_goes_to_the_headteacher_and_never_to_its_subject(cast):
    c = raise_about(cast, cast.dsl, cast.teacher)
    assert c.routed_to == "headteacher"
    assert may_read_concern(cast.actor(cast.head), subject=c)
    decision = may_read_concern(cast.actor(cast.teacher), subject=c)
    assert not decision and decision.sections == ["KCSIE Part 4"]
    for user in (cast.slt, cast.dsl, cast.governor, cast.volunteer):
        assert not may_read_concern(cast.actor(user), subject=c)
    assert Notification.objects.filter(user=cast.head, kind="conduct.concern").exists()
    assert not Notification.objects.filter(user=cast.teacher).exists()


def test_a_concern_about_the_headteacher_goes_to_the_chair_of_governors(cast):
    c = raise_about(cast, cast.teacher, cast.head)
    assert c.routed_to == "chair"
    assert may_read_concern(cast.actor(cast.governor), subject=c)
    assert not may_read_concern(cast.actor(cast.head), subject=c)
    assert list(concerns_readable_by(cast.actor(cast.head))) == []
    assert list(concerns_readable_by(cast.actor(cast.governor))) == [c]
    assert not Notification.objects.filter(user=cast.head, kind="conduct.concern").exists()


def test_a_concern_about_the_headteacher_with_no_chair_is_refused_with_where_to_go(cast):
    cast.member(cast.governor).__class__.objects.filter(pk=cast.member(cast.governor).pk).update(
        is_chair_of_governors=False
    )
    decision = refused(raise_about, cast, cast.teacher, cast.head)
    assert "designated officer" in decision.summary and decision.reasons[0].field == "subject"
    assert not LowLevelConcern.objects.exists()


def test_a_concern_about_yourself_routed_to_yourself_is_refused(cast):
    # A Headteacher who is also recorded as chair of governors: a concern about them would reach only them.
    head = cast.member(cast.head)
    RoleGrant.objects.create(school=cast.school, membership=head, role=Role.GOVERNOR)
    type(head).objects.filter(pk=cast.member(cast.governor).pk).update(is_chair_of_governors=False)
    type(head).objects.filter(pk=head.pk).update(is_chair_of_governors=True)
    decision = refused(raise_about, cast, cast.head, cast.head)
    assert decision.sections == ["KCSIE Part 4"]


def test_the_outcome_needs_a_rationale_and_an_action(cast):
    c = raise_about(cast, cast.dsl, cast.teacher)
    decision = refused(
        services.record_concern_outcome, cast.actor(cast.head), c, rationale="", action="", outcome="advice"
    )
    assert {r.field for r in decision.reasons} == {"rationale", "action"}
    services.record_concern_outcome(
        cast.actor(cast.head),
        c,
        rationale="Below the harm threshold",
        action="Spoke to them",
        outcome="advice",
    )
    refused(services.escalate_concern, cast.actor(cast.head), c, rationale="x")


def test_escalating_a_concern_tells_the_dsl_who_then_reads_it(cast):
    c = raise_about(cast, cast.slt, cast.teacher)
    assert not may_read_concern(cast.actor(cast.dsl), subject=c)
    services.escalate_concern(cast.actor(cast.head), c, rationale="Meets the harm threshold")
    c.refresh_from_db()
    assert c.outcome == "escalated" and c.escalated_by == cast.head
    assert Notification.objects.filter(user=cast.dsl, kind="conduct.escalated").exists()
    assert may_read_concern(cast.actor(cast.dsl), subject=c)


def test_the_pattern_view_shows_three_concerns_in_a_year_prominently(cast):
    for n in range(2):
        raise_about(cast, cast.dsl, cast.teacher, happened_on=TODAY() - n * DAY)
    raise_about(cast, cast.dsl, cast.volunteer, happened_on=TODAY() - 400 * DAY)
    (first, *_) = patterns(cast.actor(cast.head))
    assert first.recent == 2 and not first.prominent
    raise_about(cast, cast.slt, cast.teacher)
    rows = patterns(cast.actor(cast.head))
    assert rows[0].subject_id == cast.member(cast.teacher).pk and rows[0].prominent
    old = [r for r in rows if r.subject_id == cast.member(cast.volunteer).pk][0]
    assert old.recent == 0 and old.total == 1


def test_email_alerts_carry_no_content(cast, mailoutbox):
    d = disclose(cast, cast.teacher, what_happened="Ada Lovelace1 sent a request")
    raise_about(cast, cast.dsl, cast.teacher, what="Ada Lovelace1 photographed")
    from saferstaff.notifications.tasks import email_notification

    for note in Notification.objects.all():
        email_notification.call(note.pk)
    assert mail.outbox
    for message in mail.outbox:
        assert "Ada" not in message.body and "Lovelace" not in message.subject
    assert d.pk
