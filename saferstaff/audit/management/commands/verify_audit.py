from django.core.management.base import BaseCommand, CommandError

from saferstaff.audit.log import verify_chain


class Command(BaseCommand):
    help = (
        "Walk the audit trail's hash chain; exit non-zero naming the first edited, inserted or deleted row."
    )

    def handle(self, *args, **options):
        checked, broken = verify_chain()
        if broken:
            raise CommandError(
                f"Audit trail broken at row seq={broken.seq} (id {broken.pk}): {broken.problem}. "
                f"{checked} row(s) before it are intact."
            )
        self.stdout.write(f"Audit trail intact: {checked} row(s) checked.")
