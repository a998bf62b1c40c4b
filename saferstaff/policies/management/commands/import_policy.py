from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from saferstaff.audit.context import acting_as
from saferstaff.policies.models import PolicyKind
from saferstaff.policies.services import DocumentError, import_policy
from saferstaff.schools.setup import school_for_command


class Command(BaseCommand):
    help = "Import a policy document (.docx, .txt, .md) as a draft; prints its sections: number<TAB>title."

    def add_arguments(self, parser):
        parser.add_argument("--school", required=True, help="the school's slug")
        parser.add_argument("--title", required=True)
        parser.add_argument("--kind", choices=PolicyKind.values, default=PolicyKind.OTHER)
        parser.add_argument("path")

    def handle(self, *args, school, title, kind, path, **options):
        school_obj = school_for_command(school)
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            with acting_as(school_id=school_obj.pk):
                version, notes = import_policy(
                    school_obj, title=title, kind=kind, filename=file.name, data=file.read_bytes()
                )
        except DocumentError as exc:
            raise CommandError(f"{file.name}: {exc} Nothing was saved.") from None
        for note in notes:
            self.stderr.write(note)
        for section in version.sections.all():
            if section.number:
                self.stdout.write(f"{section.number}\t{section.title}")
            else:  # the text before the first numbered section (title page, introduction)
                self.stderr.write(f"Kept the text before the first section as '{section.title}'.")
        self.stderr.write(f"Saved as draft version {version.number} of '{version.policy.title}'.")
