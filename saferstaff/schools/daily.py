"""What the schools room does each day (``run_daily``): discard roster uploads nobody applied."""

from collections.abc import Iterator

from saferstaff.schools.rosters.service import PREVIEW_KEEP_DAYS, discard_stale_previews


def daily() -> Iterator[str]:
    yield f"{discard_stale_previews()} roster uploads discarded (previewed over {PREVIEW_KEEP_DAYS} days ago)"
