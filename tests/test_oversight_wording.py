"""§2: the self-review reads as plain English — counts agree with their nouns ("1 permission"), the acceptance
figure is a sentence about staff, dates read "8 December 2026", the commentary says how long it may be and a
too-long one is refused naming the commentary, and the due date is typed (a hint, not a browser's date picker)."""

import datetime

from django.utils import timezone

from saferstaff.oversight import figures
from saferstaff.oversight import services as doors
from saferstaff.oversight.models import ReviewAction
from saferstaff.schools.models import Membership
from saferstaff.schools.roles import Actor

from .conftest import signed_in
from .test_oversight_review import area_form, assert_refused, url

NOW = timezone.now()


def test_counts_agree_with_their_nouns():
    values = {
        "disclosures": 1,
        "contact_permissions": 1,
        "equipment_permissions": 2,
        "period": "2026 to 2027",
    }
    wording = figures._conduct(values, NOW).wording
    assert "1 permission to contact pupils and 2 to use personal equipment in force" in wording
    assert "1 disclosure of contact" in wording
    assert "2 permissions to contact" in figures._conduct({**values, "contact_permissions": 2}, NOW).wording


def test_the_acceptance_figure_is_a_sentence_about_staff(cast):
    m = figures._acceptance([], NOW)
    assert m.wording == "No published policy is addressed to staff yet"
    from .test_acknowledgements import published

    published(cast, compulsory=False)
    m = figures.acceptance(cast.school, NOW)
    audience = m.values["audience"]
    assert m.wording.startswith(f"Staff have made 0% of the acceptances asked of them (0 of {audience})")


def test_the_commentary_says_its_limit_and_a_longer_one_names_the_commentary(cast):
    review = doors.start_review(Actor.of(cast.head, cast.school))
    page = signed_in(cast.head).get(url(cast, "review_area", pk=review.pk, area="images")).content.decode()
    assert "up to 4,000 characters" in page
    response = signed_in(cast.head).post(
        url(cast, "review_area", pk=review.pk, area="images"), area_form(cast, commentary="x" * 4001)
    )
    assert response.context["form"].errors["commentary"] == [
        "Keep the commentary to 4,000 characters or fewer"
    ]
    assert_refused(cast, area_form(cast, commentary="x" * 4001), "commentary")


def test_the_due_date_is_typed_with_a_hint_and_read_day_first(cast):
    review = doors.start_review(Actor.of(cast.head, cast.school))
    head = signed_in(cast.head)
    page = head.get(url(cast, "review_area", pk=review.pk, area="policy")).content.decode()
    assert 'type="date"' not in page and "For example, 31/12/2027" in page
    owner = Membership.objects.get(school=cast.school, user=cast.slt)
    due = timezone.localdate() + datetime.timedelta(days=40)
    response = head.post(
        url(cast, "review_area", pk=review.pk, area="policy"),
        area_form(cast, action_what="Check the filter", action_owner=owner.pk, action_due=f"{due:%d/%m/%Y}"),
    )
    assert response.status_code == 302
    assert ReviewAction.objects.get().due_on == due
    # Dates in the review's sentences read in words.
    detail = head.get(url(cast, "review_detail", pk=review.pk)).content.decode()
    assert f"by {due.day} {due:%B %Y}" in detail and f"{due.day} {due:%b %Y}<" not in detail
    # Month first (a browser's mm/dd/yyyy) is not a date here: the due field says so.
    response = head.post(
        url(cast, "review_area", pk=review.pk, area="policy"),
        area_form(cast, action_what="x", action_owner=owner.pk, action_due="12/31/2027"),
    )
    assert response.context["form"].errors["action_due"] == [
        "Enter the due date as a real date, like 31/12/2027"
    ]
