import datetime

from django.core.management.base import BaseCommand, CommandError

from saferstaff.clocks import KINDS, due
from saferstaff.schools.models import ClosureDay
from saferstaff.schools.setup import school_for_command


class Command(BaseCommand):
    help = (
        "Print when something received at --from is due, as ISO 8601 in UK local time. --kind lado: a referral "
        "to the Local Authority designated officer, by the end of the first working day after the day received "
        "(KCSIE Part 4); weekends, bank holidays in England and Wales and, with --school, the school's closure "
        "days are not working days. --kind sar: a subject access request, by the corresponding date a calendar "
        "month later (the last day of that month when it has none; the next working day when that date is a "
        "weekend or a bank holiday; UK GDPR art. 12(3)). --kind ico: a personal-data breach reported to the ICO "
        "within 72 real hours of the school becoming aware of it (art. 33). A --from without an offset is UK "
        "local time."
    )

    def add_arguments(self, parser):
        parser.add_argument("--kind", required=True, choices=KINDS)
        parser.add_argument("--from", dest="received", required=True, help="e.g. 2027-03-26T16:00")
        parser.add_argument("--school", help="the school's slug: its closure days count too")

    def handle(self, *args, kind, received, school=None, **options):
        try:
            moment = datetime.datetime.fromisoformat(received)
        except ValueError:
            raise CommandError(
                f"--from {received!r} is not a date and time such as 2027-03-26T16:00"
            ) from None
        closures = ()
        if school:
            closures = ClosureDay.objects.filter(school=school_for_command(school)).values_list(
                "day", flat=True
            )
        self.stdout.write(due(kind, moment, closures=closures).isoformat())
