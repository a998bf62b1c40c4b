"""The clocks workflows run to (saferstaff.clocks) and the ``due`` command that prints them."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command

from saferstaff.clocks import UK, due, is_working_day
from saferstaff.schools.models import ClosureDay


def test_friday_before_a_bank_holiday_monday_is_due_on_the_tuesday():
    # 26 March 2027 is Good Friday and 29 March Easter Monday; the clocks go forward on the 28th.
    assert due("lado", datetime.datetime(2027, 3, 26, 16, 0)) == datetime.datetime(
        2027, 3, 30, 23, 59, 59, tzinfo=UK
    )
    assert (
        due("lado", datetime.datetime(2027, 3, 30, 23, 59, 59, tzinfo=UK)).isoformat()
        == "2027-03-31T23:59:59+01:00"
    )


def test_an_ordinary_weekday_is_due_the_next_day_and_a_friday_on_monday():
    assert due("lado", datetime.datetime(2026, 11, 11, 9, 0)).date() == datetime.date(2026, 11, 12)
    assert due("lado", datetime.datetime(2026, 11, 13, 9, 0)).date() == datetime.date(2026, 11, 16)
    # Christmas: received on Christmas Eve, the 25th, 26th (a Saturday), 27th and the 28th (the Boxing Day
    # substitute) are not working days.
    assert due("lado", datetime.datetime(2026, 12, 24, 15, 0)).date() == datetime.date(2026, 12, 29)


def test_a_moment_with_an_offset_counts_by_its_uk_day():
    # 23:30 UTC on a Monday in summer is already Tuesday in London.
    received = datetime.datetime(2027, 6, 7, 23, 30, tzinfo=datetime.UTC)
    assert due("lado", received).date() == datetime.date(2027, 6, 9)


def test_the_schools_closure_days_are_not_working_days():
    inset = datetime.date(2027, 1, 4)
    assert is_working_day(inset) and not is_working_day(inset, frozenset({inset}))
    assert due("lado", datetime.datetime(2027, 1, 1, 10), closures=[inset]).date() == datetime.date(
        2027, 1, 5
    )


def test_an_unknown_clock_is_refused():
    with pytest.raises(ValueError):
        due("ico", datetime.datetime(2027, 1, 1))


def test_the_due_command_prints_iso_8601_in_uk_time_with_the_schools_closures(cast):
    out = io.StringIO()
    call_command("due", kind="lado", received="2027-03-26T16:00", stdout=out)
    assert out.getvalue().strip() == "2027-03-30T23:59:59+01:00"
    ClosureDay.objects.create(school=cast.school, day=datetime.date(2027, 3, 30), reason="INSET")
    out = io.StringIO()
    call_command(
        "due", "--kind", "lado", "--from", "2027-03-26T16:00", "--school", cast.school.slug, stdout=out
    )
    assert out.getvalue().strip() == "2027-03-31T23:59:59+01:00"
    with pytest.raises(CommandError, match="not a date and time"):
        call_command("due", kind="lado", received="next friday", stdout=io.StringIO())
