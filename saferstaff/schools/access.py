"""One access helper per object type, called on the first line of a view. The access middleware has
already checked the role against the access map and set ``request.school``; these make sure the object
belongs to that school (404 otherwise) and record reads of sensitive records.

§8 need to know: a pupil is shown to each person only field by field, as ``PUPIL_FIELDS`` says (the table
is in README.md, "Who sees what of a pupil"). Every page, export and API that shows a pupil goes through a
``PupilView``: a field the person may not see is not in it at all, so no template can show it by mistake."""

import datetime
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from saferstaff import paging
from saferstaff.audit.log import kept, record
from saferstaff.numbers import parse_id
from saferstaff.paging import page_of
from saferstaff.schools.models import EmploymentType, Guardianship, Membership, Pupil
from saferstaff.schools.roles import DPO, DSL, GOV, LM, OFFICE, SLT, STAFF, H


def get_member(request, pk) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user", "line_manager__user").prefetch_related("role_grants"),
        school=request.school,
        pk=pk,
    )


def get_pupil(request, pk) -> Pupil:
    pupil = get_object_or_404(Pupil, school=request.school, pk=pk)
    record("pupil.viewed", pupil)  # §8: every access to a child's record is recorded
    return pupil


# --- §8: who sees what of a pupil ----------------------------------------------------------------------
NAME = "name"  # the name the pupil goes by
YEAR_GROUP = "year_group"
PHOTO_CONSENT = "photo_consent"  # whether they may appear in images, for each use (§5)
ON_ROLL = "on_roll"  # on roll, or the date they leave or left
LEGAL_NAME = "legal_name"
DATE_OF_BIRTH = "date_of_birth"
UPN = "upn"
ADULT_AT_RISK = "adult_at_risk"  # §1.2: a safeguarding marker
GUARDIANS = "guardians"  # who they are: name, relationship, parental responsibility
GUARDIAN_CONTACTS = "guardian_contacts"  # guardians' email addresses and phone numbers

# What anyone working with pupils needs: who they are, their class, whether they may be photographed.
WORKING_WITH_PUPILS = frozenset({NAME, YEAR_GROUP, PHOTO_CONSENT, ON_ROLL})
EVERY_FIELD = WORKING_WITH_PUPILS | {
    LEGAL_NAME,
    DATE_OF_BIRTH,
    UPN,
    ADULT_AT_RISK,
    GUARDIANS,
    GUARDIAN_CONTACTS,
}
PUPIL_FIELDS: dict[str, frozenset[str]] = {
    H: EVERY_FIELD,
    DPO: EVERY_FIELD,  # subject access, breaches, the whole record
    DSL: EVERY_FIELD,  # safeguarding: referrals need the date of birth, the UPN, the family, the marker
    OFFICE: WORKING_WITH_PUPILS | {LEGAL_NAME, DATE_OF_BIRTH, UPN, GUARDIANS, GUARDIAN_CONTACTS},
    SLT: WORKING_WITH_PUPILS | {UPN, GUARDIANS},  # roster imports; consent forms name the guardian
    LM: WORKING_WITH_PUPILS,
    STAFF: WORKING_WITH_PUPILS,  # employees, agency staff and contractors alike
    GOV: frozenset(),  # governors oversee; they do not see pupils
}
# A volunteer sees what a volunteer needs, whatever role they were given.
VOLUNTEER_FIELDS = WORKING_WITH_PUPILS
# Each pupil field a roster import changes (rosters/plan.py, PUPIL_LABELS), under the field above that covers
# it: the import preview shows a change only to someone who may see that field. A field not here is hidden.
ROSTER_FIELDS = {
    "upn": UPN,
    "source_id": UPN,  # the MIS's own id for the pupil: an identifier, like the UPN
    "legal_forename": LEGAL_NAME,
    "legal_surname": LEGAL_NAME,
    "middle_names": LEGAL_NAME,
    "former_surname": LEGAL_NAME,
    "preferred_forename": NAME,
    "preferred_surname": NAME,
    "date_of_birth": DATE_OF_BIRTH,
    "year_group": YEAR_GROUP,
    "adult_at_risk": ADULT_AT_RISK,
    "leaving_date": ON_ROLL,
}


def pupil_fields(roles, employment_type: str | None = None) -> frozenset[str]:
    """The pupil fields a person with ``roles`` (at one school) and this kind of engagement may see."""
    fields = frozenset().union(*(PUPIL_FIELDS.get(role, frozenset()) for role in roles))
    if employment_type == EmploymentType.VOLUNTEER:
        fields &= VOLUNTEER_FIELDS
    return fields


def fields_for(request) -> frozenset[str]:
    """The pupil fields the person making ``request`` may see at ``request.school``."""
    membership = getattr(request, "membership", None)
    return pupil_fields(request.roles, membership.employment_type if membership else None)


def sees_pupils(request) -> bool:
    return NAME in fields_for(request)


def kept_page(name: str, request, pupils, per_page: int, draw_page: Callable, *, q: str, year: str, **asked):
    """The page of ``pupils`` the request asks for (``paging.page_of``) and what ``draw_page(page)`` makes of it
    (the rows drawn, and anything else read with them). Kept (``paging.kept_page``) per state of the school
    (``audit.log.kept``, ADR 0014; pupils, guardians and answers change only through doors that record an
    event), per what was asked, the page and the pupil fields the person may see: someone who may see less is
    never given rows drawn for someone who may see more. A typed search ``q``, or a ``year`` group the school does
    not have, is drawn each time, never kept. The key holds a digest, never the search's words. The page comes
    back with its pupils' ids as ``object_list``."""
    fields = sorted(fields_for(request))
    digest = hashlib.sha256(repr((sorted(asked.items()), year, fields)).encode()).hexdigest()

    def work_out():
        page = page_of(request, pupils, per_page)
        return page, [p.pk for p in page.object_list], draw_page(page)

    page, (drawn,) = paging.kept_page(
        request,
        per_page,
        work_out,
        lambda fn, number: kept(name, request.school.pk, fn, digest, number),
        worth_keeping=not q and year in ["", *year_groups(request.school)],
    )
    return page, drawn


def year_groups(school) -> list[str]:
    """The school's year groups, in order (for filters and pickers), kept per state of the school (ADR 0014):
    pupils change through the roster's doors, which record an event."""
    return kept("pupil-year-groups", school.pk, Pupil.objects.filter(school=school).year_groups)


def search_pupils(pupils, q: str, fields: frozenset[str]):
    """``pupils`` matching ``q`` by the name they go by; by legal name and UPN only for those who may see them
    (a UPN typed into a search must not tell someone whose pupil it is)."""
    return pupils.search(q, by_upn=UPN in fields, by_legal_name=LEGAL_NAME in fields)


@dataclass(frozen=True)
class GuardianView:
    name: str
    relationship: str
    parental_responsibility: bool
    contact_order: int
    email: str | None = None
    phone: str | None = None

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class PupilView:
    """One pupil as one person may see them. A field they may not see is None."""

    pk: int
    fields: frozenset[str]
    name: str
    year_group: str | None = None
    is_current: bool | None = None
    leaving_date: datetime.date | None = None
    legal_name: str | None = None  # with middle names
    former_surname: str | None = None  # part of the legal name: shown with it, or not at all
    date_of_birth: datetime.date | None = None
    upn: str | None = None
    adult_at_risk: bool | None = None
    guardians: tuple[GuardianView, ...] | None = None

    @property
    def display_name(self) -> str:
        return self.name

    def __str__(self) -> str:
        return self.name


def _guardian(link: Guardianship, fields: frozenset[str]) -> GuardianView:
    contacts = GUARDIAN_CONTACTS in fields
    return GuardianView(
        name=str(link.guardian),
        relationship=link.relationship,
        parental_responsibility=link.parental_responsibility,
        contact_order=link.contact_order,
        email=link.guardian.email if contacts else None,
        phone=link.guardian.phone if contacts else None,
    )


def pupil_view(pupil: Pupil, fields: frozenset[str], *, with_guardians: bool = True) -> PupilView:
    """What ``fields`` allow of ``pupil``; its guardians too (one query) when allowed and ``with_guardians``."""
    if NAME not in fields:
        raise PermissionDenied("Your role at this school does not include pupils' records (§8).")
    # Only what ``fields`` allow is read at all (a list asks this of every row on its page).
    values = {}
    if YEAR_GROUP in fields:
        values["year_group"] = pupil.year_group
    if ON_ROLL in fields:
        values["is_current"], values["leaving_date"] = pupil.is_current, pupil.leaving_date
    if LEGAL_NAME in fields:
        names = (pupil.legal_forename, pupil.middle_names, pupil.legal_surname)
        values["legal_name"], values["former_surname"] = " ".join(n for n in names if n), pupil.former_surname
    if DATE_OF_BIRTH in fields:
        values["date_of_birth"] = pupil.date_of_birth
    if UPN in fields:
        values["upn"] = pupil.upn
    if ADULT_AT_RISK in fields:
        values["adult_at_risk"] = pupil.adult_at_risk
    if GUARDIANS in fields and with_guardians:
        links = Guardianship.objects.filter(pupil=pupil).select_related("guardian").order_by("contact_order")
        values["guardians"] = tuple(_guardian(link, fields) for link in links)
    return PupilView(pk=pupil.pk, fields=fields, name=pupil.display_name, **values)


@dataclass(frozen=True)
class PupilChangeView:
    """One pupil in a roster import's preview, as one person may see it: the changes to fields they may
    see, and how many other details change."""

    pk: int | None  # None for a pupil the import adds
    name: str
    upn: str | None
    year_group: str | None
    changes: tuple  # rosters.plan.FieldChange, only of fields the person may see
    hidden: int  # how many changed details they may not see


def pupil_change_views(changes, fields: frozenset[str]) -> list[PupilChangeView]:
    """``changes`` (rosters.plan.PupilChange) as ``fields`` allow; none for someone who sees no pupils."""
    if NAME not in fields:
        return []
    views = []
    for item in changes:
        shown = tuple(c for c in item.changes if ROSTER_FIELDS.get(c.field) in fields)
        views.append(
            PupilChangeView(
                pk=item.pupil.pk,
                name=item.display_name,
                upn=item.upn if UPN in fields else None,
                year_group=item.year_group if YEAR_GROUP in fields else None,
                changes=shown,
                hidden=len(item.changes) - len(shown),
            )
        )
    return views


def warnings_for(warnings, fields: frozenset[str]) -> list[str]:
    """A roster import's warnings (rosters.plan.PlanWarning), each without the pupils' details ``fields``
    do not allow."""
    return [w if getattr(w, "reveals", frozenset()) <= fields else w.without_them for w in warnings]


def pupil_views(request, pupils) -> list[PupilView]:
    """Views of ``pupils`` for lists, pickers and searches: no guardians (a list shows none)."""
    fields = fields_for(request)
    return [pupil_view(p, fields, with_guardians=False) for p in pupils]


def pupil_choices(request, q: str, chosen_pk=None, *, limit: int) -> list[PupilView]:
    """The pupils a picker lists: those matching ``q`` (at most ``limit``), or every current pupil of a small
    school, plus the one already chosen. None at all for someone who may not see pupils (§8)."""
    if not sees_pupils(request):
        return []
    current = Pupil.objects.filter(school=request.school).current()
    found = []
    if q:
        found = list(search_pupils(current, q, fields_for(request))[:limit])
        record("pupil.listed", ("schools.school", request.school.pk), detail={"found": len(found)})
    elif current.count() <= limit:
        found = list(current)
    chosen = parse_id(str(chosen_pk or ""))
    if chosen and all(p.pk != chosen for p in found):
        found += list(Pupil.objects.filter(school=request.school, pk=chosen))
    return pupil_views(request, found)


def get_pupil_view(request, pk) -> PupilView:
    """The pupil ``pk`` at ``request.school`` (404 otherwise), as the person making the request may see them;
    the read is recorded."""
    return pupil_view(get_pupil(request, pk), fields_for(request))


def places_of(user) -> tuple[list, list, list]:
    """Where ``user`` works now (memberships taken up), the invitations waiting for them, and the trusts they
    administer: what the home page and "choose a school" offer."""
    memberships = (
        Membership.objects.current()
        .filter(user=user)
        .select_related("school")
        .prefetch_related("role_grants")
    )
    trusts = [admin.trust for admin in user.trust_admin_of.select_related("trust")]
    active = [m for m in memberships if m.invited_at is None]
    invitations = [m for m in memberships if m.invited_at is not None]
    return active, invitations, trusts
