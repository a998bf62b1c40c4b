"""What the oversight room does each day (``run_daily``): make each school's termly governors' report once, in
the term's last three weeks, and tell the chair of governors (§2). A school with no staff is skipped."""

from collections.abc import Iterator

from saferstaff.audit.context import acting_as
from saferstaff.oversight.report import make_if_due
from saferstaff.schools.models import School


def daily() -> Iterator[str]:
    made = 0
    for school in School.objects.all():
        with acting_as(school_id=school.pk):
            made += make_if_due(school) is not None
    yield f"{made} governors' reports made for the term (its last three weeks, §2)"
