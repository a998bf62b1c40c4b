from django.db.models.signals import post_save
from django.dispatch import Signal, receiver

from saferstaff.conduct.models import seed_channels
from saferstaff.schools.models import School

# Sent by ``conduct.services.escalate_concern`` (``concern=`` the LowLevelConcern, ``actor=`` who escalated it),
# inside the transaction that marks it escalated. The incidents room connects to it and opens the allegation,
# linked to the concern and its history (KCSIE Part 4), so conduct imports nothing above it.
concern_escalated = Signal()


@receiver(post_save, sender=School)
def give_a_new_school_its_channels(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        seed_channels(instance)
