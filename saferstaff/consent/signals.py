from django.db.models.signals import post_save
from django.dispatch import receiver

from saferstaff.schools.models import School


@receiver(post_save, sender=School)
def give_a_new_school_its_purposes(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        from saferstaff.consent.models import seed_purposes

        seed_purposes(instance)
