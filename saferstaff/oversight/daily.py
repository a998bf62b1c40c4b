"""What the oversight room does each day (``run_daily``): make each school's termly governors' report once, in
the term's last three weeks, and tell the chair of governors (§2; a school with no staff is skipped); work out
each trust's figures kept for the day, so that the trust's first look of the day is as quick as the next."""

from collections.abc import Iterator

from saferstaff.audit.context import acting_as
from saferstaff.audit.log import forget_earlier_days
from saferstaff.oversight.report import make_if_due
from saferstaff.oversight.trust import work_out_for_the_day
from saferstaff.schools.models import School, Trust


def daily() -> Iterator[str]:
    made = 0
    for school in School.objects.all():
        with acting_as(school_id=school.pk):
            made += make_if_due(school) is not None
    yield f"{made} governors' reports made for the term (its last three weeks, §2)"
    forgotten = forget_earlier_days()
    schools = sum(work_out_for_the_day(trust) for trust in Trust.objects.all())
    yield f"{schools} schools' figures for their trust's page worked out for the day ({forgotten} of earlier days removed)"
