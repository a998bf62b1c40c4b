"""§8 (UK GDPR art. 33–34): the breach log's doors. Any member of staff reports a personal-data breach; the
data-protection officer and the Headteacher are told at once, assess it, decide whether to tell the ICO within
72 hours of the school becoming aware (``clocks.due('ico', ...)``: real hours, across a change of the clocks),
record the ICO's reference and whether the people affected were told, and close it.

The clock is chased twice, each at most once (``Breach.chased_*``): when 24 hours are left without a decision
and when the 72 pass. A delayed task does it on time where the tasks backend can defer (``run_after``); the daily
job (``daily``) catches up whatever a worker missed, and is all there is where the backend cannot defer."""

import datetime
from collections.abc import Iterable, Iterator

from django.db import transaction
from django.tasks import default_task_backend, task
from django.urls import reverse
from django.utils import timezone

from saferstaff.audit.context import acting_as
from saferstaff.audit.log import record
from saferstaff.clocks import due, local
from saferstaff.notifications.service import notify
from saferstaff.privacy.models import Breach, Category
from saferstaff.rules.engine import enforce, refused, require
from saferstaff.rules.privacy import OFFICERS, may_manage_breach, may_report_breach
from saferstaff.schools.roles import Actor, members_holding

LAST_DAY = datetime.timedelta(hours=24)
CHASE_LAST_DAY, CHASE_OVERDUE = "last_day", "overdue"
NOTICE_KIND = "privacy.breach"
ART33 = "UK GDPR art. 33"
ART34 = "UK GDPR art. 34"


def when(moment: datetime.datetime) -> str:
    """A deadline in words, UK local time: "Mon 29 Mar 2027, 18:00 (BST)"."""
    moment = local(moment)
    return moment.strftime("%a %-d %b %Y, %H:%M ") + f"({moment.tzname()})"


def hours_left(breach: Breach, now: datetime.datetime | None = None) -> int:
    """Whole real hours left to tell the ICO (negative once the deadline has passed)."""
    seconds = (breach.ico_due - (now or timezone.now())).total_seconds()
    return int(seconds // 3600)


def waiting(breaches):
    """Breaches whose ICO decision is still to be made (the clock runs)."""
    return breaches.filter(decision=Breach.Decision.UNDECIDED, closed_at__isnull=True)


def _tell_officers(breach: Breach, title: str, *, except_user_id=None) -> int:
    url = reverse("breach_detail", kwargs={"school": breach.school.slug, "pk": breach.pk})
    users = {m.user for m in members_holding(breach.school_id, OFFICERS).select_related("user")}
    for user in users:
        if user.pk != except_user_id:
            notify(user, kind=NOTICE_KIND, title=title, url=url, school=breach.school)
    return len(users)


def _categories(categories: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(categories))
    if any(c not in Category.values for c in chosen):
        raise refused("Choose categories from the list", ART33, "categories")
    return chosen


def report_breach(
    actor: Actor,
    *,
    what: str,
    aware_at: datetime.datetime,
    happened_at: datetime.datetime | None = None,
    people_count: int | None = None,
    categories: Iterable[str] = (),
    contained: str = "",
    now: datetime.datetime | None = None,
) -> Breach:
    """Log a breach a member of staff reports; its ICO deadline runs 72 hours from ``aware_at``. The officers
    are told at once, and the chases are scheduled."""
    enforce(may_report_breach(actor))
    require("§8", what=what)
    now = now or timezone.now()
    if aware_at > now:
        raise refused("When the school became aware cannot be in the future", "§8", "aware_at")
    if happened_at is not None and happened_at > aware_at:
        raise refused("It cannot have happened after the school became aware of it", "§8", "happened_at")
    chosen = _categories(categories)
    with transaction.atomic():
        breach = Breach.objects.create(
            school=actor.school,
            what=what.strip(),
            aware_at=aware_at,
            happened_at=happened_at,
            ico_due=due("ico", aware_at),
            people_count=people_count,
            categories=chosen,
            contained=contained.strip(),
            logged_by=actor.user,
        )
        record("privacy.breach.reported", breach, detail={"categories": chosen})
        _tell_officers(
            breach,
            f"A personal-data breach was reported: decide by {when(breach.ico_due)} whether to tell the ICO "
            "(72 hours, §8)",
        )
        transaction.on_commit(lambda: schedule_chases(breach))
    return breach


# --- Managing it: the DPO and the Headteacher ----------------------------------------------------------------
def _locked(actor: Actor, breach: Breach) -> Breach:
    breach = Breach.objects.select_for_update().select_related("school").get(pk=breach.pk)
    enforce(may_manage_breach(actor, subject=breach))
    if breach.closed_at is not None:
        raise refused("The breach is closed: nothing more is recorded on it", "§8")
    return breach


def assess_breach(
    actor: Actor, breach: Breach, *, people_count, categories: Iterable[str], risk: str, contained: str
) -> Breach:
    if risk not in Breach.Risk.values:
        raise refused("Choose how likely a risk to people it is", ART33, "risk")
    with transaction.atomic():
        breach = _locked(actor, breach)
        breach.people_count = people_count
        breach.categories = _categories(categories)
        breach.risk = risk
        breach.contained = contained.strip()
        breach.save(update_fields=["people_count", "categories", "risk", "contained"])
        record("privacy.breach.assessed", breach, detail={"risk": risk, "categories": breach.categories})
    return breach


def decide_breach(actor: Actor, breach: Breach, *, decision: str, reasons: str) -> Breach:
    """Report to the ICO or not, with the reasons (art. 33(5): a breach not reported is documented too)."""
    if decision not in (Breach.Decision.REPORT, Breach.Decision.DONT_REPORT):
        raise refused("Choose whether to report it to the ICO", ART33, "decision")
    require(ART33, decision_reasons=reasons)
    with transaction.atomic():
        breach = _locked(actor, breach)
        if breach.decision != Breach.Decision.UNDECIDED:
            raise refused("The decision has been recorded already", ART33, "decision")
        if decision == Breach.Decision.DONT_REPORT and breach.risk in (Breach.Risk.RISK, Breach.Risk.HIGH):
            raise refused(
                "A breach assessed as a risk to people is reported to the ICO: change the assessment first",
                ART33,
                "decision",
            )
        breach.decision = decision
        breach.decision_reasons = reasons.strip()
        breach.decided_by = actor.user
        breach.decided_at = timezone.now()
        breach.save(update_fields=["decision", "decision_reasons", "decided_by", "decided_at"])
        late = breach.decided_at > breach.ico_due
        record("privacy.breach.decided", breach, detail={"decision": decision, "late": late})
    return breach


def record_ico_report(
    actor: Actor, breach: Breach, *, reported_at: datetime.datetime, ico_reference: str
) -> Breach:
    require(ART33, ico_reference=ico_reference)
    with transaction.atomic():
        breach = _locked(actor, breach)
        if breach.decision != Breach.Decision.REPORT:
            raise refused("Record the decision to report it first", ART33, "reported_at")
        if reported_at > timezone.now():
            raise refused("When it was reported cannot be in the future", ART33, "reported_at")
        if reported_at < breach.aware_at:
            raise refused("It cannot have been reported before the school knew of it", ART33, "reported_at")
        breach.reported_at = reported_at
        breach.ico_reference = ico_reference.strip()
        breach.save(update_fields=["reported_at", "ico_reference"])
        record("privacy.breach.ico_reported", breach, detail={"late": reported_at > breach.ico_due})
    return breach


def record_people_told(actor: Actor, breach: Breach, *, people_told: str) -> Breach:
    """Art. 34: the people affected are told without undue delay when the risk to them is high."""
    if people_told not in Breach.Told.values:
        raise refused("Choose whether the people affected were told", ART34, "people_told")
    with transaction.atomic():
        breach = _locked(actor, breach)
        if people_told == Breach.Told.NOT_NEEDED and breach.risk == Breach.Risk.HIGH:
            raise refused("A high risk to people: they must be told (UK GDPR art. 34)", ART34, "people_told")
        breach.people_told = people_told
        breach.people_told_at = timezone.now() if people_told == Breach.Told.TOLD else None
        breach.save(update_fields=["people_told", "people_told_at"])
        record("privacy.breach.people_told", breach, detail={"people_told": people_told})
    return breach


def close_breach(actor: Actor, breach: Breach) -> Breach:
    with transaction.atomic():
        breach = _locked(actor, breach)
        if not breach.risk:
            raise refused("Assess the breach before closing it", ART33, "risk")
        if breach.decision == Breach.Decision.UNDECIDED:
            raise refused("Decide whether to tell the ICO before closing it", ART33, "decision")
        if breach.decision == Breach.Decision.REPORT and not breach.ico_reference:
            raise refused("Record when it was reported and the ICO's reference first", ART33, "ico_reference")
        if breach.risk == Breach.Risk.HIGH and breach.people_told != Breach.Told.TOLD:
            raise refused(
                "A high risk to people: tell them before closing it (art. 34)", ART34, "people_told"
            )
        if breach.people_told == Breach.Told.NOT_YET and breach.risk != Breach.Risk.HIGH:
            raise refused("Say whether the people affected were told", ART34, "people_told")
        breach.closed_at = timezone.now()
        breach.save(update_fields=["closed_at"])
        record("privacy.breach.closed", breach, detail={"decision": breach.decision})
    return breach


# --- The clock's chases -------------------------------------------------------------------------------------
def chase_breach_now(breach_id: int, stage: str, now: datetime.datetime | None = None) -> bool:
    """Tell the officers again, once per ``stage``, if the decision is still not made when it is time: 24 hours
    left (``last_day``) or the deadline passed (``overdue``). Safe to call early, late or twice."""
    now = now or timezone.now()
    field = {CHASE_LAST_DAY: "chased_last_day_at", CHASE_OVERDUE: "chased_overdue_at"}[stage]
    with transaction.atomic():
        breach = Breach.objects.select_for_update().select_related("school").filter(pk=breach_id).first()
        if breach is None or breach.decision != Breach.Decision.UNDECIDED or breach.closed_at is not None:
            return False
        if getattr(breach, field) is not None:
            return False
        if stage == CHASE_LAST_DAY and not (breach.ico_due - LAST_DAY <= now < breach.ico_due):
            return False
        if stage == CHASE_OVERDUE and now < breach.ico_due:
            return False
        setattr(breach, field, now)
        breach.save(update_fields=[field])
        with acting_as(school_id=breach.school_id):
            record("privacy.breach.chased", breach, detail={"stage": stage})
        if stage == CHASE_LAST_DAY:
            title = (
                f"24 hours left: decide by {when(breach.ico_due)} whether to tell the ICO of a personal-data "
                "breach (§8)"
            )
        else:
            title = (
                f"Overdue since {when(breach.ico_due)}: decide now whether to tell the ICO of a personal-data "
                "breach, and record why it was late (§8)"
            )
        _tell_officers(breach, title)
    return True


@task()
def chase_breach(breach_id: int, stage: str) -> None:
    chase_breach_now(breach_id, stage)


def schedule_chases(breach: Breach) -> None:
    """Each chase as a task deferred to its moment, where the backend can defer; else the daily job does it."""
    if not default_task_backend.supports_defer:
        return
    chase_breach.using(run_after=breach.ico_due - LAST_DAY).enqueue(breach.pk, CHASE_LAST_DAY)
    chase_breach.using(run_after=breach.ico_due).enqueue(breach.pk, CHASE_OVERDUE)


def chase_all(now: datetime.datetime | None = None) -> int:
    """The catch-up (the daily job): every undecided breach whose chase is due and not yet sent."""
    now = now or timezone.now()
    open_ = waiting(Breach.objects.all())
    sent = 0
    for pk in open_.filter(chased_overdue_at__isnull=True, ico_due__lte=now).values_list("pk", flat=True):
        sent += chase_breach_now(pk, CHASE_OVERDUE, now)
    last_day = open_.filter(chased_last_day_at__isnull=True, ico_due__gt=now, ico_due__lte=now + LAST_DAY)
    for pk in last_day.values_list("pk", flat=True):
        sent += chase_breach_now(pk, CHASE_LAST_DAY, now)
    return sent


def daily() -> Iterator[str]:
    yield f"{chase_all()} personal-data breaches chased (the ICO's 72 hours, §8)"
