"""The current state of consent for a pupil and a purpose, derived from the answers recorded — never typed
over (§5). One function decides it, for one pupil or a whole school at once:

- a "no" from the pupil, from any guardian with parental responsibility or from a senior leader wins;
- otherwise a written "yes" from at least one guardian with parental responsibility is needed (a yes noted
  from a phone call waits for the written form);
- for publicity, from the school's age (default 12) the pupil's own yes is needed too;
- biometric face matching (Protection of Freedoms Act 2012 ss26–28): any parent's or the pupil's objection
  wins, at any age, and one parent's written consent is needed;
- an answer past its expiry date no longer counts (purposes renewed every school year lapse on 31 August).

The reasons are for people inside the school (they name the pupil); the audit trail gets only ids."""

import datetime
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence

from django.utils import timezone
from django.utils.html import format_html

from saferstaff.consent.models import ConsentRecord, Purpose
from saferstaff.rules.engine import Reason
from saferstaff.schools.models import Guardianship, Pupil, SchoolSettings

GIVEN, REFUSED, WITHDRAWN, NOT_ASKED, EXPIRED, WAITING = (
    "given",
    "refused",
    "withdrawn",
    "not_asked",
    "expired",
    "waiting",
)
LABELS = {
    GIVEN: "Consent given",
    REFUSED: "Refused",
    WITHDRAWN: "Withdrawn",
    NOT_ASKED: "Not asked yet",
    EXPIRED: "Expired — ask again",
    WAITING: "Waiting for a written form or the pupil's view",
}
# The short tag a table cell shows for each state, and its GOV.UK tag colour (ConsentState.tag_html).
TAGS = {
    GIVEN: ("Yes", "green"),
    REFUSED: ("No", "red"),
    WITHDRAWN: ("Withdrawn", "red"),
    WAITING: ("Waiting", "yellow"),
    EXPIRED: ("Expired", "orange"),
    NOT_ASKED: ("Not asked", "grey"),
}
TAG_HTML = {
    status: format_html('<strong class="govuk-tag govuk-tag--{}">{}</strong>', colour, tag)
    for status, (tag, colour) in TAGS.items()
}


class ConsentState:
    """A pupil's consent for one use now: its status, decided by ``decide``, and why, put into words only when
    ``reasons`` is read (the register draws 400 states a page and none of their reasons)."""

    __slots__ = ("status", "_explain")

    def __init__(self, status: str, explain: Callable[[], tuple[Reason, ...]]):
        self.status = status
        self._explain = explain

    def __repr__(self) -> str:
        return f"ConsentState({self.status!r})"

    @property
    def reasons(self) -> tuple[Reason, ...]:
        return self._explain()

    @property
    def allowed(self) -> bool:
        return self.status == GIVEN

    @property
    def label(self) -> str:
        return LABELS[self.status]

    @property
    def tag(self) -> str:
        return TAGS[self.status][0]

    @property
    def tag_colour(self) -> str:
        return TAGS[self.status][1]

    @property
    def tag_html(self) -> str:
        """The state's GOV.UK tag, escaped: built in Python because the register draws one per pupil and use,
        where an include per cell cost a measurable share of the page."""
        return TAG_HTML[self.status]


def age_on(dob: datetime.date, on: datetime.date) -> int:
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def _day(moment: datetime.datetime) -> str:
    return f"{timezone.localtime(moment):%-d %B %Y}"


# What ``decide`` reads of each answer: the answers come as rows of these, not as model instances.
DECIDED_ON = (
    "pupil_id", "purpose_id", "answer", "source", "guardian_id", "method", "recorded_by_id", "recorded_at", "expires_on",
)  # fmt: skip
GUARDIAN, PUPIL, SENIOR_LEADER = (
    ConsentRecord.Source.GUARDIAN,
    ConsentRecord.Source.PUPIL,
    ConsentRecord.Source.SENIOR_LEADER,
)
YES, NO = ConsentRecord.Answer.YES, ConsentRecord.Answer.NO
WHOSE = {
    GUARDIAN: "guardian consent",
    PUPIL: "the pupil's own consent",
    SENIOR_LEADER: "senior leaders' consent",
}


def decide(
    pupil: Pupil,
    purpose: Purpose,
    records: Sequence,
    responsible: Collection[int],
    voice_age: int,
    on: datetime.date,
) -> ConsentState:
    """The state for one pupil and purpose from that pair's records (oldest first; rows of ``DECIDED_ON``
    or ConsentRecords) and the ids of the guardians who hold parental responsibility for the pupil now."""
    latest: dict = {}  # (source, who) → their latest answer
    said_yes_before: set = set()
    lapsed = False
    for r in records:
        # Each guardian, the pupil, and each senior leader has their own latest answer: one senior leader's
        # yes does not undo another's no.
        source = r.source
        key = (source, r.recorded_by_id if source == SENIOR_LEADER else r.guardian_id)
        if source == GUARDIAN and r.guardian_id not in responsible:
            continue  # only a guardian with parental responsibility can give or refuse (§5)
        if r.expires_on is not None and r.expires_on < on:
            lapsed = True
            latest.pop(key, None)
            continue
        if key in latest and latest[key].answer == YES:
            said_yes_before.add(key)
        latest[key] = r
    noes = [(k, r) for k, r in latest.items() if r.answer == NO]
    if noes:

        def refusals():
            return tuple(
                Reason(
                    f"{pupil.short_name} — {WHOSE[r.source]} for '{purpose.name}' "
                    f"{'withdrawn' if key in said_yes_before else 'refused'} on {_day(r.recorded_at)}",
                    "§5",
                )
                for key, r in sorted(noes, key=lambda kr: kr[1].recorded_at)
            )

        return ConsentState(
            WITHDRAWN if said_yes_before.intersection(k for k, _ in noes) else REFUSED, refusals
        )
    yeses = [r for (source, _), r in latest.items() if source == GUARDIAN and r.answer == YES]
    # §5 asks for *written* consent: a yes noted from a phone call waits for the form (ConsentRecord.WRITTEN).
    written_yes = [r for r in yeses if r.method in ConsentRecord.WRITTEN]
    if not written_yes:
        if yeses:
            return ConsentState(
                WAITING,
                lambda: (
                    Reason(
                        f"{pupil.short_name} — a guardian said yes to '{purpose.name}', but written consent has "
                        "not come back",
                        "§5",
                    ),
                ),
            )
        text = "consent has expired" if lapsed else "no written guardian consent"
        return ConsentState(
            EXPIRED if lapsed else NOT_ASKED,
            lambda: (Reason(f"{pupil.short_name} — {text} for '{purpose.name}'", "§5"),),
        )
    # Biometric processing needs no yes from the child, only no objection (PoFA s26(5)), handled above.
    needs_voice = purpose.publicity and age_on(pupil.date_of_birth, on) >= voice_age
    pupil_said = latest.get((PUPIL, None))
    if needs_voice and (pupil_said is None or pupil_said.answer != YES):
        return ConsentState(
            WAITING,
            lambda: (
                Reason(
                    f"{pupil.short_name} is {age_on(pupil.date_of_birth, on)}: their own consent for "
                    f"'{purpose.name}' is needed too",
                    "§5",
                ),
            ),
        )
    return ConsentState(
        GIVEN,
        lambda: (
            Reason(
                f"{pupil.short_name} — written guardian consent for '{purpose.name}' given on "
                f"{_day(max(r.recorded_at for r in written_yes))}",
                "§5",
            ),
        ),
    )


def _answers(purposes=None, **narrow) -> tuple[dict[int, set[int]], dict[tuple[int, int], list]]:
    """What ``decide`` reads, for the pupils ``narrow`` picks (by school and pupil): the guardians with parental
    responsibility per pupil, and the answers per (pupil id, purpose id), oldest first (for the ``purposes``
    given, else every one). Two queries."""
    responsible: dict[int, set[int]] = defaultdict(set)
    guardianships = Guardianship.objects.filter(parental_responsibility=True, **narrow)
    for pupil_id, guardian_id in guardianships.values_list("pupil_id", "guardian_id"):
        responsible[pupil_id].add(guardian_id)
    records: dict[tuple[int, int], list] = defaultdict(list)  # (pupil id, purpose id) → its answers
    answers = (
        ConsentRecord.objects.filter(**narrow, **({"purpose__in": purposes} if purposes is not None else {}))
        .values_list(*DECIDED_ON, named=True)  # rows, not model instances: nothing else of them is read
        .order_by("pk")  # the order answers arrived in, whatever the clocks of the servers said
    )
    for r in answers:
        records[(r.pupil_id, r.purpose_id)].append(r)
    return responsible, records


def states_for(
    school, pupils, purposes, on: datetime.date | None = None
) -> dict[tuple[int, int], ConsentState]:
    """The state for every (pupil id, purpose id) pair, in three queries whatever the number of pupils."""
    on = on or timezone.localdate()
    pupils = [(p, p.pk) for p in pupils]
    purposes = [(u, u.pk) for u in purposes]
    pupil_ids = [pk for _, pk in pupils]
    if not pupil_ids or not purposes:
        return {}
    voice_age = SchoolSettings.for_school(school).pupil_voice_age
    responsible, records = _answers([pk for _, pk in purposes], school=school, pupil_id__in=pupil_ids)
    none: tuple = ()
    return {
        (p_pk, u_pk): decide(
            p, u, records.get((p_pk, u_pk), none), responsible.get(p_pk, none), voice_age, on
        )
        for p, p_pk in pupils
        for u, u_pk in purposes
    }


def state_of(pupil: Pupil, purpose: Purpose, on: datetime.date | None = None) -> ConsentState:
    return states_for(pupil.school, [pupil], [purpose], on)[(pupil.pk, purpose.pk)]


def face_matching_consent(pupil: Pupil) -> ConsentState | None:
    """The pupil's consent to face matching now (None when the school does not ask for it): what the
    enrolment rule (``rules.biometrics.may_enrol``) is asked with."""
    purpose = Purpose.objects.filter(school_id=pupil.school_id, biometric=True).first()
    return state_of(pupil, purpose) if purpose is not None else None


# A use of images nobody was asked about (every pupil "not asked"): its wording in every output.
NOT_ASKED_YET = "Not asked about yet"


def given_words(counts: dict[str, int], pupils: int) -> str:
    """One use's coverage in words, as the consent register's summary and every figure of consent say it:
    "12 of 30 pupils have consent given (40%)", or ``NOT_ASKED_YET`` when no pupil was asked about it."""
    if not pupils:
        return "No pupils on roll"
    if counts[NOT_ASKED] >= pupils:
        return NOT_ASKED_YET
    return f"{counts[GIVEN]} of {pupils} pupils have consent given ({round(100 * counts[GIVEN] / pupils)}%)"
