import re

from django.core.management.base import BaseCommand, CommandError

from saferstaff.schools.models import School, Trust
from saferstaff.schools.setup import create_school


class Command(BaseCommand):
    help = "Set up a school. Prints the new school's slug as the last line."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--urn", required=True, help="6-digit Unique Reference Number")
        parser.add_argument("--laestab", required=True, help="7-digit DfE number: LA (3) + establishment (4)")
        parser.add_argument("--trust", help="slug of the trust or Local Authority that runs it")

    def handle(self, *args, name, urn, laestab, trust=None, **options):
        name = name.strip()
        if not name:
            raise CommandError("--name must not be empty")
        if not re.fullmatch(r"\d{6}", urn):
            raise CommandError(f"--urn must be 6 digits, not {urn!r}")
        laestab = laestab.replace("/", "").strip()
        if not re.fullmatch(r"\d{7}", laestab):
            raise CommandError(
                f"--laestab must be 7 digits (LA number + establishment number), not {laestab!r}"
            )
        if School.objects.filter(urn=urn).exists():
            raise CommandError(f"A school with URN {urn} is already set up")
        if School.objects.filter(la_number=laestab[:3], establishment_number=laestab[3:]).exists():
            raise CommandError(f"A school with DfE number {laestab[:3]}/{laestab[3:]} is already set up")
        trust_obj = None
        if trust:
            trust_obj = Trust.objects.filter(slug=trust).first()
            if trust_obj is None:
                raise CommandError(f"No trust or Local Authority with slug {trust!r}")
        school = create_school(
            name=name, urn=urn, la_number=laestab[:3], establishment_number=laestab[3:], trust=trust_obj
        )
        self.stdout.write(
            f"Created {school.name} (URN {school.urn}, DfE {school.la_number}/{school.establishment_number})"
        )
        self.stdout.write(school.slug)
