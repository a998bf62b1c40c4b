from django.core.management.base import CommandError
from django.db import transaction

from saferstaff.audit.log import record
from saferstaff.schools.models import School, SchoolSettings, Trust


def create_school(
    *, name: str, urn: str, la_number: str, establishment_number: str, trust: Trust | None = None, by=None
) -> School:
    with transaction.atomic():
        school = School.objects.create(
            trust=trust,
            name=name.strip(),
            slug=School.unique_slug_for(name),
            urn=urn,
            la_number=la_number,
            establishment_number=establishment_number,
        )
        SchoolSettings.objects.create(school=school)
        record("school.created", school, school=school, actor=by)
    return school


def school_for_command(slug: str) -> School:
    """The school a management command's --school names, or a CommandError that says where to find a slug."""
    school = School.objects.filter(slug=slug).first()
    if school is None:
        raise CommandError(
            f"There is no school with the slug '{slug}': `saferstaff create_school` prints it, and it is in the "
            "address of the school's pages (/s/<slug>/)."
        )
    return school
