"""What the policies room does each day (``run_daily``): send each school's due acceptance reminders (§2)."""

from collections.abc import Iterator

from saferstaff.audit.context import acting_as
from saferstaff.policies.reminders import send_due_reminders
from saferstaff.schools.models import School


def daily() -> Iterator[str]:
    for school in School.objects.all():
        with acting_as(school_id=school.pk):
            sent = send_due_reminders(school)
        yield f"{school.slug}: " + ", ".join(f"{k} {v}" for k, v in sent.items())
