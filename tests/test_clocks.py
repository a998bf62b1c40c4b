"""The clocks workflows run to (saferstaff.clocks) and the ``due`` command that prints them."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from hypothesis import given
from hypothesis import strategies as st

from saferstaff.clocks import UK, add_months, due, is_working_day
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
        due("dpa", datetime.datetime(2027, 1, 1))


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


# --- The ICO's clocks (issue 16): a subject access request's month and a breach's 72 hours -------------------


def _sar(day, **kwargs):
    return due("sar", datetime.datetime.combine(day, datetime.time(10)), **kwargs).date()


@pytest.mark.parametrize(
    ("received", "answered_by"),
    [
        ("2027-01-31", "2027-03-01"),  # 28 February 2027 is a Sunday: the next working day
        ("2028-01-31", "2028-02-29"),  # a leap year: 29 February, a Tuesday
        ("2027-03-31", "2027-04-30"),  # April has no 31st: its last day, a Friday
        ("2026-12-06", "2027-01-06"),  # the corresponding date, a Wednesday
        ("2027-04-25", "2027-05-25"),  # 25 May 2027 is a Tuesday
        ("2027-07-31", "2027-08-31"),  # 30 August 2027 is the summer bank holiday; the 31st a Tuesday
        ("2026-11-25", "2026-12-29"),  # 25th: Christmas; 26th–27th a weekend; 28th Boxing Day substitute
    ],
)
def test_a_subject_access_request_is_due_a_calendar_month_later_by_the_icos_rule(received, answered_by):
    assert _sar(datetime.date.fromisoformat(received)) == datetime.date.fromisoformat(answered_by)


def test_the_month_of_a_subject_access_request_ends_at_the_end_of_its_day_in_uk_time():
    assert due("sar", datetime.datetime(2027, 3, 3, 9)).isoformat() == "2027-04-05T23:59:59+01:00"


def test_a_pause_adds_the_days_waited_and_an_extension_up_to_two_further_months():
    assert _sar(datetime.date(2027, 1, 10), paused_days=5) == datetime.date(2027, 2, 15)
    assert _sar(datetime.date(2027, 1, 10), extension_months=2) == datetime.date(2027, 4, 12)  # 10 Apr: Sat
    with pytest.raises(ValueError):
        _sar(datetime.date(2027, 1, 10), extension_months=3)
    with pytest.raises(ValueError):
        _sar(datetime.date(2027, 1, 10), paused_days=-1)


def test_the_icos_72_hours_are_real_hours_across_the_change_of_the_clocks():
    # Friday 17:00 before the clocks go forward (28 March 2027): 72 hours later is 18:00 BST on the Monday.
    assert due("ico", datetime.datetime(2027, 3, 26, 17, 0)).isoformat() == "2027-03-29T18:00:00+01:00"
    # ... and before they go back (31 October 2027): 16:00 GMT on the Monday.
    assert due("ico", datetime.datetime(2027, 10, 29, 17, 0)).isoformat() == "2027-11-01T16:00:00+00:00"


@given(st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2099, 12, 31)))
def test_hypothesis_add_months_is_the_corresponding_date_or_the_last_day_of_the_month(day):
    later = add_months(day, 1)
    assert (later.year * 12 + later.month) - (day.year * 12 + day.month) == 1
    assert later.day == day.day or (later.day < day.day and (later + datetime.timedelta(days=1)).day == 1)


@given(
    st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2099, 12, 31)),
    st.integers(min_value=0, max_value=60),
    st.integers(min_value=0, max_value=2),
)
def test_hypothesis_a_sar_is_due_on_a_working_day_no_earlier_than_its_month_and_within_a_week_of_it(
    day, paused, extension
):
    answered = _sar(day, paused_days=paused, extension_months=extension)
    month_end = add_months(day + datetime.timedelta(days=paused), 1 + extension)
    assert is_working_day(answered)
    assert month_end <= answered <= month_end + datetime.timedelta(days=5)
    # Every day between the month's end and the due date is a day off: the school is never given a day more.
    between = (month_end + datetime.timedelta(days=n) for n in range((answered - month_end).days))
    assert not any(is_working_day(d) for d in between)


@given(st.datetimes(min_value=datetime.datetime(2000, 1, 1), max_value=datetime.datetime(2099, 12, 28)))
def test_hypothesis_the_ico_deadline_is_always_exactly_72_real_hours_after_awareness(aware):
    deadline = due("ico", aware)
    assert deadline.tzinfo is UK
    # (Subtracting two times in the same zone would count wall-clock hours: compare them in UTC.)
    real = deadline.astimezone(datetime.UTC) - aware.replace(tzinfo=UK).astimezone(datetime.UTC)
    assert real == datetime.timedelta(hours=72)


def test_the_due_command_prints_the_icos_clocks():
    out = io.StringIO()
    call_command("due", kind="sar", received="2027-01-31", stdout=out)
    assert out.getvalue().strip() == "2027-03-01T23:59:59+00:00"
    out = io.StringIO()
    call_command("due", "--kind", "ico", "--from", "2027-03-26T17:00", stdout=out)
    assert out.getvalue().strip() == "2027-03-29T18:00:00+01:00"
