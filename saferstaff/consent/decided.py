"""Each pupil's consent state per use, kept (``DecidedState``, ADR 0018), so that the count of consent across a
school or a whole trust (``coverage``) is a count of rows rather than a decision per pupil and use.

``decide`` stays the one definition: ``redecide`` is the only writer of the rows and writes only what ``decide``
answers. Every write that can change a decision calls it — saving or deleting an answer, a guardianship, a pupil,
a use, or the school's age of a pupil's own say (``consent.signals``), a roster import (``roster_applied``) and
the bulk loaders. A state can also change with the date alone (an answer lapses, a pupil reaches the age of their
own say): each row holds the dates it is true for; the daily job decides again the rows past them
(``redecide_lapsed``) and, until it has, ``coverage`` decides those pupils live, so that the count equals
``decide`` on every date."""

import datetime
import logging
from collections import defaultdict, namedtuple

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from saferstaff.consent.models import DecidedState, Purpose
from saferstaff.consent.states import LABELS, _answers, age_on, decide
from saferstaff.schools.models import Pupil, School, SchoolSettings

log = logging.getLogger(__name__)
DAY = datetime.timedelta(days=1)
DEFAULT_VOICE_AGE = SchoolSettings._meta.get_field("pupil_voice_age").default


class _Counted(
    namedtuple(
        "_Counted",
        "pk school_id date_of_birth preferred_forename legal_forename preferred_surname legal_surname",
    )
):
    """A pupil as ``decide`` reads it here: plain values, not a model instance (60,000 pupils a trust)."""

    __slots__ = ()
    short_name = property(Pupil.short_name.fget)


def old_enough_on(dob: datetime.date, age: int) -> datetime.date:
    """The first day ``age_on(dob, day) >= age`` (a birthday on 29 February falls on 1 March in other years)."""
    try:
        day = dob.replace(year=dob.year + age)
    except ValueError:
        day = datetime.date(dob.year + age, 3, 1)
    assert age_on(dob, day) >= age > age_on(dob, day - DAY)
    return day


def window(records, pupil, purpose: Purpose, voice_age: int, on: datetime.date):
    """The dates around ``on`` on which ``decide`` answers as it does on ``on`` (None: open-ended). Its answer
    moves with the date only where an answer lapses (the day after its expiry) and, for publicity, where the
    pupil reaches the age of their own say."""
    turns = {r.expires_on + DAY for r in records if r.expires_on is not None}
    if purpose.publicity:
        turns.add(old_enough_on(pupil.date_of_birth, voice_age))
    before = [d for d in turns if d <= on]
    after = [d for d in turns if d > on]
    return (max(before) if before else None, min(after) - DAY if after else None)


def _voice_ages(school_ids) -> dict[int, int]:
    ages = dict.fromkeys(school_ids, DEFAULT_VOICE_AGE)
    ages.update(
        SchoolSettings.objects.filter(school_id__in=school_ids).values_list("school_id", "pupil_voice_age")
    )
    return ages


def redecide(school_id: int, *, pupils=None, purposes=None, on: datetime.date | None = None) -> int:
    """THE writer of ``DecidedState``: decide again, with ``decide``, the school's ``pupils`` (ids; None: all)
    for its ``purposes`` (ids; None: all, active or not) and keep the answers. Returns the rows written.

    The pupils' rows are locked first: two writers re-deciding the same pupil take turns, and the second reads
    the answers the first committed (otherwise each could keep a state decided without the other's answer)."""
    on = on or timezone.localdate()
    narrow = {} if pupils is None else {"pupil_id__in": list(pupils)}
    uses = Purpose.objects.filter(school_id=school_id).order_by("pk")
    uses = list(uses if purposes is None else uses.filter(pk__in=list(purposes)))
    rows = Pupil.objects.filter(
        school_id=school_id, **({} if pupils is None else {"pk__in": narrow["pupil_id__in"]})
    )
    with transaction.atomic():
        people = [
            _Counted._make(r) for r in rows.select_for_update().order_by("pk").values_list(*_Counted._fields)
        ]
        if not people or not uses:
            return 0
        voice_age = _voice_ages([school_id])[school_id]
        responsible, records = _answers([u.pk for u in uses], school_id=school_id, **narrow)
        none: tuple = ()
        states = []
        for pupil in people:
            mine = responsible.get(pupil.pk, none)
            for use in uses:
                answers = records.get((pupil.pk, use.pk), none)
                valid_from, valid_until = window(answers, pupil, use, voice_age, on)
                states.append(
                    DecidedState(
                        school_id=school_id, pupil_id=pupil.pk, purpose_id=use.pk, valid_from=valid_from,
                        valid_until=valid_until, status=decide(pupil, use, answers, mine, voice_age, on).status,
                    )
                )  # fmt: skip
        old = DecidedState.objects.filter(school_id=school_id, purpose_id__in=[u.pk for u in uses], **narrow)
        old.delete()
        DecidedState.objects.bulk_create(states, batch_size=2000)
    return len(states)


def redecide_all(school_ids=None, on: datetime.date | None = None) -> int:
    """Every pupil of every school (or of ``school_ids``): filling the rows for data that have none (the
    migration, the bulk loaders) or checking them anew."""
    ids = school_ids if school_ids is not None else School.objects.order_by("pk").values_list("pk", flat=True)
    return sum(redecide(pk, on=on) for pk in list(ids))


def never_decided() -> list[int]:
    """The schools with pupils and not one kept state: those whose records came before states were kept, or
    were loaded without the doors. ``consent.apps`` decides them after every ``migrate``, with the code and the
    schema of the release just migrated to (a data migration would run today's code on yesterday's schema)."""
    decided = DecidedState.objects.values("school_id")
    pupils = Pupil.objects.exclude(school_id__in=decided).order_by("school_id")
    return list(pupils.values_list("school_id", flat=True).distinct())


def _holds(on: datetime.date) -> Q:
    return (Q(valid_from__isnull=True) | Q(valid_from__lte=on)) & (
        Q(valid_until__isnull=True) | Q(valid_until__gte=on)
    )


def _lapsed(on: datetime.date) -> Q:
    """Exactly the rows ``_holds`` leaves out, said so that the dates' own indexes find them without a scan."""
    return Q(valid_from__gt=on) | Q(valid_until__lt=on)


def redecide_lapsed(on: datetime.date | None = None) -> int:
    """Daily: decide again the pupils with a kept state no longer true on ``on`` (an answer lapsed, a pupil
    reached the age of their own say). Returns how many pupils."""
    on = on or timezone.localdate()
    lapsed: dict[int, set[int]] = defaultdict(set)
    for school_id, pupil_id in DecidedState.objects.filter(_lapsed(on)).values_list("school_id", "pupil_id"):
        lapsed[school_id].add(pupil_id)
    for school_id, pupils in sorted(lapsed.items()):
        redecide(school_id, pupils=sorted(pupils), on=on)
    return sum(len(p) for p in lapsed.values())


def coverage(school, on: datetime.date | None = None) -> list[tuple[Purpose, dict[str, int], int]]:
    """THE count of consent per use (§5): for each active use, how many of the school's current pupils are in
    each state, and how many pupils there are. Read by the self-review, the pack and the trust's view."""
    return coverage_for([school.pk], on)[school.pk]


def coverage_for(
    school_ids: list[int], on: datetime.date | None = None, *, live: bool = False
) -> dict[int, list[tuple[Purpose, dict[str, int], int]]]:
    """``coverage`` for many schools at once (the trust's view), in a number of queries that does not grow with
    them: a count of the kept states that hold on ``on``, and ``decide`` live for the pupils whose kept state
    does not (until the daily job has decided them again) — and for every pupil of a school whose kept states
    are missing (a bulk write that did not call ``redecide``: logged). ``live``: decide every pupil live, as the
    count was made before the states were kept (the benchmark's baseline)."""
    on = on or timezone.localdate()
    purposes: dict[int, list[Purpose]] = {pk: [] for pk in school_ids}
    for purpose in Purpose.objects.filter(school_id__in=school_ids, active=True).order_by("pk"):
        purposes[purpose.school_id].append(purpose)
    pupils = dict.fromkeys(school_ids, 0)
    current = Pupil.objects.filter(school_id__in=school_ids).current(on)
    pupils.update(current.values("school_id").annotate(n=Count("pk")).values_list("school_id", "n"))
    counts: dict[int, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(LABELS, 0)
    )  # purpose id → state → n, of the pupils on roll (only the active uses' counts are read)
    # Every kept state that holds, then less those of the pupils who have left: the count of the whole table
    # is then one scan with no join (a join to the pupils cost as much again), and the leavers are few.
    kept = DecidedState.objects.filter(school_id__in=school_ids).filter(_holds(on))
    left = kept.filter(
        pupil_id__in=Pupil.objects.filter(school_id__in=school_ids, leaving_date__lte=on).values("pk")
    )
    for states, sign in ((kept, 1), (left, -1)):
        held = states.values("purpose_id", "status").annotate(n=Count("*"))
        for purpose_id, status, n in held.values_list("purpose_id", "status", "n"):
            counts[purpose_id][status] += sign * n
    lapsed: dict[int, set[int]] = defaultdict(set)  # purpose id → the pupils whose kept state has lapsed
    rows = DecidedState.objects.filter(
        Q(pupil__leaving_date__isnull=True) | Q(pupil__leaving_date__gt=on),
        _lapsed(on),
        school_id__in=school_ids,
        purpose__active=True,
    )
    for pupil_id, purpose_id in rows.values_list("pupil_id", "purpose_id"):
        lapsed[purpose_id].add(pupil_id)
    missing = list(school_ids) if live else [
        pk for pk in school_ids
        if any(sum(counts[u.pk].values()) + len(lapsed[u.pk]) != pupils[pk] for u in purposes[pk])
    ]  # fmt: skip
    if missing and not live:
        log.warning("consent states missing for schools %s: their pupils decided live", missing)
    again = missing + [
        pk for pk in school_ids if pk not in missing and any(lapsed[u.pk] for u in purposes[pk])
    ]
    if again:
        recount = {u.pk for pk in missing for u in purposes[pk]}  # every pupil of these uses decided live
        for purpose_id in recount:
            counts[purpose_id] = dict.fromkeys(LABELS, 0)
        for (pupil_id, purpose_id), status in _decide_live(again, on).items():
            if purpose_id in recount or pupil_id in lapsed.get(purpose_id, ()):
                counts[purpose_id][status] += 1
    return {pk: [(u, counts[u.pk], pupils[pk]) for u in purposes[pk]] for pk in school_ids}


def _decide_live(school_ids: list[int], on: datetime.date) -> dict[tuple[int, int], str]:
    """The state of every current pupil of ``school_ids`` for every active use, decided now (four queries)."""
    uses: dict[int, list[Purpose]] = defaultdict(list)
    for use in Purpose.objects.filter(school_id__in=school_ids, active=True):
        uses[use.school_id].append(use)
    rows = Pupil.objects.filter(school_id__in=school_ids).current(on).values_list(*_Counted._fields)
    voice_ages = _voice_ages(school_ids)
    responsible, records = _answers(school_id__in=school_ids)
    none: tuple = ()
    states = {}
    for pupil in map(_Counted._make, rows):
        for use in uses[pupil.school_id]:
            states[(pupil.pk, use.pk)] = decide(
                pupil, use, records.get((pupil.pk, use.pk), none), responsible.get(pupil.pk, none),
                voice_ages[pupil.school_id], on,
            ).status  # fmt: skip
    return states
