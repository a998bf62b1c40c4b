"""§2: one figure as governors, inspectors and the trust read it (``Measure``), shared by every room's figures
(``oversight.figures``, ``oversight.case_figures``)."""

import datetime
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Measure:
    key: str
    title: str
    values: dict  # plain numbers (and None), as stored in a completed review's snapshot
    wording: str
    source: str  # the register it is counted from
    page: str  # the URL name of the page that shows the same figure
    taken_at: datetime.datetime
    parts: tuple = field(default=())  # (label, wording) per policy, use or kind
    # For readers who see incident counts blurred (incidents.trends: governors): 1 or 2 as "fewer than 3".
    blurred_wording: str = ""
    blurred_parts: tuple = field(default=())

    def as_stored(self) -> dict:
        stored = asdict(self)
        stored["taken_at"] = self.taken_at.isoformat()
        stored["parts"] = [list(p) for p in self.parts]
        stored["blurred_parts"] = [list(p) for p in self.blurred_parts]
        return stored


def percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None
