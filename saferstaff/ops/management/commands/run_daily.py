import time

from django.core.management.base import BaseCommand

from saferstaff.audit.heads import publish_heads
from saferstaff.biometrics import daily as biometrics
from saferstaff.conduct import daily as conduct
from saferstaff.consent import daily as consent
from saferstaff.incidents import daily as incidents
from saferstaff.oversight import daily as oversight
from saferstaff.photos import daily as photos
from saferstaff.policies import daily as policies
from saferstaff.privacy import daily as privacy
from saferstaff.schools import daily as schools

# Each room says what it does each day (its daily.py); this command only runs them, in this order. It lives in
# ops, at the top of the layers, because it reads every room (the governors' report of oversight among them).
ROOMS = (policies, consent, conduct, incidents, photos, biometrics, schools, privacy, oversight)


class Command(BaseCommand):
    help = (
        "Run every daily job: policy reminders (§2), deciding again the consent states that lapsed or that a "
        "birthday changed (§5), chasing disclosures, permission requests and low-level concerns "
        "still waiting (§3, §6, KCSIE), re-hashing the evidence vault (§9), chasing open takedowns and queuing the weekly sweep of each school's own websites (§5), queuing images past "
        "their keep-until date for destruction (§5), retrying file deletions that failed, erasing face templates "
        "nobody may keep, discarding roster uploads left in preview, "
        "chasing personal-data breaches whose 72 hours to tell the ICO run short, listing what is past its "
        "retention period and destroying what the DPO confirmed and what needs no confirmation, such as saved draft checks (§8), "
        "making the termly governors' report in the term's last three weeks (§2), and, last, writing the audit chains' "
        "signed heads. Run it from cron once a day, or with --every to loop."
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
        for room in ROOMS:
            for line in room.daily():
                self.stdout.write(line)
        # Last, so that the heads seal what the jobs above recorded.
        self.stdout.write(f"{len(publish_heads())} audit chain heads written and sent to the DPOs")
