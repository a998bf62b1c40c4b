"""§3/§4 pages: disclosing contact with a pupil, its outcome, the lists of what waits, My conduct, the school's
channels, the DSL setting and the Check a post link. Each page by GET and POST, bad input naming its field,
and 404 to everyone the rules do not name."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from saferstaff.audit.models import AuditEvent
from saferstaff.conduct import services
from saferstaff.conduct.models import ContactChannel, Disclosure, EquipmentPermission
from saferstaff.conduct.registers import disclosures_readable_by, requests_decided_by
from saferstaff.notifications.models import Notification
from saferstaff.policies.models import PolicyKind
from saferstaff.policies.services import import_policy, publish_version
from saferstaff.rules.conduct import may_decide_equipment, may_read_disclosure
from saferstaff.rules.engine import Refused
from saferstaff.schools.models import Pupil, SchoolSettings
from saferstaff.schools.roles import Actor

from .conftest import signed_in

TODAY = timezone.localdate
DAY = datetime.timedelta(days=1)


def url(cast, name, **kwargs):
    return reverse(name, kwargs={"school": cast.school.slug, **kwargs})


def make_pupil(school, forename="Ada", surname="Lovelace", n=1):
    return Pupil.objects.create(
        school=school, upn="", source_id=f"d{school.pk}-{n}", legal_forename=forename, legal_surname=surname,
        date_of_birth=datetime.date(2013, 1, 1), year_group="8",
    )  # fmt: skip


def channel(cast, name="Instagram", school=None):
    return ContactChannel.objects.get(school=school or cast.school, name=name)


def disclose(cast, user, **extra):
    fields = {
        "who": Disclosure.Who.THINK_PUPIL, "who_text": "Looks like a Year 8 pupil", "channel": channel(cast),
        "happened_on": TODAY(), "what_happened": "A friend request on Instagram", "did": ["declined"],
    } | extra  # fmt: skip
    return services.disclose(Actor.of(user, cast.school), **fields)


def form_data(cast, **extra):
    return {
        "who": "pupil", "pupil": "", "who_text": "", "channel": channel(cast).pk,
        "happened_on": TODAY().isoformat(), "what_happened": "She sent me a friend request last night",
        "did": ["declined", "blocked"], "did_note": "", "send": "1",
    } | extra  # fmt: skip


# --- disclosure_new ----------------------------------------------------------------------------------------


def test_a_teacher_discloses_a_pupils_friend_request_and_the_headteacher_is_told(cast):
    pupil = make_pupil(cast.school)
    client = signed_in(cast.teacher)
    page = client.get(url(cast, "disclosure_new"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Staff should alert the Headteacher of any such contact immediately" in html and "(§3)" in html
    assert "respond to friend requests from students" in html and "(§4)" in html
    assert "Ada Lovelace (Year 8)" in html  # a small school: every pupil is listed
    assert f'value="{TODAY().isoformat()}"' in html  # the date defaults to today
    response = client.post(url(cast, "disclosure_new"), form_data(cast, pupil=pupil.pk), follow=True)
    disclosure = Disclosure.objects.get()
    assert response.redirect_chain[-1][0] == url(cast, "disclosure_detail", pk=disclosure.pk)
    assert "The Headteacher has been told" in response.content.decode()
    assert (disclosure.discloser, disclosure.pupil, disclosure.did) == (
        cast.teacher,
        pupil,
        ["declined", "blocked"],
    )
    assert Notification.objects.filter(user=cast.head, kind="conduct.disclosure").exists()


def test_the_same_form_sent_twice_is_one_disclosure_and_both_land_on_it(cast):
    """A double click, or the browser sending the form again after a dropped connection: the form's hidden
    number makes the second a no-op that shows the first; a fresh form is a new disclosure."""
    import re

    client = signed_in(cast.teacher)
    number = re.search(
        r'name="submission" value="([0-9a-f-]{36})"', client.get(url(cast, "disclosure_new")).content.decode()
    )
    data = form_data(cast, who="think_pupil", who_text="Year 8?", submission=number.group(1))
    first, second = (client.post(url(cast, "disclosure_new"), data) for _ in range(2))
    disclosure = Disclosure.objects.get()
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == url(cast, "disclosure_detail", pk=disclosure.pk)
    assert Notification.objects.filter(user=cast.head, kind="conduct.disclosure").count() == 1
    assert AuditEvent.objects.filter(action="conduct.disclosed").count() == 1
    other = re.search(
        r'name="submission" value="([0-9a-f-]{36})"', client.get(url(cast, "disclosure_new")).content.decode()
    )
    assert other.group(1) != number.group(1)
    client.post(url(cast, "disclosure_new"), data | {"submission": other.group(1)})
    assert Disclosure.objects.count() == 2


def test_find_narrows_the_pupils_and_keeps_what_was_typed_without_saving(cast):
    for n in range(70):  # more than the picker lists without a search
        make_pupil(cast.school, "Pupil", f"Number{n:02d}", n=n + 10)
    make_pupil(cast.school, "Zara", "Quill", n=1)
    client = signed_in(cast.teacher)
    assert "Zara Quill" not in client.get(url(cast, "disclosure_new")).content.decode()
    data = form_data(cast, pupil_q="quill", what_happened="Messaged me on a game") | {"find": "1"}
    del data["send"]
    response = client.post(url(cast, "disclosure_new"), data)
    html = response.content.decode()
    assert response.status_code == 200 and "Zara Quill (Year 8)" in html and "Number01" not in html
    assert "Messaged me on a game" in html and "There is a problem" not in html
    assert not Disclosure.objects.exists()


def test_the_enter_key_sends_the_disclosure_when_no_pupil_is_being_found(cast):
    """§3: Enter in a text box (a phone keyboard's Go) submits with the form's first button, Find; with no name
    to find, that is the disclosure being sent (it used to come back unsent)."""
    data = form_data(cast, pupil=make_pupil(cast.school).pk, pupil_q="") | {"find": "1"}
    del data["send"]  # only the button that submits is sent
    assert signed_in(cast.teacher).post(url(cast, "disclosure_new"), data).status_code == 302
    assert Disclosure.objects.exists()


def test_a_governor_is_offered_no_pupils(cast):
    make_pupil(cast.school)
    client = signed_in(cast.governor)
    html = client.get(url(cast, "disclosure_new")).content.decode()
    assert "Ada Lovelace" not in html and 'value="pupil"' not in html and 'value="think_pupil"' in html
    response = client.post(url(cast, "disclosure_new"), form_data(cast, who="pupil"))
    assert response.status_code == 400 and "Who was it?: Select a valid choice" in response.content.decode()
    response = client.post(
        url(cast, "disclosure_new"), form_data(cast, who="family", who_text="A pupil's older brother")
    )
    assert response.status_code == 302
    disclosure = Disclosure.objects.get()
    assert disclosure.who == "family" and disclosure.pupil is None


@pytest.mark.parametrize(
    "change, field, message",
    [
        (
            {"happened_on": "FUTURE"},
            "When did it happen?",
            "The date it happened cannot be in the future (§3)",
        ),
        ({"pupil": "OTHER"}, "The pupil", "Choose one of the pupils listed"),
        ({"pupil": "9" * 30}, "The pupil", "Choose one of the pupils listed"),
        ({"pupil": ""}, "The pupil", "Choose the pupil, or say you think it is a pupil"),
        ({"who": ""}, "Who was it?", "Choose who it was"),
        ({"what_happened": "  "}, "What happened?", "Say what happened"),
        ({"who": "family", "who_text": ""}, "Who they are", "Say in a few words who they are"),
        ({"channel": "OTHER"}, "How were they in touch?", "Choose one of the list"),
        ({"happened_on": "31/02/2026"}, "When did it happen?", "Enter a real date"),
    ],
)
def test_bad_input_names_its_field_and_saves_nothing(cast, change, field, message):
    make_pupil(cast.school)
    others = make_pupil(cast.other_school, n=2)
    values = {
        "FUTURE": (TODAY() + DAY).isoformat(),
        "OTHER": str(others.pk if "pupil" in change else channel(cast, school=cast.other_school).pk),
    }
    data = form_data(cast, pupil=Pupil.objects.get(school=cast.school).pk)
    data |= {k: values.get(v, v) for k, v in change.items()}
    response = signed_in(cast.teacher).post(url(cast, "disclosure_new"), data)
    html = response.content.decode()
    assert response.status_code == 400, html
    assert f"{field}: {message}" in html and "<title>Error:" in html.replace("\n", "")
    assert not Disclosure.objects.exists()


# --- disclosure_detail -------------------------------------------------------------------------------------


def test_only_the_discloser_and_the_headteacher_read_a_disclosure(cast):
    disclosure = disclose(cast, cast.teacher)
    page = url(cast, "disclosure_detail", pk=disclosure.pk)
    mine = signed_in(cast.teacher).get(page).content.decode()
    assert "A friend request on Instagram" in mine and "Change what it says" in mine
    assert "Record the outcome" not in mine
    head = signed_in(cast.head).get(page).content.decode()
    assert "Record the outcome" in head and "Change what it says" not in head
    for user in (cast.slt, cast.dsl, cast.governor, cast.office, cast.volunteer, cast.other_teacher):
        assert signed_in(user).get(page).status_code == 404, user
    SchoolSettings.objects.filter(school=cast.school).update(disclosures_to_dsl=True)
    dsl = signed_in(cast.dsl).get(page)
    assert dsl.status_code == 200 and "Record the outcome" not in dsl.content.decode()


def test_the_chair_reads_the_headteachers_disclosure_without_the_pupils_name(cast):
    pupil = make_pupil(cast.school)
    assert (
        "Tell the chair of governors</button>"
        in signed_in(cast.head).get(url(cast, "disclosure_new")).content.decode()
    )
    disclosure = disclose(cast, cast.head, who="pupil", pupil=pupil, who_text="")
    assert disclosure.routed_to == "chair"
    html = signed_in(cast.governor).get(url(cast, "disclosure_detail", pk=disclosure.pk)).content.decode()
    assert (
        "Ada Lovelace" not in html and "not shown to your role, §8" in html and "Record the outcome" in html
    )
    assert (
        "Ada Lovelace"
        in signed_in(cast.head).get(url(cast, "disclosure_detail", pk=disclosure.pk)).content.decode()
    )


def test_a_disclosure_page_refuses_other_methods(cast):
    disclosure = disclose(cast, cast.teacher)
    assert signed_in(cast.teacher).post(url(cast, "disclosure_detail", pk=disclosure.pk)).status_code == 405


# --- disclosure_edit ---------------------------------------------------------------------------------------


def test_the_discloser_changes_it_until_an_outcome_then_it_is_kept_as_it_was(cast):
    disclosure = disclose(cast, cast.teacher)
    client = signed_in(cast.teacher)
    page = url(cast, "disclosure_edit", pk=disclosure.pk)
    assert "A friend request on Instagram" in client.get(page).content.decode()
    data = form_data(cast, who="think_pupil", who_text="Year 8, I think", what_happened="Two friend requests")
    assert client.post(page, data).status_code == 302
    disclosure.refresh_from_db()
    assert disclosure.what_happened == "Two friend requests"
    services.record_outcome(
        Actor.of(cast.head, cast.school), disclosure, outcome="advice", note="Blocked: good"
    )
    for response in (client.get(page), client.post(page, data | {"what_happened": "Changed later"})):
        html = response.content.decode()
        assert response.status_code == 403
        assert "An outcome has been recorded: the disclosure is kept as it was" in html and "(§3)" in html
    disclosure.refresh_from_db()
    assert disclosure.what_happened == "Two friend requests"


def test_nobody_else_edits_a_disclosure(cast):
    disclosure = disclose(cast, cast.teacher)
    page = url(cast, "disclosure_edit", pk=disclosure.pk)
    response = signed_in(cast.head).post(page, form_data(cast, who="family", who_text="x"))
    assert (
        response.status_code == 403
        and "Only the person who disclosed the contact" in response.content.decode()
    )
    assert signed_in(cast.slt).get(page).status_code == 404
    disclosure.refresh_from_db()
    assert disclosure.who == "think_pupil"


# --- disclosure_outcome ------------------------------------------------------------------------------------


def test_the_headteacher_records_advice_given_and_the_discloser_sees_it(cast):
    disclosure = disclose(cast, cast.teacher)
    client = signed_in(cast.head)
    page = url(cast, "disclosure_outcome", pk=disclosure.pk)
    assert client.get(page).status_code == 200
    response = client.post(page, {"outcome": "", "note": ""})
    assert response.status_code == 400 and "Outcome: Choose an outcome" in response.content.decode()
    response = client.post(page, {"outcome": "advice", "note": "Well handled: keep blocking."})
    assert response.status_code == 302
    disclosure.refresh_from_db()
    assert (disclosure.outcome, disclosure.decided_by) == ("advice", cast.head)
    assert Notification.objects.filter(user=cast.teacher, kind="conduct.outcome").exists()
    mine = signed_in(cast.teacher).get(url(cast, "conduct_mine")).content.decode()
    assert "Advice given" in mine and "Well handled: keep blocking." in mine
    again = client.post(page, {"outcome": "no_action"})
    assert (
        again.status_code == 403
        and "An outcome is already recorded: Advice given (§3)" in again.content.decode()
    )


def test_an_outcome_by_a_non_reader_is_404_and_by_the_discloser_refused(cast):
    teachers = disclose(cast, cast.teacher)
    # The chair of governors does not read what goes to the Headteacher.
    assert (
        signed_in(cast.governor)
        .post(url(cast, "disclosure_outcome", pk=teachers.pk), {"outcome": "advice"})
        .status_code
        == 404
    )
    heads = disclose(cast, cast.head)
    response = signed_in(cast.head).post(url(cast, "disclosure_outcome", pk=heads.pk), {"outcome": "advice"})
    assert response.status_code == 403
    assert (
        "Someone other than the person who disclosed it records the outcome (§3)" in response.content.decode()
    )
    teachers.refresh_from_db(), heads.refresh_from_db()
    assert teachers.outcome == heads.outcome == ""
    assert (
        signed_in(cast.governor)
        .post(url(cast, "disclosure_outcome", pk=heads.pk), {"outcome": "no_action"})
        .status_code
        == 302
    )


def test_a_low_level_concern_about_someone_who_has_left_is_refused_on_the_form_not_a_500(cast):
    disclosure = disclose(cast, cast.teacher)
    cast.member(cast.teacher).__class__.objects.filter(pk=cast.member(cast.teacher).pk).update(
        ended_on=TODAY()
    )
    response = signed_in(cast.head).post(
        url(cast, "disclosure_outcome", pk=disclosure.pk), {"outcome": "concern"}
    )
    assert response.status_code == 400
    assert "Choose a member of this school&#x27;s staff (KCSIE Part 4)" in response.content.decode()
    disclosure.refresh_from_db()
    assert disclosure.outcome == "" and disclosure.concern is None


def test_the_door_refuses_an_empty_account_or_an_unknown_who(cast):
    with pytest.raises(Refused) as empty:
        disclose(cast, cast.teacher, what_happened="   ")
    assert [(r.field, r.section) for r in empty.value.decision.reasons] == [("what_happened", "§3")]
    with pytest.raises(Refused) as unknown:
        disclose(cast, cast.teacher, who="stranger")
    assert [(r.field, r.section) for r in unknown.value.decision.reasons] == [("who", "§3")]
    assert not Disclosure.objects.exists()


# --- lists -------------------------------------------------------------------------------------------------


def test_the_list_puts_those_waiting_first_oldest_first_and_opening_one_changes_nothing(cast):
    decided = disclose(cast, cast.teacher, what_happened="first")
    services.record_outcome(Actor.of(cast.head, cast.school), decided, outcome="no_action")
    older = disclose(cast, cast.office)
    newer = disclose(cast, cast.volunteer)
    Disclosure.objects.filter(pk=decided.pk).update(created_at=timezone.now() - 10 * DAY)
    Disclosure.objects.filter(pk=older.pk).update(created_at=timezone.now() - 2 * DAY)
    client = signed_in(cast.head)
    client.get(url(cast, "disclosure_detail", pk=older.pk))  # opened: still waiting, still first
    html = client.get(url(cast, "disclosure_list")).content.decode()
    links = [url(cast, "disclosure_detail", pk=d.pk) for d in (older, newer, decided)]
    assert all(link in html for link in links)
    assert html.index(links[0]) < html.index(links[1]) < html.index(links[2])
    # The DSL sees them only when the school shares them; the chair never sees the Headteacher's list.
    assert links[0] not in signed_in(cast.dsl).get(url(cast, "disclosure_list")).content.decode()
    assert links[0] not in signed_in(cast.governor).get(url(cast, "disclosure_list")).content.decode()
    SchoolSettings.objects.filter(school=cast.school).update(disclosures_to_dsl=True)
    assert links[0] in signed_in(cast.dsl).get(url(cast, "disclosure_list")).content.decode()


def test_waiting_for_you_lists_what_each_person_must_act_on(cast):
    disclosure = disclose(cast, cast.teacher)
    request = services.request_equipment(
        Actor.of(cast.teacher, cast.school), device_kind="phone", purpose="Calls on the trip",
        starts_on=TODAY(), ends_on=TODAY() + DAY, conditions=["calls_only"],
    )  # fmt: skip
    concern = services.raise_concern(
        Actor.of(cast.slt, cast.school), subject=cast.member(cast.teacher), happened_on=TODAY(),
        what="Took a photo on their phone",
    )  # fmt: skip
    head = signed_in(cast.head).get(url(cast, "conduct_waiting")).content.decode()
    for link in (
        url(cast, "disclosure_detail", pk=disclosure.pk),
        url(cast, "equipment_detail", pk=request.pk),
        url(cast, "concern_detail", pk=concern.pk),
    ):
        assert link in head
    slt = signed_in(cast.slt).get(url(cast, "conduct_waiting")).content.decode()
    assert url(cast, "equipment_detail", pk=request.pk) in slt
    assert url(cast, "disclosure_detail", pk=disclosure.pk) not in slt
    assert url(cast, "concern_detail", pk=concern.pk) not in slt
    services.record_outcome(Actor.of(cast.head, cast.school), disclosure, outcome="advice")
    head = signed_in(cast.head).get(url(cast, "conduct_waiting")).content.decode()
    assert url(cast, "disclosure_detail", pk=disclosure.pk) not in head


@pytest.mark.parametrize("shared", [False, True])
def test_the_lists_give_the_same_answer_as_the_rules(cast, shared):
    SchoolSettings.objects.filter(school=cast.school).update(disclosures_to_dsl=shared)
    disclosures = [disclose(cast, user) for user in (cast.teacher, cast.head, cast.dsl, cast.governor)]
    requests = [
        services.request_equipment(
            Actor.of(user, cast.school),
            device_kind="phone",
            purpose="Trip",
            starts_on=TODAY(),
            ends_on=TODAY(),
        )
        for user in (cast.teacher, cast.head, cast.slt)
    ]
    for user in cast.by_role().values():
        actor = Actor.of(user, cast.school)
        assert set(disclosures_readable_by(actor)) == {
            d for d in disclosures if d.discloser != user and may_read_disclosure.peek(actor, subject=d)
        }, user
        assert set(requests_decided_by(actor, EquipmentPermission)) == {
            r for r in requests if may_decide_equipment.peek(actor, subject=r)
        }, user


def test_my_conduct_shows_my_own_things_only(cast):
    mine = disclose(cast, cast.teacher)
    theirs = disclose(cast, cast.office)
    actor = Actor.of(cast.teacher, cast.school)
    waiting = services.request_equipment(
        actor, device_kind="phone", purpose="Calls on the trip", starts_on=TODAY(), ends_on=TODAY() + DAY
    )
    approved = services.request_equipment(
        actor, device_kind="tablet", purpose="Reading app", starts_on=TODAY(), ends_on=TODAY() + DAY
    )
    services.decide(Actor.of(cast.slt, cast.school), approved, approve=True)
    concern = services.raise_concern(
        Actor.of(cast.slt, cast.school), subject=cast.member(cast.teacher), happened_on=TODAY(),
        what="A photo of a pupil on a personal phone",
    )  # fmt: skip
    html = signed_in(cast.teacher).get(url(cast, "conduct_mine")).content.decode()
    assert url(cast, "disclosure_detail", pk=mine.pk) in html
    assert url(cast, "disclosure_detail", pk=theirs.pk) not in html
    assert html.index("Approved") < html.index("Reading app") < html.index("Waiting for a decision")
    assert html.index("Waiting for a decision") < html.index("Calls on the trip")
    assert url(cast, "equipment_detail", pk=waiting.pk) in html
    # never a concern about them, in any form
    assert url(cast, "concern_detail", pk=concern.pk) not in html and "personal phone" not in html
    for name in (
        "disclosure_new",
        "contact_request",
        "equipment_request",
        "concern_new",
        "policies_to_accept",
    ):
        assert url(cast, name) in html


# --- contact_channels --------------------------------------------------------------------------------------


def test_senior_management_adds_a_channel_and_stops_offering_one(cast):
    client = signed_in(cast.slt)
    page = url(cast, "contact_channels")
    assert "Instagram" in client.get(page).content.decode()
    response = client.post(page, {"action": "add", "name": " Discord ", "is_social_media": "on"})
    assert response.status_code == 302
    added = ContactChannel.objects.get(school=cast.school, name="Discord")
    assert added.is_social_media and not added.run_by_school
    assert AuditEvent.objects.filter(action="conduct.channel_added", object_id=str(added.pk)).exists()
    duplicate = client.post(page, {"action": "add", "name": "discord"})
    assert duplicate.status_code == 400
    assert (
        "Name of the platform or channel: The school&#x27;s list already has a channel with this name (§3)"
        in (duplicate.content.decode())
    )
    empty = client.post(page, {"action": "add", "name": ""})
    assert (
        empty.status_code == 400
        and "Name of the platform or channel: Enter the name of the platform or channel"
        in empty.content.decode()
    )
    assert client.post(page, {"action": "off", "channel": added.pk}).status_code == 302
    added.refresh_from_db()
    assert not added.active
    assert "Discord" not in signed_in(cast.teacher).get(url(cast, "disclosure_new")).content.decode()
    assert client.post(page, {"action": "on", "channel": added.pk}).status_code == 302
    added.refresh_from_db()
    assert added.active


def test_a_forged_channel_or_action_is_refused_without_a_change(cast):
    client = signed_in(cast.head)
    page = url(cast, "contact_channels")
    others = channel(cast, school=cast.other_school)
    assert client.post(page, {"action": "off", "channel": others.pk}).status_code == 404
    assert client.post(page, {"action": "off", "channel": "9" * 30}).status_code == 404
    assert client.post(page, {"action": "delete", "channel": channel(cast).pk}).status_code == 400
    others.refresh_from_db()
    assert others.active and channel(cast).active
    assert signed_in(cast.teacher).post(page, {"action": "add", "name": "X"}).status_code == 403


def test_only_senior_management_keeps_the_list_of_channels_through_the_door(cast):
    teacher = Actor.of(cast.teacher, cast.school)
    with pytest.raises(Refused) as adding:
        services.add_channel(teacher, name="Discord", is_social_media=True, run_by_school=False)
    with pytest.raises(Refused) as switching:
        services.set_channel_active(teacher, channel(cast), active=False)
    for refusal in (adding, switching):
        assert (
            str(refusal.value.decision.reasons[0])
            == "Senior management keeps the school's list of channels (§3)"
        )
    with pytest.raises(Refused) as other:
        services.set_channel_active(
            Actor.of(cast.head, cast.school), channel(cast, school=cast.other_school), active=False
        )
    assert other.value.decision.reasons[0].field == "channel"
    assert not ContactChannel.objects.filter(name="Discord").exists() and channel(cast).active


# --- settings and Check a post -----------------------------------------------------------------------------


def test_the_headteacher_shares_disclosures_with_the_dsl_in_settings(cast):
    client = signed_in(cast.head, confirmed=True)
    page = reverse("school_settings", kwargs={"school": cast.school.slug})
    html = client.get(page).content.decode()
    assert "Tell the designated safeguarding lead too" in html
    settings = SchoolSettings.for_school(cast.school)
    data = {
        "pupil_voice_age": settings.pupil_voice_age,
        "reminder_days": settings.reminder_days, "escalate_after_days": settings.escalate_after_days,
        "name_aliases": "", "disclosures_to_dsl": "on",
    }  # fmt: skip
    assert client.post(page, data).status_code == 302
    assert SchoolSettings.for_school(cast.school).disclosures_to_dsl


def test_check_a_post_links_to_disclosing_when_a_draft_names_a_pupil(cast):
    make_pupil(cast.school, "Amelia", "Oakes")
    client = signed_in(cast.teacher)
    page = reverse("draft_check", kwargs={"school": cast.school.slug})
    link = url(cast, "disclosure_new")
    reply = client.post(
        page, {"text": "Hi Amelia Oakes, thanks for the follow!", "form": "post"}
    ).content.decode()
    assert link in reply and "Tell the Headteacher about contact with a pupil" in reply
    other = client.post(page, {"text": "Lovely walk in the hills today", "form": "post"}).content.decode()
    assert link not in other


def test_the_demo_school_has_a_disclosure_with_advice_given(db):
    call_command("load_demo")
    disclosure = Disclosure.objects.get()
    assert (
        disclosure.outcome == Disclosure.Outcome.ADVICE
        and disclosure.discloser.email == "teacher@demo.example"
    )
    assert AuditEvent.objects.filter(action="conduct.disclosed", object_id=str(disclosure.pk)).exists()


def test_my_conduct_says_every_compulsory_policy_is_accepted_because_it_opens_only_then(cast):
    client = signed_in(cast.teacher)
    assert (
        "You have accepted every policy the school asks you to accept"
        in client.get(url(cast, "conduct_mine")).content.decode()
    )
    version, _notes = import_policy(
        cast.school, title="Online safety guidance", kind=PolicyKind.ONLINE_SAFETY, filename="g.txt",
        data=b"Section 1 - Contact\n\nStaff do not seek contact with pupils.\n", by=cast.head,
    )  # fmt: skip
    assert publish_version(version, by=cast.head, minor_change=False)
    response = client.get(url(cast, "conduct_mine"))
    assert response.status_code == 302 and response["Location"] == url(cast, "policies_to_accept")
