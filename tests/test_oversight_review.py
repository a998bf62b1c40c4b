"""§2: the self-review. The Headteacher (or a senior leader) starts one, judges each area (level, commentary,
actions with an owner and a due date) and completes it, when the figures of the day are kept with it; the next
review shows what changed. Governors read; other staff are refused; bad input names its field and saves nothing."""

import datetime
import re

from django.urls import reverse
from django.utils import timezone

from saferstaff.audit.models import AuditEvent
from saferstaff.oversight import services as doors
from saferstaff.oversight.areas import AREAS
from saferstaff.oversight.models import AreaJudgement, ReviewAction, SelfReview
from saferstaff.schools.models import Membership
from saferstaff.schools.roles import Actor

from .conftest import signed_in
from .test_acknowledgements import published


def url(cast, name, **kwargs):
    return reverse(name, kwargs={"school": cast.school.slug, **kwargs})


def area_form(cast, **extra):
    return {"level": "developing", "commentary": "Most staff have accepted; chase the rest.", **extra}


def start(cast, client):
    response = client.post(url(cast, "review_start"))
    review = SelfReview.objects.get(school=cast.school, completed_at__isnull=True)
    assert response.status_code == 302 and response["Location"] == url(cast, "review_detail", pk=review.pk)
    return review


def judge_all(cast, review, level="developing"):
    actor = Actor.of(cast.head, cast.school)
    for area in AREAS:
        doors.judge_area(actor, review, area=area.key, level=level, commentary="")


def test_the_head_starts_judges_adds_an_action_and_completes_a_review(cast):
    published(cast, compulsory=False)  # a compulsory one would send everyone to accept it first
    head = signed_in(cast.head)
    review = start(cast, head)
    assert review.number == 1
    detail = head.get(url(cast, "review_detail", pk=review.pk)).content.decode()
    assert detail.count("Judge this area<span") == len(AREAS) and "Complete the review" in detail
    page = head.get(url(cast, "review_area", pk=review.pk, area="policy")).content.decode()
    # The evidence is filled from the live records: the acceptance figure, in words.
    assert "of the acceptances asked of them" in page and "(§1, §2, §7)" not in page
    owner = Membership.objects.get(school=cast.school, user=cast.slt)
    due = timezone.localdate() + datetime.timedelta(days=30)
    response = head.post(
        url(cast, "review_area", pk=review.pk, area="policy"),
        area_form(
            cast, action_what="Chase staff who have not accepted", action_owner=owner.pk, action_due=due
        ),
    )
    assert response.status_code == 302
    judgement = AreaJudgement.objects.get(review=review, area="policy")
    assert (judgement.level, judgement.school_id) == ("developing", cast.school.pk)
    action = ReviewAction.objects.get(review=review)
    assert (action.owner, action.due_on, action.area) == (owner, due, "policy")
    detail = head.get(url(cast, "review_detail", pk=review.pk)).content.decode()
    assert "Chase staff who have not accepted" in detail and "Sam" in detail
    # Not every area judged: completing is refused and the review stays open.
    head.post(url(cast, "review_complete", pk=review.pk))
    review.refresh_from_db()
    assert not review.completed
    judge_all(cast, review)
    assert head.post(url(cast, "review_complete", pk=review.pk)).status_code == 302
    review.refresh_from_db()
    assert review.completed and review.completed_by == cast.head
    assert review.evidence["acceptance"]["values"]["audience"] > 0
    # The kept figures say in words when they were taken, as every page writes a date.
    detail = head.get(url(cast, "review_detail", pk=review.pk)).content.decode()
    taken = datetime.datetime.fromisoformat(review.evidence["acceptance"]["taken_at"])
    assert f"taken {timezone.localtime(taken):%-d %B %Y, %H:%M})" in detail
    assert f"{timezone.localdate(taken):%Y-%m-%d}" not in detail
    assert review.evidence["acceptance"]["wording"].endswith("after publication")
    # Once completed it cannot be changed.
    response = head.post(
        url(cast, "review_area", pk=review.pk, area="policy"), area_form(cast, level="embedded")
    )
    assert response.status_code == 302
    assert AreaJudgement.objects.get(review=review, area="policy").level == "developing"
    # The audit trail names ids and codes only.
    events = AuditEvent.objects.filter(action__startswith="oversight.")
    assert set(events.values_list("action", flat=True)) == {
        "oversight.review.started", "oversight.area.judged", "oversight.action.added", "oversight.review.completed",
    }  # fmt: skip
    for event in events:
        assert "Chase" not in str(event.detail) and "Sam" not in str(event.detail)


def test_the_next_review_shows_what_changed_since_the_last(cast):
    version = published(cast, compulsory=False)
    actor = Actor.of(cast.head, cast.school)
    first = doors.start_review(actor)
    judge_all(cast, first, "developing")
    doors.complete_review(actor, first)
    # Since: one more acceptance, and the policy area judged higher.
    from saferstaff.policies.status import accept

    accept(
        Actor.of(cast.teacher, cast.school),
        version,
        typed_name="Tom Teacher",
        understood=True,
        ip_address=None,
    )
    second = doors.start_review(actor)
    assert second.number == 2 and second.pk != first.pk
    doors.judge_area(actor, second, area="policy", level="established", commentary="")
    page = signed_in(cast.governor).get(url(cast, "review_detail", pk=second.pk)).content.decode()
    assert "Changed since self-review 1" in page
    assert "Policy and acceptable use: Developing → Established (up)" in page
    assert "Staff who accepted the guidance: then" in page
    # The first review keeps the figures of its day.
    first.refresh_from_db()
    assert first.evidence["acceptance"]["values"]["accepted"] == 0


def test_governors_read_other_staff_are_refused_and_other_schools_get_404(cast):
    review = doors.start_review(Actor.of(cast.head, cast.school))
    governor = signed_in(cast.governor)
    assert governor.get(url(cast, "review_list")).status_code == 200
    page = governor.get(url(cast, "review_detail", pk=review.pk)).content.decode()
    assert "Judge this area" not in page and "Complete the review" not in page
    assert governor.post(url(cast, "review_start")).status_code == 403
    assert governor.get(url(cast, "review_area", pk=review.pk, area="policy")).status_code == 403
    assert governor.post(url(cast, "review_complete", pk=review.pk)).status_code == 403
    for user in (cast.teacher, cast.dsl, cast.dpo):
        assert signed_in(user).get(url(cast, "review_list")).status_code == 403
    assert signed_in(cast.other_teacher).get(url(cast, "review_detail", pk=review.pk)).status_code == 404
    # The door refuses too, whoever calls it.
    assert SelfReview.objects.count() == 1
    try:
        doors.start_review(Actor.of(cast.governor, cast.school))
    except doors.Refused as exc:
        assert "Headteacher or a senior leader" in exc.decision.summary
    else:
        raise AssertionError("a governor started a review")


def test_an_unknown_area_is_404(cast):
    review = doors.start_review(Actor.of(cast.head, cast.school))
    assert signed_in(cast.head).get(url(cast, "review_area", pk=review.pk, area="nowhere")).status_code == 404


def assert_refused(cast, data, field):
    """The area form refused, the error naming ``field``, and nothing saved."""
    review = SelfReview.objects.filter(school=cast.school).first() or doors.start_review(
        Actor.of(cast.head, cast.school)
    )
    response = signed_in(cast.head).post(url(cast, "review_area", pk=review.pk, area="images"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors, form.errors
    page = response.content.decode()
    assert "There is a problem" in page and f'href="#id_{field}' in page
    assert not AreaJudgement.objects.exists() and not ReviewAction.objects.exists()


def test_an_unknown_level_names_the_level_field_and_saves_nothing(cast):
    assert_refused(cast, area_form(cast, level="outstanding"), "level")
    assert_refused(cast, {"commentary": "No level"}, "level")


def test_an_owner_from_another_school_names_the_owner_field_and_saves_nothing(cast):
    stranger = Membership.objects.get(user=cast.other_teacher)
    due = timezone.localdate() + datetime.timedelta(days=7)
    assert_refused(
        cast,
        area_form(cast, action_what="Check the filter", action_owner=stranger.pk, action_due=due),
        "action_owner",
    )


def test_a_due_date_in_the_past_names_the_due_field_and_saves_nothing(cast):
    owner = Membership.objects.get(user=cast.slt)
    past = timezone.localdate() - datetime.timedelta(days=1)
    assert_refused(
        cast,
        area_form(cast, action_what="Check the filter", action_owner=owner.pk, action_due=past),
        "action_due",
    )


def test_an_action_without_an_owner_names_the_owner_field(cast):
    due = timezone.localdate() + datetime.timedelta(days=7)
    assert_refused(cast, area_form(cast, action_what="Check the filter", action_due=due), "action_owner")


def test_a_level_not_chosen_is_announced_with_the_radios(cast):
    """The level's error is tied to its fieldset (aria-describedby), so a screen reader reads it with the radios."""
    review = doors.start_review(Actor.of(cast.head, cast.school))
    data = {k: v for k, v in area_form(cast).items() if k != "level"}
    page = (
        signed_in(cast.head)
        .post(url(cast, "review_area", pk=review.pk, area="images"), data)
        .content.decode()
    )
    assert re.search(
        r'<fieldset class="govuk-fieldset" aria-describedby="(id_level-hint )?id_level-error">', page
    )
    assert '<p id="id_level-error" class="govuk-error-message">' in page


def test_an_action_too_long_gets_one_error_in_our_words(cast):
    owner = Membership.objects.get(user=cast.slt)
    due = timezone.localdate() + datetime.timedelta(days=7)
    data = area_form(cast, action_what="x" * 400, action_owner=owner.pk, action_due=due)
    assert_refused(cast, data, "action_what")
    review = SelfReview.objects.get(school=cast.school)
    form = (
        signed_in(cast.head).post(url(cast, "review_area", pk=review.pk, area="images"), data).context["form"]
    )
    assert form.errors["action_what"] == ["Keep the action to 300 characters or fewer"]


def test_the_self_review_is_in_the_menu_for_senior_management_and_governors_only(cast):
    link = url(cast, "review_list")
    for user in (cast.head, cast.slt, cast.governor):
        assert f'href="{link}"' in signed_in(user).get(url(cast, "policy_dashboard")).content.decode()
    assert f'href="{link}"' not in signed_in(cast.teacher).get(url(cast, "school_dashboard")).content.decode()
    overview = signed_in(cast.governor).get(url(cast, "school_dashboard")).content.decode()
    assert f'href="{link}">Self-review of online safety (§2)</a>' in overview


def test_governors_read_small_incident_counts_blurred_as_the_trends_page_shows_them(cast):
    from .test_oversight_figures import _case

    _case(cast, "pupils")
    review = doors.start_review(Actor.of(cast.head, cast.school))
    page = url(cast, "review_detail", pk=review.pk)
    assert "1 case reported in the last 12 months" in signed_in(cast.head).get(page).content.decode()
    governor = signed_in(cast.governor).get(page).content.decode()
    assert "Fewer than 3 cases reported in the last 12 months" in governor
    assert "1 case reported" not in governor
    # Kept so when the review is completed: the stored evidence is exact, what a governor reads is not.
    judge_all(cast, review)
    doors.complete_review(Actor.of(cast.head, cast.school), review)
    review.refresh_from_db()
    assert review.evidence["incidents"]["values"]["pupils"] == 1
    assert "Fewer than 3 cases" in signed_in(cast.governor).get(page).content.decode()
