"""§8, UK GDPR art. 5(1)(e): the daily sweep. For each kind of record in the schedule, ONE set-based statement
(``INSERT … SELECT``) lists every record past its trigger and period as a ``DueRecord``, unless a legal hold in
force covers it or it is listed already; then due rows newly under a hold are dropped. Nothing is destroyed
here: the DPO confirms what is due (``privacy.destruction``).

Each kind's ``Spec`` says where its trigger date is and who a record is about (the paths a hold on a pupil, a
member of staff or a case reads). A school that changed a period is swept in its own group, so a sweep costs one
statement per kind and per distinct period, never one per record."""

import datetime
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection, models, transaction
from django.db.models import Exists, F, Max, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from saferstaff.audit.log import record
from saferstaff.clocks import UK, add_months
from saferstaff.photos.takedowns import mark_due
from saferstaff.privacy import schedule
from saferstaff.privacy.kinds import KINDS
from saferstaff.privacy.models import DueRecord, LegalHold
from saferstaff.schools.models import Guardianship, Membership


class AddMonths(models.Func):
    """``date + n months``, the last day of the month when it has no such date (as ``clocks.add_months``)."""

    output_field = models.DateField()

    def __init__(self, expression, months: int):
        super().__init__(expression)
        self.months = int(months)

    def as_sqlite(self, compiler, conn, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        n = self.months
        return (
            f"min(date({sql}, '+{n} months'), date({sql}, 'start of month', '+{n + 1} months', '-1 day'))",
            params * 2,
        )

    def as_postgresql(self, compiler, conn, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(({sql}) + make_interval(months => {self.months}))::date", params


@dataclass(frozen=True)
class Spec:
    """Where a kind's trigger date is (a date or date-time field path, or an expression) and whom it is about."""

    trigger: str  # a field path; "" when ``trigger_expr`` gives it
    is_datetime: bool = False
    only: Q = field(default_factory=Q)  # which rows of the model are this kind
    pupils: tuple[str, ...] = ()  # paths to the pupil(s) a record is about
    members: tuple[str, ...] = ()  # paths to the member(s) of staff
    users: tuple[
        str, ...
    ] = ()  # paths to a user: a hold on a member of staff holds their rows at that school
    cases: tuple[str, ...] = ()


ALLEGATION = "allegation"

SPECS: dict[str, Spec] = {
    # Tagged, or a face of theirs found (a person confirmed it, or the matcher named them): as the checklist finds
    # them. Holding a face the matcher may have got wrong keeps more, never less.
    "images": Spec("captured_at", True, pupils=("tags__pupil", "faces__decided_pupil", "faces__proposed_pupil")),
    "activities": Spec("happens_on", only=Q(images__isnull=True), pupils=("pupils",)),
    "consent_answers": Spec("pupil__leaving_date", pupils=("pupil",)),
    "portal_links": Spec("expires_at", True, pupils=("guardian__guardianships__pupil",)),
    "draft_checks": Spec("created_at", True, users=("author",)),
    "disclosures": Spec("created_at", True, pupils=("pupil",), users=("discloser",)),
    "contact_permissions": Spec("ends_on", users=("requested_by",)),
    "equipment_permissions": Spec("ends_on", users=("requested_by",)),
    "low_level_concerns": Spec("subject__ended_on", members=("subject",)),
    "incident_cases": Spec(
        "closed_at",
        True,
        only=~Q(kind=ALLEGATION),
        pupils=("involved__pupil",),
        members=("involved__member", "subject"),
        cases=("pk",),
    ),
    "allegations": Spec(
        "reported_at",
        True,
        only=Q(kind=ALLEGATION, closed_at__isnull=False),
        pupils=("involved__pupil",),
        members=("involved__member", "subject"),
        cases=("pk",),
    ),
    "acceptances": Spec("", users=("user",)),
    "sharing_log": Spec("shared_at", True, pupils=("about_pupils",), members=("about_members",), cases=("case",)),
    "breaches": Spec("closed_at", True),
    "access_requests": Spec("closed_at", True, pupils=("about_pupil",), members=("about_member",)),
    "notifications": Spec("created_at", True, users=("user",)),
    "roster_files": Spec("uploaded_at", True),
    "pupils": Spec("leaving_date", pupils=("pk",)),
    "guardians": Spec("", pupils=("guardianships__pupil",)),
    "staff": Spec("ended_on", members=("pk",)),
}  # fmt: skip


def model_of(key: str):
    return apps.get_model(KINDS[key].model)


def _trigger_date(key: str):
    """The expression of a kind's trigger date (a date, in UK local time for a moment)."""
    spec = SPECS[key]
    if key == "acceptances":  # staff left: the end of the person's membership of that school
        return Subquery(
            Membership.objects.filter(school=OuterRef("school"), user=OuterRef("user"))
            .order_by()
            .values("ended_on")[:1]
        )
    if key == "guardians":  # the last of their pupils to leave
        return Subquery(
            Guardianship.objects.filter(guardian=OuterRef("pk"))
            .order_by()
            .values("guardian")
            .annotate(last=Max("pupil__leaving_date"))
            .values("last")[:1]
        )
    return TruncDate(spec.trigger, tzinfo=UK) if spec.is_datetime else F(spec.trigger)


def cutoff(today: datetime.date, months: int) -> datetime.date:
    """The last trigger date that is due on ``today``: the largest d with add_months(d, months) <= today."""
    day = add_months(today, -months)
    while add_months(day + datetime.timedelta(days=1), months) <= today:
        day += datetime.timedelta(days=1)
    while add_months(day, months) > today:
        day -= datetime.timedelta(days=1)
    return day


def _due_filter(key: str, last: datetime.date) -> Q:
    """Rows whose trigger date is on or before ``last`` (over the trigger's own index where there is one)."""
    spec = SPECS[key]
    if key == "guardians":
        # Every pupil they are a contact for has left, the last of them on or before ``last``.
        still_here = Guardianship.objects.filter(guardian=OuterRef("pk")).filter(
            Q(pupil__leaving_date__isnull=True) | Q(pupil__leaving_date__gt=last)
        )
        return Q(Exists(Guardianship.objects.filter(guardian=OuterRef("pk")))) & ~Q(Exists(still_here))
    if key == "acceptances":
        return Q(_trigger__lte=last)
    if spec.is_datetime:
        end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time(), tzinfo=UK)
        return Q(**{f"{spec.trigger}__lt": end})
    return Q(**{f"{spec.trigger}__lte": last})


@dataclass
class Holds:
    """The legal holds in force on a day, by what they hold (few: read once per sweep)."""

    pupils: dict[int, set[int]] = field(default_factory=dict)  # school id -> pupil ids
    members: dict[int, set[int]] = field(default_factory=dict)
    users: dict[int, set[int]] = field(default_factory=dict)  # the held members' users, per school
    cases: set[int] = field(default_factory=set)
    kinds: set[tuple[int, str]] = field(default_factory=set)  # (school id, kind)
    records: set[tuple[str, str]] = field(default_factory=set)  # (kind, record id)

    @classmethod
    def in_force(cls, today: datetime.date, school_id: int | None = None) -> "Holds":
        holds = cls()
        rows = LegalHold.objects.filter(in_force(today))
        if school_id is not None:
            rows = rows.filter(school_id=school_id)
        for h in rows.select_related("member"):
            if h.scope == LegalHold.Scope.PUPIL:
                holds.pupils.setdefault(h.school_id, set()).add(h.pupil_id)
            elif h.scope == LegalHold.Scope.MEMBER:
                holds.members.setdefault(h.school_id, set()).add(h.member_id)
                holds.users.setdefault(h.school_id, set()).add(h.member.user_id)
            elif h.scope == LegalHold.Scope.CASE:
                holds.cases.add(h.case_id)
            elif h.scope == LegalHold.Scope.RECORD_TYPE:
                holds.kinds.add((h.school_id, h.record_type))
            else:
                holds.records.add((h.record_type, h.record_id))
        return holds

    def exclude(self, key: str, rows):
        """``rows`` without those a hold covers."""
        spec = SPECS[key]
        held_schools = {s for s, k in self.kinds if k == key}
        if held_schools:
            rows = rows.exclude(school_id__in=held_schools)
        ids = [rid for k, rid in self.records if k == key]
        if ids:
            rows = rows.exclude(pk__in=[int(i) for i in ids if i.isdigit()])
        for paths, by_school in (
            (spec.pupils, self.pupils),
            (spec.members, self.members),
            (spec.users, self.users),
        ):
            for school_id, held in by_school.items():
                for path in paths:
                    rows = rows.exclude(Q(school_id=school_id) & Q(**{f"{path}__in": held}))
        if self.cases:
            for path in spec.cases:
                rows = rows.exclude(**{f"{path}__in": self.cases})
        return rows

    def __bool__(self) -> bool:
        return bool(self.pupils or self.members or self.cases or self.kinds or self.records)


def in_force(today: datetime.date) -> Q:
    return Q(released_at__isnull=True, starts_on__lte=today) & (
        Q(ends_on__isnull=True) | Q(ends_on__gte=today)
    )


def due_rows(key: str, months: int, today: datetime.date, holds: Holds, schools: Q):
    """The rows of ``key`` due on ``today`` under a period of ``months``, held ones left out, as the values the
    due list stores: (school, record type, record id, due on, found on, status)."""
    spec = SPECS[key]
    rows = model_of(key).objects.filter(schools, school__isnull=False).filter(spec.only)
    if key in ("acceptances", "guardians"):
        rows = rows.annotate(_trigger=_trigger_date(key))
    rows = rows.filter(_due_filter(key, cutoff(today, months)))
    rows = holds.exclude(key, rows)
    trigger = F("_trigger") if key in ("acceptances", "guardians") else _trigger_date(key)
    return (
        rows.annotate(
            _type=Value(key, output_field=models.CharField()),
            _id=Cast("pk", models.CharField()),
            _due=AddMonths(trigger, months),
            _found=Value(today, output_field=models.DateField()),
            _status=Value(
                DueRecord.Status.CONFIRMED if schedule.DEFAULTS[key].automatic else DueRecord.Status.DUE,
                output_field=models.CharField(),
            ),
        )
        .order_by()
        .values_list("school_id", "_type", "_id", "_due", "_found", "_status")
    )


def _insert(rows) -> int:
    """INSERT … SELECT the rows into the due list; a record listed already is left as it is."""
    sql, params = rows.query.sql_with_params()
    table = DueRecord._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (school_id, record_type, record_id, due_on, found_on, status) "
            f"SELECT * FROM ({sql}) AS due WHERE 1 = 1 ON CONFLICT (school_id, record_type, record_id) DO NOTHING",
            params,
        )
        return max(cursor.rowcount, 0)


def sweep(today: datetime.date | None = None, *, school_id: int | None = None) -> dict[str, int]:
    """Daily: list what is due, kind by kind; drop due rows a hold now covers. Returns {kind: rows added}."""
    today = today or timezone.localdate()
    holds = Holds.in_force(today, school_id)
    added: dict[str, int] = {}
    scope = Q() if school_id is None else Q(school_id=school_id)
    for key, default in schedule.DEFAULTS.items():
        if default.months is None:
            continue
        changed = schedule.overrides(key)
        if school_id is not None:
            changed = {s: m for s, m in changed.items() if s == school_id}
        groups: dict[int, list[int]] = {}
        for school, months in changed.items():
            groups.setdefault(months, []).append(school)
        n = 0
        with transaction.atomic():
            n += _insert(due_rows(key, default.months, today, holds, scope & ~Q(school_id__in=list(changed))))
            for months, schools in groups.items():
                n += _insert(due_rows(key, months, today, holds, scope & Q(school_id__in=schools)))
        added[key] = n
    dropped = drop_held(today, holds=holds, school_id=school_id)
    sync_images()
    counts = DueRecord.objects.filter(found_on=today)
    if school_id is not None:
        counts = counts.filter(school_id=school_id)
    for school, count in counts.order_by().values_list("school_id").annotate(n=models.Count("pk")):
        record("privacy.retention.swept", None, school=school, detail={"due": count})
    added["dropped"] = dropped
    return added


def drop_held(today: datetime.date | None = None, *, holds: Holds | None = None, school_id=None) -> int:
    """Due rows (not yet destroyed) that a hold in force now covers leave the due list: one statement per kind
    listed, the held records found by the same exclusions the sweep uses."""
    today = today or timezone.localdate()
    holds = holds if holds is not None else Holds.in_force(today, school_id)
    if not holds:
        return 0
    dropped = 0
    listed = DueRecord.objects.all() if school_id is None else DueRecord.objects.filter(school_id=school_id)
    for key in listed.order_by().values_list("record_type", flat=True).distinct():
        if key not in SPECS:
            continue
        of_kind = listed.filter(record_type=key)
        ids = of_kind.annotate(n=Cast("record_id", models.BigIntegerField())).values("n")
        rows = model_of(key).objects.filter(pk__in=Subquery(ids)).filter(SPECS[key].only)
        kept = holds.exclude(key, rows).annotate(s=Cast("pk", models.CharField())).values("s")
        dropped += of_kind.exclude(record_id__in=Subquery(kept)).delete()[0]
    return dropped


def held(key: str, record_id, today: datetime.date | None = None, *, school_id: int) -> bool:
    """Is this one record under a legal hold in force (re-checked at destruction, inside its transaction)?"""
    today = today or timezone.localdate()
    holds = Holds.in_force(today, school_id)
    if not holds:
        return False
    rows = model_of(key).objects.filter(pk=record_id).filter(SPECS[key].only)
    return not holds.exclude(key, rows).exists()


def sync_images() -> int:
    """The images room marks what the due list holds of its images (not published again; live publications
    taken down, §5) and unmarks what left it."""
    listed = DueRecord.objects.filter(record_type="images").annotate(
        n=Cast("record_id", models.BigIntegerField())
    )
    return mark_due(listed.values("n"))
