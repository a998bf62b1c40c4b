"""The kept consent states (``consent.decided``, ADR 0018) are always what ``decide`` decides: for schools made at
random — pupils of every age, guardians with and without parental responsibility, answers from the portal, the
office's paper form, a phone call, the pupil and senior leaders, withdrawals, answers that lapse, guardians
removed, uses added, changed and ended, the age of a pupil's own say changed, a birthday corrected, pupils
leaving, roster imports — every pupil × use kept equals ``decide`` after every write, and on every date after
(the day after an answer lapses, the day a pupil reaches the age of their own say), before and after the daily
job; and ``coverage`` equals a count of ``decide`` over the pupils on roll."""

import datetime
import random

import pytest
from django.utils import timezone

from saferstaff.consent.decided import (
    DAY,
    coverage_for,
    never_decided,
    old_enough_on,
    redecide_all,
    redecide_lapsed,
)
from saferstaff.consent.models import DecidedState, PortalLink, Purpose, end_of_school_year
from saferstaff.consent.services import (
    Answer,
    Unchanged,
    record_answers,
    record_portal_answers,
    send_portal_links,
)
from saferstaff.consent.states import LABELS, age_on, states_for
from saferstaff.schools.models import Guardianship, Pupil, SchoolSettings
from saferstaff.schools.rosters.detect import parse_roster
from saferstaff.schools.rosters.plan import apply_plan, plan_import

from .image_samples import pupil_with_parents
from .roster_samples import changed, csv_text, sample_pupils

TODAY = timezone.localdate()


def _holds(row, on) -> bool:
    return (row.valid_from is None or row.valid_from <= on) and (
        row.valid_until is None or on <= row.valid_until
    )


def assert_kept_is_decided(school, on=TODAY, *, all_hold=True) -> int:
    """Every pupil × use of ``school`` has a kept state; each that holds on ``on`` is ``decide``'s (and on the
    day they are written, all hold). Returns how many were compared."""
    live = states_for(school, Pupil.objects.filter(school=school), Purpose.objects.filter(school=school), on)
    kept = {(r.pupil_id, r.purpose_id): r for r in DecidedState.objects.filter(school=school)}
    assert set(kept) == set(live)
    compared = 0
    for pair, state in live.items():
        row = kept[pair]
        assert _holds(row, on) or not all_hold, (pair, row.valid_from, row.valid_until, on)
        if _holds(row, on):
            assert row.status == state.status, (pair, on, row.status, state.status)
            compared += 1
    return compared


def live_coverage(schools, on):
    """The count ``coverage`` must give: ``decide`` over each school's current pupils and active uses."""
    out = {}
    for school in schools:
        pupils = list(Pupil.objects.filter(school=school).current(on))
        uses = list(Purpose.objects.filter(school=school, active=True).order_by("pk"))
        states = states_for(school, pupils, uses, on)
        rows = []
        for use in uses:
            counts = dict.fromkeys(LABELS, 0)
            for pupil in pupils:
                counts[states[(pupil.pk, use.pk)].status] += 1
            rows.append((use.pk, counts, len(pupils)))
        out[school.pk] = rows
    return out


def assert_coverage_is_decided(schools, on=TODAY):
    counted = coverage_for([s.pk for s in schools], on)
    assert {pk: [(u.pk, c, n) for u, c, n in rows] for pk, rows in counted.items()} == live_coverage(
        schools, on
    )


class World:
    """A school filled at random, changed by one of the ways a decision can change at a time."""

    def __init__(self, cast, rng: random.Random):
        self.cast, self.school, self.rng = cast, cast.school, rng
        settings = SchoolSettings.for_school(self.school)
        settings.pupil_voice_age = rng.choice([11, 12, 13])
        settings.save()
        for n in range(6):
            dob = TODAY - datetime.timedelta(days=rng.randint(8 * 365, 14 * 365))
            pupil_with_parents(
                self.school, f"Pupil{n}", f"Family{n}", dob=dob, parents=rng.choice([1, 2]),
                without_pr=rng.choice([0, 1]),
            )  # fmt: skip

    def pupil(self):
        return self.rng.choice(list(Pupil.objects.filter(school=self.school)))

    def answers(self, pupil):
        uses = list(Purpose.objects.filter(school=self.school, active=True))
        chosen = self.rng.sample(uses, self.rng.randint(1, min(3, len(uses))))
        return [Answer(pupil, u, self.rng.choice(["yes", "yes", "no"])) for u in chosen]

    def responsible(self, pupil):
        links = Guardianship.objects.filter(pupil=pupil, parental_responsibility=True)
        return [g.guardian for g in links]

    def paper_form(self):
        pupil = self.pupil()
        if guardians := self.responsible(pupil):
            expiry = self.rng.choice([None, None, TODAY + datetime.timedelta(days=self.rng.randint(0, 200))])
            record_answers(self.school, self.answers(pupil), source="guardian", method="paper",
                           guardian=self.rng.choice(guardians), by=self.cast.office, expires_on=expiry)  # fmt: skip

    def phone_call(self):
        pupil = self.pupil()
        if guardians := self.responsible(pupil):
            record_answers(self.school, self.answers(pupil), source="guardian", method="phone",
                           guardian=self.rng.choice(guardians), by=self.cast.office)  # fmt: skip

    def portal(self):
        pupil = self.pupil()
        if guardians := self.responsible(pupil):
            guardian = self.rng.choice(guardians)
            send_portal_links(self.school, [guardian], by=self.cast.office)
            link = PortalLink.objects.filter(guardian=guardian, revoked_at__isnull=True).get()
            try:
                record_portal_answers(link, self.answers(pupil))
            except Unchanged:
                pass

    def pupils_own_say(self):
        pupil = self.pupil()
        record_answers(
            self.school, self.answers(pupil), source="pupil", method="in_person", by=self.cast.office
        )

    def senior_leader(self):
        pupil = self.pupil()
        record_answers(self.school, self.answers(pupil), source="senior_leader", method="in_person",
                       by=self.cast.slt)  # fmt: skip

    def guardian_removed(self):
        link = Guardianship.objects.filter(school=self.school).order_by("?").first()
        if link is not None:
            link.delete()

    def responsibility_changed(self):
        link = Guardianship.objects.filter(school=self.school).order_by("?").first()
        if link is not None:
            link.parental_responsibility = not link.parental_responsibility
            link.save()

    def use_added(self):
        Purpose.objects.create(school=self.school, name=f"Yearbook {self.rng.random():.6f}", plain_words="Words",
                               publicity=self.rng.choice([True, False]))  # fmt: skip

    def use_changed(self):
        use = Purpose.objects.filter(school=self.school).order_by("?").first()
        if self.rng.random() < 0.5:
            use.publicity = not use.publicity
        else:
            use.active = not use.active
        use.save()

    def voice_age_changed(self):
        settings = SchoolSettings.for_school(self.school)
        settings.pupil_voice_age = self.rng.choice([10, 11, 12, 13, 14])
        settings.save()

    def birthday_corrected(self):
        pupil = self.pupil()
        pupil.date_of_birth += datetime.timedelta(days=self.rng.randint(-400, 400))
        pupil.save()

    def pupil_leaves(self):
        pupil = self.pupil()
        pupil.leaving_date = TODAY + datetime.timedelta(days=self.rng.choice([-3, 0, 1, 30]))
        pupil.save()

    def steps(self):
        return [self.paper_form, self.paper_form, self.portal, self.portal, self.phone_call, self.pupils_own_say,
                self.senior_leader, self.guardian_removed, self.responsibility_changed, self.use_added,
                self.use_changed, self.voice_age_changed, self.birthday_corrected, self.pupil_leaves]  # fmt: skip


def roster_import(school, pupils):
    apply_plan(plan_import(school, parse_roster("roster.csv", csv_text(pupils, contacts=2).encode())))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_kept_state_is_decides_after_every_write_and_on_every_date(cast, seed):
    rng = random.Random(seed)
    world = World(cast, rng)
    # Pupils joining by a roster import, then an import that takes parental responsibility from some contacts,
    # removes a contact and sees a pupil leave.
    joining = sample_pupils(5, contacts=2)
    roster_import(cast.school, joining)
    assert_kept_is_decided(cast.school)
    for step in rng.choices(world.steps(), k=30):
        step()
        assert_kept_is_decided(cast.school)
    # A pupil with a written yes to everything, whose guardian then loses parental responsibility by an import.
    first = Pupil.objects.get(upn=joining[0].upn)
    for guardian in world.responsible(first)[:1]:
        uses = Purpose.objects.filter(school=cast.school, active=True)
        record_answers(cast.school, [Answer(first, u, "yes") for u in uses], source="guardian", method="paper",
                       by=cast.office, guardian=guardian)  # fmt: skip
    again = [
        changed(joining[0], contacts=(changed(joining[0].contacts[0], responsibility=False),)),
        *joining[1:4],
    ]
    roster_import(cast.school, again)
    assert_kept_is_decided(cast.school)
    assert_coverage_is_decided([cast.school, cast.other_school])

    # The date moves on: the day after each answer lapses, the day each pupil reaches an age of their own say.
    turns = {end_of_school_year(TODAY) + DAY, TODAY + 366 * DAY}
    turns |= {r.valid_until + DAY for r in DecidedState.objects.exclude(valid_until=None)}
    for pupil in Pupil.objects.filter(school=cast.school):
        turns |= {old_enough_on(pupil.date_of_birth, age) for age in (10, 11, 12, 13, 14, 15)}
    ahead = sorted(d for d in turns if TODAY < d <= TODAY + 800 * DAY)
    compared_before = 0
    for on in ahead:
        compared_before += assert_kept_is_decided(cast.school, on, all_hold=False)
        assert_coverage_is_decided([cast.school], on)  # counting live what no longer holds
        redecide_lapsed(on)
        assert_kept_is_decided(cast.school, on)  # the daily job: every kept state holds again
        assert_coverage_is_decided([cast.school], on)
    assert compared_before  # some kept states held across a change of date


def test_a_state_holds_from_the_last_change_of_date_to_the_next(cast):
    """The dates a kept state holds for: an answer counts up to its expiry day, a pupil has their own say from
    the birthday they reach the school's age (29 February: 1 March in other years)."""
    assert old_enough_on(datetime.date(2012, 2, 29), 12) == datetime.date(2024, 2, 29)
    assert old_enough_on(datetime.date(2012, 2, 29), 13) == datetime.date(2025, 3, 1)
    assert age_on(datetime.date(2012, 2, 29), datetime.date(2025, 2, 28)) == 12
    pupil, (mum,) = pupil_with_parents(
        cast.school, "Ada", "One", dob=TODAY.replace(year=TODAY.year - 12) + 40 * DAY
    )
    website = Purpose.objects.get(school=cast.school, code="website")
    expiry = TODAY + 100 * DAY
    record_answers(cast.school, [Answer(pupil, website, "yes")], source="guardian", method="paper", guardian=mum,
                   by=cast.office, expires_on=expiry)  # fmt: skip
    row = DecidedState.objects.get(pupil=pupil, purpose=website)
    birthday = old_enough_on(pupil.date_of_birth, 12)
    assert (row.status, row.valid_from, row.valid_until) == ("given", None, birthday - DAY)
    redecide_lapsed(birthday)
    row = DecidedState.objects.get(pupil=pupil, purpose=website)
    assert (row.status, row.valid_from, row.valid_until) == ("waiting", birthday, expiry)
    redecide_lapsed(expiry + DAY)
    row = DecidedState.objects.get(pupil=pupil, purpose=website)
    assert (row.status, row.valid_from, row.valid_until) == ("expired", expiry + DAY, None)


def test_coverage_decides_live_a_school_whose_states_are_missing(cast):
    """A bulk write past every door leaves no kept state: the count is still decide's, and says so in the log."""
    pupil, (mum,) = pupil_with_parents(cast.school, "Ada", "One")
    website = Purpose.objects.get(school=cast.school, code="website")
    record_answers(cast.school, [Answer(pupil, website, "yes")], source="guardian", method="paper", guardian=mum,
                   by=cast.office)  # fmt: skip
    DecidedState.objects.filter(school=cast.school).delete()
    assert_coverage_is_decided([cast.school])
    assert (
        dict((u.pk, c["given"]) for u, c, _ in coverage_for([cast.school.pk])[cast.school.pk])[website.pk]
        == 1
    )
    assert redecide_all([cast.school.pk]) == Purpose.objects.filter(school=cast.school).count()
    assert_kept_is_decided(cast.school)


def test_migrate_decides_the_schools_that_have_no_kept_state(cast):
    """Records from before states were kept have none: ``migrate`` decides them afterwards, with the code and
    schema it migrated to, and leaves alone a school whose states are kept."""
    from django.core.management import call_command

    pupil, (mum,) = pupil_with_parents(cast.school, "Ada", "One")
    website = Purpose.objects.get(school=cast.school, code="website")
    record_answers(cast.school, [Answer(pupil, website, "yes")], source="guardian", method="paper", guardian=mum,
                   by=cast.office)  # fmt: skip
    DecidedState.objects.filter(school=cast.school).delete()
    assert never_decided() == [cast.school.pk]
    call_command("migrate", verbosity=0)
    assert never_decided() == []
    assert_kept_is_decided(cast.school)
    kept = set(DecidedState.objects.filter(school=cast.school).values_list("pk", flat=True))
    call_command("migrate", verbosity=0)
    assert set(DecidedState.objects.filter(school=cast.school).values_list("pk", flat=True)) == kept
