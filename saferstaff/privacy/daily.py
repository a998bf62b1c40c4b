"""What the privacy room does each day (``run_daily``): breaches whose 72 hours run short are chased (the
deferred chases' catch-up); the retention sweep lists what is past its period (legal holds obeyed), then what
the DPO confirmed and the worker has not destroyed yet is destroyed (§8)."""

from collections.abc import Iterator

from saferstaff.privacy import breaches
from saferstaff.privacy.destruction import destroy_confirmed
from saferstaff.privacy.sweep import sweep


def daily() -> Iterator[str]:
    yield from breaches.daily()
    added = sweep()
    dropped = added.pop("dropped", 0)
    yield f"{sum(added.values())} records newly due for destruction (§8)"
    yield f"{dropped} due records taken off the list by a legal hold"
    yield f"{destroy_confirmed()['destroyed']} confirmed records destroyed, each with its certificate"
