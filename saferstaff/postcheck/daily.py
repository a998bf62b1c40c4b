"""What the post checker does each day (``run_daily``): delete saved checks past their keeping time."""

from collections.abc import Iterator

from saferstaff.postcheck.models import delete_old_saved_checks


def daily() -> Iterator[str]:
    yield f"{delete_old_saved_checks()} saved draft checks deleted (older than 90 days)"
