"""§8, UK GDPR art. 15: everything saferstaff holds about one pupil or one member of staff, from every room.

``held_about`` answers two questions with one list: what a subject access request must consider (the
checklist, ``privacy.requests``) and which records "who saw my child's record" looks for in the audit trail
(``privacy.seen``). Each kind is found with one query (or a few), never one per record.

Other people's data in a record (another pupil tagged in a photo, the colleague who reported a case, the guardian
who answered a consent form) is flagged ``others_in_it``: the checklist proposes a redaction.

Records the reader may not open (an allegation about staff, a low-level concern, a disclosure routed to someone
else: KCSIE Part 4, §3) are still listed — a request must consider everything held — but ``restricted``: their
label says only what kind of record it is and when, never what it says, and whoever it is routed to reviews it for
the request. The DPO answering a member of staff's request then knows a record exists without reading it."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from saferstaff.audit.log import record_type
from saferstaff.biometrics.models import FaceDetection, FaceTemplate
from saferstaff.conduct.models import (
    ContactPermission,
    ContactPermissionPupil,
    Disclosure,
    EquipmentPermission,
    LowLevelConcern,
)
from saferstaff.conduct.registers import concerns_readable_by, disclosures_readable_by
from saferstaff.consent.models import ConsentRecord
from saferstaff.incidents.models import Case, Evidence, Involved
from saferstaff.incidents.registers import cases_readable_by
from saferstaff.notifications.models import Notification
from saferstaff.photos.models import Activity, ActivityPupil, Image, ImageTag, Publication, PublicationPupil
from saferstaff.policies.models import Acceptance
from saferstaff.postcheck.models import SavedCheck
from saferstaff.privacy.kinds import KINDS
from saferstaff.privacy.models import AccessRequest, Sharing
from saferstaff.privacy.sharing import entries_readable_by
from saferstaff.publishing.models import PublicationRequest
from saferstaff.schools.models import Guardianship, Membership, Pupil

RESTRICTED_LABEL = (
    "Read only by the person it is routed to (KCSIE Part 4): ask them to review it for the request"
)


@dataclass(frozen=True)
class Held:
    kind: str  # a key of privacy.kinds.KINDS
    record_id: int
    label: str  # for the DPO: what it is, never more than the reader may read
    on: datetime.date | None
    others_in_it: bool = False
    restricted: bool = False
    # The audit trail's (object_type, object_id) of the record, and of its parts (a case's evidence).
    audit: tuple[str, str] = ("", "")
    parts: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def room(self) -> str:
        return KINDS[self.kind].room

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind].label


def _day(moment) -> datetime.date | None:
    if moment is None:
        return None
    if isinstance(moment, datetime.datetime):
        return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()
    return moment


def _held(kind: str, obj, label: str, on, **kw) -> Held:
    return Held(kind, obj.pk, label, _day(on), audit=(record_type(type(obj)), str(obj.pk)), **kw)


def held_about(
    school, *, pupil: Pupil | None = None, member: Membership | None = None, reader=None
) -> list[Held]:
    """Everything held about ``pupil`` or ``member`` at ``school``, by room then kind. With ``reader`` (an
    Actor), the records they may not open are ``restricted``; without, none is (a worker, a test)."""
    if (pupil is None) == (member is None):
        raise ValueError("held_about is about one pupil or one member of staff")
    found = (
        _about_pupil(school, pupil, reader) if pupil is not None else _about_member(school, member, reader)
    )
    order = list(KINDS)
    return sorted(found, key=lambda h: (order.index(h.kind), h.on or datetime.date.min, h.record_id))


# --- A pupil ----------------------------------------------------------------------------------------------------


def images_of(school, pupil) -> list[Image]:
    """Images the pupil is tagged in, or whose face a person confirmed as theirs or the matcher named with
    confidence (``biometrics.blurring.identity``); a face a person rejected is not theirs."""
    matched = FaceDetection.objects.filter(
        Q(decided_pupil=pupil, decision=FaceDetection.Decision.CONFIRMED)
        | Q(
            proposed_pupil=pupil,
            verdict=FaceDetection.Verdict.AUTO,
        )
        & ~Q(decision__in=[FaceDetection.Decision.CONFIRMED, FaceDetection.Decision.REJECTED])
    ).values("image_id")
    return list(
        Image.objects.filter(school=school)
        .filter(Q(tags__pupil=pupil) | Q(pk__in=matched))
        .select_related("activity")
        .distinct()
        .order_by("captured_at", "pk")
    )


def _about_pupil(school, pupil, reader) -> list[Held]:
    out: list[Held] = []
    versions = pupil.history.count()
    out.append(
        _held(
            "pupils",
            pupil,
            "The pupil's record: names, date of birth, UPN, year group"
            + (f" ({versions} saved versions of it)" if versions else ""),
            pupil.updated_at,
        )
    )
    for link in Guardianship.objects.filter(school=school, pupil=pupil).select_related("guardian"):
        out.append(
            Held(
                "guardians",
                link.guardian_id,
                f"A guardian ({link.relationship or 'relationship not given'}): name and contact details",
                _day(link.guardian.updated_at),
                others_in_it=True,
                audit=(record_type(type(link.guardian)), str(link.guardian_id)),
            )
        )
    for answer in ConsentRecord.objects.filter(school=school, pupil=pupil).select_related("purpose"):
        out.append(
            _held(
                "consent_answers",
                answer,
                f"Consent answer for {answer.purpose.name}: {answer.get_answer_display()}",
                answer.recorded_at,
                others_in_it=answer.guardian_id is not None,
            )
        )
    images = images_of(school, pupil)
    image_ids = [i.pk for i in images]
    shared = set(
        ImageTag.objects.filter(image_id__in=image_ids)
        .exclude(pupil=pupil)
        .values_list("image_id", flat=True)
    )
    shared |= set(
        FaceDetection.objects.filter(image_id__in=image_ids)
        .exclude(Q(decided_pupil=pupil) | Q(proposed_pupil=pupil, decided_pupil__isnull=True))
        .values_list("image_id", flat=True)
    )
    for image in images:
        what = "Video" if image.kind == Image.Kind.VIDEO else "Photo"
        taken = (
            timezone.localtime(image.captured_at).strftime("%-d %B %Y")
            if image.captured_at
            else "date unknown"
        )
        out.append(
            _held(
                "images",
                image,
                f"{what} {image.pk}, taken {taken} at “{image.activity.title}” ({image.activity.place})",
                image.captured_at,
                others_in_it=image.pk in shared,
            )
        )
    on_activity = ActivityPupil.objects.filter(school=school, pupil=pupil).values("activity_id")
    activities = Activity.objects.filter(school=school).filter(
        Q(pk__in=on_activity) | Q(pk__in=[i.activity_id for i in images])
    )
    for activity in activities:
        out.append(
            _held(
                "activities",
                activity,
                f"Photo activity: {activity.title}",
                activity.happens_on,
                others_in_it=True,
            )
        )
    shown = PublicationPupil.objects.filter(school=school, pupil=pupil).values("publication_id")
    publications = Publication.objects.filter(school=school).filter(
        Q(pk__in=shown) | Q(image_id__in=image_ids)
    )
    for pub in publications.select_related("channel"):
        out.append(
            _held(
                "publications",
                pub,
                f"Published on {pub.channel.name}" + (" (taken down)" if pub.taken_down_at else ""),
                pub.published_at,
                others_in_it=pub.image_id in shared,
            )
        )
    for req in PublicationRequest.objects.filter(school=school, image_id__in=image_ids).select_related(
        "channel"
    ):
        out.append(
            _held(
                "publication_requests",
                req,
                f"Request to publish image {req.image_id} on {req.channel.name}",
                req.requested_at,
                others_in_it=req.image_id in shared,
            )
        )
    for template in FaceTemplate.objects.filter(school=school, pupil=pupil):
        out.append(
            _held("face_templates", template, "Face-matching enrolment (biometric)", template.enrolled_at)
        )
    readable = _readable(reader, disclosures_readable_by)
    for d in Disclosure.objects.filter(school=school, pupil=pupil):
        out.append(_disclosure(d, readable))
    permitted = ContactPermissionPupil.objects.filter(school=school, pupil=pupil).values("permission_id")
    for permission in ContactPermission.objects.filter(school=school, pk__in=permitted):
        out.append(
            _held(
                "contact_permissions",
                permission,
                f"Permission for a member of staff to contact pupils: {permission.purpose}",
                permission.requested_at,
                others_in_it=True,
            )
        )
    # A saved check keeps its draft's words, not which pupil a name is: found by the names they go by.
    names = {pupil.display_name, f"{pupil.legal_forename} {pupil.legal_surname}"}
    named = Q(pk__in=[])
    for name in names:
        named |= Q(text__icontains=name)
    for check in SavedCheck.objects.filter(school=school).filter(named):
        out.append(
            _held(
                "draft_checks",
                check,
                "A saved check of a draft post that names them",
                check.created_at,
                others_in_it=True,
            )
        )
    involved = Involved.objects.filter(school=school, pupil=pupil).values("case_id")
    out += _cases(school, Case.objects.filter(school=school, pk__in=involved), reader)
    out += _sharing(school, Sharing.objects.filter(school=school, about_pupils=pupil), reader)
    out += _requests(AccessRequest.objects.filter(school=school, about_pupil=pupil))
    return out


# --- A member of staff ----------------------------------------------------------------------------------------


def _about_member(school, member, reader) -> list[Held]:
    out: list[Held] = []
    user_id = member.user_id
    roles = sorted(member.role_grants.values_list("role", flat=True))
    versions = member.history.count()
    out.append(
        _held(
            "staff",
            member,
            f"Their staff record: name, job title, dates, roles ({', '.join(roles) or 'none'})"
            + (f"; {versions} saved versions of it" if versions else ""),
            member.started_on,
        )
    )
    for acceptance in Acceptance.objects.filter(school=school, user_id=user_id).select_related(
        "version__policy"
    ):
        out.append(
            _held(
                "acceptances",
                acceptance,
                f"Acceptance of {acceptance.version}",
                acceptance.accepted_at,
            )
        )
    readable = _readable(reader, disclosures_readable_by)
    for d in Disclosure.objects.filter(school=school, discloser_id=user_id):
        out.append(_disclosure(d, readable, own=True))
    for model, kind, what in (
        (ContactPermission, "contact_permissions", "Permission to contact pupils"),
        (EquipmentPermission, "equipment_permissions", "Permission to use personal equipment"),
    ):
        for permission in model.objects.filter(school=school, requested_by_id=user_id):
            out.append(
                _held(
                    kind,
                    permission,
                    f"{what}: {permission.purpose}",
                    permission.requested_at,
                    others_in_it=kind == "contact_permissions",
                )
            )
    concerns = _readable(reader, concerns_readable_by)
    for concern in LowLevelConcern.objects.filter(school=school, subject=member):
        hidden = concerns is not None and concern.pk not in concerns
        out.append(
            _held(
                "low_level_concerns",
                concern,
                RESTRICTED_LABEL if hidden else "A low-level concern about them",
                concern.created_at,
                others_in_it=True,
                restricted=hidden,
            )
        )
    named = Involved.objects.filter(school=school, member=member).values("case_id")
    cases = Case.objects.filter(school=school).filter(
        Q(subject=member) | Q(pk__in=named) | Q(reported_by_id=user_id)
    )
    out += _cases(school, cases, reader)
    for check in SavedCheck.objects.filter(school=school, author_id=user_id):
        out.append(_held("draft_checks", check, "A saved check of a draft post", check.created_at))
    for note in Notification.objects.filter(school=school, user_id=user_id):
        out.append(_held("notifications", note, f"Notification: {note.title}", note.created_at))
    out += _sharing(school, Sharing.objects.filter(school=school, about_members=member), reader)
    out += _requests(AccessRequest.objects.filter(school=school, about_member=member))
    return out


# --- Shared by both -----------------------------------------------------------------------------------------


def _readable(reader, readable_by) -> set[int] | None:
    """The pks of the records ``reader`` may open (None: no reader, everything is open to the caller)."""
    if reader is None:
        return None
    return set(readable_by(reader).values_list("pk", flat=True))


def _disclosure(d: Disclosure, readable: set[int] | None, *, own: bool = False) -> Held:
    hidden = readable is not None and d.pk not in readable and not own
    return _held(
        "disclosures",
        d,
        RESTRICTED_LABEL if hidden else "A disclosure of contact between a member of staff and a pupil",
        d.happened_on,
        others_in_it=True,
        restricted=hidden,
    )


def _cases(school, cases, reader) -> list[Held]:
    """Incident cases and allegations, with their evidence as parts (the trail files evidence on its own)."""
    readable = _readable(reader, cases_readable_by)
    cases = list(cases.distinct())
    evidence = defaultdict(list)
    for pk, case_id in Evidence.objects.filter(case__in=cases).values_list("pk", "case_id"):
        evidence[case_id].append((record_type(Evidence), str(pk)))
    out = []
    for case in cases:
        hidden = readable is not None and case.pk not in readable
        kind = "allegations" if case.is_allegation else "incident_cases"
        label = (
            RESTRICTED_LABEL
            if hidden
            else f"Case {case.pk}: {case.get_kind_display()}, {len(evidence[case.pk])} items of evidence"
        )
        out.append(
            _held(
                kind,
                case,
                label,
                case.reported_at,
                others_in_it=True,
                restricted=hidden,
                parts=tuple(evidence[case.pk]),
            )
        )
    return out


def _sharing(school, entries, reader) -> list[Held]:
    """Disclosures in the sharing log; one the reader may not read (from an allegation, about them) is listed
    without its content, as a case is."""
    readable = None if reader is None else set(entries_readable_by(reader).values_list("pk", flat=True))
    # Counted over every person each entry is about, not only the one it was found by.
    entries = Sharing.objects.filter(pk__in=entries.values("pk")).annotate(
        n_pupils=Count("about_pupils", distinct=True), n_members=Count("about_members", distinct=True)
    )
    out = []
    for entry in entries:
        hidden = readable is not None and entry.pk not in readable
        out.append(
            _held(
                "sharing_log",
                entry,
                RESTRICTED_LABEL if hidden else f"Shared with {entry.organisation or entry.recipient}",
                entry.shared_at,
                others_in_it=entry.n_pupils + entry.n_members > 1 or bool(entry.about_others),
                restricted=hidden,
            )
        )
    return out


def _requests(requests) -> list[Held]:
    return [
        _held(
            "access_requests",
            r,
            f"A subject access request ({r.get_status_display().lower()})",
            r.received_at,
        )
        for r in requests
    ]
