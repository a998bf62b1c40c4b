from django.core.management.base import BaseCommand

from saferstaff.audit.heads import publish_heads


class Command(BaseCommand):
    help = (
        "Write each audit chain's newest row (seq, hash, time), signed with AUDIT_KEY, to a file under "
        "AUDIT_HEAD_DIR, and email each school's to its DPO. run_daily does this too."
    )

    def add_arguments(self, parser):
        parser.add_argument("--folder", help="write here instead of AUDIT_HEAD_DIR")
        parser.add_argument("--no-email", action="store_true", help="write the files only")

    def handle(self, *args, folder=None, no_email=False, **options):
        written = publish_heads(folder, email=not no_email)
        for path in written:
            self.stdout.write(str(path))
        self.stdout.write(f"{len(written)} audit head(s) written")
