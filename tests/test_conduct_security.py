"""A second, adversarial look at the conduct room (§3, §4, §6, KCSIE Part 4): what a concern's subject, a
governor who is not the chair, another school's member or a forged POST can learn or do, and what happens to
concerns and disclosures when roles change after they were made. Each test here failed before its fix."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from saferstaff.audit.log import record_type
from saferstaff.audit.trail import Filters, events_for
from saferstaff.conduct import daily, services
from saferstaff.conduct.models import ContactChannel, Disclosure, EquipmentPermission, LowLevelConcern
from saferstaff.conduct.registers import concerns_readable_by, disclosures_readable_by, requests_decided_by
from saferstaff.notifications.models import Notification
from saferstaff.rules.conduct import (
    may_decide_contact,
    may_decide_equipment,
    may_read_concern,
    may_read_disclosure,
    may_record_outcome,
    may_withdraw_permission,
)
from saferstaff.rules.engine import Refused
from saferstaff.rules.images import publish_reasons
from saferstaff.schools.models import Role, RoleGrant, SchoolSettings
from saferstaff.schools.roles import Actor

from .conftest import signed_in
from .image_samples import add_device, approved_activity, purpose
from .test_conduct_photo_flag import image_page, phone_permission, upload_phone_photo

TODAY = timezone.localdate


def raise_(cast, by, about, **extra):
    return services.raise_concern(
        Actor.of(by, cast.school),
        subject=cast.member(about),
        happened_on=TODAY() - datetime.timedelta(days=3),
        what="Took photos of the class on a personal phone",
        **extra,
    )


def disclose(cast, by):
    return services.disclose(
        Actor.of(by, cast.school),
        who=Disclosure.Who.THINK_PUPIL,
        who_text="says they are in Year 6",
        channel=ContactChannel.objects.get(school=cast.school, name="Instagram"),
        happened_on=TODAY(),
        what_happened="A friend request",
    )


def people(cast):
    return [
        cast.head, cast.slt, cast.dsl, cast.line_manager, cast.governor, cast.dpo, cast.office, cast.teacher,
        cast.volunteer, cast.other_teacher, cast.trust_admin, cast.nobody,
    ]  # fmt: skip


def concerns_of_every_kind(cast):
    """About a teacher, the Headteacher, the chair, the DSL (escalated) and a senior leader (escalated)."""
    made = [
        raise_(cast, cast.volunteer, cast.teacher),
        raise_(cast, cast.slt, cast.head),
        raise_(cast, cast.teacher, cast.governor),
        raise_(cast, cast.teacher, cast.dsl),
        raise_(cast, cast.teacher, cast.slt),
    ]
    head = Actor.of(cast.head, cast.school)
    services.escalate_concern(head, made[3], rationale="The harm threshold is met")
    services.escalate_concern(head, made[4], rationale="The harm threshold is met")
    return made


def promote_teacher_to_head(cast):
    """The teacher becomes the Headteacher; the old Headteacher leaves."""
    RoleGrant.objects.create(school=cast.school, membership=cast.member(cast.teacher), role=Role.HEADTEACHER)
    cast.member(cast.head).__class__.objects.filter(pk=cast.member(cast.head).pk).update(ended_on=TODAY())


def assert_rule_and_list_agree(cast, concerns):
    for user in people(cast):
        actor = Actor.of(user, cast.school)
        listed = set(concerns_readable_by(actor).values_list("pk", flat=True)) if actor.school else set()
        for concern in concerns:
            concern.refresh_from_db()
            read = bool(may_read_concern.peek(actor, subject=concern))
            assert read == (concern.pk in listed), (user.email, concern.pk, read)
            if actor.membership is not None and concern.subject_id == actor.membership.pk:
                assert not read, (user.email, "reads a concern about themselves")


def readers_of(cast, concern):
    return [u.email for u in people(cast) if may_read_concern.peek(Actor.of(u, cast.school), subject=concern)]


# --- KCSIE Part 4: the rule and the lists agree, whoever holds which role ------------------------------------
def test_the_rule_and_the_lists_agree_for_every_person_and_concern(cast):
    concerns = concerns_of_every_kind(cast)
    assert_rule_and_list_agree(cast, concerns)


def test_a_concern_about_someone_who_became_headteacher_goes_to_the_chair_too(cast):
    concerns = concerns_of_every_kind(cast)
    promote_teacher_to_head(cast)
    about_teacher = concerns[0]
    # The only Headteacher is now its subject: the chair of governors reads it (KCSIE: about the Headteacher).
    assert readers_of(cast, about_teacher) == [cast.governor.email]
    assert_rule_and_list_agree(cast, concerns)
    chair = Actor.of(cast.governor, cast.school)
    services.record_concern_outcome(chair, about_teacher, rationale="Why", action="Talked", outcome="advice")


def test_a_new_chair_reads_what_the_old_chair_read_and_the_old_one_no_longer_does(cast):
    concerns = concerns_of_every_kind(cast)
    about_head = concerns[1]
    old = cast.member(cast.governor)
    RoleGrant.objects.filter(membership=old, role=Role.GOVERNOR).delete()
    assert readers_of(cast, about_head) == []
    assert_rule_and_list_agree(cast, concerns)
    new = cast.member(cast.line_manager)
    RoleGrant.objects.create(school=cast.school, membership=new, role=Role.GOVERNOR)
    type(new).objects.filter(pk=old.pk).update(is_chair_of_governors=False)
    type(new).objects.filter(pk=new.pk).update(is_chair_of_governors=True)
    assert readers_of(cast, about_head) == [cast.line_manager.email]
    assert_rule_and_list_agree(cast, concerns)


# --- §3: a disclosure by someone who became Headteacher still reaches someone who records its outcome -------
def test_a_disclosure_by_someone_who_became_headteacher_goes_to_the_chair(cast):
    disclosure = disclose(cast, cast.teacher)
    promote_teacher_to_head(cast)
    chair = Actor.of(cast.governor, cast.school)
    assert may_read_disclosure.peek(chair, subject=disclosure)
    assert may_record_outcome.peek(chair, subject=disclosure)
    assert disclosure in disclosures_readable_by(chair)
    assert daily.waiting(cast.school, timezone.now() + datetime.timedelta(days=1))[cast.governor.pk] == 1
    services.record_outcome(chair, disclosure, outcome=Disclosure.Outcome.ADVICE)


def test_a_concern_about_someone_who_became_headteacher_is_chased_with_the_chair(cast):
    raise_(cast, cast.volunteer, cast.teacher)
    promote_teacher_to_head(cast)
    owed = daily.waiting(cast.school, timezone.now() + datetime.timedelta(days=1))
    assert owed[cast.governor.pk] == 1 and owed[cast.teacher.pk] == 0


# --- The daily chase counts for each person only what they may read -----------------------------------------
def test_the_chase_does_not_count_concerns_for_a_dsl_who_may_not_read_them(cast):
    SchoolSettings.objects.filter(school=cast.school).update(disclosures_to_dsl=True)
    raise_(cast, cast.volunteer, cast.teacher)
    owed = daily.waiting(cast.school, timezone.now() + datetime.timedelta(days=1))
    assert owed[cast.head.pk] == 1
    assert owed[cast.dsl.pk] == 0  # they read disclosures the school shares, never an unescalated concern


# --- The audit trail tells its reader nothing of a disclosure they may not read ----------------------------
def test_the_audit_trail_shows_the_dpo_no_disclosure_nor_that_one_became_a_concern(cast):
    """The DPO reads the audit trail but not disclosures (README matrix). The trail showed them who disclosed
    contact with a pupil, and an outcome "concern" told them a low-level concern about that person exists."""
    channel = ContactChannel.objects.get(school=cast.school, name="Instagram")
    sent = signed_in(cast.teacher).post(
        reverse("disclosure_new", kwargs={"school": cast.school.slug}),
        {"who": "think_pupil", "who_text": "Year 6", "channel": channel.pk, "happened_on": TODAY().isoformat(),
         "what_happened": "A friend request"},
    )  # fmt: skip
    assert sent.status_code == 302
    disclosure = Disclosure.objects.get(school=cast.school)
    signed_in(cast.head).post(
        reverse("disclosure_outcome", kwargs={"school": cast.school.slug, "pk": disclosure.pk}),
        {"outcome": Disclosure.Outcome.CONCERN},
    )
    assert Disclosure.objects.get(pk=disclosure.pk).concern is not None
    dpo_rows = list(events_for(cast.school, Filters(), Actor.of(cast.dpo, cast.school)))
    assert not [r for r in dpo_rows if r.object_type == record_type(Disclosure)]
    assert not [r for r in dpo_rows if str(r.detail.get("rule", "")).startswith("conduct.disclos")]
    # The Headteacher, who reads it, still sees its events; the chain keeps them all.
    head_rows = events_for(cast.school, Filters(), Actor.of(cast.head, cast.school))
    assert head_rows.filter(object_type=record_type(Disclosure), action="conduct.disclosure_outcome").exists()
    assert head_rows.filter(detail__rule="conduct.disclose").exists()


# --- §3: the edit door checks what the disclose door checks -------------------------------------------------
def test_editing_a_disclosure_is_refused_what_disclosing_is_refused(cast):
    """A disclosure changed to another school's channel, an unknown "who", an empty account or "a pupil" with
    no pupil: the disclose door refuses each, and so must the door that changes one."""
    disclosure = disclose(cast, cast.teacher)
    teacher = Actor.of(cast.teacher, cast.school)
    theirs = ContactChannel.objects.get(school=cast.other_school, name="Instagram")
    for changes, field in (
        ({"channel": theirs}, "channel"),
        ({"who": "anyone"}, "who"),
        ({"what_happened": "   "}, "what_happened"),
        ({"who": Disclosure.Who.PUPIL, "pupil": None}, "pupil"),
    ):
        with pytest.raises(Refused) as refused:
            services.edit_disclosure(teacher, disclosure, **changes)
        assert [r.field for r in refused.value.decision.reasons] == [field], changes
    kept = Disclosure.objects.get(pk=disclosure.pk)
    assert (kept.channel.school_id, kept.who, kept.what_happened) == (
        cast.school.pk,
        "think_pupil",
        "A friend request",
    )
    # What it keeps is what ``disclose`` would keep: known codes only, and a pupil only when it was a pupil.
    services.edit_disclosure(teacher, disclosure, did=["blocked", "made-up"])
    assert Disclosure.objects.get(pk=disclosure.pk).did == ["blocked"]


# --- §3, §4, §6: a request by someone who became Headteacher still reaches someone who decides it -----------
def ask(cast, by, *, social: bool):
    actor = Actor.of(by, cast.school)
    dates = {"starts_on": TODAY(), "ends_on": TODAY() + datetime.timedelta(days=7)}
    if social:
        return services.request_contact(
            actor, channel=ContactChannel.objects.get(school=cast.school, name="Instagram"),
            purpose="The football club's page", group_name="Football club", **dates,
        )  # fmt: skip
    return services.request_equipment(actor, device_kind="phone", purpose="Calls on the trip", **dates)


def chair_decides(cast, permission) -> bool:
    chair = Actor.of(cast.governor, cast.school)
    model = type(permission)
    rule = may_decide_equipment if model is EquipmentPermission else may_decide_contact
    page = "equipment_detail" if model is EquipmentPermission else "contact_detail"
    opened = signed_in(cast.governor).get(
        reverse(page, kwargs={"school": cast.school.slug, "pk": permission.pk})
    )
    decides = bool(rule.peek(chair, subject=permission))
    listed = permission in requests_decided_by(chair, model)
    chased = daily.waiting(cast.school, timezone.now() + datetime.timedelta(days=1))[cast.governor.pk] > 0
    assert decides == listed == chased == (opened.status_code == 200), (decides, listed, chased, opened)
    return decides


def test_a_social_media_request_by_someone_who_became_headteacher_goes_to_the_chair(cast):
    social = ask(cast, cast.teacher, social=True)
    assert not chair_decides(cast, social)
    promote_teacher_to_head(cast)
    assert chair_decides(cast, social)  # §4: the Headteacher's own social media is the chair's to decide
    services.decide(Actor.of(cast.governor, cast.school), social, approve=True)


def test_an_equipment_request_goes_to_the_chair_only_when_no_other_senior_leader_could_decide(cast):
    phone = ask(cast, cast.teacher, social=False)
    promote_teacher_to_head(cast)
    assert not chair_decides(cast, phone)  # the senior leader still decides it
    RoleGrant.objects.filter(membership=cast.member(cast.slt), role=Role.SENIOR_LEADER).delete()
    assert chair_decides(cast, phone)


# --- KCSIE Part 4: the Headteacher cannot become, or quietly replace, the reader of concerns about them -----
def roles_page(cast, member):
    client = signed_in(cast.head, confirmed=True)
    return client, reverse("staff_roles", kwargs={"school": cast.school.slug, "pk": member.pk})


def test_a_headteacher_cannot_be_the_chair_of_governors(cast):
    """The chair reads concerns about the Headteacher: a Headteacher who made themselves chair left every such
    concern with no reader but its subject, and nobody told."""
    about_head = raise_(cast, cast.slt, cast.head)
    client, url = roles_page(cast, cast.member(cast.governor))
    assert client.post(url, {"roles": ["governor"]}).status_code == 302  # untick the chair first
    client, url = roles_page(cast, cast.member(cast.head))
    page = client.post(url, {"roles": ["headteacher", "governor"], "is_chair_of_governors": "on"})
    assert page.status_code == 200 and "a Headteacher is not the chair" in page.content.decode()
    assert not cast.member(cast.head).is_chair_of_governors
    # Nor does the chair become a Headteacher while they chair.
    client, url = roles_page(cast, cast.member(cast.line_manager))
    page = client.post(url, {"roles": ["line_manager", "governor"], "is_chair_of_governors": "on"})
    assert page.status_code == 302
    page = client.post(url, {"roles": ["headteacher", "governor"], "is_chair_of_governors": "on"})
    assert page.status_code == 200 and "a Headteacher is not the chair" in page.content.decode()
    assert readers_of(cast, about_head) == [cast.line_manager.email]


def test_a_chair_of_governors_who_is_replaced_is_told(cast):
    """The Headteacher records who chairs the governors, who read concerns about the Headteacher: a chair
    unticked by someone else hears of it, so the change cannot pass unnoticed (and the notice names nobody)."""
    client, url = roles_page(cast, cast.member(cast.governor))
    assert client.post(url, {"roles": ["governor"]}).status_code == 302
    told = Notification.objects.get(user=cast.governor, kind="roles.chair")
    assert "no longer" in told.title and "Helen" not in told.title
    client, url = roles_page(cast, cast.member(cast.line_manager))
    assert (
        client.post(url, {"roles": ["line_manager", "governor"], "is_chair_of_governors": "on"}).status_code
        == 302
    )
    assert Notification.objects.filter(user=cast.line_manager, kind="roles.chair").exists()


def test_with_no_chair_recorded_the_governors_and_the_trust_are_told_something_waits_for_one(cast):
    """A concern about the Headteacher waits for a chair of governors who is no longer recorded: its readers
    are nobody. The other governors and the trust's admins (who can record a chair) are told, the
    Headteacher (often a governor too) is not; the notice names nobody."""
    RoleGrant.objects.create(school=cast.school, membership=cast.member(cast.head), role=Role.GOVERNOR)
    RoleGrant.objects.create(school=cast.school, membership=cast.member(cast.dpo), role=Role.GOVERNOR)
    about_head = raise_(cast, cast.slt, cast.head)
    LowLevelConcern.objects.filter(pk=about_head.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=2)
    )
    type(cast.member(cast.governor)).objects.filter(school=cast.school).update(is_chair_of_governors=False)
    daily.chase(cast.school)
    told = set(Notification.objects.filter(kind=daily.NO_CHAIR_KIND).values_list("user_id", flat=True))
    assert told == {cast.governor.pk, cast.dpo.pk, cast.trust_admin.pk}
    assert "Helen" not in Notification.objects.filter(kind=daily.NO_CHAIR_KIND).first().title
    daily.chase(cast.school)  # once a day
    assert Notification.objects.filter(kind=daily.NO_CHAIR_KIND).count() == 3


def test_the_chair_withdraws_only_the_requests_the_chair_decides(cast):
    """The withdraw door let the chair of governors end any member's permission, one they may not even open."""
    phone = ask(cast, cast.teacher, social=False)
    chair = Actor.of(cast.governor, cast.school)
    assert not may_withdraw_permission.peek(chair, subject=phone)
    with pytest.raises(Refused):
        services.withdraw(chair, phone)
    heads_own = ask(cast, cast.head, social=True)  # §4: the chair decides the Headteacher's social media
    assert may_withdraw_permission.peek(chair, subject=heads_own)


# --- Guards: every conduct POST needs its CSRF token; no GET changes anything --------------------------------
def test_every_conduct_post_is_refused_without_its_csrf_token(cast):
    disclosure = disclose(cast, cast.teacher)
    concern = raise_(cast, cast.volunteer, cast.teacher)
    contact, phone = ask(cast, cast.teacher, social=True), ask(cast, cast.teacher, social=False)
    client = signed_in(cast.head)
    client.handler.enforce_csrf_checks = True
    posts = {
        "disclosure_new": {}, "disclosure_edit": {"pk": disclosure.pk}, "disclosure_outcome": {"pk": disclosure.pk},
        "contact_channels": {}, "contact_request": {}, "contact_decide": {"pk": contact.pk},
        "contact_withdraw": {"pk": contact.pk}, "equipment_request": {}, "equipment_decide": {"pk": phone.pk},
        "equipment_withdraw": {"pk": phone.pk}, "concern_new": {}, "concern_outcome": {"pk": concern.pk},
        "concern_escalate": {"pk": concern.pk},
    }  # fmt: skip
    for name, kwargs in posts.items():
        response = client.post(
            reverse(name, kwargs={"school": cast.school.slug, **kwargs}), {"action": "add"}
        )
        assert response.status_code == 403 and b"CSRF" in response.content, name
    assert not Disclosure.objects.exclude(pk=disclosure.pk).exists() and not disclosure.is_decided


def test_the_disclosure_rule_and_the_lists_agree_for_every_person_whatever_the_roles(cast):
    """``may_read_disclosure`` and ``disclosures_readable_by`` (plus one's own) give one answer for every
    person and disclosure: referred to the DSL, shared with the DSL or not, before and after the teacher
    becomes Headteacher."""
    made = [disclose(cast, who) for who in (cast.teacher, cast.head, cast.dsl, cast.governor)]

    def agree():
        for user in people(cast):
            actor = Actor.of(user, cast.school)
            listed = (
                set(disclosures_readable_by(actor).values_list("pk", flat=True)) if actor.school else set()
            )
            for d in made:
                own = d.discloser_id == user.pk
                assert bool(may_read_disclosure.peek(actor, subject=d)) == (d.pk in listed or own), (user, d)
                assert not (own and d.pk in listed)  # one's own are on My conduct, not in the list

    agree()
    services.record_outcome(Actor.of(cast.head, cast.school), made[0], outcome=Disclosure.Outcome.DSL)
    made[0].refresh_from_db()
    agree()
    SchoolSettings.objects.filter(school=cast.school).update(disclosures_to_dsl=True)
    agree()
    promote_teacher_to_head(cast)
    agree()


# --- §6: a photo's flag names the colleague whose permission it was only to those who may open it -----------
def test_the_photo_flag_names_the_phone_owner_only_to_those_who_may_see_their_permission(cast, storage):
    """The image page hid the link to a colleague's personal-equipment permission from the teacher who uploaded
    the photo, but its reason still named the colleague and quoted their permission."""
    add_device(cast.school)
    phone_permission(cast)
    activity = approved_activity(cast.school, cast.teacher, cast.slt, codes=("website",))
    image, _ = upload_phone_photo(cast, activity)
    teacher_page = image_page(cast.teacher, image)
    assert "Val Volunteer" not in teacher_page
    assert "Taken on a member of staff&#x27;s personal phone: the permission for" in teacher_page
    assert "Taken on Val Volunteer&#x27;s personal phone" in image_page(cast.slt, image)
    # Publishing waits for the flag with the same reason: named likewise.
    website = purpose(cast.school, "website")
    for user, named in ((cast.teacher, False), (cast.slt, True)):
        reasons = publish_reasons(
            Actor.of(user, cast.school), image, website, consent=image.consent_on(website)
        )[0]
        assert any("personal phone" in str(r) for r in reasons)
        assert any("Val Volunteer" in str(r) for r in reasons) == named, user


# --- §3: a disclosure referred to the DSL is one the DSL can open ------------------------------------------
def test_a_disclosure_referred_to_the_dsl_opens_for_the_dsl(cast):
    """With disclosures not shared with the DSL (the default), "refer to the DSL" told the DSL of a disclosure
    whose page answered them 404: the referral reached nobody."""
    disclosure = disclose(cast, cast.teacher)
    page = reverse("disclosure_detail", kwargs={"school": cast.school.slug, "pk": disclosure.pk})
    assert signed_in(cast.dsl).get(page).status_code == 404  # not theirs until it is referred
    services.record_outcome(Actor.of(cast.head, cast.school), disclosure, outcome=Disclosure.Outcome.DSL)
    told = Notification.objects.get(user=cast.dsl, kind="conduct.referred")
    assert signed_in(cast.dsl).get(told.url).status_code == 200
    assert disclosure in disclosures_readable_by(Actor.of(cast.dsl, cast.school))
    assert signed_in(cast.slt).get(page).status_code == 404


def test_a_concern_about_someone_who_became_headteacher_says_the_chair_reads_it(cast):
    """Its page told the chair it was "Read by the Headteacher", who is now the person it is about."""
    about_teacher = raise_(cast, cast.volunteer, cast.teacher)
    promote_teacher_to_head(cast)
    page = signed_in(cast.governor).get(
        reverse("concern_detail", kwargs={"school": cast.school.slug, "pk": about_teacher.pk})
    )
    assert page.status_code == 200
    assert "Read by the chair of governors" in page.content.decode()
