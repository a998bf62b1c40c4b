import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from saferstaff.audit.models import AuditEvent
from saferstaff.notifications.models import Notification
from saferstaff.rules.engine import Refused
from saferstaff.rules.policies import may_change_role, may_sign_in_without_mfa
from saferstaff.schools.models import EmploymentType, Membership, Role, RoleGrant
from saferstaff.schools.roles import Actor
from saferstaff.schools.staff import (
    StaffImportError,
    add_staff,
    change_roles,
    import_staff,
    mark_as_left,
    set_roles,
)

from .conftest import PASSWORD, current_totp, signed_in

# --- The policy engine's role rule (§2) ---------------------------------------------------------------


def test_only_the_head_or_trust_admin_may_change_roles(cast):
    teacher = cast.member(cast.teacher)
    assert may_change_role(Actor.of(cast.head, cast.school), subject=teacher, role=Role.DSL, grant=True)
    assert may_change_role(
        Actor.of(cast.trust_admin, cast.school), subject=teacher, role=Role.DSL, grant=True
    )
    refused = may_change_role(Actor.of(cast.slt, cast.school), subject=teacher, role=Role.DSL, grant=True)
    assert not refused and refused.sections == ["§2"] and "Headteacher" in refused.summary


def test_the_last_headteacher_cannot_be_removed(cast):
    decision = may_change_role(
        Actor.of(cast.head, cast.school), subject=cast.member(cast.head), role=Role.HEADTEACHER, grant=False
    )
    assert not decision and "§3" in decision.sections


def test_every_role_decision_is_audited_with_rule_and_sections(cast):
    may_change_role(
        Actor.of(cast.slt, cast.school), subject=cast.member(cast.teacher), role=Role.DSL, grant=True
    )
    event = AuditEvent.objects.filter(action="policy.decision").latest("seq")
    assert event.detail == {"rule": "roles.change", "allowed": False, "sections": ["§2"]}
    assert event.object_type == "schools.membership" and event.object_id == str(cast.member(cast.teacher).pk)


@pytest.mark.parametrize(
    ("roles", "trust_admin", "allowed"),
    [
        ({Role.STAFF}, False, True),
        ({Role.GOVERNOR}, False, True),
        ({Role.HEADTEACHER}, False, False),
        ({Role.DSL}, False, False),
        ({Role.DPO}, False, False),
        # §8: they see every pupil's photos, consent records and face enrolment.
        ({Role.SENIOR_LEADER}, False, False),
        ({Role.OFFICE, Role.STAFF}, False, False),
        ({Role.LINE_MANAGER, Role.STAFF}, False, True),
        (set(), True, False),
    ],
)
def test_who_needs_a_second_factor(roles, trust_admin, allowed):
    decision = may_sign_in_without_mfa({1: frozenset(roles)}, trust_admin)
    assert decision.allowed is allowed
    if not allowed:
        assert "§8" in decision.sections and "§7" in decision.sections


# --- set_roles / add_staff ------------------------------------------------------------------------------


def test_set_roles_grants_removes_audits_and_tells_the_person(cast):
    teacher = cast.member(cast.teacher)
    added, removed = set_roles(teacher, {Role.DSL, Role.LINE_MANAGER}, by=cast.head)
    assert added == {Role.DSL, Role.LINE_MANAGER} and removed == {Role.STAFF}
    assert Membership.objects.get(pk=teacher.pk).roles == {Role.DSL, Role.LINE_MANAGER}
    actions = list(AuditEvent.objects.filter(object_id=str(teacher.pk)).values_list("action", "detail"))
    assert ("role.granted", {"role": "dsl"}) in actions and ("role.removed", {"role": "staff"}) in actions
    assert Notification.objects.filter(user=cast.teacher, kind="roles.changed").exists()


def test_a_refused_change_leaves_every_role_as_it_was(cast):
    teacher = cast.member(cast.teacher)
    with pytest.raises(Refused):
        set_roles(teacher, {Role.DSL}, by=cast.slt)
    assert Membership.objects.get(pk=teacher.pk).roles == {Role.STAFF}


def test_add_staff_creates_the_account_and_emails_an_invitation(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        member = add_staff(
            cast.school,
            email="New.Person@School.example",
            first_name="New",
            last_name="Person",
            roles={Role.STAFF},
            employment_type=EmploymentType.AGENCY,
            by=cast.head,
        )
    assert member.user.email == "new.person@school.example" and not member.user.has_usable_password()
    assert member.roles == {Role.STAFF} and member.employment_type == EmploymentType.AGENCY
    assert len(mail.outbox) == 1 and "/accounts/password/reset/key/" in mail.outbox[0].body


def test_someone_already_at_another_school_joins_with_their_own_roles(cast):
    member = add_staff(
        cast.school,
        email=cast.other_teacher.email,
        first_name="O",
        last_name="T",
        roles={Role.GOVERNOR},
        by=cast.head,
    )
    assert member.roles == {Role.GOVERNOR}
    assert cast.member(cast.other_teacher, cast.other_school).roles == {Role.STAFF}


# --- Workforce CSV --------------------------------------------------------------------------------------

GOOD_CSV = (
    "First Name,Surname,Email,Role,Employment Type,Job Title\n"
    "Ann,Able,ann@school.example,Teacher,employee,Class teacher\n"
    "Bob,Baker,bob@school.example,DSL;SLT,employee,Deputy\n"
    "Cat,Cole,cat@school.example,,volunteer,Reader\n"
)


def test_import_staff_from_csv(cast):
    memberships = import_staff(cast.school, GOOD_CSV.encode(), by=cast.head)
    assert len(memberships) == 3
    bob = Membership.objects.get(user__email="bob@school.example")
    assert bob.roles == {Role.DSL, Role.SENIOR_LEADER} and bob.job_title == "Deputy"
    cat = Membership.objects.get(user__email="cat@school.example")
    assert cat.roles == {Role.STAFF} and cat.employment_type == EmploymentType.VOLUNTEER


def test_reimporting_staff_updates_instead_of_duplicating(cast):
    import_staff(cast.school, GOOD_CSV.encode(), by=cast.head)
    import_staff(cast.school, GOOD_CSV.replace("Class teacher", "Year 2 teacher").encode(), by=cast.head)
    ann = Membership.objects.filter(user__email="ann@school.example")
    assert ann.count() == 1 and ann.get().job_title == "Year 2 teacher"


@pytest.mark.parametrize(
    ("csv_text", "expected"),
    [
        ("Name,Email\nAnn,ann@x.example\n", "no column for first name, last name"),
        (GOOD_CSV + "Dan,Dunn,not-an-email,,employee,\n", "Line 5: 'not-an-email' is not an email address"),
        (
            GOOD_CSV + "Dan,Dunn,ann@school.example,,employee,\n",
            "Line 5: ann@school.example is also on line 2",
        ),
        (
            GOOD_CSV + "Dan,Dunn,dan@school.example,Caretaker-in-chief,employee,\n",
            "'caretaker-in-chief' is not a role",
        ),
        (GOOD_CSV + "Dan,Dunn,dan@school.example,,freelance,\n", "employment type 'freelance'"),
        ("", "The file is empty"),
    ],
)
def test_a_bad_staff_csv_names_the_line_and_saves_nothing(cast, csv_text, expected):
    before = (Membership.objects.count(), AuditEvent.objects.count())
    with pytest.raises(StaffImportError) as exc:
        import_staff(cast.school, csv_text.encode(), by=cast.head)
    assert any(expected in p for p in exc.value.problems), exc.value.problems
    assert (Membership.objects.count(), AuditEvent.objects.count()) == before


def test_a_windows_1252_staff_csv_is_read(cast):
    data = GOOD_CSV.replace("Ann,Able", "Siân,Able").encode("cp1252")
    import_staff(cast.school, data, by=cast.head)
    assert Membership.objects.get(user__email="ann@school.example").user.first_name == "Siân"


def test_an_import_granting_roles_the_importer_may_not_grant_saves_nothing(cast):
    before = Membership.objects.count()
    with pytest.raises(StaffImportError, match="Headteacher"):
        import_staff(cast.school, GOOD_CSV.encode(), by=cast.slt)
    assert Membership.objects.count() == before


# --- The pages ------------------------------------------------------------------------------------------


def test_head_adds_a_member_of_staff_in_the_browser_form(cast):
    client = signed_in(cast.head, confirmed=True)
    url = reverse("staff_add", kwargs={"school": cast.school.slug})
    response = client.post(
        url,
        {
            "first_name": "Ed",
            "last_name": "Eve",
            "email": "ed@school.example",
            "job_title": "",
            "employment_type": "contractor",
            "roles": ["staff"],
        },
    )
    member = Membership.objects.get(user__email="ed@school.example")
    assert response.status_code == 302 and response["Location"].endswith(f"/staff/{member.pk}/")


def test_the_add_form_shows_errors_without_saving(cast):
    client = signed_in(cast.head, confirmed=True)
    response = client.post(reverse("staff_add", kwargs={"school": cast.school.slug}), {"email": "nope"})
    assert response.status_code == 200
    assert b"govuk-error-summary" in response.content and b"Enter a valid email address" in response.content
    assert not Membership.objects.filter(user__email="nope").exists()


def test_changing_roles_asks_for_the_password_again_first(cast):
    client = signed_in(cast.head)
    teacher = cast.member(cast.teacher)
    url = reverse("staff_roles", kwargs={"school": cast.school.slug, "pk": teacher.pk})
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_reauthenticate"))
    # A POST without a recent re-authentication saves nothing and is not replayed later.
    response = client.post(url, {"roles": ["staff", "line_manager"]})
    assert response.status_code == 302 and "/accounts/reauthenticate/" in response["Location"]
    assert Membership.objects.get(pk=teacher.pk).roles == {Role.STAFF}
    # After the password, the user is taken back to the form (through the access map), and saving works.
    response = client.post(response["Location"], {"password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == url
    assert client.get(url).status_code == 200
    response = client.post(url, {"roles": ["staff", "line_manager"]})
    assert response.status_code == 302
    assert Membership.objects.get(pk=teacher.pk).roles == {Role.STAFF, Role.LINE_MANAGER}


def test_the_role_form_shows_the_engines_refusal_with_its_clause(cast):
    client = signed_in(cast.head)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    url = reverse("staff_roles", kwargs={"school": cast.school.slug, "pk": cast.member(cast.head).pk})
    response = client.post(url, {"roles": ["senior_leader"]})
    assert response.status_code == 200 and "(§3)" in response.content.decode()
    assert Role.HEADTEACHER in cast.member(cast.head).roles


def test_opening_a_pupil_record_is_audited_by_id_only(cast):
    import datetime

    from saferstaff.schools.models import Pupil

    pupil = Pupil.objects.create(
        school=cast.school,
        upn="",
        source_id="p1",
        legal_forename="Zebedee",
        legal_surname="Quux",
        date_of_birth=datetime.date(2019, 5, 1),
    )
    signed_in(cast.teacher).get(reverse("pupil_detail", kwargs={"school": cast.school.slug, "pk": pupil.pk}))
    event = AuditEvent.objects.get(action="pupil.viewed")
    assert event.object_id == str(pupil.pk) and event.actor_id == cast.teacher.pk
    row = " ".join(str(v) for v in AuditEvent.objects.filter(pk=event.pk).values().get().values())
    assert "Zebedee" not in row and "Quux" not in row


def test_staff_who_must_use_mfa_are_sent_to_set_it_up_first(cast):
    client = signed_in(cast.dsl, mfa=False)
    response = client.get(reverse("school_dashboard", kwargs={"school": cast.school.slug}))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")
    # A teacher is not asked.
    teacher = signed_in(cast.teacher, mfa=False)
    assert teacher.get(reverse("school_dashboard", kwargs={"school": cast.school.slug})).status_code == 200
    for user in (cast.slt, cast.office):
        response = signed_in(user, mfa=False).get(
            reverse("school_dashboard", kwargs={"school": cast.school.slug})
        )
        assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")


def test_a_person_at_two_schools_chooses_between_them(cast):
    add_staff(
        cast.other_school,
        email=cast.teacher.email,
        first_name="T",
        last_name="T",
        roles={Role.GOVERNOR},
        by=cast.trust_admin,
    )
    client = signed_in(cast.teacher)
    invitation = Membership.objects.get(school=cast.other_school, user=cast.teacher)
    assert (
        f'href="{reverse("invitation_accept", kwargs={"pk": invitation.pk})}"'
        in client.get(reverse("home")).content.decode()
    )
    response = client.post(reverse("invitation_accept", kwargs={"pk": invitation.pk}))
    assert response.status_code == 302
    page = client.get(reverse("home")).content.decode()
    assert cast.school.name in page and cast.other_school.name in page
    dashboard = client.get(
        reverse("school_dashboard", kwargs={"school": cast.other_school.slug})
    ).content.decode()
    assert "Switch school" in dashboard and "Governor" in dashboard


def test_the_head_records_that_a_teacher_has_left_and_their_access_ends(cast):
    teacher = cast.member(cast.teacher)
    dashboard = reverse("school_dashboard", kwargs={"school": cast.school.slug})
    leaver = signed_in(cast.teacher)
    assert leaver.get(dashboard).status_code == 200
    response = signed_in(cast.head, confirmed=True).post(
        reverse("staff_leave", kwargs={"school": cast.school.slug, "pk": teacher.pk})
    )
    assert response.status_code == 302
    assert Membership.objects.get(pk=teacher.pk).ended_on is not None
    # Their open session ended with their place: the next page asks them to sign in.
    response = leaver.get(dashboard)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in leaver.session
    assert AuditEvent.objects.filter(action="membership.ended", object_id=str(teacher.pk)).exists()
    # With no place at any other school, signing in again is refused with a page that says why.
    cache.clear()
    refused = Client().post(reverse("account_login"), {"login": cast.teacher.email, "password": PASSWORD})
    assert refused.status_code == 403 and "_auth_user_id" not in refused.wsgi_request.session
    page = refused.content.decode()
    assert "Your school has recorded that you have left" in page and "(§8)" in page


def test_someone_who_leaves_one_school_signs_in_again_to_the_other(cast):
    there = Membership.objects.create(school=cast.other_school, user=cast.teacher)
    RoleGrant.objects.create(school=cast.other_school, membership=there, role=Role.STAFF)
    leaver = signed_in(cast.teacher)
    mark_as_left(cast.member(cast.teacher), by=cast.head)
    assert leaver.get(reverse("home")).status_code == 302 and "_auth_user_id" not in leaver.session
    cache.clear()
    client = Client()
    client.post(reverse("account_login"), {"login": cast.teacher.email, "password": PASSWORD})
    # (signed_in gave the teacher an authenticator app: the password is followed by its code)
    client.post(reverse("mfa_authenticate"), {"code": current_totp("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")})
    assert client.session["_auth_user_id"] == str(cast.teacher.pk)
    other = reverse("school_dashboard", kwargs={"school": cast.other_school.slug})
    assert client.get(other).status_code == 200
    assert client.get(reverse("school_dashboard", kwargs={"school": cast.school.slug})).status_code == 404


def test_the_only_headteacher_cannot_be_recorded_as_left(cast):
    url = reverse("staff_leave", kwargs={"school": cast.school.slug, "pk": cast.member(cast.head).pk})
    response = signed_in(cast.trust_admin, confirmed=True).post(url)
    assert response.status_code == 200 and "(§3)" in response.content.decode()
    assert cast.member(cast.head).ended_on is None


def test_the_heads_dashboard_lists_what_is_waiting(cast):
    add_staff(
        cast.school,
        email="new@school.example",
        first_name="N",
        last_name="P",
        roles={Role.STAFF},
        by=cast.head,
    )
    page = (
        signed_in(cast.head)
        .get(reverse("school_dashboard", kwargs={"school": cast.school.slug}))
        .content.decode()
    )
    assert "Things to do" in page and "1 invited person has not accepted yet" in page
    teacher_page = signed_in(cast.teacher).get(
        reverse("school_dashboard", kwargs={"school": cast.school.slug})
    )
    assert "Things to do" not in teacher_page.content.decode()


@pytest.mark.parametrize("name", ["staff_add", "staff_import", "staff_leave"])
def test_pages_that_grant_or_end_access_ask_for_the_password_again(cast, name):
    kwargs = {"school": cast.school.slug}
    if name == "staff_leave":
        kwargs["pk"] = cast.member(cast.teacher).pk
    url = reverse(name, kwargs=kwargs)
    response = signed_in(cast.head).post(url, {"email": "x@school.example", "roles": ["headteacher"]})
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_reauthenticate"))
    assert cast.member(cast.teacher).ended_on is None
    assert not Membership.objects.filter(user__email="x@school.example").exists()


def test_someone_returning_after_leaving_gets_only_the_roles_asked_for_now(cast):
    from saferstaff.schools.staff import mark_as_left

    dsl = cast.member(cast.dsl)
    mark_as_left(dsl, by=cast.head)
    add_staff(
        cast.school, email=cast.dsl.email, first_name="D", last_name="S", roles={Role.STAFF}, by=cast.head
    )
    dsl.refresh_from_db()
    assert dsl.ended_on is None and dsl.roles == {Role.STAFF}
    removed = AuditEvent.objects.filter(action="role.removed", object_id=str(dsl.pk)).values_list(
        "detail", flat=True
    )
    assert {"role": "dsl"} in list(removed)


def _add_through_the_form(cast, email, **extra):
    client = signed_in(cast.head, confirmed=True)
    form = {
        "first_name": "Edna",
        "last_name": "Typed",
        "email": email,
        "employment_type": "employee",
        "roles": ["staff"],
        **extra,
    }
    return client.post(reverse("staff_add", kwargs={"school": cast.school.slug}), form, follow=True)


def test_adding_staff_says_the_same_whether_or_not_the_address_has_an_account(cast):
    """The school never learns whether an address is in use at another school, nor that person's name."""
    pages = {}
    for email in (cast.other_teacher.email, "brand.new@school.example"):
        response = _add_through_the_form(cast, email)
        page = response.content.decode()
        assert f"Edna Typed has been invited. We have emailed {email}." in page
        assert (
            "Invited, has not accepted yet" in page and '<h1 class="govuk-heading-l">Edna Typed</h1>' in page
        )
        pages[email] = page.replace(email, "EMAIL")
    assert cast.other_teacher.first_name not in pages[cast.other_teacher.email]
    # The existing account is invited, not attached: no access here until they accept.
    waiting = Membership.objects.get(school=cast.school, user=cast.other_teacher)
    assert waiting.invited_at is not None
    assert (
        signed_in(cast.other_teacher)
        .get(reverse("school_dashboard", kwargs={"school": cast.school.slug}))
        .status_code
        == 404
    )
    invited = Notification.objects.get(user=cast.other_teacher, kind="membership.invited")
    assert invited.url == reverse("invitation_accept", kwargs={"pk": waiting.pk})
    staff = (
        signed_in(cast.head).get(reverse("staff_list", kwargs={"school": cast.school.slug})).content.decode()
    )
    assert staff.count("Edna Typed") == 2 and cast.other_teacher.first_name not in staff


def test_only_the_invited_person_can_accept(cast):
    add_staff(
        cast.school,
        email=cast.other_teacher.email,
        first_name="O",
        last_name="T",
        roles={Role.STAFF},
        by=cast.head,
    )
    waiting = Membership.objects.get(school=cast.school, user=cast.other_teacher)
    url = reverse("invitation_accept", kwargs={"pk": waiting.pk})
    assert signed_in(cast.teacher).post(url).status_code == 404
    assert signed_in(cast.other_teacher).post(url).status_code == 302
    assert signed_in(cast.other_teacher).get(url).status_code == 404  # accepted: nothing waits any more
    assert Membership.objects.active().filter(pk=waiting.pk).exists()


def test_adding_someone_already_on_the_staff_changes_nothing_and_offers_their_page(cast):
    teacher = cast.member(cast.teacher)
    teacher.job_title = "Year 1 teacher"
    teacher.save()
    response = _add_through_the_form(
        cast, cast.teacher.email, job_title="Caretaker", employment_type="agency"
    )
    page = response.content.decode()
    assert "This person is already on the staff here: nothing was changed" in page
    assert 'href="#id_email"' in page
    assert f'href="{reverse("staff_detail", kwargs={"school": cast.school.slug, "pk": teacher.pk})}"' in page
    teacher.refresh_from_db()
    assert teacher.job_title == "Year 1 teacher" and teacher.employment_type == "employee"


def test_leaving_ends_a_session_signed_with_a_retired_secret_key_too(cast, settings):
    """After a SECRET_KEY rotation, sessions signed with the old key still work (SECRET_KEY_FALLBACKS):
    recording that the person left must end those as well."""
    settings.SECRET_KEY = "the-old-key-" + "x" * 40
    leaver = Client()
    leaver.force_login(cast.teacher)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "the-new-key-" + "y" * 40, [settings.SECRET_KEY]
    assert leaver.get(reverse("home")).status_code in (200, 302)
    assert "_auth_user_id" in leaver.session
    mark_as_left(cast.member(cast.teacher), by=cast.head)
    leaver.get(reverse("home"))
    assert "_auth_user_id" not in leaver.session


def test_roles_the_chair_and_the_line_manager_change_together_or_not_at_all(cast):
    member = cast.member(cast.teacher)
    head = cast.member(cast.head)
    with pytest.raises(Refused):  # a teacher cannot give themselves a role
        change_roles(member, roles={Role.DSL}, is_chair_of_governors=True, line_manager=head, by=cast.teacher)
    member.refresh_from_db()
    assert not member.is_chair_of_governors and member.line_manager is None and Role.DSL not in member.roles
    assert change_roles(
        member, roles=set(member.roles), is_chair_of_governors=False, line_manager=head, by=cast.head
    )
    member.refresh_from_db()
    assert member.line_manager == head
    event = AuditEvent.objects.filter(action="membership.updated").get()
    assert event.detail == {"fields": ["line_manager"]}
    assert not change_roles(
        member, roles=set(member.roles), is_chair_of_governors=False, line_manager=head, by=cast.head
    )


def test_saving_the_roles_page_untouched_keeps_a_line_manager_who_no_longer_manages(cast):
    """A line manager whose managing role was taken away stays someone's line manager until the Headteacher
    chooses otherwise: the page offers them as the current choice, so saving it untouched changes nothing."""
    manager, member = cast.member(cast.slt), cast.member(cast.teacher)
    Membership.objects.filter(pk=member.pk).update(line_manager=manager)
    set_roles(manager, set(), by=cast.head)  # every role taken away: no longer one who manages
    client = signed_in(cast.head, confirmed=True)
    url = reverse("staff_roles", kwargs={"school": cast.school.slug, "pk": member.pk})
    page = client.get(url).content.decode()
    assert f'<option value="{manager.pk}" selected>' in page
    response = client.post(url, {"roles": ["staff"], "line_manager": str(manager.pk)})
    assert response.status_code == 302
    assert Membership.objects.get(pk=member.pk).line_manager == manager
    assert not AuditEvent.objects.filter(action="membership.updated").exists()
