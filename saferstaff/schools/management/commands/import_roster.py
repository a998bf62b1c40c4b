"""saferstaff import_roster --school SLUG PATH [--dry-run]

Imports a pupil roster (CSV, CTF or OneRoster; the format is detected from the content) into a school.
On success prints the counts and exits 0. On a bad file prints each problem, with its line or element,
saves nothing and exits non-zero."""

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from saferstaff.schools.rosters.detect import check_file_size
from saferstaff.schools.rosters.records import RosterError
from saferstaff.schools.rosters.service import import_file
from saferstaff.schools.setup import school_for_command

COUNT_LABELS = [
    ("new", "new"),
    ("updated", "updated"),
    ("returning", "returning"),
    ("leaving", "leaving"),
    ("unchanged", "unchanged"),
    ("guardians_new", "guardians new"),
    ("guardians_updated", "guardians updated"),
    ("links_new", "links new"),
    ("links_updated", "links updated"),
    ("links_removed", "links removed"),
]


def format_counts(counts: dict[str, int]) -> str:
    return "  ".join(f"{label}: {counts.get(key, 0)}" for key, label in COUNT_LABELS)


class Command(BaseCommand):
    help = "Import pupils and their contacts from a CSV, CTF (XML) or OneRoster file exported by the MIS."

    def add_arguments(self, parser):
        parser.add_argument("--school", required=True, metavar="SLUG", help="the school's slug")
        parser.add_argument("path", metavar="PATH", help="the roster file")
        parser.add_argument("--dry-run", action="store_true", help="show what would change; save nothing")

    def handle(self, *args, school: str, path: str, dry_run: bool, **options):
        school_obj = school_for_command(school)
        try:
            size = os.path.getsize(path)
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror or error}.") from None
        try:
            check_file_size(size)  # before reading: a huge file is refused without loading it
            with open(path, "rb") as handle:
                data = handle.read(settings.ROSTER_MAX_BYTES + 1)
            plan = import_file(school_obj, os.path.basename(path), data, dry_run=dry_run)
        except RosterError as error:
            for problem in error.problems:
                self.stderr.write(str(problem))
            count = len(error.problems)
            raise CommandError(
                f"{count} problem{'s' if count != 1 else ''} found in {os.path.basename(path)}; nothing was saved."
            ) from None

        self.stdout.write(f"Format: {plan.format}  pupils in file: {plan.pupils_in_file}")
        self.stdout.write(format_counts(plan.counts()))
        for note in plan.notes:
            self.stdout.write(f"Note: {note}")
        for warning in plan.warnings:
            self.stdout.write(f"Warning: {warning}")
        if dry_run:
            self.stdout.write("Dry run: nothing was saved.")
        else:
            self.stdout.write(self.style.SUCCESS("Imported."))
