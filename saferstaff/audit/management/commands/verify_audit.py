from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from saferstaff.audit.heads import check_head, load_heads
from saferstaff.audit.log import verify_chain


class Command(BaseCommand):
    help = (
        "Walk every audit chain; exit non-zero naming the first edited, inserted or deleted row. With --head, "
        "also check that the rows a signed daily head names are still there (catches deleting the newest rows)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--head",
            action="append",
            default=[],
            type=Path,
            help="a head file written by audit_head (or a folder of them; repeatable)",
        )

    def handle(self, *args, head=(), **options):
        checked, broken = verify_chain()
        if broken:
            raise CommandError(f"Audit trail broken in {broken}. {checked} row(s) before it are intact.")
        heads = []
        for path in head:
            try:
                heads += [(path, h) for h in load_heads(path)]
            except (OSError, ValueError) as exc:
                raise CommandError(f"Cannot read the head {path}: {exc}") from None
        for path, h in heads:
            problem = check_head(h)
            if problem:
                raise CommandError(f"Audit trail does not match the head in {path}: {problem}.")
        self.stdout.write(
            f"Audit trail intact: {checked} row(s) checked"
            + (f", {len(heads)} head(s) found." if heads else ".")
        )
