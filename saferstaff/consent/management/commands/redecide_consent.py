from django.core.management.base import BaseCommand

from saferstaff.consent.decided import redecide_all


class Command(BaseCommand):
    help = (
        "Decide again every pupil's consent state for every use and keep it (ADR 0018): after loading data "
        "in bulk (loaddata, a restore from elsewhere), or to check the kept states anew. migrate decides "
        "the schools that have none yet."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--school", type=int, action="append", help="a school's id (repeatable); default all"
        )

    def handle(self, *args, school=None, **options):
        self.stdout.write(f"{redecide_all(school)} consent states decided")
