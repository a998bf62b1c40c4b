from django.core.management.base import BaseCommand

from saferstaff.incidents.services import altered, verify_all
from saferstaff.schools.setup import school_for_command


class Command(BaseCommand):
    help = (
        "Re-hash every stored item of evidence (§9: kept intact) and name each that no longer matches what was "
        "received; exit 1 if any does, and tell the school's DSLs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--school", help="only this school (its slug)")

    def handle(self, *args, school=None, **options):
        bad = verify_all(school_for_command(school) if school else None)
        for item in bad:
            altered(item)
            self.stdout.write(
                f"{item.case.school.slug}: evidence {item.pk} of case {item.case_id} does not match"
            )
        self.stdout.write(f"{len(bad)} item{'s' if len(bad) != 1 else ''} of evidence not matching")
        if bad:
            raise SystemExit(1)
