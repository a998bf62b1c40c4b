from django.db.models.signals import post_save
from django.dispatch import receiver

from saferstaff.conduct.models import seed_channels
from saferstaff.schools.models import School


@receiver(post_save, sender=School)
def give_a_new_school_its_channels(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        seed_channels(instance)
