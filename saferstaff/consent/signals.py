from django.db.models.signals import post_save
from django.dispatch import Signal, receiver

from saferstaff.consent.models import seed_purposes
from saferstaff.schools.models import School

# Sent by ``consent.services.record_answers`` for each "no" (``withdrawal=`` the ConsentRecord), inside the
# transaction that records it. The rooms that act on a withdrawal (photos: takedowns; biometrics: erasing face
# templates) connect to it in their AppConfig.ready, so consent needs to import neither.
withdrawn = Signal()


@receiver(post_save, sender=School)
def give_a_new_school_its_purposes(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        seed_purposes(instance)
