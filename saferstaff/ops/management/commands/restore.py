from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from saferstaff.ops.backups import BackupRefused, check_archive, restore_archive
from saferstaff.oversight.trust import work_out_for_the_day
from saferstaff.schools.models import Trust


class Command(BaseCommand):
    help = (
        "Replace the database and the files with those of a backup made by `saferstaff backup`. Stop the web "
        "server and workers first. The archive's seal and hashes are checked before anything is touched; after "
        "the restore the row counts, the file hashes and the audit chains are checked; non-zero exit on any "
        "mismatch. --check only checks the archive."
    )

    def add_arguments(self, parser):
        parser.add_argument("src", type=Path, help="the backup's folder")
        parser.add_argument(
            "--yes", action="store_true", help="yes, replace this server's database and files"
        )
        parser.add_argument("--check", action="store_true", help="only check the archive; change nothing")
        parser.add_argument(
            "--pg-bin",
            type=Path,
            help="the folder of pg_restore (default: the server's version under /usr/lib/postgresql)",
        )

    def handle(self, *args, src, yes=False, check=False, pg_bin=None, **options):
        if not (yes or check):
            raise CommandError(
                "A restore replaces this server's database and files with the archive's: stop the web server and "
                "workers, then run it again with --yes (or with --check to only check the archive)."
            )
        try:
            if check:
                manifest = check_archive(src)
                self.stdout.write(
                    f"Archive intact: made {manifest['created']}, {len(manifest['tables'])} tables, "
                    f"{len(manifest['storage']['files'])} file(s); every hash matches its manifest."
                )
                return
            report = restore_archive(src, pg_bin=pg_bin)
        except BackupRefused as exc:
            raise CommandError(f"Nothing restored: {exc}.") from None
        self.stdout.write(
            f"Restored {report.rows} rows in {report.tables} tables; files: {report.files_written} written, "
            f"{report.files_removed} not in the archive removed; audit trail: {report.audit_rows} row(s) checked."
        )
        for note in report.notes:
            self.stdout.write(f"Note: {note}")
        if report.problems:
            raise CommandError(
                f"The restored data does not match the archive ({len(report.problems)} problem(s)):\n  "
                + "\n  ".join(report.problems)
            )
        self.stdout.write(
            "Every table count and file hash matches the archive, and the audit trail verifies."
        )
        # What run_daily works out each morning for the trusts' pages (ADR 0016), so that their first view after
        # a restore is not the slow one.
        schools = sum(work_out_for_the_day(trust) for trust in Trust.objects.all())
        self.stdout.write(f"{schools} schools' figures for their trust's page worked out for the day.")
