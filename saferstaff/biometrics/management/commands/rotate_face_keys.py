from django.core.management.base import BaseCommand, CommandError

from saferstaff.biometrics.enrolment import rotate_keys
from saferstaff.schools.models import School
from saferstaff.schools.setup import school_for_command


class Command(BaseCommand):
    help = (
        "Re-seal every pupil's face template with the newest FACE_TEMPLATE_KEY (biometric data, PoFA 2012). "
        "Templates sealed with a key in FACE_TEMPLATE_OLD_KEYS, or the way versions before keys of their own "
        "sealed them (FACE_TEMPLATE_LEGACY_KEY, or SECRET_KEY), are read and sealed again; the count per school "
        "goes to the audit trail. Run it after adding a new key, then drop the old one."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would be re-sealed; change nothing"
        )
        parser.add_argument("--batch-size", type=int, default=500, help="templates read and written at once")
        parser.add_argument("--school", help="only this school's templates (its slug)")

    def handle(self, *args, dry_run=False, batch_size=500, school=None, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be 1 or more.")
        only = school_for_command(school) if school else None
        results = rotate_keys(dry_run=dry_run, batch_size=batch_size, school=only)
        slugs = dict(School.objects.filter(pk__in=results).values_list("pk", "slug"))
        verb = "would re-seal" if dry_run else "re-sealed"
        for school_id, result in sorted(results.items()):
            self.stdout.write(
                f"{slugs[school_id]}: {verb} {result.resealed}, already on the newest key {result.current}, "
                f"unreadable {len(result.unreadable)}"
            )
        if not results:
            self.stdout.write("No face templates.")
        unreadable = [pk for result in results.values() for pk in result.unreadable]
        if unreadable:
            raise CommandError(
                f"{len(unreadable)} template(s) open with no configured key (ids {', '.join(map(str, unreadable))}): "
                "add the key they were sealed with to FACE_TEMPLATE_OLD_KEYS (or, from before keys of their "
                "own, FACE_TEMPLATE_LEGACY_KEY) and run again, or erase them and enrol again."
            )
