"""Every paged list in the project: "Next" reaches the next page and keeps the list's other query
parameters (its search or filter), through the one pager (saferstaff.paging and includes/pagination.html).
Pages are one row long here, so two rows make two pages."""

import datetime
import html
import re

import pytest
from django.core.paginator import Paginator
from django.urls import reverse
from django.utils import timezone

from saferstaff.conduct import services
from saferstaff.conduct.models import ContactChannel
from saferstaff.incidents import services as incidents
from saferstaff.notifications.models import Notification
from saferstaff.photos.library import add_images
from saferstaff.photos.models import Publication
from saferstaff.privacy import breaches, requests, sharing
from saferstaff.privacy.models import DestructionCertificate, DueRecord
from saferstaff.schools.models import Pupil
from saferstaff.schools.roles import Actor

from .conftest import signed_in
from .image_samples import add_device, approved_activity, jpeg, pupil_with_parents, purpose


class OnePerPage(Paginator):
    def __init__(self, object_list, per_page, **kwargs):
        super().__init__(object_list, 1, **kwargs)


@pytest.fixture(autouse=True)
def _one_row_per_page(monkeypatch, storage):
    monkeypatch.setattr("saferstaff.paging.Paginator", OnePerPage)


def _two_images(cast):
    add_device(cast.school)
    activity = approved_activity(cast.school, cast.teacher, cast.slt)
    images = add_images(activity, [("a.jpg", jpeg()), ("b.jpg", jpeg(colour=(1, 2, 3)))], by=cast.teacher)
    return activity, images


def consent_register(cast):
    for name in ("Ava", "Ben"):
        Pupil.objects.create(school=cast.school, legal_forename=name, legal_surname="Lee", year_group="3",
                             date_of_birth=datetime.date(2018, 1, 1))  # fmt: skip
    return cast.office, "consent_register", {}, {"year": "3"}


def portal_links(cast):
    pupil_with_parents(cast.school, "Ava", "Lee")
    pupil_with_parents(cast.school, "Ben", "Moss")
    return cast.office, "portal_links", {}, {"from": "register"}


def activity_detail(cast):
    activity, _ = _two_images(cast)
    return cast.teacher, "activity_detail", {"pk": activity.pk}, {"from": "list"}


def image_list(cast):
    activity, _ = _two_images(cast)
    return cast.teacher, "image_list", {}, {"activity": str(activity.pk)}


def publication_list(cast):
    _, images = _two_images(cast)
    for image in images:
        Publication.objects.create(school=cast.school, image=image, image_ref=image.pk,
                                   channel=purpose(cast.school, "website"), where="Newsletter",
                                   published_by=cast.teacher)  # fmt: skip
    return cast.teacher, "publication_list", {}, {"from": "dashboard"}


def retention_due(cast):
    for n in range(2):
        DueRecord.objects.create(school=cast.school, record_type="notifications", record_id=str(n + 1),
                                 due_on=timezone.localdate())  # fmt: skip
    return cast.dpo, "retention_due", {}, {"kind": "notifications"}


def retention_certificates(cast):
    for n in range(2):
        DestructionCertificate.objects.create(school=cast.school, record_type="notifications", record_id=str(n),
                                              description="A notice", sha256="0" * 64, rule="1 year",
                                              due_on=timezone.localdate())  # fmt: skip
    return cast.dpo, "retention_certificates", {}, {"kind": "notifications"}


def notification_list(cast):
    for n in range(2):
        Notification.objects.create(user=cast.teacher, school=cast.school, kind="test", title=f"Item {n}")
    return cast.teacher, "notification_list", None, {"from": "header"}


def staff_list(cast):
    return cast.head, "staff_list", {}, {"show": "all"}


def pupil_list(cast):
    consent_register(cast)
    return cast.office, "pupil_list", {}, {"q": "Lee"}


def audit_trail(cast):
    from saferstaff.audit.log import record

    for _ in range(2):
        record("staff.viewed", cast.member(cast.teacher), school=cast.school, actor=cast.head)
    return cast.head, "audit_trail", {}, {"person": str(cast.head.pk)}


def concern_list(cast):
    for by in (cast.volunteer, cast.office):
        concern = services.raise_concern(
            Actor.of(by, cast.school),
            subject=cast.member(cast.teacher),
            happened_on=timezone.localdate(),
            what="A personal phone on a trip",
        )
        services.record_concern_outcome(
            Actor.of(cast.head, cast.school), concern, rationale="r", action="a", outcome="advice"
        )
    return cast.head, "concern_list", {}, {"from": "dashboard"}


def case_list(cast):
    for _ in range(2):
        incidents.report(
            Actor.of(cast.teacher, cast.school),
            kind="bullying",
            happened_on=timezone.localdate(),
            what_happened="x",
        )
    return cast.dsl, "case_list", {}, {"kind": "bullying"}


def breach_list(cast):
    for _ in range(2):
        breach = breaches.report_breach(cast.actor(cast.office), what="A report sent to the wrong parent",
                                        aware_at=timezone.now())  # fmt: skip
        breaches.decide_breach(cast.actor(cast.dpo), breach, decision="dont_report", reasons="Deleted unread")
    return cast.dpo, "breach_list", {}, {"from": "home"}


def sharing_list(cast):
    for _ in range(2):
        sharing.log_sharing(cast.actor(cast.dsl), shared_at=timezone.now(), recipient="The school nurse",
                            what="A name", lawful_basis="public_task", why="A health concern", how="secure_email",
                            approved_by=cast.member(cast.dsl))  # fmt: skip
    return cast.dsl, "sharing_list", {}, {"from": "home"}


def sar_list(cast):
    for _ in range(2):
        request = requests.log_request(cast.actor(cast.dpo), requester_kind="guardian", requester_name="A parent",
                                       received_at=timezone.now(), about_other="A former pupil")  # fmt: skip
        requests.close_request(cast.actor(cast.dpo), request, status="withdrawn")
    return cast.dpo, "sar_list", {}, {"from": "home"}


def seen_person(cast):
    from saferstaff.audit.log import record

    pupil = Pupil.objects.create(school=cast.school, legal_forename="Ava", legal_surname="Lee",
                                 date_of_birth=datetime.date(2018, 1, 1))  # fmt: skip
    for who in (cast.teacher, cast.office):
        record("pupil.viewed", pupil, school=cast.school, actor=who)
    return cast.dpo, "seen_pupil", {"pk": pupil.pk}, {"from": "search"}


def _approved_twice(cast, ask):
    for _ in range(2):
        services.decide(
            Actor.of(cast.slt, cast.school), ask(Actor.of(cast.teacher, cast.school)), approve=True
        )


def contact_register(cast):
    channel = ContactChannel.objects.get(school=cast.school, name="The school's messaging platform")
    today = timezone.localdate()
    _approved_twice(cast, lambda actor: services.request_contact(
        actor, channel=channel, purpose="Trip", year_groups=["6"], starts_on=today, ends_on=today))  # fmt: skip
    return cast.dsl, "contact_register", {}, {"from": "dashboard"}


def equipment_register(cast):
    today = timezone.localdate()
    _approved_twice(cast, lambda actor: services.request_equipment(
        actor, device_kind="phone", purpose="Trip", starts_on=today, ends_on=today))  # fmt: skip
    return cast.head, "equipment_register", {}, {"from": "dashboard"}


def disclosure_list(cast):
    snapchat = ContactChannel.objects.get(school=cast.school, name="Snapchat")
    for by in (cast.teacher, cast.volunteer):
        d = services.disclose(
            Actor.of(by, cast.school), who="think_pupil", channel=snapchat, happened_on=timezone.localdate(),
            what_happened="A friend request",
        )  # fmt: skip
        services.record_outcome(Actor.of(cast.head, cast.school), d, outcome="advice")
    return cast.head, "disclosure_list", {}, {"from": "dashboard"}


PAGED_LISTS = [consent_register, portal_links, activity_detail, image_list, publication_list,
               retention_due, retention_certificates, notification_list, staff_list, pupil_list, audit_trail, concern_list,
               contact_register, equipment_register, disclosure_list, case_list, breach_list, sharing_list, sar_list,
               seen_person]  # fmt: skip


@pytest.mark.parametrize("paged_list", PAGED_LISTS, ids=lambda f: f.__name__)
def test_next_reaches_the_next_page_and_keeps_the_other_query_parameters(cast, paged_list):
    user, url_name, kwargs, params = paged_list(cast)
    if kwargs is not None:
        kwargs = {"school": cast.school.slug, **kwargs}
    url = reverse(url_name, kwargs=kwargs)
    client = signed_in(user, confirmed=True)  # some lists ask for the password again first (step-up)
    first = client.get(url, params).content.decode()
    assert "Page 1 of" in first
    href = html.unescape(re.search(r'href="([^"]*)" rel="next"', first).group(1))
    assert href.startswith("?") and not href.startswith("??")
    for key, value in params.items():
        assert f"{key}={value}" in href, f"Next drops {key}: {href}"
    second = client.get(url + href).content.decode()
    assert "Page 2 of" in second
    back = html.unescape(re.search(r'href="([^"]*)" rel="prev"', second).group(1))
    assert back.startswith("?") and not back.startswith("??") and "page=1" in back


def test_every_paged_list_is_in_this_test():
    """A new paged list must be added to PAGED_LISTS above (and use saferstaff.paging.page_of)."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parent.parent
    templates = sorted(
        p.stem for p in (root / "templates").rglob("*.html") if "includes/pagination.html" in p.read_text()
    )
    stems = {"consent_register", "portal_links", "activity_detail", "image_list", "publication_list",
             "retention_due", "retention_certificates", "list", "staff_list", "pupil_list", "trail", "concern_list",
             "contact_register", "equipment_register", "disclosure_list", "case_list", "breach_list", "sharing_list",
             "sar_list", "seen_person"}  # fmt: skip
    assert set(templates) == stems, templates
    sources = [p for p in (root / "saferstaff").rglob("*.py") if p.name != "paging.py"]
    assert not [p.name for p in sources if "Paginator(" in p.read_text()], "use saferstaff.paging.page_of"
