from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from saferstaff.ops.backups import BackupRefused, make_backup


class Command(BaseCommand):
    help = (
        "Write a backup into DEST, a new (or empty) folder: the database (SQLite's online backup, or pg_dump -Fc "
        "of one snapshot), every file of the default storage, and manifest.json (row counts per table, SHA-256 "
        "of each file, sealed). Safe while saferstaff runs. No key is written: keep SECRET_KEY, AUDIT_KEY and "
        "FACE_TEMPLATE_KEY apart."
    )

    def add_arguments(self, parser):
        parser.add_argument("dest", type=Path, help="a folder that does not exist yet, or an empty one")
        parser.add_argument(
            "--pg-bin",
            type=Path,
            help="the folder of pg_dump (default: the server's version under /usr/lib/postgresql)",
        )

    def handle(self, *args, dest, pg_bin=None, **options):
        try:
            manifest = make_backup(dest, pg_bin=pg_bin)
        except BackupRefused as exc:
            raise CommandError(f"No backup written: {exc}.") from None
        files = manifest["storage"]["files"]
        self.stdout.write(
            f"Backup written to {dest}: the {manifest['database']['vendor']} database "
            f"({sum(manifest['tables'].values())} rows in {len(manifest['tables'])} tables), {len(files)} file(s) "
            f"({sum(f['bytes'] for f in files.values())} bytes), {dest / 'manifest.json'}."
        )
        if manifest["storage"]["vanished"]:
            self.stdout.write(f"{len(manifest['storage']['vanished'])} file(s) were deleted while copying.")
        self.stdout.write(
            "Not in it: " + ", ".join(manifest["not_included"]) + " — keep them apart from backups."
        )
