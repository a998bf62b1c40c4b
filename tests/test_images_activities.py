"""§5 photo activities: the date asked for, and who approves (never the person who asked, unless the
Headteacher has no other senior leader — and then it says so, on the page and in the audit trail)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from saferstaff.audit.models import AuditEvent
from saferstaff.photos.models import Activity
from saferstaff.rules.images import may_date_activity
from saferstaff.schools.models import Membership, Pupil

from .conftest import signed_in
from .image_samples import add_device, approved_activity, purpose


@pytest.fixture
def request_data(cast):
    Pupil.objects.create(school=cast.school, legal_forename="A", legal_surname="B", year_group="2",
                         date_of_birth=datetime.date(2018, 5, 1))  # fmt: skip
    device = add_device(cast.school)
    return {"title": "Sports day", "place": "Field", "device": device.pk, "year_groups": ["2"],
            "purposes": [purpose(cast.school, "website").pk], "after_use": "Deleted from the camera",
            "not_one_to_one": "on"}  # fmt: skip


@pytest.mark.parametrize("happens_on", ["9999-12-31", "2020-01-01"])
def test_a_date_long_past_or_far_ahead_is_refused_with_an_error_naming_the_date(
    cast, request_data, happens_on
):
    url = reverse("activity_new", kwargs={"school": cast.school.slug})
    response = signed_in(cast.teacher).post(url, {**request_data, "happens_on": happens_on})
    page = response.content.decode()
    assert response.status_code == 200 and not Activity.objects.exists()
    summary = page.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0]
    assert '<a href="#id_happens_on">Date: Enter a date within the' in summary and "(§5)" in summary


def test_the_date_rule_allows_a_year_either_side():
    today = datetime.date(2026, 12, 6)
    assert may_date_activity(None, happens_on=today, today=today)
    assert may_date_activity(None, happens_on=today - datetime.timedelta(days=365), today=today)
    assert not may_date_activity(None, happens_on=today - datetime.timedelta(days=366), today=today)
    assert may_date_activity(None, happens_on=today + datetime.timedelta(days=365), today=today)
    refused = may_date_activity(None, happens_on=datetime.date(9999, 1, 1), today=today)
    assert not refused and refused.sections == ["§5"]


def _requested_by(cast, user):
    activity = approved_activity(cast.school, user, None)
    Activity.objects.filter(pk=activity.pk).update(status=Activity.Status.REQUESTED, decided_by=None)
    return activity, reverse("activity_decide", kwargs={"school": cast.school.slug, "pk": activity.pk})


def test_the_headteachers_own_request_goes_to_another_senior_leader(cast):
    activity, decide = _requested_by(cast, cast.head)
    detail = reverse("activity_detail", kwargs={"school": cast.school.slug, "pk": activity.pk})
    page = signed_in(cast.head).get(detail).content.decode()
    assert "Save the decision" not in page and "A senior leader other than you approves" in page
    signed_in(cast.head).post(decide, {"decision": "approve"})
    assert Activity.objects.get().status == Activity.Status.REQUESTED
    signed_in(cast.slt).post(decide, {"decision": "approve"})
    activity.refresh_from_db()
    assert activity.status == Activity.Status.APPROVED and activity.decided_by == cast.slt
    assert not activity.self_approved


def test_a_headteacher_with_no_other_senior_leader_self_approves_visibly(cast):
    Membership.objects.filter(user=cast.slt).update(ended_on=timezone.localdate())
    activity, decide = _requested_by(cast, cast.head)
    head = signed_in(cast.head)
    response = head.post(decide, {"decision": "approve"}, follow=True)
    activity.refresh_from_db()
    assert activity.status == Activity.Status.APPROVED and activity.self_approved
    assert "recorded as self-approved" in response.content.decode()
    page = head.get(reverse("activity_detail", kwargs={"school": cast.school.slug, "pk": activity.pk}))
    assert "Self-approved</strong> Approved by the Headteacher who asked for it: the school had no other" in (
        page.content.decode()
    )
    event = AuditEvent.objects.filter(action="images.activity.decided").get()
    assert event.detail == {"approved": True, "self_approved": True}


def test_a_senior_leaders_request_is_approved_by_the_head_and_not_self_approved(cast):
    activity, decide = _requested_by(cast, cast.slt)
    signed_in(cast.slt).post(decide, {"decision": "approve"})
    assert Activity.objects.get().status == Activity.Status.REQUESTED
    signed_in(cast.head).post(decide, {"decision": "approve"})
    activity.refresh_from_db()
    assert activity.status == Activity.Status.APPROVED and not activity.self_approved
    assert AuditEvent.objects.get(action="images.activity.decided").detail["self_approved"] is False
