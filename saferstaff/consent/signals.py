from collections import defaultdict

from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import Signal, receiver

from saferstaff.consent.decided import DEFAULT_VOICE_AGE, redecide
from saferstaff.consent.models import ConsentRecord, Purpose, seed_purposes
from saferstaff.schools.models import Guardianship, Pupil, School, SchoolSettings
from saferstaff.schools.rosters.plan import roster_applied

# Sent by ``consent.services.record_answers`` for each "no" (``withdrawal=`` the ConsentRecord), inside the
# transaction that records it. The rooms that act on a withdrawal (photos: takedowns; biometrics: erasing face
# templates) connect to it in their AppConfig.ready, so consent needs to import neither.
withdrawn = Signal()


@receiver(post_save, sender=School)
def give_a_new_school_its_purposes(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        seed_purposes(instance)


# --- The kept consent states (``consent.decided``, ADR 0018) ------------------------------------------------
# Everything ``decide`` reads, written one row at a time, decides again the pupils it touches, in the writer's
# transaction: an answer (the door ``record_answers`` saves each one), a guardian's parental responsibility, a
# pupil (their date of birth), a use (a new one, or publicity changed) and the age of a pupil's own say. Writes
# in bulk call ``redecide`` themselves (a roster import sends ``roster_applied``).


def _going(origin) -> bool:
    """Whether a delete began with a pupil or a school (their kept states go with them: nothing to decide)."""
    model = origin.model if isinstance(origin, QuerySet) else type(origin)
    return model in (Pupil, School)


@receiver(post_save, sender=ConsentRecord)
def answer_recorded(sender, instance, raw=False, **kwargs):
    if not raw:
        redecide(instance.school_id, pupils=[instance.pupil_id], purposes=[instance.purpose_id])


@receiver(post_delete, sender=ConsentRecord)
def answer_deleted(sender, instance, origin=None, **kwargs):
    if not _going(origin):
        redecide(instance.school_id, pupils=[instance.pupil_id], purposes=[instance.purpose_id])


@receiver(post_save, sender=Guardianship)
@receiver(post_save, sender=Pupil)
def pupil_or_guardian_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        redecide(instance.school_id, pupils=[instance.pk if sender is Pupil else instance.pupil_id])


# A delete of many links (a roster import takes contacts away 500 at a time; destroying a guardian's record takes
# all their links) decides each pupil it touched again once, not once per link: Django sends every pre_delete of
# a delete before its rows go and every post_delete after, so the pupils are gathered on the delete's origin and
# the first post_delete decides them all.
_TAKEN = "_consent_pupils_taken"


@receiver(pre_delete, sender=Guardianship)
def guardian_being_removed(sender, instance, origin=None, **kwargs):
    if origin is not None and not _going(origin):
        vars(origin).setdefault(_TAKEN, defaultdict(set))[instance.school_id].add(instance.pupil_id)


@receiver(post_delete, sender=Guardianship)
def guardian_removed(sender, instance, origin=None, **kwargs):
    taken = {instance.school_id: {instance.pupil_id}} if origin is None else vars(origin).pop(_TAKEN, {})
    for school_id, pupils in taken.items():
        redecide(school_id, pupils=sorted(pupils))


@receiver(post_save, sender=Purpose)
def use_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        redecide(instance.school_id, purposes=[instance.pk])


@receiver(pre_save, sender=SchoolSettings)
def _voice_age_before(sender, instance, raw=False, **kwargs):
    before = SchoolSettings.objects.filter(pk=instance.pk).values_list("pupil_voice_age", flat=True)
    instance._voice_age_before = (before.first() if instance.pk else None) or DEFAULT_VOICE_AGE


@receiver(post_save, sender=SchoolSettings)
def voice_age_changed(sender, instance, raw=False, **kwargs):
    if not raw and instance.pupil_voice_age != getattr(instance, "_voice_age_before", None):
        redecide(instance.school_id)


@receiver(roster_applied)
def roster_imported(sender, school, pupils, **kwargs):
    if pupils:
        redecide(school.pk, pupils=sorted(pupils))
