"""The kept consent states (ADR 0018) on the write paths that change many pupils at once — a roster import, a
delete of a guardian's links — stay ``decide``'s, and cost a number of queries that does not grow with the
pupils they touch (beyond the history row each removed link keeps); an import decides again only the pupils it
changed."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from saferstaff.consent.decided import redecide
from saferstaff.consent.models import DecidedState, Purpose
from saferstaff.consent.services import Answer, record_answers
from saferstaff.schools.models import Guardian, Guardianship, Pupil
from saferstaff.schools.rosters.detect import parse_roster
from saferstaff.schools.rosters.plan import apply_plan, plan_import

from .image_samples import pupil_with_parents
from .roster_samples import changed, csv_text, sample_pupils
from .test_consent_decided import assert_kept_is_decided

TODAY = timezone.localdate()


def _plan(school, pupils):
    return plan_import(school, parse_roster("roster.csv", csv_text(pupils, contacts=2).encode()))


def _applied(plan) -> list[str]:
    with CaptureQueriesContext(connection) as seen:
        apply_plan(plan)
    return [q["sql"] for q in seen.captured_queries]


def _replacing_every_contact(school, count: int, start: int) -> int:
    """The queries of an import that gives each of ``count`` pupils two new contacts in place of their two (other
    people, with other names and emails: the old links are removed)."""
    pupils = sample_pupils(count, contacts=2, start=start)
    apply_plan(_plan(school, pupils))
    moved = [
        changed(
            p,
            contacts=tuple(
                changed(c, forename=f"New{c.forename}", email=f"new.{c.email}") for c in p.contacts
            ),
        )
        for p in pupils
    ]
    plan = _plan(school, moved)
    assert plan.counts()["links_removed"] == plan.counts()["links_new"] == 2 * count
    return len(_applied(plan))


def test_an_import_removing_many_links_decides_each_pupil_again_once_not_once_per_link(cast):
    small = _replacing_every_contact(cast.school, 3, 0)
    large = _replacing_every_contact(cast.other_school, 12, 100)
    links = 2 * (12 - 3)
    # Each removed link keeps its history row (one insert); deciding its pupil again each time was 7 more.
    assert large - small <= 2 * links, (small, large)
    assert_kept_is_decided(cast.school)
    assert_kept_is_decided(cast.other_school)


def test_deleting_a_guardians_links_decides_each_of_their_children_again(cast):
    """As the destruction of a guardian's record does: one delete of their links to two siblings."""
    pupils = sample_pupils(2, contacts=2)
    pupils[1] = changed(pupils[1], contacts=pupils[0].contacts)  # the same two parents
    apply_plan(_plan(cast.school, pupils))
    mum = Guardian.objects.get(school=cast.school, email=pupils[0].contacts[0].email)
    website = Purpose.objects.get(school=cast.school, code="website")
    for pupil in Pupil.objects.filter(school=cast.school):
        record_answers(cast.school, [Answer(pupil, website, "yes")], source="guardian", method="paper",
                       guardian=mum, by=cast.office)  # fmt: skip
    Guardianship.objects.filter(guardian=mum).delete()
    assert_kept_is_decided(cast.school)


def test_an_import_that_changes_nothing_decides_no_one_again(cast):
    pupils = sample_pupils(4, contacts=2)
    apply_plan(_plan(cast.school, pupils))
    assert DecidedState.objects.filter(school=cast.school).exists()
    again = _applied(_plan(cast.school, pupils))
    assert not [sql for sql in again if "consent_decidedstate" in sql]
    assert_kept_is_decided(cast.school)


def test_an_import_decides_again_the_pupils_it_changed(cast):
    """A date of birth corrected to before the age of a pupil's own say, a contact's parental responsibility
    taken away, a pupil joining: each of those pupils decided again, the others left as they were."""
    pupils = sample_pupils(4, contacts=2)
    apply_plan(_plan(cast.school, pupils))
    website = Purpose.objects.get(school=cast.school, code="website")
    for sample in pupils[:2]:
        pupil = Pupil.objects.get(school=cast.school, upn=sample.upn)
        mum = Guardian.objects.get(school=cast.school, email=sample.contacts[0].email)
        record_answers(cast.school, [Answer(pupil, website, "yes")], source="guardian", method="paper",
                       guardian=mum, by=cast.office)  # fmt: skip
    assert_kept_is_decided(cast.school)
    thirteen = changed(pupils[0], dob=TODAY - datetime.timedelta(days=13 * 366))
    no_say = changed(
        pupils[1], contacts=(changed(pupils[1].contacts[0], responsibility=False), *pupils[1].contacts[1:])
    )
    joining = sample_pupils(1, contacts=2, start=50)
    apply_plan(_plan(cast.school, [thirteen, no_say, *pupils[2:], *joining]))
    states = {
        upn: DecidedState.objects.get(pupil__upn=upn, purpose=website).status
        for upn in (pupils[0].upn, pupils[1].upn, joining[0].upn)
    }
    assert states == {pupils[0].upn: "waiting", pupils[1].upn: "not_asked", joining[0].upn: "not_asked"}
    assert_kept_is_decided(cast.school)


def test_deciding_again_for_one_school_never_touches_another_schools_states(cast):
    ours, _ = pupil_with_parents(cast.school, "Ada", "One")
    theirs, _ = pupil_with_parents(cast.other_school, "Bea", "Two")
    their_use = Purpose.objects.get(school=cast.other_school, code="website")
    kept = DecidedState.objects.filter(school=cast.other_school).order_by("pk")
    before = list(kept.values_list("pk", "pupil_id", "purpose_id", "status", "valid_from", "valid_until"))
    assert before
    assert redecide(cast.school.pk, pupils=[theirs.pk, ours.pk], purposes=[their_use.pk]) == 0
    uses = Purpose.objects.filter(school=cast.school).count()
    assert redecide(cast.school.pk, pupils=[theirs.pk, ours.pk]) == uses
    assert (
        list(kept.values_list("pk", "pupil_id", "purpose_id", "status", "valid_from", "valid_until"))
        == before
    )
    assert not DecidedState.objects.filter(pupil=theirs).exclude(school=cast.other_school).exists()
    assert_kept_is_decided(cast.school)
    assert_kept_is_decided(cast.other_school)
