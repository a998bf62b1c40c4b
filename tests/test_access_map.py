"""Walks EVERY URL pattern × every role × own/other school against the access map (saferstaff/access.py).

If this fails after you added a page: add its URL name to ACCESS_MAP with the roles that may use it, and,
if its URL takes an object id, teach ``sample_kwargs`` below how to find one (tests/test_tenancy.py uses it
too, to ask for another school's object: that page must answer 404)."""

import datetime
import hashlib

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from saferstaff.access import ACCESS_MAP, CLOSED, PUBLIC, SIGNED_IN, TRUST_ADMIN
from saferstaff.conduct.models import LowLevelConcern
from saferstaff.notifications.models import Notification
from saferstaff.schools.models import Pupil, Role
from saferstaff.schools.rosters.service import stage_upload

from .conftest import make_person, signed_in
from .roster_samples import csv_text, sample_pupils


def all_url_names(with_routes: bool = False) -> list[tuple]:
    found = []

    def walk(patterns, namespace="", prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, ns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                name = f"{namespace}{p.name}" if p.name else f"<unnamed {prefix}{p.pattern}>"
                found.append((name, p, prefix + str(p.pattern)) if with_routes else (name, p))

    walk(get_resolver().url_patterns)
    return found


def test_every_url_pattern_is_in_the_access_map():
    missing = sorted(
        {name for name, _ in all_url_names() if name not in ACCESS_MAP and not name.startswith("<")}
    )
    assert not missing, (
        "These URL patterns are not in saferstaff/access.py ACCESS_MAP, so nobody can open them: "
        f"{missing}. Add each with the roles that may use it (PUBLIC, SIGNED_IN, TRUST_ADMIN or Role values)."
    )


def test_the_access_map_names_only_real_pages():
    names = {name for name, _ in all_url_names()}
    stale = sorted(set(ACCESS_MAP) - names)
    assert not stale, f"ACCESS_MAP lists pages that no URL pattern has (remove them): {stale}"


def test_unnamed_patterns_are_refused_to_everyone(cast, client):
    # allauth repeats a few social-account pages without a name; the middleware refuses a page it cannot
    # look up in the map, so these stay shut (their named twins are in the map).
    unnamed = [(p, route) for name, p, route in all_url_names(with_routes=True) if name.startswith("<")]
    assert unnamed, "no unnamed patterns left: delete this test"
    for pattern, route in unnamed:
        if pattern.pattern.converters:
            continue
        assert signed_in(cast.head).get("/" + route).status_code == 403, route


def school_pages() -> list[str]:
    return sorted(
        name
        for name, pattern in all_url_names()
        if "school" in pattern.pattern.converters and not ACCESS_MAP[name] & {PUBLIC, SIGNED_IN, CLOSED}
    )


def sample_kwargs(name: str, cast, school, user=None) -> dict:
    """Kwargs that reach a real object at ``school`` for each school page (objects that belong to one
    person, such as a photo activity, belong to ``user`` when given)."""
    kwargs = {"school": school.slug}
    if name in {"staff_detail", "staff_roles", "staff_leave"}:
        kwargs["pk"] = school.memberships.order_by("pk").last().pk
    elif name == "pupil_detail":
        pupil, _ = Pupil.objects.get_or_create(
            school=school,
            upn="",
            source_id=f"walk-{school.pk}",
            defaults={
                "legal_forename": "Ada",
                "legal_surname": "Walker",
                "date_of_birth": datetime.date(2019, 1, 1),
            },
        )
        kwargs["pk"] = pupil.pk
    elif name in {
        "policy_version",
        "policy_publish",
        "policy_changes",
        "policy_accept",
        "policy_audience",
        "policy_decline",
        "policy_accept_for",
        "policy_questions",
        "policy_review_date",
        "policy_draft_delete",
    }:
        from saferstaff.policies.models import Policy, PolicyVersion

        policy, _ = Policy.objects.get_or_create(school=school, title="Walk policy")
        version, _ = PolicyVersion.objects.get_or_create(
            school=school, policy=policy, number=1, defaults={"status": "published", "text_sha256": "0" * 64}
        )
        kwargs.update(pk=policy.pk) if name == "policy_audience" else kwargs.update(
            pk=policy.pk, number=version.number
        )
    elif name == "policy_acceptance_scan":
        from django.core.files.base import ContentFile

        from saferstaff.policies.models import Acceptance, Policy, PolicyVersion

        policy, _ = Policy.objects.get_or_create(school=school, title="Walk policy")
        version, _ = PolicyVersion.objects.get_or_create(
            school=school, policy=policy, number=1, defaults={"status": "published", "text_sha256": "0" * 64}
        )
        member = school.memberships.order_by("pk").last()
        # One acceptance per person and version (a constraint): the walk asks for it once per role.
        acceptance = Acceptance.objects.filter(school=school, version=version, user=member.user).first()
        if acceptance is None:
            acceptance = Acceptance(school=school, version=version, user=member.user, typed_name="x",
                                    text_sha256="0" * 64, on_behalf_by=member.user, note="paper")  # fmt: skip
            acceptance.evidence.save("scan.pdf", ContentFile(b"%PDF-1.4 scan"), save=False)
            acceptance.save()
        kwargs["pk"] = acceptance.pk
    elif name == "draft_check_delete":
        from saferstaff.postcheck.models import SavedCheck

        author = user or cast.teacher
        saved = SavedCheck.objects.create(school=school, author=author, text="A draft", verdict="ok")
        kwargs["pk"] = saved.pk
    elif name in {"disclosure_detail", "disclosure_edit", "disclosure_outcome"}:
        from django.utils import timezone

        from saferstaff.conduct.models import ContactChannel
        from saferstaff.conduct.services import disclose
        from saferstaff.schools.roles import Actor

        # The discloser's own; for the outcome, one the person decides (the chair: the Headteacher's own).
        own = user if user is not None and school.memberships.filter(user=user).exists() else None
        by = (cast.head if user == cast.governor else cast.teacher) if name == "disclosure_outcome" else own
        by = by if school == cast.school else cast.other_teacher
        disclosure = disclose(Actor.of(by or cast.teacher, school), who="think_pupil", what_happened="A request",
                              channel=ContactChannel.objects.filter(school=school).first(),
                              happened_on=timezone.localdate())  # fmt: skip
        kwargs["pk"] = disclosure.pk
    elif name == "roster_preview":
        staged, _ = stage_upload(school, "roster.csv", csv_text(sample_pupils(3)).encode(), None)
        kwargs["pk"] = staged.pk
    elif name in CONDUCT_CONCERN_PAGES:
        kwargs.update(_concern_sample(name, school, user))
    elif name in INCIDENT_PAGES:
        kwargs.update(_incident_sample(name, school, user))
    elif name in PRIVACY_PAGES:
        kwargs.update(_privacy_sample(name, school, user))
    elif name in {
        f"{kind}_{page}" for kind in ("contact", "equipment") for page in ("detail", "decide", "withdraw")
    }:
        kwargs["pk"] = _permission_sample(name, cast, school, user)
    elif name in {"review_detail", "review_area", "review_complete"}:
        from saferstaff.oversight.models import SelfReview

        owner = school.memberships.order_by("pk").first().user
        review = SelfReview.objects.filter(school=school, completed_at__isnull=True).first()
        review = review or SelfReview.objects.create(school=school, number=1, started_by=owner)
        kwargs["pk"] = review.pk
        if name == "review_area":
            kwargs["area"] = "policy"
    elif name == "review_action_done":
        from saferstaff.oversight.models import ReviewAction, SelfReview

        owner = school.memberships.order_by("pk").first()
        review = SelfReview.objects.filter(school=school).first()
        review = review or SelfReview.objects.create(school=school, number=1, started_by=owner.user)
        action = ReviewAction.objects.create(school=school, review=review, area="policy", what="Walk",
                                             owner=owner, due_on=review.started_at.date())  # fmt: skip
        kwargs["pk"] = action.pk
    elif name == "report_pdf":
        from saferstaff.oversight.models import GovernorsReport
        from saferstaff.oversight.report import make_report

        report = GovernorsReport.objects.filter(school=school).first() or make_report(school)
        kwargs["pk"] = report.pk
    elif name in IMAGE_PAGES:
        kwargs["pk"] = _image_sample(name, cast, school, user)
        if name == "publication_request_face":
            kwargs["n"] = 0
        if name == "takedown_check_page":
            from saferstaff.photos.models import PlaceCheck

            kwargs["check"] = PlaceCheck.objects.get(takedown_id=kwargs["pk"]).pk
    elif set(get_resolver().reverse_dict.getlist(name)[0][0][0][1]) - {"school"}:
        pytest.fail(
            f"tests/test_access_map.py sample_kwargs does not know the URL kwargs of {name!r}: add them"
        )
    return kwargs


CONDUCT_CONCERN_PAGES = {
    "concern_detail", "concern_outcome", "concern_escalate", "concern_person", "conduct_export_csv",
    "conduct_export_pdf",
}  # fmt: skip


INCIDENT_PAGES = {
    "evidence_add", "evidence_download", "evidence_seal", "evidence_custody", "case_detail", "case_triage",
    "case_involve", "case_share", "action_add", "action_done", "note_add", "note_edit", "contact_add", "case_close",
    "case_chronology", "case_chronology_pdf", "person_timeline", "pupil_timeline",
}  # fmt: skip


def _incident_sample(name, school, user) -> dict:
    """A case at ``school`` that ``user`` reads (§9, KCSIE Part 4), so the walk tests the page and not the object
    rule: an allegation about the Headteacher for the chair of governors; otherwise a report by ``user``, who is
    added to it (need to know) when they are not a designated person. Made directly, with its evidence, an
    action and a note of theirs: the other school of the tenancy walk has nobody to route a case to."""
    from django.core.files.base import ContentFile

    from saferstaff.incidents.models import Action, Case, CaseMember, Evidence, Note

    members = school.memberships.order_by("pk")
    member = members.filter(user=user).first()
    if member is None:  # the other school: only its teacher works there
        other = make_person(f"walk.reporter{school.pk}@school.example", school, {Role.STAFF})
        member = members.get(user=other)
    case = Case(
        school=school, reported_by=member.user, happened_on=datetime.date.today(), what_happened="Walk"
    )
    head = members.filter(role_grants__role=Role.HEADTEACHER).exclude(pk=member.pk).first()
    if member.is_chair_of_governors and head is not None:
        case.kind, case.subject, case.routed_to = Case.Kind.ALLEGATION, head, "chair"
    else:
        case.kind = Case.Kind.BULLYING_OF_STAFF
    case.save()
    if (
        not member.role_grants.filter(role__in=[Role.DSL, Role.HEADTEACHER]).exists()
        and case.routed_to != "chair"
    ):
        CaseMember.objects.create(
            school=school, case=case, member=member, added_by=member.user, reason="Walk"
        )
    if name == "person_timeline":
        return {"pk": member.pk}
    if name == "pupil_timeline":
        pupil, _ = Pupil.objects.get_or_create(
            school=school, upn="", source_id=f"walk-{school.pk}",
            defaults={"legal_forename": "Ada", "legal_surname": "Walker", "date_of_birth": datetime.date(2019, 1, 1)},
        )  # fmt: skip
        return {"pk": pupil.pk}
    if name.startswith("evidence_") and name != "evidence_add":
        item = Evidence(school=school, case=case, kind="file", original_name="shot.png", content_type="image/png",
                        extension="png", size=4, sha256="0" * 64, added_by=member.user)  # fmt: skip
        item.stored.save("walk", ContentFile(b"walk"), save=False)
        item.sha256 = hashlib.sha256(b"walk").hexdigest()
        item.save()
        return {"pk": item.pk}
    if name == "action_done":
        action = Action.objects.create(school=school, case=case, what="Walk", owner=member,
                                       due_on=datetime.date.today(), created_by=member.user)  # fmt: skip
        return {"pk": action.pk}
    if name == "note_edit":
        return {"pk": Note.objects.create(school=school, case=case, author=member.user, text="Walk").pk}
    if name == "contact_add":
        return {"pk": case.pk, "kind": "police"}
    return {"pk": case.pk}


PRIVACY_PAGES = {
    "breach_detail", "breach_manage", "sharing_detail", "sharing_complete", "sar_detail", "sar_identity",
    "sar_pause", "sar_resume", "sar_extend", "sar_checklist", "sar_bundle", "sar_bundle_download", "sar_close",
    "seen_pupil", "seen_member", "retention_rule", "hold_release",
}  # fmt: skip


def _privacy_sample(name, school, user) -> dict:
    """A record of the privacy room at ``school`` that ``user`` may open (§8): a breach they reported, an entry
    of the sharing log about nobody at the school, a request about a pupil, a hold on that pupil, a member of
    staff who is not them."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from saferstaff.privacy.models import AccessRequest, Breach, Bundle, LegalHold, Sharing

    now = timezone.now()
    pupil, _ = Pupil.objects.get_or_create(
        school=school, upn="", source_id=f"walk-{school.pk}",
        defaults={"legal_forename": "Ada", "legal_surname": "Walker", "date_of_birth": datetime.date(2019, 1, 1)},
    )  # fmt: skip
    if name.startswith("breach_"):
        breach = Breach.objects.create(school=school, what="Walk", aware_at=now, ico_due=now, logged_by=user)
        return {"pk": breach.pk}
    if name.startswith("sharing_"):
        status = Sharing.Status.TO_COMPLETE if name == "sharing_complete" else Sharing.Status.LOGGED
        entry = Sharing.objects.create(school=school, recipient="Walk", what="Walk", status=status)
        return {"pk": entry.pk}
    if name == "seen_pupil":
        return {"pk": pupil.pk}
    if name == "seen_member":
        other = school.memberships.exclude(user=user).order_by("pk").first()
        if other is None:
            other = school.memberships.get(
                user=make_person(f"walk.seen{school.pk}@school.example", school, {Role.STAFF})
            )
        return {"pk": other.pk}
    if name == "retention_rule":
        return {"record_type": "images"}
    if name == "hold_release":
        hold = LegalHold.objects.create(
            school=school, scope="pupil", pupil=pupil, reason="Walk", placed_by=user
        )
        return {"pk": hold.pk}
    request = AccessRequest.objects.create(
        school=school, requester_kind="guardian", requester_name="Walk", about_pupil=pupil, received_at=now,
        due_at=now, logged_by=user,
    )  # fmt: skip
    if name == "sar_bundle_download":
        bundle = Bundle(school=school, request=request, sha256="0" * 64, items=0, made_by=user)
        bundle.file.save("walk.zip", ContentFile(b"PK\x05\x06" + bytes(18)), save=False)
        bundle.save()
        return {"pk": bundle.pk}
    return {"pk": request.pk}


def _concern_sample(name, school, user) -> dict:
    """A low-level concern at ``school`` that ``user`` reads, so the walk tests the page and not the object
    rule (KCSIE Part 4): about the Headteacher for the chair of governors, escalated for the DSL, about a
    colleague otherwise. Made directly: the other school of the tenancy walk has nobody to route one to."""
    if name.startswith("conduct_export"):
        return {"what": "concerns"}
    members = school.memberships.order_by("pk")
    head = members.filter(role_grants__role=Role.HEADTEACHER).exclude(user=user).first()
    if head and members.filter(user=user, is_chair_of_governors=True).exists():
        subject, route = head, "chair"
    else:
        subject, route = (
            members.exclude(user=user).exclude(role_grants__role=Role.HEADTEACHER).first(),
            "headteacher",
        )
    if subject is None:  # the other school: only its teacher works there
        other = make_person(f"walk.subject{school.pk}@school.example", school, {Role.STAFF})
        subject = members.get(user=other)
    dsl = members.filter(user=user, role_grants__role=Role.DSL).exists()
    concern = LowLevelConcern.objects.create(
        school=school, subject=subject, raised_by=subject.user, happened_on=datetime.date.today(), what="Walk",
        routed_to=route, escalated_at=timezone.now() if dsl else None,
    )  # fmt: skip
    return {"pk": subject.pk if name == "concern_person" else concern.pk}


def _permission_sample(name, cast, school, user) -> int:
    """A permission asked for, through its door, by ``user`` (their own: every role opens it) or the Head."""
    from saferstaff.conduct import services
    from saferstaff.conduct.models import ContactChannel
    from saferstaff.schools.roles import Actor

    owner = user if user is not None and school.memberships.filter(user=user).exists() else cast.head
    dates = {
        "starts_on": datetime.date.today(),
        "ends_on": datetime.date.today() + datetime.timedelta(days=7),
    }
    if name.startswith("equipment_"):
        return services.request_equipment(
            Actor.of(owner, school),
            device_kind="phone",
            purpose="Trip calls",
            conditions=["calls_only"],
            **dates,
        ).pk
    channel = ContactChannel.objects.get(school=school, name="The school's messaging platform")
    return services.request_contact(
        Actor.of(owner, school), channel=channel, purpose="Trip", year_groups=["6"], **dates
    ).pk


IMAGE_PAGES = {
    "pupil_consent", "consent_record", "consent_purpose_edit", "pupil_faces", "activity_screen", "screening_progress", "face_crop", "face_reference", "consent_evidence", "device_edit", "activity_detail", "activity_decide",
    "activity_checklist", "activity_upload", "image_detail", "image_file", "image_thumbnail", "image_tags",
    "image_publish", "image_flag", "publication_copy", "takedown_done", "takedown_check", "takedown_evidence", "takedown_check_page", "takedown_overrule",
    "publication_request", "publication_request_face", "publication_take_down", "publication_detail",
}  # fmt: skip


def _image_sample(name, cast, school, user) -> int:
    """One of each §5 object at ``school``, belonging to ``owner`` (staff see only their own)."""
    from django.core.files.base import ContentFile

    from saferstaff.consent.models import ConsentRecord
    from saferstaff.photos.library import add_images
    from saferstaff.photos.models import Publication, Takedown

    from .image_samples import approved_activity, jpeg, pupil_with_parents, purpose

    owner = user if user is not None and school.memberships.filter(user=user).exists() else cast.head
    pupil, (parent,) = pupil_with_parents(school, "Walk", f"Sample{school.pk}")
    if name == "consent_purpose_edit":
        return purpose(school, "website").pk
    if name in {"pupil_consent", "consent_record", "pupil_faces"}:
        return pupil.pk
    if name == "consent_evidence":
        r = ConsentRecord(school=school, pupil=pupil, purpose=purpose(school, "website"), answer="yes",
                          source="guardian", guardian=parent, method="paper")  # fmt: skip
        r.evidence.save("scan", ContentFile(b"%PDF-1.4 scan"), save=False)
        r.save()
        return r.pk
    activity = approved_activity(school, owner, owner, pupils=[pupil])
    if name == "device_edit":
        return activity.device.pk
    if name.startswith("activity_"):
        return activity.pk
    if name == "screening_progress":
        from saferstaff.biometrics.models import ScreeningRun

        return ScreeningRun.objects.create(school=school, activity=activity, started_by=owner).pk
    (image,) = add_images(activity, [("walk.jpg", jpeg())], by=owner)
    if name.startswith("image_"):
        return image.pk
    if name.startswith("publication_request"):
        from saferstaff.publishing.models import PublicationRequest

        return PublicationRequest.objects.create(
            school=school, image=image, channel=purpose(school, "website"), where="w", requested_by=owner,
            status="ready", faces=[{"box": [10, 10, 50, 50], "pupil": None, "why": "unknown", "blurred": True}],
        ).pk  # fmt: skip
    if name in {"face_crop", "face_reference"}:
        from saferstaff.biometrics.enrolment import seal
        from saferstaff.biometrics.models import FaceDetection, FaceTemplate

        FaceTemplate.objects.create(school=school, pupil=pupil, vector=seal(b"\0" * 512), reference=seal(jpeg()),
                                    model_version="walk")  # fmt: skip
        detection = FaceDetection.objects.create(
            school=school, image=image, left=10, top=10, width=50, height=50, detector_score=0.9,
            model_version="walk", proposed_pupil=pupil, match_score=0.5, verdict="review",
        )  # fmt: skip
        return detection.pk if name == "face_crop" else pupil.pk
    pub = Publication(school=school, image=image, image_ref=image.pk, channel=purpose(school, "website"),
                      where="https://school.example/gallery", published_by=owner)  # fmt: skip
    pub.copy.save("copy.jpg", ContentFile(jpeg()), save=False)
    pub.save()
    if name in {"publication_copy", "publication_take_down", "publication_detail"}:
        return pub.pk
    no = ConsentRecord.objects.create(school=school, pupil=pupil, purpose=purpose(school, "website"), answer="no",
                                      source="guardian", guardian=parent, method="phone")  # fmt: skip
    takedown = Takedown(school=school, publication=pub, pupil=pupil, consent_record=no, assigned_to=owner)
    takedown.evidence.save("shot.pdf", ContentFile(b"%PDF-1.4 screenshot"), save=False)
    takedown.save()
    if name == "takedown_check_page":
        from saferstaff.photos.models import PlaceCheck, PublicationPlace

        place = PublicationPlace.objects.create(
            school=school, publication=pub, url="https://school.example/news"
        )
        check = PlaceCheck(school=school, takedown=takedown, place=place, result="gone", page_sha256="0" * 64)
        check.page.save("page.warc", ContentFile(b"WARC/1.1\r\n"), save=False)
        check.save()
    return takedown.pk


@pytest.mark.parametrize("name", school_pages())
def test_school_page_answers_each_role_as_the_map_says(name, cast):
    allowed = ACCESS_MAP[name]
    people = {**cast.by_role(), TRUST_ADMIN: cast.trust_admin}
    for role, user in people.items():
        url = reverse(name, kwargs=sample_kwargs(name, cast, cast.school, user))
        response = signed_in(user).get(url)
        if role in allowed:
            # 405: a POST-only action answered a GET, past the access map.
            assert response.status_code in (200, 302, 405), (
                f"{name} as {role}: {response.status_code}, expected 200"
            )
            if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
                assert response.content.decode().count('aria-current="page"') <= 1, (
                    f"{name}: one place in the menu"
                )
            if response.status_code == 302:
                # Allowed pages may redirect (e.g. step-up to confirm the password), never to sign-in or MFA setup.
                where = response["Location"]
                assert not where.startswith(("/accounts/login/", "/accounts/2fa/")), (
                    f"{name} as {role} was sent to {where}"
                )
        else:
            assert response.status_code == 403, f"{name} as {role}: {response.status_code}, expected 403"


@pytest.mark.parametrize("name", school_pages())
def test_school_page_is_404_for_another_schools_staff_and_for_strangers(name, cast):
    url = reverse(name, kwargs=sample_kwargs(name, cast, cast.school))
    for user in (cast.other_teacher, cast.nobody):
        assert signed_in(user).get(url).status_code == 404, f"{name} must be 404 for {user.email}"


@pytest.mark.parametrize("name", school_pages())
def test_school_page_sends_anonymous_visitors_to_sign_in(name, cast, client):
    response = client.get(reverse(name, kwargs=sample_kwargs(name, cast, cast.school)))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_trust_pages_are_for_that_trusts_admins_only(cast):
    for name in ("trust_dashboard", "school_create", "trust_oversight"):
        url = reverse(name, kwargs={"trust": cast.trust.slug})
        assert signed_in(cast.trust_admin, confirmed=True).get(url).status_code == 200
        assert signed_in(cast.head).get(url).status_code == 404
        assert signed_in(cast.nobody).get(url).status_code == 404


def test_someone_elses_notification_is_404(cast):
    note = Notification.objects.create(user=cast.teacher, kind="x", title="t")
    url = reverse("notification_open", kwargs={"pk": note.pk})
    assert signed_in(cast.dsl).get(url).status_code == 404
    assert signed_in(cast.teacher).get(url).status_code == 302


@pytest.mark.parametrize(
    "name", ["school_dashboard", "staff_list", "staff_detail", "pupil_list", "pupil_detail"]
)
def test_read_only_pages_refuse_other_methods(name, cast):
    url = reverse(name, kwargs=sample_kwargs(name, cast, cast.school))
    assert signed_in(cast.head).post(url).status_code == 405


def test_roles_shown_in_the_map_are_real_roles():
    known = set(Role.values) | {PUBLIC, SIGNED_IN, TRUST_ADMIN, CLOSED}
    for name, roles in ACCESS_MAP.items():
        assert roles and roles <= known, f"{name}: unknown roles {roles - known}"


MENU = 'govuk-service-navigation__active-fallback">'


@pytest.mark.parametrize(
    "name,item",
    [("school_dashboard", "Overview"), ("closure_days", "Closure days"), ("audit_trail", "Audit trail"),
     ("publication_approvals", "Photos"), ("takedown_list", "Photos"), ("image_list", "Photos"), ("site_list", "Photos"),
     ("pupil_consent", "Consent"), ("pupil_detail", "Pupils"), ("breach_detail", "Data protection"),
     ("case_chronology", "Incidents"), ("policy_dashboard", "Policies"), ("staff_detail", "Staff")],
)  # fmt: skip
def test_the_menu_shows_where_a_page_is(name, item, cast):
    page = signed_in(cast.head).get(reverse(name, kwargs=sample_kwargs(name, cast, cast.school, cast.head)))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('aria-current="page"') == 1 and f"{MENU}{item}</strong>" in html
