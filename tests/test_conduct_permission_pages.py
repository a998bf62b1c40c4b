"""§3, §4, §6 pages: asking permission to contact pupils or to use personal equipment, deciding, withdrawing
and the registers, as a school uses them (GET and POST), with every bad input the issue names refused beside
its field, citing its clause."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from saferstaff.conduct import services
from saferstaff.conduct.models import ContactChannel, ContactPermission, Decided, EquipmentPermission
from saferstaff.notifications.models import Notification
from saferstaff.schools.models import Pupil
from saferstaff.schools.roles import Actor

from .conftest import signed_in

TODAY = timezone.localdate
DAY = datetime.timedelta(days=1)


def url(cast, name, pk=None):
    return reverse(name, kwargs={"school": cast.school.slug} | ({"pk": pk} if pk else {}))


def channel(cast, name="The school's messaging platform", school=None):
    return ContactChannel.objects.get(school=school or cast.school, name=name)


def pupil(school, n=1, year="6"):
    return Pupil.objects.create(
        school=school, upn="", source_id=f"p{school.pk}-{n}", legal_forename="Ada", legal_surname=f"Lovelace{n}",
        date_of_birth=datetime.date(2015, 1, 1), year_group=year,
    )  # fmt: skip


@pytest.fixture(autouse=True)
def _year_6(cast):
    pupil(cast.school, 100, year="6")  # the roster's year groups are what the form offers


def contact_form(cast, **extra):
    return {
        "purpose": "Messages about the Year 6 residential",
        "channel": channel(cast).pk,
        "year_groups": ["6"],
        "group_name": "",
        "pupils": [],
        "starts_on": TODAY().isoformat(),
        "ends_on": (TODAY() + 7 * DAY).isoformat(),
    } | extra


def ask_contact(cast, user, **extra):
    fields = dict(channel=channel(cast), purpose="Residential", starts_on=TODAY(), ends_on=TODAY() + 7 * DAY,
                  year_groups=["6"]) | extra  # fmt: skip
    return services.request_contact(Actor.of(user, cast.school), **fields)


def ask_equipment(cast, user, **extra):
    fields = dict(device_kind="phone", make_model="Apple iPhone 13", purpose="Trip calls", starts_on=TODAY(),
                  ends_on=TODAY(), conditions=["calls_only", "no_photos"]) | extra  # fmt: skip
    return services.request_equipment(Actor.of(user, cast.school), **fields)


def errors_beside(page: str, field: str) -> bool:
    """The field's error is beside it and the error summary links to it."""
    return f'href="#id_{field}' in page and "govuk-error-message" in page


# --- Asking permission to contact pupils -----------------------------------------------------------------
def test_a_teacher_asks_to_contact_a_year_group_and_named_pupils(cast):
    pupil(cast.school, 1, year="6")
    ada = pupil(cast.school, 2, year="5")
    teacher = signed_in(cast.teacher)
    page = teacher.get(url(cast, "contact_request")).content.decode()
    assert "Instagram — the Headteacher decides (§4)" in page
    assert "Personal email — not a school channel (§3)" in page
    assert 'value="6"' in page and 'value="5"' in page  # the roster's year groups
    assert f"Ada Lovelace2 (Year 5) #{ada.pk}" in page  # the list the named-pupil boxes offer
    response = teacher.post(
        url(cast, "contact_request"), contact_form(cast, pupils=[f"Ada Lovelace2 (Year 5) #{ada.pk}", ""])
    )
    permission = ContactPermission.objects.get()
    assert response.status_code == 302 and response["Location"] == url(cast, "contact_detail", permission.pk)
    assert list(permission.pupils.all()) == [ada] and permission.year_groups == ["6"]
    assert permission.routed_to == "senior"
    detail = teacher.get(response["Location"]).content.decode()
    assert "Waiting for a decision" in detail and "A senior leader or the Headteacher" in detail
    assert "Ada" in detail and "Save the decision" not in detail  # the requester does not decide
    assert "Withdraw" in detail


def test_a_pupil_typed_by_name_is_found_without_javascript(cast):
    ada = pupil(cast.school, 7)
    signed_in(cast.teacher).post(url(cast, "contact_request"), contact_form(cast, pupils=["Ada Lovelace7"]))
    assert list(ContactPermission.objects.get().pupils.all()) == [ada]


def test_social_media_goes_to_the_headteacher(cast):
    response = signed_in(cast.teacher).post(
        url(cast, "contact_request"), contact_form(cast, channel=channel(cast, "Instagram").pk)
    )
    permission = ContactPermission.objects.get()
    assert response.status_code == 302 and permission.routed_to == "headteacher"
    page = signed_in(cast.slt).get(url(cast, "contact_detail", permission.pk)).content.decode()
    assert "The Headteacher" in page and "Save the decision" not in page
    assert (
        "Save the decision"
        in signed_in(cast.head).get(url(cast, "contact_detail", permission.pk)).content.decode()
    )


def test_an_end_before_the_start_is_refused_beside_the_end_date_citing_the_clause(cast):
    form = contact_form(cast, starts_on=(TODAY() + 5 * DAY).isoformat(), ends_on=(TODAY() + DAY).isoformat())
    response = signed_in(cast.teacher).post(url(cast, "contact_request"), form)
    page = response.content.decode()
    assert response.status_code == 200 and "<title>Error: " in page
    assert "The end date must be the same as or after the start date (§3)" in page
    assert errors_beside(page, "ends_on") and not ContactPermission.objects.exists()
    # The same on social media cites §4, and for personal equipment §6.
    form["channel"] = channel(cast, "Instagram").pk
    page = signed_in(cast.teacher).post(url(cast, "contact_request"), form).content.decode()
    assert "The end date must be the same as or after the start date (§4)" in page
    page = signed_in(cast.teacher).post(
        url(cast, "equipment_request"),
        {"device_kind": "phone", "purpose": "Trip", "starts_on": (TODAY() + 5 * DAY).isoformat(),
         "ends_on": (TODAY() + DAY).isoformat()},
    ).content.decode()  # fmt: skip
    assert "The end date must be the same as or after the start date (§6)" in page
    assert errors_beside(page, "ends_on") and not EquipmentPermission.objects.exists()


def test_a_pupil_of_another_school_by_forged_id_is_refused(cast):
    theirs = pupil(cast.other_school, 9)
    page = (
        signed_in(cast.teacher)
        .post(url(cast, "contact_request"), contact_form(cast, pupils=[f"Anyone #{theirs.pk}"]))
        .content.decode()
    )
    assert "Choose pupils of this school (§3)" in page and errors_beside(page, "pupils")
    assert "Lovelace9" not in page and not ContactPermission.objects.exists()
    # An id that is no pupil at all, a name nobody has, another school's channel: each beside its field.
    page = signed_in(cast.teacher).post(
        url(cast, "contact_request"),
        contact_form(cast, pupils=["Nobody #99999999999999999999", "Zebedee"],
                     channel=channel(cast, school=cast.other_school).pk),
    ).content.decode()  # fmt: skip
    assert "Choose each pupil from the list as you type their name" in page and errors_beside(page, "pupils")
    assert errors_beside(page, "channel") and not ContactPermission.objects.exists()


def test_personal_numbers_and_empty_fields_are_refused_with_their_clause(cast):
    form = contact_form(cast, channel=channel(cast, "Personal email").pk, year_groups=[])
    page = signed_in(cast.teacher).post(url(cast, "contact_request"), form).content.decode()
    assert "Staff do not give pupils personal numbers or personal email" in page
    assert "Say which pupils: year groups, a class or club, or named pupils (§3)" in page
    assert errors_beside(page, "channel") and errors_beside(page, "pupils")
    page = signed_in(cast.teacher).post(url(cast, "contact_request"), contact_form(cast, purpose=" ")).content
    assert errors_beside(page.decode(), "purpose")
    form = contact_form(cast, year_groups=[], starts_on="not a date")
    page = signed_in(cast.teacher).post(url(cast, "contact_request"), form).content.decode()
    assert errors_beside(page, "starts_on") and not ContactPermission.objects.exists()
    page = (
        signed_in(cast.teacher).post(url(cast, "contact_request"), contact_form(cast, year_groups=[])).content
    )
    assert "Say which pupils: year groups, a class or club, or named pupils (§3)" in page.decode()


# --- Deciding -------------------------------------------------------------------------------------------
def test_a_senior_leader_approves_and_the_teacher_is_told(cast):
    p = ask_contact(cast, cast.teacher)
    slt = signed_in(cast.slt)
    assert (
        "Save the decision" in slt.get(url(cast, "contact_decide", p.pk)).content.decode()
    )  # a GET shows it
    response = slt.post(url(cast, "contact_decide", p.pk), {"decision": "approve", "reason": ""})
    assert response.status_code == 302 and response["Location"] == url(cast, "contact_detail", p.pk)
    p.refresh_from_db()
    assert p.status == Decided.APPROVED and p.decided_by == cast.slt
    assert Notification.objects.filter(user=cast.teacher, kind="conduct.permission_decided").exists()
    page = signed_in(cast.teacher).get(url(cast, "contact_detail", p.pk)).content.decode()
    assert "Approved by Sam Slt" in page


def test_a_refusal_without_a_reason_is_refused_beside_the_reason(cast):
    p = ask_equipment(cast, cast.volunteer)
    page = (
        signed_in(cast.slt).post(url(cast, "equipment_decide", p.pk), {"decision": "refuse"}).content.decode()
    )
    assert "Say why it is not approved (§6)" in page and errors_beside(page, "reason")
    p.refresh_from_db()
    assert p.status == Decided.REQUESTED
    signed_in(cast.slt).post(
        url(cast, "equipment_decide", p.pk), {"decision": "refuse", "reason": "Use the school phone"}
    )
    p.refresh_from_db()
    assert p.status == Decided.REFUSED
    page = signed_in(cast.volunteer).get(url(cast, "equipment_detail", p.pk)).content.decode()
    assert "Not approved" in page and "Use the school phone" in page
    # A malformed decision is an error by its field, not a 500.
    page = (
        signed_in(cast.slt).post(url(cast, "equipment_decide", p.pk), {"decision": "maybe"}).content.decode()
    )
    assert errors_beside(page, "decision")


def test_a_request_left_until_its_dates_passed_can_still_be_refused(cast):
    p = ask_contact(cast, cast.teacher)
    ContactPermission.objects.filter(pk=p.pk).update(starts_on=TODAY() - 9 * DAY, ends_on=TODAY() - 2 * DAY)
    slt = signed_in(cast.slt)
    assert "Save the decision" in slt.get(url(cast, "contact_detail", p.pk)).content.decode()
    page = slt.post(url(cast, "contact_decide", p.pk), {"decision": "approve"}).content.decode()
    assert "The dates asked for have passed: refuse it, or ask for new dates (§3)" in page
    slt.post(url(cast, "contact_decide", p.pk), {"decision": "refuse", "reason": "Too late: ask again"})
    p.refresh_from_db()
    assert p.status == Decided.REFUSED


def test_approving_your_own_request_is_refused(cast):
    p = ask_contact(cast, cast.slt)
    response = signed_in(cast.slt).post(url(cast, "contact_decide", p.pk), {"decision": "approve"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Someone other than the person who asked decides a request (§3)" in page
    p.refresh_from_db()
    assert p.status == Decided.REQUESTED


def test_the_headteachers_own_social_media_request_is_decided_by_the_chair(cast):
    p = ask_contact(cast, cast.head, channel=channel(cast, "Instagram"))
    assert p.routed_to == "chair"
    page = (
        signed_in(cast.head).post(url(cast, "contact_decide", p.pk), {"decision": "approve"}).content.decode()
    )
    assert "Someone other than the person who asked decides a request (§4)" in page
    page = (
        signed_in(cast.slt).post(url(cast, "contact_decide", p.pk), {"decision": "approve"}).content.decode()
    )
    assert "The chair of governors decides the Headteacher&#x27;s own request (§4)" in page
    p.refresh_from_db()
    assert p.status == Decided.REQUESTED
    governor = signed_in(cast.governor)
    detail = governor.get(url(cast, "contact_detail", p.pk)).content.decode()
    assert "The chair of governors" in detail and "Save the decision" in detail
    response = governor.post(url(cast, "contact_decide", p.pk), {"decision": "approve"})
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.status == Decided.APPROVED and p.decided_by == cast.governor


def test_the_wrong_person_gets_404_on_a_permission(cast):
    p = ask_contact(cast, cast.teacher)
    e = ask_equipment(cast, cast.teacher)
    for user in (cast.volunteer, cast.office, cast.line_manager, cast.governor):
        client = signed_in(user)
        for name, pk in (("contact_detail", p.pk), ("equipment_detail", e.pk), ("contact_withdraw", p.pk)):
            method = client.post if name.endswith("withdraw") else client.get
            assert method(url(cast, name, pk)).status_code == 404, (user.email, name)
    # The governor may decide only the Headteacher's own requests: this one is not theirs to open.
    assert (
        signed_in(cast.governor).post(url(cast, "contact_decide", p.pk), {"decision": "approve"}).status_code
        == 404
    )
    for user in (cast.dsl, cast.dpo, cast.slt, cast.head):  # leadership sees every request
        assert signed_in(user).get(url(cast, "contact_detail", p.pk)).status_code == 200


# --- Withdrawing ----------------------------------------------------------------------------------------
def test_the_requester_withdraws_and_a_stranger_cannot(cast):
    p = ask_equipment(cast, cast.volunteer, ends_on=TODAY() + 3 * DAY)
    services.decide(Actor.of(cast.slt, cast.school), p, approve=True)
    page = signed_in(cast.volunteer).get(url(cast, "equipment_detail", p.pk)).content.decode()
    assert "End this permission now" in page
    response = signed_in(cast.volunteer).post(
        url(cast, "equipment_withdraw", p.pk), {"reason": "Trip cancelled"}
    )
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.status == Decided.WITHDRAWN and p.reason == "Trip cancelled"
    follow = (
        signed_in(cast.volunteer).post(url(cast, "equipment_withdraw", p.pk), follow=True).content.decode()
    )
    assert "Only a request or a permission still in force can be withdrawn (§6)" in follow
    assert signed_in(cast.volunteer).get(url(cast, "equipment_withdraw", p.pk)).status_code == 405


def test_a_leader_withdraws_a_contact_request(cast):
    p = ask_contact(cast, cast.teacher)
    signed_in(cast.head).post(url(cast, "contact_withdraw", p.pk), {"reason": ""})
    p.refresh_from_db()
    assert p.status == Decided.WITHDRAWN


# --- Equipment -------------------------------------------------------------------------------------------
def test_equipment_once_is_one_day_and_conditions_are_kept(cast):
    client = signed_in(cast.volunteer)
    page = client.get(url(cast, "equipment_request")).content.decode()
    assert "As the device&#x27;s settings show it (Settings, About): e.g. Apple iPhone 13" in page
    assert "personal equipment is never used to record images of pupils (§5)" in page
    response = client.post(
        url(cast, "equipment_request"),
        {"device_kind": "phone", "make_model": " Apple  iPhone 13 ", "purpose": "Calls on the farm trip",
         "starts_on": TODAY().isoformat(), "ends_on": "", "conditions": ["calls_only", "no_photos"],
         "conditions_note": "Kept in my bag"},
    )  # fmt: skip
    p = EquipmentPermission.objects.get()
    assert response["Location"] == url(cast, "equipment_detail", p.pk)
    assert p.starts_on == p.ends_on == TODAY() and p.make_model == "Apple iPhone 13"
    assert p.conditions == ["calls_only", "no_photos"]
    page = client.get(response["Location"]).content.decode()
    assert (
        "Calls and messages only" in page
        and "No photographs or recordings" in page
        and "Kept in my bag" in page
    )
    page = client.post(
        url(cast, "equipment_request"), {"device_kind": "drone", "purpose": ""}
    ).content.decode()
    assert (
        errors_beside(page, "device_kind")
        and errors_beside(page, "purpose")
        and errors_beside(page, "starts_on")
    )


# --- The registers --------------------------------------------------------------------------------------
def test_the_registers_show_who_may_contact_whom_and_use_what(cast):
    ada = pupil(cast.school, 3)
    approved = ask_contact(cast, cast.teacher, group_name="Football club", pupils=[ada])
    services.decide(Actor.of(cast.slt, cast.school), approved, approve=True)
    ask_contact(cast, cast.volunteer, channel=channel(cast, "A class blog or learning platform"))
    page = signed_in(cast.dsl).get(url(cast, "contact_register")).content.decode()
    in_force, waiting = page.split("Waiting for a decision")[:2]
    assert "Tom Teacher" in in_force and "Football club" in in_force and "1 named pupil" in in_force
    assert "Sam Slt" in in_force and "The school&#x27;s messaging platform" in in_force
    assert "Val Volunteer" in waiting and "A class blog" in waiting
    e = ask_equipment(cast, cast.volunteer)
    services.decide(Actor.of(cast.head, cast.school), e, approve=True)
    page = signed_in(cast.head).get(url(cast, "equipment_register")).content.decode()
    assert "Val Volunteer" in page and "Calls and messages only; No photographs or recordings" in page
    assert "Apple iPhone 13" in page
    assert signed_in(cast.teacher).get(url(cast, "contact_register")).status_code == 403
    assert signed_in(cast.head).post(url(cast, "contact_register")).status_code == 405  # read-only pages
    assert signed_in(cast.volunteer).post(url(cast, "equipment_detail", e.pk)).status_code == 405
    assert signed_in(cast.governor).get(url(cast, "equipment_register")).status_code == 403


def test_a_long_register_is_paged(cast):
    for _ in range(51):
        p = ask_contact(cast, cast.teacher)
        services.decide(Actor.of(cast.slt, cast.school), p, approve=True)
    client = signed_in(cast.head)
    assert "Page 1 of 2" in client.get(url(cast, "contact_register")).content.decode()
    assert "Page 2 of 2" in client.get(url(cast, "contact_register") + "?page=2").content.decode()


def test_the_demo_school_has_a_phone_for_calls_only_and_a_channel_for_a_trip(db):
    from django.core.management import call_command

    from saferstaff.audit.models import AuditEvent

    call_command("load_demo")
    phone = EquipmentPermission.objects.get(status=Decided.APPROVED)
    assert phone.requested_by.email == "agency@demo.example" and phone.forbids_photos
    contact = ContactPermission.objects.get(status=Decided.APPROVED)
    assert contact.year_groups == ["1"] and contact.channel.run_by_school
    # Through the doors: asked for and decided, each in the audit trail.
    for action in ("conduct.equipment_requested", "conduct.contact_requested"):
        assert AuditEvent.objects.filter(action=action).count() == 1
    assert AuditEvent.objects.filter(action="conduct.permission_decided").count() == 2
