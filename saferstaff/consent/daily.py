"""What the consent room does each day (``run_daily``): decide again the kept consent states that the date alone
has changed — answers that lapsed overnight, pupils who reached the age of their own say (ADR 0018)."""

from collections.abc import Iterator

from saferstaff.consent.decided import redecide_lapsed


def daily() -> Iterator[str]:
    yield f"{redecide_lapsed()} pupils' consent states decided again (an answer lapsed or a birthday)"
