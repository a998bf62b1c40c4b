"""The clocks the guidance's workflows run to, in UK local time: when something received at a moment is due.

- ``lado``: KCSIE Part 4 — an allegation about staff is referred to the Local Authority designated officer within
  one working day: due at the end of the first working day after the day it was received. Working days skip
  weekends, the bank holidays of England and Wales (the ``holidays`` package: a calendar in the wheel, offline)
  and the school's own closure days.

- ``sar``: UK GDPR art. 12(3) as the ICO reads it — a subject access request is answered within one calendar
  month: by the corresponding date of the next month (the last day of that month when it has no such date: 31
  January → 28 or 29 February), or the next working day when that date is a weekend or a bank holiday. Days the
  school waited for proof of identity or for clarification are added before the month is counted (the clock
  pauses); an extension adds up to two further months, counted the same way from the start.
- ``ico``: UK GDPR art. 33 — a personal-data breach is reported to the ICO within 72 hours of the school becoming
  aware of it: 72 real hours, so across a change of the clocks the deadline moves by an hour on the wall.

Plain Python (no Django models): a caller passes the school's closure days, the days paused, the extension."""

import calendar
import datetime
from collections.abc import Iterable
from functools import cache
from zoneinfo import ZoneInfo

import holidays

UK = ZoneInfo("Europe/London")
KINDS = ("lado", "sar", "ico")
ICO_HOURS = 72
MAX_EXTENSION_MONTHS = 2


@cache
def _bank_holidays(year: int) -> frozenset[datetime.date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: datetime.date, closures: frozenset[datetime.date] = frozenset()) -> bool:
    """Monday to Friday, not a bank holiday in England and Wales, not a day the school is closed."""
    return day.weekday() < 5 and day not in _bank_holidays(day.year) and day not in closures


def not_working_because(day: datetime.date, closures: frozenset[datetime.date] = frozenset()) -> str:
    """Why ``day`` is not a working day, in words ("a Sunday", "a bank holiday"); empty when it is one."""
    if day.weekday() >= 5:
        return f"a {day:%A}"
    if day in _bank_holidays(day.year):
        return "a bank holiday"
    return "a day the school is closed" if day in closures else ""


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The corresponding date ``months`` later; the last day of that month when it has no such date."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_working_day(after: datetime.date, closures: frozenset[datetime.date] = frozenset()) -> datetime.date:
    day = after + datetime.timedelta(days=1)
    while not is_working_day(day, closures):
        day += datetime.timedelta(days=1)
    return day


def local(moment: datetime.datetime) -> datetime.datetime:
    """``moment`` in UK local time; a moment without an offset is taken to be UK local time already."""
    return moment.replace(tzinfo=UK) if moment.tzinfo is None else moment.astimezone(UK)


def end_of_day(day: datetime.date) -> datetime.datetime:
    """The last moment of ``day`` in UK local time (the offset of that day: GMT or BST)."""
    return datetime.datetime.combine(day, datetime.time(23, 59, 59), tzinfo=UK)


def due(
    kind: str,
    received: datetime.datetime,
    *,
    closures: Iterable[datetime.date] = (),
    paused_days: int = 0,
    extension_months: int = 0,
) -> datetime.datetime:
    """When something of ``kind`` received at ``received`` is due, in UK local time. ``closures`` count for
    ``lado`` only (the ICO's month knows weekends and bank holidays, not a school's closure days);
    ``paused_days`` and ``extension_months`` for ``sar`` only."""
    if kind not in KINDS:
        raise ValueError(f"unknown clock {kind!r}: one of {', '.join(KINDS)}")
    if kind == "ico":
        return (local(received).astimezone(datetime.UTC) + datetime.timedelta(hours=ICO_HOURS)).astimezone(UK)
    received_on = local(received).date()
    if kind == "sar":
        if paused_days < 0 or not 0 <= extension_months <= MAX_EXTENSION_MONTHS:
            raise ValueError("a pause is zero days or more; an extension is of up to two further months")
        day = add_months(received_on + datetime.timedelta(days=paused_days), 1 + extension_months)
        return end_of_day(day if is_working_day(day) else next_working_day(day))
    return end_of_day(next_working_day(received_on, frozenset(closures)))
