"""§2: a self-review's actions are carried forward until done. An action agreed in review 1 and not marked done
is listed by review 2 (and every later one) and by the governors' report; the Headteacher or a senior leader
marks it done through one door, audited; nobody else can. A due date more than two years ahead is refused."""

import datetime

import pytest
from django.utils import timezone

from saferstaff import clocks
from saferstaff.audit.models import AuditEvent
from saferstaff.oversight import services as doors
from saferstaff.oversight.models import ReviewAction
from saferstaff.oversight.report import make_report
from saferstaff.schools.models import Membership
from saferstaff.schools.roles import Actor

from .conftest import signed_in
from .test_oversight_review import area_form, assert_refused, judge_all, url


def _review_with_action(cast, what):
    head = Actor.of(cast.head, cast.school)
    review = doors.start_review(head)
    owner = Membership.objects.get(school=cast.school, user=cast.slt)
    due = timezone.localdate() + datetime.timedelta(days=30)
    action = doors.add_action(head, review, area="policy", what=what, owner=owner, due_on=due)
    judge_all(cast, review)
    doors.complete_review(head, review)
    return review, action


def _reported(cast) -> list[str]:
    return [a["what"] for a in make_report(cast.school).context["review"]["actions"]]


def test_an_open_action_is_carried_into_the_next_review_and_the_report_until_marked_done(cast):
    first, action = _review_with_action(cast, "Chase staff who have not accepted")
    second, later = _review_with_action(cast, "Check the filter")
    assert second.number == 2
    # Review 2 is completed, yet review 1's open action is still in the report and shown by review 2.
    assert _reported(cast) == ["Chase staff who have not accepted", "Check the filter"]
    head = signed_in(cast.head)
    page = head.get(url(cast, "review_detail", pk=second.pk))
    assert list(page.context["carried"]) == [action]
    assert "Open actions from earlier reviews" in page.content.decode()
    # A governor reads it but cannot mark it done; a teacher is refused the page.
    done = url(cast, "review_action_done", pk=action.pk)
    assert signed_in(cast.governor).post(done, {"review": second.pk}).status_code in (403, 404)
    assert signed_in(cast.teacher).post(done, {"review": second.pk}).status_code in (403, 404)
    action.refresh_from_db()
    assert action.done_at is None
    # The Headteacher marks it done from review 2: back on review 2, and it is carried no further.
    response = head.post(done, {"review": second.pk})
    assert response.status_code == 302 and response["Location"] == url(cast, "review_detail", pk=second.pk)
    action.refresh_from_db()
    assert action.done_at is not None and action.done_by == cast.head
    event = AuditEvent.objects.get(action="oversight.action.done")
    assert event.detail == {"action": action.pk}
    assert not head.get(url(cast, "review_detail", pk=second.pk)).context["carried"]
    assert _reported(cast) == ["Check the filter"]
    # Marked again: nothing changes, and it is recorded once.
    doors.complete_action(Actor.of(cast.slt, cast.school), action)
    assert AuditEvent.objects.filter(action="oversight.action.done").count() == 1
    assert later.done_at is None


def test_a_due_date_more_than_two_years_ahead_names_the_due_field_and_saves_nothing(cast):
    owner = Membership.objects.get(user=cast.slt)
    today = timezone.localdate()
    latest = clocks.add_months(today, 24)
    assert_refused(
        cast,
        area_form(
            cast,
            action_what="Check the filter",
            action_owner=owner.pk,
            action_due=latest + datetime.timedelta(days=1),
        ),
        "action_due",
    )
    review = doors.start_review(Actor.of(cast.head, cast.school))
    action = doors.add_action(
        Actor.of(cast.head, cast.school), review, area="policy", what="x", owner=owner, due_on=latest
    )
    assert ReviewAction.objects.get().pk == action.pk  # two years to the day is allowed


def test_another_schools_action_is_404_and_refused_by_the_door(cast):
    from saferstaff.oversight.models import SelfReview
    from saferstaff.rules.engine import Refused

    theirs = SelfReview.objects.create(school=cast.other_school, number=1, started_by=cast.other_teacher)
    action = ReviewAction.objects.create(
        school=cast.other_school, review=theirs, area="policy", what="Theirs",
        owner=Membership.objects.get(user=cast.other_teacher), due_on=timezone.localdate(),
    )  # fmt: skip
    assert signed_in(cast.head).post(url(cast, "review_action_done", pk=action.pk)).status_code == 404
    with pytest.raises(Refused):
        doors.complete_action(Actor.of(cast.head, cast.school), action)
    action.refresh_from_db()
    assert action.done_at is None
