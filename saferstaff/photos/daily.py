"""What the photos room does each day (``run_daily``): chase open takedowns and queue images past their
keep-until date for destruction (§5), and retry stored file deletions that failed."""

from collections.abc import Iterator

from saferstaff.photos.services import chase_takedowns, retention_sweep, retry_deletions


def daily() -> Iterator[str]:
    yield f"{chase_takedowns()} open takedowns chased"
    yield f"{retention_sweep()} images queued for destruction"
    yield f"{retry_deletions()} stored files deleted on retry"
