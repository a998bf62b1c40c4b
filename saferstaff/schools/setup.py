from django.db import transaction

from saferstaff.audit.log import record
from saferstaff.policy.models import SchoolSettings
from saferstaff.schools.models import School, Trust


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
