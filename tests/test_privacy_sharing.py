"""§8: the sharing log. A disclosure logged by hand says everything (lawful basis, why, how, who approved);
a workflow that discloses opens an entry to complete (a police or LADO referral in an incident, a leaver's common
transfer file), which once logged is never changed. Read only as the rules say: an allegation's entry by its
case manager and the DPO, never by someone it is about."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from saferstaff.incidents import services as incidents
from saferstaff.privacy import sharing
from saferstaff.privacy.models import Sharing
from saferstaff.rules.engine import Refused
from saferstaff.schools.models import Pupil, Role, RoleGrant
from saferstaff.schools.roles import Actor

from .conftest import signed_in


def url(cast, name, **kwargs):
    return reverse(name, kwargs={"school": cast.school.slug, **kwargs})


def pupil(cast, name="Ada", left_days_ago=None, school=None):
    leaving = (
        timezone.localdate() - datetime.timedelta(days=left_days_ago) if left_days_ago is not None else None
    )
    return Pupil.objects.create(
        school=school or cast.school, upn="", source_id=f"p-{name}", legal_forename=name, legal_surname="Pupil",
        date_of_birth=datetime.date(2016, 5, 1), leaving_date=leaving,
    )  # fmt: skip


def when(delta=datetime.timedelta(hours=1)):
    return (timezone.localtime() - delta).strftime("%Y-%m-%dT%H:%M")


def full(cast, **extra):
    return {
        "shared_at": when(),
        "recipient": "Dr Patel",
        "organisation": "School nursing team",
        "what": "Name, date of birth and the care plan",
        "about_others": "",
        "lawful_basis": "public_task",
        "special_condition": "",
        "why": "A health assessment the nurse needs",
        "how": "secure_email",
        "approved_by": cast.member(cast.head).pk,
    } | extra


def test_the_dsl_logs_a_disclosure_by_hand_finding_the_pupil_by_name(cast):
    ada = pupil(cast)
    client = signed_in(cast.dsl)
    assert client.get(url(cast, "sharing_add")).status_code == 200
    found = client.post(url(cast, "sharing_add"), full(cast, pupil_q="Ada", find="1"))
    assert found.status_code == 200 and not Sharing.objects.exists()
    assert "Ada Pupil" in found.content.decode() and "Dr Patel" in found.content.decode()  # kept as typed
    response = client.post(url(cast, "sharing_add"), full(cast, pupils=[ada.pk]))
    entry = Sharing.objects.get()
    assert response.status_code == 302 and response["Location"] == url(cast, "sharing_detail", pk=entry.pk)
    assert entry.status == "logged" and entry.source == "hand" and list(entry.about_pupils.all()) == [ada]
    assert entry.logged_by == cast.dsl and entry.approved_by == cast.member(cast.head)
    # Logged: the page offers nothing to change, and the door refuses.
    assert signed_in(cast.dsl).get(url(cast, "sharing_detail", pk=entry.pk)).context["form"] is None
    response = client.post(url(cast, "sharing_complete", pk=entry.pk), full(cast, why="Changed"))
    assert response.status_code == 400
    entry.refresh_from_db()
    assert entry.why == "A health assessment the nurse needs"


def test_each_missing_or_wrong_field_is_named_and_nothing_is_saved(cast):
    other = pupil(cast, "Otto", school=cast.other_school)
    client = signed_in(cast.dpo)
    response = client.post(
        url(cast, "sharing_add"),
        full(
            cast,
            why="",
            lawful_basis="",
            how="fax",
            recipient="",
            shared_at=when(-datetime.timedelta(days=1)),
        ),
    )
    assert response.status_code == 400
    assert {"why", "lawful_basis", "how", "recipient"} <= set(response.context["form"].errors)
    response = client.post(url(cast, "sharing_add"), full(cast, shared_at=when(-datetime.timedelta(days=1))))
    assert "shared_at" in response.context["form"].errors
    response = client.post(url(cast, "sharing_add"), full(cast, pupils=[other.pk]))
    assert "pupils" in response.context["form"].errors  # a pupil of another school is not a choice
    response = client.post(url(cast, "sharing_add"), full(cast, pupils=["9" * 30], approved_by="x"))
    assert response.status_code == 400
    assert not Sharing.objects.exists()


def test_the_door_refuses_the_future_and_those_who_do_not_keep_the_log(cast):
    kwargs = dict(
        recipient="Police", what="x", lawful_basis="public_task", why="y", how="phone",
        approved_by=cast.member(cast.head),
    )  # fmt: skip
    with pytest.raises(Refused) as exc:
        sharing.log_sharing(
            Actor.of(cast.dsl, cast.school), shared_at=timezone.now() + datetime.timedelta(hours=1), **kwargs
        )
    assert exc.value.decision.reasons[0].field == "shared_at"
    with pytest.raises(Refused):
        sharing.log_sharing(Actor.of(cast.teacher, cast.school), shared_at=timezone.now(), **kwargs)
    assert signed_in(cast.teacher).get(url(cast, "sharing_list")).status_code == 403


def allegation_with_lado_referral(cast):
    head = Actor.of(cast.head, cast.school)
    case = incidents.report_allegation(
        head, about=cast.member(cast.teacher), happened_on=timezone.localdate(), what_happened="Messages"
    )
    incidents.record_contact(
        head, case, kind="lado", made_at=timezone.now() - datetime.timedelta(minutes=5), with_whom="Ms Lado"
    )
    return case


def test_a_lado_referral_opens_an_entry_to_complete_read_only_by_the_case_manager_and_the_dpo(cast):
    case = allegation_with_lado_referral(cast)
    entry = Sharing.objects.get()
    assert (entry.status, entry.source, entry.case) == ("to_complete", "incident", case)
    assert entry.lawful_basis == "public_task" and list(entry.about_members.all()) == [
        cast.member(cast.teacher)
    ]
    for reader in (cast.head, cast.dpo):
        client = signed_in(reader)
        assert client.get(url(cast, "sharing_detail", pk=entry.pk)).status_code == 200
        assert entry in client.get(url(cast, "sharing_list")).context["to_complete"]
    dsl = signed_in(cast.dsl)
    assert dsl.get(url(cast, "sharing_detail", pk=entry.pk)).status_code == 404
    assert entry not in dsl.get(url(cast, "sharing_list")).context["to_complete"]
    assert dsl.post(url(cast, "sharing_complete", pk=entry.pk), full(cast)).status_code == 404
    # The person it is about never reads it, even holding a keeper's role.
    RoleGrant.objects.create(school=cast.school, membership=cast.member(cast.teacher), role=Role.DSL)
    assert signed_in(cast.teacher).get(url(cast, "sharing_detail", pk=entry.pk)).status_code == 404


def test_the_dpo_completes_a_prefilled_entry_and_it_is_then_logged(cast):
    allegation_with_lado_referral(cast)
    entry = Sharing.objects.get()
    client = signed_in(cast.dpo)
    page = client.get(url(cast, "sharing_complete", pk=entry.pk))
    assert page.status_code == 200 and page.context["form"].initial["lawful_basis"] == "public_task"
    response = client.post(url(cast, "sharing_complete", pk=entry.pk), full(cast, why=""))
    assert response.status_code == 400 and "why" in response.context["form"].errors
    response = client.post(url(cast, "sharing_complete", pk=entry.pk), full(cast, how="in_person"))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.status, entry.how, entry.why) == (
        "logged",
        "in_person",
        "A health assessment the nurse needs",
    )
    assert entry.special_condition.startswith("DPA 2018 Sch. 1 para. 18")  # the prefilled condition kept


def test_a_leaver_is_offered_for_their_common_transfer_file_once(cast):
    left = pupil(cast, "Leah", left_days_ago=10)
    pupil(cast, "Long", left_days_ago=200)
    pupil(cast, "Still")
    client = signed_in(cast.dpo)
    offered = client.get(url(cast, "sharing_list")).context["leavers"]
    assert [p.pk for p in offered] == [left.pk]
    response = client.post(url(cast, "sharing_add"), {"ctf": left.pk})
    entry = Sharing.objects.get()
    assert response["Location"] == url(cast, "sharing_complete", pk=entry.pk)
    assert (entry.source, entry.status, entry.lawful_basis, entry.how) == (
        "ctf", "to_complete", "legal_obligation", "portal"
    )  # fmt: skip
    assert "Pupil Information" in entry.why and list(entry.about_pupils.all()) == [left]
    assert client.get(url(cast, "sharing_list")).context["leavers"] == []
    client.post(url(cast, "sharing_add"), {"ctf": left.pk})  # again: nothing new
    assert Sharing.objects.count() == 1
    response = client.post(url(cast, "sharing_add"), {"ctf": "99999999999999999999"})
    assert response.status_code == 302 and Sharing.objects.count() == 1


def test_the_list_filters_and_puts_what_is_to_complete_first(cast):
    allegation_with_lado_referral(cast)
    sharing.log_sharing(
        Actor.of(cast.dpo, cast.school), shared_at=timezone.now(), recipient="Police", what="x",
        lawful_basis="public_task", why="y", how="phone", approved_by=cast.member(cast.head),
    )  # fmt: skip
    client = signed_in(cast.dpo)
    page = client.get(url(cast, "sharing_list"))
    assert len(page.context["to_complete"]) == 1 and len(page.context["page"].object_list) == 1
    page = client.get(url(cast, "sharing_list"), {"show": "source-hand"})
    assert page.context["to_complete"] == [] and len(page.context["page"].object_list) == 1
    assert client.get(url(cast, "sharing_list"), {"show": "nonsense"}).status_code == 200


def test_a_police_referral_in_an_incident_opens_an_entry_by_hand_and_by_page(cast):
    """The hand path (the door) here; the page path (the case's contact form) reaches the same door."""
    ada = pupil(cast)
    case = incidents.report(
        Actor.of(cast.teacher, cast.school), kind="pupils", happened_on=timezone.localdate(),
        what_happened="Messages to a pupil", people=[incidents.Person(role="target", pupil=ada)],
    )  # fmt: skip
    incidents.record_contact(
        Actor.of(cast.dsl, cast.school), case, kind="police", made_at=timezone.now(), with_whom="PC Ahmed",
        reference="CR-1",
    )  # fmt: skip
    entry = Sharing.objects.get()
    assert (entry.status, entry.organisation, entry.recipient) == ("to_complete", "Police", "PC Ahmed")
    assert list(entry.about_pupils.all()) == [ada] and entry.approved_by == cast.member(cast.dsl)
    for keeper in (cast.dsl, cast.head, cast.dpo):  # not an allegation: every keeper of the log
        assert signed_in(keeper).get(url(cast, "sharing_detail", pk=entry.pk)).status_code == 200
    assert signed_in(cast.teacher).get(url(cast, "sharing_detail", pk=entry.pk)).status_code == 403
    # Contact with parents is not one of the referrals the log is prefilled from (privacy.sharing.REFERRALS).
    incidents.record_contact(
        Actor.of(cast.dsl, cast.school), case, kind="parents", made_at=timezone.now(), with_whom="Mum"
    )
    assert Sharing.objects.count() == 1
