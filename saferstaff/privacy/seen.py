"""§8: "who saw my child's record?" — from the audit trail, every time someone opened, listed, exported or
downloaded a pupil's or a member of staff's record, or any record ``holdings.held_about`` finds about them.

The trail's own withholding applies (``audit.trail.events_for``: the events of a case, a concern or a
disclosure the reader may not read are left out), so the DPO answering a parent learns nothing here they could
not learn from the trail itself. A list page that showed the record among others (the image library, a case
list) is one event naming the ids it showed: it counts too."""

import re

from django.db.models import Q

from saferstaff.audit.trail import LISTED_IN, Filters, events_for
from saferstaff.privacy.holdings import Held

# Actions that read rather than write: what "who saw" answers.
READS = r"(viewed|listed|exported|downloaded|opened|previewed)$"
# List pages that record the ids they showed under a key of their event's detail, by the record type of the ids.
LISTS = {
    **{kind: tuple(pairs) for kind, pairs in LISTED_IN.items()},
    "incidents.case": tuple(
        (action, "cases")
        for action in (
            "incidents.cases_listed",
            "incidents.mine_listed",
            "incidents.person_timeline_viewed",
            "incidents.pupil_timeline_viewed",
        )
    ),
    "conduct.lowlevelconcern": tuple(
        (action, "concerns")
        for action in ("conduct.concerns_listed", "conduct.concern_person_viewed", "conduct.exported")
    ),
}


def targets(held: list[Held]) -> dict[str, set[str]]:
    """The audit (object_type, object_id) of every record held, and of its parts, by type: not of a record the
    reader may not open (``restricted``) — the trail withholds a case's events, not every room's (a disclosure
    in the sharing log about the reader), so the reads of such a record are left out here."""
    out: dict[str, set[str]] = {}
    for h in held:
        if h.restricted:
            continue
        for kind, pk in (h.audit, *h.parts):
            if kind:
                out.setdefault(kind, set()).add(pk)
    return out


def seen_events(school, held: list[Held], reader):
    """The reading events about the records in ``held``, newest first: one queryset, to page."""
    rows = events_for(school, Filters(), reader).filter(action__regex=READS)
    wanted = targets(held)
    match = Q(pk__in=[])
    for kind, ids in wanted.items():
        match |= Q(object_type=kind, object_id__in=sorted(ids))
    listed = []
    for kind, pairs in LISTS.items():
        ids = {int(pk) for pk in wanted.get(kind, ()) if re.fullmatch(r"\d+", pk)}
        if not ids:
            continue
        for action, key in pairs:
            listing = rows.filter(action=action).values_list("pk", "detail")
            listed += [pk for pk, detail in listing.iterator() if ids & set(detail.get(key) or ())]
    if listed:
        match |= Q(pk__in=listed)
    return rows.filter(match)
