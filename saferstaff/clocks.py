"""The clocks the guidance's workflows run to, in UK local time: when something received at a moment is due.

- ``lado``: KCSIE Part 4 — an allegation about staff is referred to the Local Authority designated officer within
  one working day: due at the end of the first working day after the day it was received. Working days skip
  weekends, the bank holidays of England and Wales (the ``holidays`` package: a calendar in the wheel, offline)
  and the school's own closure days.

Plain Python (no Django models): a caller passes the school's closure days. The privacy work adds the ICO's
clocks here (one calendar month; 72 hours)."""

import datetime
from collections.abc import Iterable
from functools import cache
from zoneinfo import ZoneInfo

import holidays

UK = ZoneInfo("Europe/London")
KINDS = ("lado",)


@cache
def _bank_holidays(year: int) -> frozenset[datetime.date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: datetime.date, closures: frozenset[datetime.date] = frozenset()) -> bool:
    """Monday to Friday, not a bank holiday in England and Wales, not a day the school is closed."""
    return day.weekday() < 5 and day not in _bank_holidays(day.year) and day not in closures


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
    kind: str, received: datetime.datetime, *, closures: Iterable[datetime.date] = ()
) -> datetime.datetime:
    """When something of ``kind`` received at ``received`` is due, in UK local time."""
    if kind not in KINDS:
        raise ValueError(f"unknown clock {kind!r}: one of {', '.join(KINDS)}")
    received_on = local(received).date()
    return end_of_day(next_working_day(received_on, frozenset(closures)))
