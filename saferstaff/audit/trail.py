"""Reading a school's audit trail: who did what to which record, with ids turned into names only for a
reader whose role may see that kind of record (the access map decides, as it does for the record's own page)."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.apps import apps
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from saferstaff.access import allowed_for
from saferstaff.audit.log import record_type
from saferstaff.audit.models import AuditEvent
from saferstaff.numbers import parse_id
from saferstaff.schools.models import Membership, Pupil

# The record types a reader can filter by, and the list rows that name a record of that type among many
# (a list page is one row with the ids it showed: the image library, the consent register).
RECORD_TYPES = {
    "schools.pupil": "Pupil",
    "schools.membership": "Member of staff",
    "accounts.user": "Person",
    "images.image": "Image",
    "images.activity": "Photo activity",
    "images.publication": "Publication",
    "images.takedown": "Takedown",
    "photos.schoolsite": "School website",
    "photos.sitesweep": "Check of the school's websites",
    "policy.policyversion": "Policy version",
    "schools.school": "School",
}
LISTED_IN = {
    "images.image": (("images.listed", "images"),),
    "schools.pupil": (("images.consent.register_viewed", "pupils"), ("roster.previewed", "pupils")),
}
# Which page a reader must be allowed to open to see a record's name; and where its name comes from.
NAME_PAGE = {
    "schools.pupil": "pupil_detail",
    "schools.membership": "staff_detail",
    "accounts.user": "staff_detail",
    "images.activity": "activity_detail",
}
# Records of a room above this one, named by one of their fields: found by record type (a school's own
# records only), so the trail reads them without importing their room.
NAME_FIELD = {
    "images.activity": "title",
}
ACTIONS = {
    "pupil.viewed": "Opened a pupil's record",
    "pupil.listed": "Listed pupils",
    "membership.viewed": "Opened a staff record",
    "membership.added": "Added a member of staff",
    "membership.updated": "Changed a member of staff",
    "membership.ended": "Recorded that someone left",
    "role.granted": "Gave a role",
    "role.removed": "Took a role away",
    "user.created": "Created an account",
    "user.password_set": "Set their password",
    "school.sign_in_set": "Set up how staff sign in with the school's accounts",
    "images.viewed": "Opened an image",
    "images.downloaded": "Downloaded an image",
    "images.thumbnail_viewed": "Saw an image's thumbnail",
    "images.listed": "Saw a page of images",
    "images.tag.added": "Tagged a pupil in an image",
    "images.tag.removed": "Removed a pupil's tag",
    "images.consent.register_viewed": "Saw the consent register",
    "images.consent.evidence_viewed": "Opened consent evidence",
    "images.subject_access.exported": "Exported a pupil's images (subject access)",
    "images.destroyed": "Destroyed an image",
    "privacy.retention.changed": "Changed a retention period",
    "privacy.retention.swept": "Listed the records past their retention period",
    "privacy.destruction.confirmed": "Confirmed records for destruction",
    "privacy.destroyed": "Destroyed a record (a certificate is kept)",
    "privacy.destruction.held": "Kept a record a legal hold covers",
    "oversight.review.started": "Started a self-review of online safety",
    "oversight.area.judged": "Judged an area of the self-review",
    "oversight.action.added": "Added an action to the self-review",
    "oversight.review.completed": "Completed a self-review (its evidence kept)",
    "oversight.pack.exported": "Made the inspection evidence pack (its SHA-256 kept)",
    "oversight.report.made": "Made the termly governors' report",
    "oversight.report.downloaded": "Downloaded a governors' report",
    "oversight.report.altered": "Found a governors' report's stored PDF changed since it was made (not given out)",
    "privacy.certificates.exported": "Downloaded the destruction certificates",
    "privacy.hold.placed": "Placed a legal hold",
    "privacy.hold.released": "Released a legal hold",
    "roster.staged": "Uploaded a roster import to check",
    "roster.previewed": "Checked a roster import before applying it",
    "roster.discarded": "Discarded a roster import",
    "roster.applied": "Imported from the MIS",
    "roster.previews_expired": "Discarded roster uploads nobody applied",
    "audit.viewed": "Read the audit trail",
    "images.publication.downloaded": "Downloaded a published copy",
    "images.takedown.check_queued": "Asked for the places of a takedown to be checked",
    "images.takedown.checked": "Checked a place of a takedown",
    "images.takedown.check_page_viewed": "Downloaded the page a takedown's check kept",
    "images.site.added": "Added one of the school's websites, to be checked each week",
    "images.site.removed": "Removed one of the school's websites from the weekly check",
    "images.site_sweep.queued": "Queued the weekly check of the school's websites",
    "images.site_sweep.done": "Checked the school's websites for photos that must not be shown",
    "faces.reference_viewed": "Saw a face-matching reference photo",
    "incidents.case_viewed": "Opened a case",
    "incidents.evidence_opened": "Opened a case's evidence",
    "incidents.cases_listed": "Saw a list of cases",
    "incidents.pupil_timeline_viewed": "Saw a pupil's timeline of cases",
    "incidents.person_timeline_viewed": "Saw a person's timeline of cases",
    "conduct.concern_viewed": "Opened a low-level concern",
    "conduct.disclosure_viewed": "Opened a disclosure",
    "privacy.sar.viewed": "Opened a subject access request",
    "privacy.sar.listed": "Saw the subject access requests",
    "privacy.sar.checklist_viewed": "Saw a subject access checklist",
    "privacy.sar.bundle_downloaded": "Downloaded a subject access bundle",
    "privacy.seen.viewed": "Read who saw a person's records",
}


# Special records of rooms above this one (a low-level concern, KCSIE Part 4): a room registers, with
# ``withhold``, a function ``(reader, school, rows) -> rows`` that leaves out of the page the events of its
# records the reader must not learn of. The events stay in the chain; the page only does not show them.
WITHHELD: list[Callable] = []


def withhold(fn: Callable) -> Callable:
    WITHHELD.append(fn)
    return fn


@dataclass(frozen=True)
class Filters:
    person: int | None = None
    record_type: str = ""
    record_id: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def events_for(school, f: Filters, reader=None):
    """The school's rows that ``reader`` (an Actor; None: anyone) may learn of, newest first, narrowed by
    ``f``. Asking for one record also finds the list rows that showed it among others."""
    rows = AuditEvent.objects.filter(school_id=school.pk)
    for leave_out in WITHHELD:
        rows = leave_out(reader, school, rows)
    if f.person is not None:
        rows = rows.filter(actor_id=f.person)
    if f.date_from:
        rows = rows.filter(at__gte=_day_start(f.date_from))
    if f.date_to:
        rows = rows.filter(at__lt=_day_start(f.date_to + datetime.timedelta(days=1)))
    if f.record_type:
        match = Q(object_type=f.record_type) & (Q(object_id=f.record_id) if f.record_id else Q())
        if (wanted := parse_id(f.record_id)) is not None:
            for action, key in LISTED_IN.get(f.record_type, ()):
                lists = rows.filter(action=action).values_list("pk", "detail")
                match |= Q(pk__in=[pk for pk, detail in lists.iterator() if wanted in detail.get(key, ())])
        rows = rows.filter(match)
    return rows.order_by("-at", "-pk")


@dataclass
class Row:
    event: AuditEvent
    what: str
    who: str
    record: str
    record_url: str
    details: list[str]


class Names:
    """Names for the ids on one page, fetched in one query per kind of record, and only those the reader's
    roles may see; anything else keeps its number ("Pupil 12")."""

    def __init__(self, school, roles, events):
        self.school, self.roles = school, roles
        ids: dict[str, set[int]] = {}
        for e in events:
            if e.actor_id:
                ids.setdefault("accounts.user", set()).add(e.actor_id)
            if (object_pk := parse_id(e.object_id)) is not None:
                ids.setdefault(e.object_type, set()).add(object_pk)
            if isinstance(e.detail.get("pupil"), int):
                ids.setdefault("schools.pupil", set()).add(e.detail["pupil"])
        self.names: dict[tuple[str, int], str] = {}
        for kind, pks in ids.items():
            if kind in NAME_PAGE and allowed_for(NAME_PAGE[kind], roles):
                self.names.update({(kind, pk): name for pk, name in self._lookup(kind, pks)})

    def _lookup(self, kind, pks):
        if kind == "schools.pupil":
            return [(p.pk, p.display_name) for p in Pupil.objects.filter(school=self.school, pk__in=pks)]
        if kind == "schools.membership":
            members = Membership.objects.filter(school=self.school, pk__in=pks).select_related("user")
            return [(m.pk, m.user.display_name) for m in members]
        if kind == "accounts.user":
            # Only people who have (or had) a place at this school: a name from elsewhere is not theirs to see.
            members = Membership.objects.filter(school=self.school, user_id__in=pks).select_related("user")
            return [(m.user_id, m.user.display_name) for m in members]
        if kind in NAME_FIELD and (model := model_for(kind)) is not None:
            return list(
                model.objects.filter(school=self.school, pk__in=pks).values_list("pk", NAME_FIELD[kind])
            )
        return []

    def name(self, kind: str, pk) -> str | None:
        return self.names.get((kind, parse_id(str(pk))))

    def label(self, kind: str, pk) -> str:
        return self.name(kind, pk) or f"{type_label(kind)} {pk}"

    def url(self, kind: str, pk) -> str:
        if self.name(kind, pk) is None or kind == "accounts.user":
            return ""
        return reverse(NAME_PAGE[kind], kwargs={"school": self.school.slug, "pk": pk})


@cache
def model_for(kind: str):
    """The model whose events are filed under ``kind`` (see ``record_type``), or None."""
    return next((model for model in apps.get_models() if record_type(model) == kind), None)


def type_label(kind: str) -> str:
    if kind in RECORD_TYPES:
        return RECORD_TYPES[kind]
    try:
        return str(apps.get_model(kind)._meta.verbose_name).capitalize()
    except (LookupError, ValueError):
        return kind or "Record"


def rows_for(school, roles, events) -> list[Row]:
    names = Names(school, roles, events)
    rows = []
    for e in events:
        who = names.label("accounts.user", e.actor_id) if e.actor_id else "saferstaff (automatic)"
        details = []
        for key, value in sorted(e.detail.items()):
            if key == "pupil" and isinstance(value, int):
                value = names.label("schools.pupil", value)
            elif isinstance(value, list):
                shown = ", ".join(str(v) for v in value[:10])
                value = f"{len(value)}: {shown}" + (f" and {len(value) - 10} more" if len(value) > 10 else "")
            details.append(f"{key.replace('_', ' ')}: {value}")
        rows.append(
            Row(
                event=e,
                what=ACTIONS.get(e.action) or e.action.replace(".", " ").replace("_", " ").capitalize(),
                who=who,
                record=names.label(e.object_type, e.object_id) if e.object_type else "",
                record_url=names.url(e.object_type, e.object_id) if e.object_type else "",
                details=details,
            )
        )
    return rows
