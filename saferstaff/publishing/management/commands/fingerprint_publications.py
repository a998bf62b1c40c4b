from django.core.management.base import BaseCommand, CommandError

from saferstaff.publishing.services import fingerprint_stored_copies


class Command(BaseCommand):
    help = (
        "Fingerprint the copies of live photo publications made before fingerprints were kept (§5: a takedown "
        "is checked by comparing the images at its places with the copy), from the copy file while it is "
        "still stored. At most --batch a run; run it again until none are left. A copy already taken down "
        "has no file and cannot be fingerprinted. The count per school goes to the audit trail."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=500, help="at most this many fingerprinted a run")

    def handle(self, *args, batch=500, **options):
        if batch < 1:
            raise CommandError("--batch must be 1 or more.")
        counts = fingerprint_stored_copies(batch)
        self.stdout.write(
            f"Fingerprinted {counts['filled']}; copy file missing or unreadable {counts['unreadable']}; "
            f"still without a fingerprint {counts['left']}."
        )
