"""The groups of roles the guidance speaks of, each defined once; who is acting with which roles; and the one
way to ask who else holds them.

The access map (saferstaff/access.py), the rules (saferstaff/rules/) and the pages all import these groups:
a group written twice drifts.

Who is acting, at which school, with which roles, is asked once and handed to every rule as an ``Actor``:
the access middleware (saferstaff/access.py) builds one per request as ``request.actor``; a service, worker or
command that has only a user builds it with ``Actor.of(user, school)``. No rule queries the acting person's
roles again; ``members_holding`` is for questions about OTHER people ("is there another senior leader?",
"who is told?"). (The Actor lives here, below the rules, because the access middleware and the staff
services of this room build it too.)"""

from collections.abc import Mapping
from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from django.db.models import Count, Exists, FilteredRelation, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from saferstaff.accounts.models import User
from saferstaff.notifications.models import Notification
from saferstaff.schools.models import Membership, Role, School

# Not a role at a school: an admin of the trust or Local Authority that runs it (reaches every school's records).
TRUST_ADMIN = "trust_admin"

H, SLT, DSL, LM, GOV, DPO, OFFICE, STAFF = (
    Role.HEADTEACHER,
    Role.SENIOR_LEADER,
    Role.DSL,
    Role.LINE_MANAGER,
    Role.GOVERNOR,
    Role.DPO,
    Role.OFFICE,
    Role.STAFF,
)
EVERY_ROLE = frozenset(Role.values)
# §5: senior management approves photo activities and publication, confirms destruction, records its own
# consent; §2: it prepares and publishes the school's policies.
SENIOR_MANAGEMENT = frozenset({H, SLT})
# §5: images are open to scrutiny — senior management, the DSL and the DPO see every activity and image.
SCRUTINY = SENIOR_MANAGEMENT | {DSL, DPO}
# §8: records only for those with a legitimate professional need. Governors oversee; they do not see pupils.
WORKS_WITH_PUPILS = frozenset({H, SLT, DSL, LM, DPO, OFFICE, STAFF})
LEADERSHIP = frozenset({H, SLT, DSL, DPO})
# Who keeps consent records up to date (forms in, portal links out).
CONSENT_KEEPERS = frozenset({H, SLT, DPO, OFFICE})
# Who takes photos of pupils in the course of their work (object-level checks narrow what each sees).
PHOTOGRAPHERS = frozenset({H, SLT, DSL, LM, OFFICE, STAFF})
# §8: every role that sees every pupil's photos, consent records or face-matching enrolment (and the
# safeguarding and data-protection records) must sign in with a second factor.
SECOND_FACTOR = frozenset({H, SLT, DSL, DPO, OFFICE})
# Signed out after PRIVILEGED_IDLE_MINUTES idle (accounts.middleware.PrivilegedIdleMiddleware): those who see
# safeguarding records or every pupil's, and the trust's admins, who reach every school.
SHORT_IDLE = LEADERSHIP | {TRUST_ADMIN}
# Who may line-manage others: staff with a staff or leadership role (governors oversee; they manage no one).
LINE_MANAGING = EVERY_ROLE - {GOV}


def roles_at(
    user, school: School, standing: "Standing | None" = None
) -> tuple[Membership | None, frozenset[str]]:
    """The user's active membership at ``school`` (or None) and their roles there, with TRUST_ADMIN when they
    admin the trust that runs it. Asked once per request (the access middleware, which passes the request's
    ``standing`` so the places and trusts read for it are not read again) or once per worker job."""
    membership = None
    if standing is None:
        membership = (
            Membership.objects.active()
            .filter(school=school, user=user)
            .order_by()  # one row at most: no join for the list's ordering by name
            .prefetch_related("role_grants")
            .first()
        )
    elif school.pk in standing.roles_by_school:
        # The place and its roles were read with the standing, in the same request: neither is read again.
        membership = standing.place_at[school.pk]
        membership.known_roles = standing.roles_by_school[school.pk]
    roles = set(membership.roles) if membership else set()
    if standing is not None:
        admins_trust = school.trust_id in standing.trust_ids
    else:
        admins_trust = bool(school.trust_id) and user.trust_admin_of.filter(trust_id=school.trust_id).exists()
    if admins_trust:
        roles.add(TRUST_ADMIN)
    return membership, frozenset(roles)


@dataclass(frozen=True)
class Standing:
    """Where the signed-in person stands, across schools: their active places and the roles held at each, the
    trusts they admin, whether they have a second factor (an authenticator app or a security key) and how many
    notifications they have not read. What the access, second-factor and menu checks of every page need, read
    in ONE query per request (``standing_of``) and never kept beyond it: a role given or taken, a factor
    removed or a trust admin added counts from the very next page."""

    roles_by_school: Mapping[int, frozenset[str]]  # every active place, even one without a role yet
    place_at: Mapping[int, Membership]  # those places, by school (read in the same query: no other)
    is_chair: bool  # chair of governors at one of those schools
    trust_ids: frozenset[int]
    has_second_factor: bool
    unread_notifications: int

    @property
    def places(self) -> int:
        """Schools and trusts they could be working at: more than one offers "Switch school"."""
        return len(self.roles_by_school) + len(self.trust_ids)

    @classmethod
    def of(cls, user) -> "Standing":
        place = FilteredRelation(
            "memberships",
            condition=Q(memberships__ended_on__isnull=True, memberships__invited_at__isnull=True),
        )
        factors = Authenticator.objects.filter(
            user=OuterRef("pk"), type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
        )
        unread = (
            Notification.objects.filter(user=OuterRef("pk"), read_at__isnull=True)
            .order_by()
            .values("user")
            .annotate(n=Count("pk"))
            .values("n")
        )
        # One row per (place, role, administered trust): a handful for anyone. The place's own fields come
        # first, so the access map's place at the school is not read again.
        place_fields = [field.attname for field in Membership._meta.concrete_fields]
        rows = (
            User.objects.filter(pk=user.pk)
            .annotate(place=place, has_factor=Exists(factors), unread=Coalesce(Subquery(unread), 0))
            .order_by()
            .values_list(
                *(f"place__{name}" for name in place_fields),
                "place__school_id",
                "place__is_chair_of_governors",
                "place__role_grants__role",
                "trust_admin_of__trust_id",
                "has_factor",
                "unread",
            )
        )
        db, rows = rows.db, list(rows)
        roles: dict[int, set[str]] = {}
        places: dict[int, Membership] = {}
        trusts: set[int] = set()
        is_chair = False
        n = len(place_fields)
        for row in rows:
            school_id, chair, role, trust_id, _, _ = row[n:]
            if school_id is not None:
                if school_id not in places:
                    places[school_id] = Membership.from_db(db, place_fields, row[:n])
                roles.setdefault(school_id, set()).update([role] if role else [])
                is_chair = is_chair or bool(chair)
            if trust_id is not None:
                trusts.add(trust_id)
        # The outer joins keep the person's own row when they have no place and no trust: there is always one.
        has_factor, unread_count = rows[0][n + 4 :] if rows else (False, 0)
        return cls(
            roles_by_school={school_id: frozenset(r) for school_id, r in roles.items()},
            place_at=places,
            is_chair=is_chair,
            trust_ids=frozenset(trusts),
            has_second_factor=bool(has_factor),
            unread_notifications=unread_count,
        )


def standing_of(request) -> Standing:
    """The signed-in person's ``Standing`` for this request: read at its first use, then kept on the request
    (for the same person only: signing in or out during the request starts afresh)."""
    kept = getattr(request, "_saferstaff_standing", None)
    if kept is None or kept[0] != request.user.pk:
        kept = (request.user.pk, Standing.of(request.user))
        request._saferstaff_standing = kept
    return kept[1]


def members_holding(school_id: int, roles) -> QuerySet[Membership]:
    """The active members of the school who hold one of ``roles``: for rules and notices about other people."""
    return Membership.objects.active().filter(school_id=school_id, role_grants__role__in=roles).distinct()


@dataclass(frozen=True)
class Actor:
    user: object  # the signed-in person (a User), or None for a guardian's portal link or the system
    school: School | None = None
    membership: Membership | None = None  # their active place at ``school``, if they have one
    roles: frozenset[str] = frozenset()  # their roles at ``school``, with TRUST_ADMIN for the trust's admins

    @classmethod
    def of(cls, user, school: School | None) -> "Actor":
        """The actor for ``user`` at ``school``: one query for the membership and its roles."""
        if user is None or school is None or not getattr(user, "is_authenticated", False):
            return cls(user, school)
        membership, roles = roles_at(user, school)
        return cls(user, school, membership, roles)

    @property
    def pk(self) -> int | None:
        """The acting user's id (None for nobody signed in): what a rule compares with ``requested_by_id``."""
        return getattr(self.user, "pk", None)

    def at(self, school_id: int | None) -> "Actor":
        """This actor as seen at the school ``school_id``: themselves there, and a person with no roles at any
        other school (a rule about another school's record never borrows roles held here)."""
        if self.school is not None and self.school.pk == school_id:
            return self
        return Actor(self.user)

    def holds(self, *roles: str) -> bool:
        """Do they hold one of ``roles`` at their school?"""
        return not self.roles.isdisjoint(roles)

    @property
    def is_head(self) -> bool:
        return self.holds(H)

    @property
    def is_senior(self) -> bool:
        """The Headteacher or a senior leader: senior management in the guidance's words."""
        return self.holds(*SENIOR_MANAGEMENT)

    @property
    def is_trust_admin(self) -> bool:
        return self.holds(TRUST_ADMIN)
