"""Erasing pupils' face templates (§5; biometric data under the Protection of Freedoms Act 2012): at once
when a parent withdraws consent to face matching, and daily for pupils who have left or whose consent is no
longer given. Light on purpose: it needs no face model, so connecting it at start-up loads none."""

from saferstaff.audit.log import record
from saferstaff.biometrics.models import FaceTemplate
from saferstaff.consent.models import Purpose
from saferstaff.consent.states import states_for
from saferstaff.schools.models import Pupil, School


def erase(pupil, *, reason: str) -> int:
    """Erase every template of the pupil (reason: a code such as 'withdrawn' or 'left')."""
    n, _ = FaceTemplate.objects.filter(pupil=pupil).delete()
    if n:
        record("faces.erased", pupil, detail={"count": n, "reason": reason})
    return n


def erase_on_withdrawal(sender, *, withdrawal, **kwargs) -> int:
    """A "no" recorded by ``consent.services.record_answers`` (its ``withdrawn`` signal, in its transaction):
    a "no" to face matching erases the pupil's templates at once, not at the next daily run."""
    return erase(withdrawal.pupil, reason="withdrawn") if withdrawal.purpose.biometric else 0


def erase_unconsented() -> int:
    """Daily: erase the templates of pupils who have left or whose biometric consent is no longer given."""
    erased = 0
    for school in School.objects.filter(pk__in=FaceTemplate.objects.values("school_id")):
        pupils = list(
            Pupil.objects.filter(
                school=school, pk__in=FaceTemplate.objects.filter(school=school).values("pupil_id")
            )
        )
        purpose = Purpose.objects.filter(school=school, biometric=True).first()
        states = states_for(school, pupils, [purpose]) if purpose else {}
        for pupil in pupils:
            if not pupil.is_current:
                erased += erase(pupil, reason="left")
            elif purpose is None or not states[(pupil.pk, purpose.pk)].allowed:
                erased += erase(pupil, reason="consent")
    return erased
