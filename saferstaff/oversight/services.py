"""The doors of the self-review (§2: the Headteacher and senior management review, governors read). Every write
goes through one of these; each asks who is acting and what is sent, refuses with the field named, and appends
ids only to the audit trail."""

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from saferstaff import clocks
from saferstaff.audit.log import record
from saferstaff.oversight.areas import AREAS, BY_KEY, LEVEL_LABELS
from saferstaff.oversight.figures import all_figures
from saferstaff.oversight.models import AreaJudgement, ReviewAction, SelfReview
from saferstaff.rules.engine import Reason, Refused, refuse, refused
from saferstaff.schools.models import Membership
from saferstaff.schools.roles import Actor

SECTION = "§2"
COMMENTARY_MAX = AreaJudgement._meta.get_field("commentary").max_length
MAX_ACTIONS = 20  # actions agreed in one area of one review: a page of them, not an unbounded list
DUE_WITHIN_YEARS = 2  # an action's due date: a self-review plans a year or two ahead, and a typo is 2207


def latest_due(today):
    """The last due date an action may have, ``DUE_WITHIN_YEARS`` ahead of ``today``."""
    return clocks.add_months(today, 12 * DUE_WITHIN_YEARS)


def _may_edit(actor: Actor, review: SelfReview | None = None) -> None:
    if not actor.is_senior:
        raise refused("Only the Headteacher or a senior leader can edit a self-review", SECTION)
    if review is not None:
        if review.school_id != actor.school.pk:
            raise refused("This review belongs to another school", SECTION)
        if review.completed:
            raise refused("This review is completed: start a new one to change it", SECTION)


def _locked(review: SelfReview) -> SelfReview:
    """The review as it is now, its row locked until the write's transaction ends: a review another leader
    completed meanwhile is seen completed (``complete_review`` takes the same lock)."""
    return SelfReview.objects.select_for_update().get(pk=review.pk)


def start_review(actor: Actor) -> SelfReview:
    """A new review, numbered after the last; the one already under way if there is one."""
    _may_edit(actor)
    school = actor.school
    open_review = SelfReview.objects.filter(school=school, completed_at__isnull=True).first()
    if open_review is not None:
        return open_review
    try:
        with transaction.atomic():
            last = SelfReview.objects.filter(school=school).aggregate(n=Max("number"))["n"] or 0
            review = SelfReview.objects.create(school=school, number=last + 1, started_by=actor.user)
            record("oversight.review.started", review, detail={"number": review.number})
    except IntegrityError:  # started twice at once: the other request made it
        return SelfReview.objects.get(school=school, completed_at__isnull=True)
    return review


def judge_area(actor: Actor, review: SelfReview, *, area: str, level: str, commentary: str) -> AreaJudgement:
    _may_edit(actor, review)
    if area not in BY_KEY:
        raise refused("Choose an area of the review", SECTION, "area")
    if level not in LEVEL_LABELS:
        raise refused("Choose how far this area is in place", SECTION, "level")
    if len(commentary.strip()) > COMMENTARY_MAX:
        raise refused(f"Keep the commentary to {COMMENTARY_MAX:,} characters or fewer", SECTION, "commentary")
    with transaction.atomic():
        _may_edit(actor, _locked(review))
        judgement, _ = AreaJudgement.objects.update_or_create(
            school=review.school,
            review=review,
            area=area,
            defaults={"level": level, "commentary": commentary.strip(), "updated_at": timezone.now()},
        )
        record("oversight.area.judged", review, detail={"judgement": judgement.pk, "level": level})
    return judgement


def add_action(actor: Actor, review: SelfReview, *, area: str, what: str, owner, due_on) -> ReviewAction:
    """An action the review agreed: what, who owns it (a member of staff of this school) and by when."""
    _may_edit(actor, review)
    reasons = []
    if area not in BY_KEY:
        reasons.append(Reason("Choose an area of the review", SECTION, "area"))
    if not (what or "").strip():
        reasons.append(Reason("Say what will be done", SECTION, "action_what"))
    staff = Membership.objects.active().filter(school=review.school)
    if owner is None or not staff.filter(pk=getattr(owner, "pk", None)).exists():
        reasons.append(
            Reason("Choose a member of staff of this school to own the action", SECTION, "action_owner")
        )
    today = timezone.localdate()
    if due_on is None or due_on < today:
        reasons.append(Reason("Give a due date that is today or later", SECTION, "action_due"))
    elif due_on > latest_due(today):
        reasons.append(
            Reason(
                f"Give a due date no more than {DUE_WITHIN_YEARS} years ahead, by "
                f"{latest_due(today):%-d %B %Y} at the latest",
                SECTION,
                "action_due",
            )
        )
    if reasons:
        raise Refused(refuse(*reasons))
    what = what.strip()[:300]
    with transaction.atomic():
        _may_edit(actor, _locked(review))
        in_area = ReviewAction.objects.filter(review=review, area=area)
        same = in_area.filter(what=what, owner=owner, due_on=due_on).first()
        if same is not None:  # the same form sent twice: the action is agreed once
            return same
        if in_area.count() >= MAX_ACTIONS:
            raise refused(f"One area of a review keeps at most {MAX_ACTIONS} actions", SECTION, "action_what")
        action = ReviewAction.objects.create(
            school=review.school, review=review, area=area, what=what, owner=owner, due_on=due_on
        )
        record("oversight.action.added", review, detail={"action": action.pk, "owner": owner.pk})
    return action


def save_area(actor: Actor, review: SelfReview, *, area: str, level: str, commentary: str, action=None):
    """One area's form as one write: its judgement and, when ``action`` (what, owner, due_on) is given, a new
    action; a refusal of either saves neither."""
    with transaction.atomic():
        judgement = judge_area(actor, review, area=area, level=level, commentary=commentary)
        if action is not None:
            add_action(actor, review, area=area, **action)
    return judgement


def complete_review(actor: Actor, review: SelfReview) -> SelfReview:
    """Every area judged, the review is completed and the figures of the moment stored with it."""
    _may_edit(actor, review)
    judged = set(review.judgements.values_list("area", flat=True))
    missing = [area.title for area in AREAS if area.key not in judged]
    if missing:
        raise refused("Judge every area before completing the review: " + ", ".join(missing), SECTION)
    now = timezone.now()
    with transaction.atomic():
        review = SelfReview.objects.select_for_update().get(pk=review.pk)
        if review.completed:
            return review
        review.evidence = {key: m.as_stored() for key, m in all_figures(review.school, now).items()}
        review.completed_at, review.completed_by = now, actor.user
        review.save(update_fields=["evidence", "completed_at", "completed_by"])
        record("oversight.review.completed", review, detail={"number": review.number})
    return review


def complete_action(actor: Actor, action: ReviewAction) -> ReviewAction:
    """An agreed action marked done, by the Headteacher or a senior leader — also one carried forward from an
    earlier review, completed or not. Done once: marking it again changes nothing."""
    if not actor.is_senior:
        raise refused("Only the Headteacher or a senior leader can mark an action done", SECTION)
    if action.school_id != actor.school.pk:
        raise refused("This action belongs to another school", SECTION)
    with transaction.atomic():
        action = ReviewAction.objects.select_for_update().get(pk=action.pk)
        if action.done_at is not None:
            return action
        action.done_at, action.done_by = timezone.now(), actor.user
        action.save(update_fields=["done_at", "done_by"])
        record("oversight.action.done", action.review, detail={"action": action.pk})
    return action
