"""§2, §8, KCSIE Part 4: what the self-review must never let through — a case counted for the person it is about,
a write to a review completed meanwhile, input without a bound, the same action twice from one form sent twice,
and a small count's change shown to a reader who sees it blurred."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from saferstaff.oversight import services as doors
from saferstaff.oversight.models import AreaJudgement, ReviewAction, SelfReview
from saferstaff.rules.engine import Refused
from saferstaff.schools.models import Membership
from saferstaff.schools.roles import Actor

from .conftest import signed_in
from .test_oversight_review import judge_all


def detail(cast, user, review) -> str:
    page = reverse("review_detail", kwargs={"school": cast.school.slug, "pk": review.pk})
    return signed_in(user).get(page).content.decode()


def test_a_judgement_or_action_is_refused_on_a_review_completed_meanwhile(cast):
    """Two leaders at once: one completes the review while the other's form is being saved."""
    actor = Actor.of(cast.head, cast.school)
    seen = doors.start_review(actor)  # as the second leader's request read it, still under way
    judge_all(cast, SelfReview.objects.get(pk=seen.pk))
    doors.complete_review(Actor.of(cast.slt, cast.school), SelfReview.objects.get(pk=seen.pk))
    owner = Membership.objects.get(school=cast.school, user=cast.slt)
    due = timezone.localdate() + datetime.timedelta(days=7)
    with pytest.raises(Refused, match="completed"):
        doors.judge_area(actor, seen, area="policy", level="embedded", commentary="")
    with pytest.raises(Refused, match="completed"):
        doors.add_action(actor, seen, area="policy", what="Late", owner=owner, due_on=due)
    assert AreaJudgement.objects.get(review=seen, area="policy").level == "developing"
    assert not ReviewAction.objects.exists()


def test_the_door_bounds_the_commentary_and_the_actions_of_an_area(cast):
    actor = Actor.of(cast.head, cast.school)
    review = doors.start_review(actor)
    with pytest.raises(Refused) as refused:
        doors.judge_area(actor, review, area="policy", level="developing", commentary="x" * 4001)
    assert refused.value.decision.reasons[0].field == "commentary"
    assert not AreaJudgement.objects.exists()
    owner = Membership.objects.get(school=cast.school, user=cast.slt)
    due = timezone.localdate() + datetime.timedelta(days=7)
    for n in range(doors.MAX_ACTIONS):
        doors.add_action(actor, review, area="policy", what=f"Step {n}", owner=owner, due_on=due)
    with pytest.raises(Refused) as refused:
        doors.add_action(actor, review, area="policy", what="One more", owner=owner, due_on=due)
    assert refused.value.decision.reasons[0].field == "action_what"
    assert ReviewAction.objects.filter(review=review).count() == doors.MAX_ACTIONS


def test_the_area_form_sent_twice_adds_its_action_once(cast):
    review = doors.start_review(Actor.of(cast.head, cast.school))
    owner = Membership.objects.get(school=cast.school, user=cast.slt)
    data = {
        "level": "developing", "commentary": "", "action_what": "Check the filter", "action_owner": owner.pk,
        "action_due": timezone.localdate() + datetime.timedelta(days=7),
    }  # fmt: skip
    head = signed_in(cast.head)
    page = reverse("review_area", kwargs={"school": cast.school.slug, "pk": review.pk, "area": "filtering"})
    assert [head.post(page, data).status_code for _ in range(2)] == [302, 302]
    assert ReviewAction.objects.filter(review=review).count() == 1
