"""§2, §8, KCSIE Part 4: what the self-review must never let through — a case counted for the person it is about,
a write to a review completed meanwhile, input without a bound, the same action twice from one form sent twice,
a small count's change shown to a reader who sees it blurred; and, kept as found sound, another school's review by
its id, a form sent without the CSRF token and markup in what staff type."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from saferstaff.incidents.models import Case, Contact
from saferstaff.oversight import services as doors
from saferstaff.oversight.models import AreaJudgement, ReviewAction, SelfReview
from saferstaff.rules.engine import Refused
from saferstaff.schools.models import Membership, Role
from saferstaff.schools.roles import Actor

from .conftest import make_person, signed_in
from .test_oversight_figures import _case
from .test_oversight_review import judge_all


def detail(cast, user, review) -> str:
    page = reverse("review_detail", kwargs={"school": cast.school.slug, "pk": review.pk})
    return signed_in(user).get(page).content.decode()


def test_no_one_counts_in_the_self_review_an_allegation_about_themselves(cast):
    """The incident trends page leaves out every case about its reader (incidents.trends.counted_for); the
    self-review's figures must too, today's and those kept with a completed review, even once the case has
    moved on (referred to the LADO after the review was completed)."""
    head = Membership.objects.get(school=cast.school, user=cast.head)
    allegation = _case(
        cast, Case.Kind.ALLEGATION, subject=head, routed_to=Case.Route.CHAIR,
        lado_due=timezone.now() - datetime.timedelta(hours=2),
    )  # fmt: skip
    review = doors.start_review(Actor.of(cast.head, cast.school))
    for when in ("under way", "completed", "referred since"):
        page = detail(cast, cast.head, review)
        assert "0 cases reported in the last 12 months" in page, when
        assert "No allegation needed referring to the LADO" in page, when
        # Everyone else counts it (the governors blurred).
        governor = detail(cast, cast.governor, review)
        assert "Fewer than 3 cases reported in the last 12 months" in governor, when
        assert "fewer than 3 overdue" in governor, when
        if when == "under way":
            judge_all(cast, review)
            doors.complete_review(Actor.of(cast.slt, cast.school), review)
            review.refresh_from_db()
        elif when == "completed":
            Contact.objects.create(
                school=cast.school, case=allegation, kind=Contact.Kind.LADO, with_whom="LADO",
                made_at=review.completed_at - datetime.timedelta(hours=1), recorded_by=cast.governor,
            )  # fmt: skip
    assert review.evidence["lado"]["values"]["overdue"] == 1  # kept whole; left out only when read


def test_an_allegation_awaiting_referral_about_the_reader_and_its_due_date_are_left_out(cast):
    """The first due date of the allegations awaiting referral is worked out without the reader's own."""
    from saferstaff import clocks
    from saferstaff.oversight.readers import shown_to

    head = Membership.objects.get(school=cast.school, user=cast.head)
    now = timezone.now()
    _case(cast, Case.Kind.ALLEGATION, subject=head, routed_to=Case.Route.CHAIR,
          lado_due=now + datetime.timedelta(hours=5))  # fmt: skip
    other = _case(cast, Case.Kind.ALLEGATION, lado_due=now + datetime.timedelta(days=3))
    from saferstaff.oversight.figures import lado

    stored = {"lado": lado(cast.school, timezone.now()).as_stored()}  # taken once both are reported
    assert stored["lado"]["values"]["waiting"] == 2
    mine = shown_to(Actor.of(cast.head, cast.school), stored)["lado"]
    assert mine["values"]["waiting"] == 1
    day = f"{clocks.local(other.lado_due):%-d %B %Y}"
    assert mine["wording"] == f"1 allegation awaiting referral, due {day}"


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


def test_a_blurred_count_that_moved_inside_the_blur_is_not_shown_as_a_change(cast):
    """A governor reads 1 and 2 both as "fewer than 3": listing the figure as changed would tell them it moved."""
    actor = Actor.of(cast.head, cast.school)
    _case(cast, Case.Kind.PUPILS_ONLINE)
    first = doors.start_review(actor)
    judge_all(cast, first)
    doors.complete_review(actor, first)
    _case(cast, Case.Kind.PUPILS_ONLINE)
    second = doors.start_review(actor)
    assert "Incidents by kind: then" in detail(cast, cast.head, second)
    assert "Incidents by kind: then" not in detail(cast, cast.governor, second)


def test_another_schools_review_is_404_a_forged_form_is_refused_and_text_is_escaped(cast):
    """Found and kept sound: a review is fetched only within the page's school, text is escaped, CSRF holds."""
    their_head = make_person("hana.head@other.example", cast.other_school, {Role.HEADTEACHER})
    theirs = doors.start_review(Actor.of(their_head, cast.other_school))
    head = signed_in(cast.head)
    for name, kwargs in (
        ("review_detail", {}), ("review_area", {"area": "policy"}), ("review_complete", {}),
    ):  # fmt: skip
        page = reverse(name, kwargs={"school": cast.school.slug, "pk": theirs.pk, **kwargs})
        assert (head.post if name == "review_complete" else head.get)(page).status_code == 404, name
    assert (
        head.post(
            reverse("review_area", kwargs={"school": cast.school.slug, "pk": theirs.pk, "area": "policy"}),
            {"level": "embedded", "commentary": ""},
        ).status_code
        == 404
    )
    assert not AreaJudgement.objects.filter(review=theirs).exists()
    # A form sent from another site (no CSRF token) is refused and starts nothing.
    forged = signed_in(cast.head)
    forged.handler.enforce_csrf_checks = True
    response = forged.post(reverse("review_start", kwargs={"school": cast.school.slug}))
    assert response.status_code == 403 and b"CSRF" in response.content
    assert not SelfReview.objects.filter(school=cast.school).exists()
    ours = doors.start_review(Actor.of(cast.head, cast.school))
    owner = Membership.objects.get(school=cast.school, user=cast.slt)
    area = reverse("review_area", kwargs={"school": cast.school.slug, "pk": ours.pk, "area": "policy"})
    script = "<script>alert(1)</script>"
    data = {
        "level": "developing", "commentary": script, "action_what": script, "action_owner": owner.pk,
        "action_due": timezone.localdate() + datetime.timedelta(days=7),
    }  # fmt: skip
    assert head.post(area, data).status_code == 302
    for page in (detail(cast, cast.head, ours), head.get(area).content.decode()):
        assert script not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
