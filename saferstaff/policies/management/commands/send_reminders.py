from django.core.management.base import BaseCommand, CommandError

from saferstaff.audit.context import acting_as
from saferstaff.policies.reminders import send_due_reminders
from saferstaff.schools.models import School


class Command(BaseCommand):
    help = "Send the day's policy reminders, line-manager escalations and review-date notices (run daily)."

    def add_arguments(self, parser):
        parser.add_argument("--school", help="one school's slug (default: every school)")

    def handle(self, *args, school=None, **options):
        schools = School.objects.all()
        if school:
            schools = schools.filter(slug=school)
            if not schools.exists():
                raise CommandError(f"No school with slug {school!r}")
        for s in schools:
            with acting_as(school_id=s.pk):
                sent = send_due_reminders(s)
            self.stdout.write(f"{s.slug}: " + ", ".join(f"{k} {v}" for k, v in sent.items()))
