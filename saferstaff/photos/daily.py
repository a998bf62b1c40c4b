"""What the photos room does each day (``run_daily``): give up takedown checks the worker lost, take down what
consent no longer allows though nobody said no (§5), chase open takedowns (re-checking their places), retry stored file
deletions that failed, and queue each school's weekly sweep of its own websites. Images past their retention period are listed by the privacy room's sweep (§8)."""

from collections.abc import Iterator

from saferstaff.photos.checks import give_up_lost_checks
from saferstaff.photos.services import retry_deletions
from saferstaff.photos.sites import queue_due_sweeps
from saferstaff.photos.takedowns import chase_takedowns, take_down_unconsented


def daily() -> Iterator[str]:
    yield f"{give_up_lost_checks()} takedown checks given up (waiting over an hour)"
    yield f"{take_down_unconsented()} takedowns raised where consent is no longer given (an answer lapsed, a birthday, responsibility ended)"
    yield f"{chase_takedowns()} open takedowns chased"
    yield f"{retry_deletions()} stored files deleted on retry"
    yield f"{queue_due_sweeps()} weekly sweeps of schools' own websites queued"
