"""Adding staff, importing the workforce CSV, and changing roles — workflows that span several models."""

import csv
import io
import logging
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from saferstaff.audit.log import record
from saferstaff.notifications.service import notify
from saferstaff.rules.engine import Refused, enforce
from saferstaff.rules.policies import may_change_role, may_mark_as_left, may_set_chair
from saferstaff.schools.models import EmploymentType, Membership, Role, RoleGrant, School
from saferstaff.schools.roles import Actor
from saferstaff.schools.tasks import send_invitation

log = logging.getLogger(__name__)
User = get_user_model()


def _role_names(roles) -> str:
    """'the role Designated safeguarding lead', 'the roles Headteacher and Data protection officer'."""
    names = [str(Role(role).label) for role in sorted(roles, key=list(Role.values).index)]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"the role{'s' if len(names) > 1 else ''} {listed}"


def roles_changed_title(school: School, added: set[str], removed: set[str]) -> str:
    """What changed, said in the app (the email says only that there is something new)."""
    taken = f"{_role_names(removed)} {'were' if len(removed) > 1 else 'was'} taken away" if removed else ""
    if added and removed:
        return f"At {school.name} you were given {_role_names(added)}; {taken}"
    if added:
        return f"You were given {_role_names(added)} at {school.name}"
    return f"At {school.name} {taken}"


def set_roles(
    membership: Membership, roles: set[str], *, by, notify_member: bool = True
) -> tuple[set[str], set[str]]:
    """Make ``membership``'s roles exactly ``roles``. Each grant and removal is a policy decision and an
    audit event; any refusal leaves every role as it was. Returns (added, removed)."""
    current = set(membership.roles)
    added, removed = roles - current, current - roles
    actor = Actor.of(by, membership.school)
    with transaction.atomic():
        for role in sorted(added):
            decision = may_change_role(actor, subject=membership, role=role, grant=True)
            enforce(decision)
            RoleGrant.objects.create(
                school=membership.school, membership=membership, role=role, granted_by=by
            )
            record("role.granted", membership, detail={"role": role})
        for role in sorted(removed):
            decision = may_change_role(actor, subject=membership, role=role, grant=False)
            enforce(decision)
            RoleGrant.objects.filter(membership=membership, role=role).delete()
            record("role.removed", membership, detail={"role": role})
    if notify_member and (added or removed):
        notify(
            membership.user,
            kind="roles.changed",
            title=roles_changed_title(membership.school, added, removed),
            url=reverse("school_dashboard", kwargs={"school": membership.school.slug}),
            school=membership.school,
        )
    return added, removed


def change_roles(
    membership: Membership, *, roles: set[str], is_chair_of_governors: bool, line_manager, by
) -> bool:
    """The staff roles page's door: the roles (each grant and removal asks ``may_change_role``), whether they
    chair the governors and who manages them, saved together or not at all. True if anything changed."""
    with transaction.atomic():
        added, removed = set_roles(membership, roles, by=by)
        changed = []
        if membership.is_chair_of_governors != is_chair_of_governors or is_chair_of_governors:
            chair = may_set_chair(
                Actor.of(by, membership.school),
                subject=membership,
                chair=is_chair_of_governors,
                roles=frozenset(roles),
            )
            if not chair:
                raise Refused(chair)
        if membership.is_chair_of_governors != is_chair_of_governors:
            membership.is_chair_of_governors = is_chair_of_governors
            changed.append("is_chair_of_governors")
        if membership.line_manager != line_manager:
            membership.line_manager = line_manager
            changed.append("line_manager")
        if changed:
            membership.save(update_fields=changed)
            record("membership.updated", membership, detail={"fields": changed})
        if "is_chair_of_governors" in changed and membership.user_id != getattr(by, "pk", None):
            # The chair reads concerns about the Headteacher (KCSIE Part 4), and the Headteacher records who
            # it is: whoever starts or stops being chair hears of it, so the change cannot pass unnoticed.
            school = membership.school
            notify(
                membership.user,
                kind="roles.chair",
                title=f"You are now recorded as the chair of governors at {school.name}"
                if is_chair_of_governors
                else f"You are no longer recorded as the chair of governors at {school.name}",
                url=reverse("school_dashboard", kwargs={"school": school.slug}),
                school=school,
            )
    return bool(added or removed or changed)


def mark_as_left(membership: Membership, *, by, on=None) -> None:
    """Record that someone has left: their access to this school ends at once; their roles and history stay
    as they were, for the record. They are signed out everywhere (a session opened while they worked here
    must not outlive it); they can sign in again only while they have a place at another school."""
    decision = may_mark_as_left(Actor.of(by, membership.school), subject=membership)
    enforce(decision)
    with transaction.atomic():
        membership.ended_on = on or timezone.localdate()
        membership.save(update_fields=["ended_on"])
        record("membership.ended", membership)
        if membership.invited_at is None:  # a withdrawn invitation gave no access to end
            membership.user.end_sessions()
            record("user.sessions_ended", membership.user, school=membership.school)


class AlreadyOnStaff(Exception):
    def __init__(self, membership: Membership):
        self.membership = membership
        super().__init__("already on the staff")


def add_staff(
    school: School,
    *,
    email: str,
    first_name: str,
    last_name: str,
    roles: set[str],
    by,
    employment_type: str = EmploymentType.EMPLOYEE,
    job_title: str = "",
    invite: bool = True,
    update_existing: bool = False,
) -> Membership:
    """Add a person to ``school`` and invite them by email.

    The school learns nothing about accounts elsewhere: whoever the address belongs to, the school sees the
    name it typed and "invited" until the person accepts. A new address gets an account and a link to choose a
    password; someone who already has an account (at another school) is invited to join and has no access
    here until they accept (``accept_invitation``). Someone returning after leaving gets exactly the roles
    asked for now, not the ones they had before.

    Someone already on this school's staff raises AlreadyOnStaff, so a typed form never overwrites their job
    title; the workforce CSV passes ``update_existing`` (a re-import updates in place)."""
    email = email.strip().lower()
    with transaction.atomic():
        # Accounts are found by their sign-in address, and by any address allauth holds for them.
        user = (
            User.objects.filter(email__iexact=email).first()
            or User.objects.filter(emailaddress__email__iexact=email).distinct().first()
        )
        membership = Membership.objects.filter(school=school, user=user).first() if user else None
        if membership is not None and membership.ended_on is None:
            if not update_existing:
                raise AlreadyOnStaff(membership)
            membership.employment_type = employment_type
            membership.job_title = job_title or membership.job_title
            membership.save()
            record("membership.updated", membership)
            set_roles(membership, set(roles) | set(membership.roles), by=by)
            return membership
        created = user is None
        if created:
            user = User.objects.create_user(email=email, first_name=first_name, last_name=last_name)
            record("user.created", user, school=school)
        if invite and not user.has_usable_password():
            transaction.on_commit(lambda: send_invitation.enqueue(user.pk, school.pk))
        if membership is None:
            # An account made just now is the person the school typed; any other waits for its owner to accept.
            waits = invite and not created
            membership = Membership.objects.create(
                school=school,
                user=user,
                employment_type=employment_type,
                job_title=job_title,
                invited_at=timezone.now() if waits else None,
                invited_name=f"{first_name} {last_name}".strip() if waits else "",
            )
            record("membership.added", membership)
            # A new member hears about their roles in the invitation, not in a separate alert.
            set_roles(membership, set(roles), by=by, notify_member=False)
            if waits:
                notify(
                    user,
                    kind="membership.invited",
                    title=f"{school.name} has invited you to join it in saferstaff"
                    + (f" with {_role_names(membership.roles)}" if membership.roles else ""),
                    url=reverse("invitation_accept", kwargs={"pk": membership.pk}),
                    school=school,
                )
            return membership
        # Returning after leaving: the school already knows them.
        membership.ended_on = None
        membership.employment_type = employment_type
        membership.job_title = job_title or membership.job_title
        membership.save()
        record("membership.updated", membership)
        set_roles(membership, set(roles), by=by)
    return membership


def accept_invitation(membership: Membership, *, by) -> None:
    """The invited person joins the school: from now on their roles there apply."""
    if by.pk != membership.user_id or membership.invited_at is None or membership.ended_on is not None:
        raise ValueError("only the invited person accepts a waiting invitation")
    membership.invited_at = None
    membership.invited_name = ""
    membership.started_on = timezone.localdate()
    membership.save(update_fields=["invited_at", "invited_name", "started_on"])
    record("membership.accepted", membership)


# --- The workforce CSV -------------------------------------------------------------------------------

_HEADERS = {
    "first_name": {"first name", "forename", "first_name", "given name", "legal forename"},
    "last_name": {"last name", "surname", "last_name", "family name", "legal surname"},
    "email": {"email", "email address", "work email", "e-mail"},
    "roles": {"role", "roles"},
    "employment_type": {"employment type", "employment_type", "type", "contract type"},
    "job_title": {"job title", "job_title", "title", "post"},
}
_REQUIRED = ("first_name", "last_name", "email")
_ROLE_WORDS = {
    "headteacher": Role.HEADTEACHER,
    "head teacher": Role.HEADTEACHER,
    "head": Role.HEADTEACHER,
    "senior leader": Role.SENIOR_LEADER,
    "slt": Role.SENIOR_LEADER,
    "senior leadership": Role.SENIOR_LEADER,
    "dsl": Role.DSL,
    "designated safeguarding lead": Role.DSL,
    "line manager": Role.LINE_MANAGER,
    "governor": Role.GOVERNOR,
    "dpo": Role.DPO,
    "data protection officer": Role.DPO,
    "office": Role.OFFICE,
    "school office": Role.OFFICE,
    "administrator": Role.OFFICE,
    "staff": Role.STAFF,
    "teacher": Role.STAFF,
    "teaching assistant": Role.STAFF,
}
_EMPLOYMENT_WORDS = {
    "employee": EmploymentType.EMPLOYEE,
    "employed": EmploymentType.EMPLOYEE,
    "permanent": EmploymentType.EMPLOYEE,
    "agency": EmploymentType.AGENCY,
    "supply": EmploymentType.AGENCY,
    "contractor": EmploymentType.CONTRACTOR,
    "volunteer": EmploymentType.VOLUNTEER,
}


@dataclass(frozen=True)
class StaffRow:
    line: int
    first_name: str
    last_name: str
    email: str
    roles: frozenset[str]
    employment_type: str
    job_title: str


class StaffImportError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            raise StaffImportError(
                [
                    "The file is not readable text. In Excel choose File › Save As › 'CSV UTF-8' and upload that."
                ]
            ) from None


def parse_staff_csv(data: bytes) -> list[StaffRow]:
    reader = csv.reader(io.StringIO(_decode(data)))
    try:
        header, *lines = list(reader) or [None]
    except csv.Error as error:  # a quote left open, a cell longer than the csv module takes
        raise StaffImportError(
            [f"Line {reader.line_num}: cannot be read as CSV ({error}). Save it from the spreadsheet again."]
        ) from None
    if not header:
        raise StaffImportError(["The file is empty. Export the staff list with a header row and try again."])
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        key = name.strip().lower()
        for field, aliases in _HEADERS.items():
            if key in aliases and field not in columns:
                columns[field] = index
    missing = [f for f in _REQUIRED if f not in columns]
    if missing:
        names = ", ".join(f.replace("_", " ") for f in missing)
        raise StaffImportError(
            [f"Column headers: no column for {names}. Add it to the first row and upload again."]
        )
    problems: list[str] = []
    rows: list[StaffRow] = []
    seen: dict[str, int] = {}
    for line, cells in enumerate(lines, start=2):
        if not any(c.strip() for c in cells):
            continue

        def cell(field: str, cells=cells) -> str:
            i = columns.get(field)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        email = cell("email").lower()
        try:
            validate_email(email)
        except ValidationError:
            problems.append(
                f"Line {line}: '{email or '(blank)'}' is not an email address. Correct it and upload again."
            )
            continue
        if email in seen:
            problems.append(f"Line {line}: {email} is also on line {seen[email]}. Keep one row per person.")
            continue
        seen[email] = line
        if not cell("first_name") or not cell("last_name"):
            problems.append(f"Line {line}: first name and last name are both needed.")
            continue
        roles: set[str] = set()
        for word in filter(None, (w.strip().lower() for w in cell("roles").replace("/", ";").split(";"))):
            role = _ROLE_WORDS.get(word) or (word if word in Role.values else None)
            if role is None:
                problems.append(
                    f"Line {line}: '{word}' is not a role saferstaff knows. Use one of: "
                    + ", ".join(r.label for r in Role)
                    + "."
                )
            else:
                roles.add(role)
        kind_word = cell("employment_type").lower() or "employee"
        kind = _EMPLOYMENT_WORDS.get(kind_word)
        if kind is None:
            problems.append(
                f"Line {line}: employment type '{kind_word}' should be employee, agency, contractor or volunteer."
            )
            continue
        rows.append(
            StaffRow(
                line,
                cell("first_name"),
                cell("last_name"),
                email,
                frozenset(roles or {Role.STAFF}),
                kind,
                cell("job_title"),
            )
        )
    if problems:
        raise StaffImportError(problems)
    if not rows:
        raise StaffImportError(["The file has a header row but no staff in it."])
    return rows


def import_staff(school: School, data: bytes, *, by) -> list[Membership]:
    """All rows or none: a refusal on any row (a bad cell, a role the importer may not grant) saves nothing."""
    rows = parse_staff_csv(data)
    with transaction.atomic():
        try:
            memberships = [
                add_staff(
                    school,
                    email=row.email,
                    first_name=row.first_name,
                    last_name=row.last_name,
                    roles=set(row.roles),
                    employment_type=row.employment_type,
                    job_title=row.job_title,
                    by=by,
                    update_existing=True,
                )
                for row in rows
            ]
        except Refused as exc:
            raise StaffImportError([f"Roles: {exc.decision.summary}"]) from None
    record("staff.imported", school, detail={"rows": len(rows)})
    return memberships
