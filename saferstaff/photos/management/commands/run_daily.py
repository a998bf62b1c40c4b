import time

from django.core.management.base import BaseCommand

from saferstaff.audit.context import acting_as
from saferstaff.audit.heads import publish_heads
from saferstaff.biometrics.enrolment import erase_unconsented
from saferstaff.photos.services import chase_takedowns, retention_sweep, retry_deletions
from saferstaff.policies.reminders import send_due_reminders
from saferstaff.postcheck.models import delete_old_saved_checks
from saferstaff.schools.models import School
from saferstaff.schools.rosters.service import PREVIEW_KEEP_DAYS, discard_stale_previews


class Command(BaseCommand):
    help = (
        "Run every daily job: policy reminders (§2), chasing open takedowns (§5) and queuing images past "
        "their keep-until date for destruction (§5), retrying file deletions that failed, discarding roster uploads "
        "left in preview, and, last, writing the audit chains' signed heads. Run it from cron once a day, or with "
        "--every to loop."
    )

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, help="repeat every N seconds (e.g. 86400)")

    def handle(self, *args, every=0, **options):
        while True:
            self.run_once()
            if not every:
                return
            time.sleep(every)

    def run_once(self):
        for school in School.objects.all():
            with acting_as(school_id=school.pk):
                sent = send_due_reminders(school)
            self.stdout.write(f"{school.slug}: " + ", ".join(f"{k} {v}" for k, v in sent.items()))
        self.stdout.write(f"{chase_takedowns()} open takedowns chased")
        self.stdout.write(f"{retention_sweep()} images queued for destruction")
        self.stdout.write(f"{retry_deletions()} stored files deleted on retry")
        self.stdout.write(f"{erase_unconsented()} face templates erased (consent gone or pupil left)")
        self.stdout.write(f"{delete_old_saved_checks()} saved draft checks deleted (older than 90 days)")
        self.stdout.write(
            f"{discard_stale_previews()} roster uploads discarded (previewed over {PREVIEW_KEEP_DAYS} days ago)"
        )
        # Last, so that the heads seal what the jobs above recorded.
        self.stdout.write(f"{len(publish_heads())} audit chain heads written and sent to the DPOs")
