"""What the school Overview shows — its counts, the things to do of the person looking, how many have
accepted each policy — worked out at most once per state of the school, per person, per minute.

Every write in the house records an audit event (``saferstaff.audit.log.record``, the one door), and every
event that is not a reading bumps its school's generation in the same transaction (``log.READ_ONLY`` lists
the readings). The key names the school and its generation, the generation of events of no school, the person,
their place and roles for this request (a role given or taken shows at once), the local date and the current
minute. So a change anywhere shows on the very next request; a deadline passing with no write at all (an
action or a LADO referral falling overdue, a subject access request coming within a week) shows within a
minute. The cache is per process (settings.CACHES["overview"]): the key is exact, so processes never
disagree for longer than that minute. ADR 0014."""

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Q

from saferstaff.access import allowed_for
from saferstaff.audit.log import kept
from saferstaff.conduct.status import things_to_do as conduct_to_do
from saferstaff.incidents.status import things_to_do as incidents_to_do
from saferstaff.photos.status import things_to_do as photos_to_do
from saferstaff.policies.status import school_overview
from saferstaff.privacy.status import things_to_do as privacy_to_do
from saferstaff.schools.models import Membership, Pupil, RosterImport


def overview(request) -> dict:
    """The Overview's data for the person and school of ``request``: kept, or worked out now and kept."""
    membership = request.membership
    return kept(
        "overview",
        request.school.pk,
        lambda: work_out(request),
        request.user.pk,
        membership.pk if membership is not None else "-",
        ",".join(sorted(request.roles)),
    )


def work_out(request) -> dict:
    """The Overview's data read afresh: what each room lists for the person looking."""
    school = request.school
    counts = {}
    if allowed_for("pupil_list", request.roles):
        counts["pupils"] = Pupil.objects.filter(school=school).current().count()
    if allowed_for("staff_list", request.roles):
        counts["staff"] = Membership.objects.active().filter(school=school).count()
    to_do = []
    if allowed_for("staff_add", request.roles):
        # An unusable password or a waiting invitation: the person has not taken it up yet.
        waiting = (
            Membership.objects.current()
            .filter(school=school)
            .filter(Q(user__password__startswith=UNUSABLE_PASSWORD_PREFIX) | Q(invited_at__isnull=False))
            .count()
        )
        if waiting:
            to_do.append(
                (
                    f"{waiting} invited {'person has' if waiting == 1 else 'people have'} not accepted yet",
                    "staff_list",
                )
            )
    if allowed_for("roster_upload", request.roles):
        pending = RosterImport.objects.filter(school=school, status=RosterImport.Status.PREVIEWED).count()
        if pending:
            to_do.append(
                (
                    f"{pending} roster import{'s' if pending > 1 else ''} waiting for you to check and apply",
                    "roster_upload",
                )
            )
        last = (
            RosterImport.objects.filter(school=school, status=RosterImport.Status.APPLIED)
            .order_by("-applied_at")
            .first()
        )
        counts["last_import"] = last.applied_at if last else None
    acceptance = school_overview(school) if allowed_for("policy_dashboard", request.roles) else []
    if allowed_for("policy_publish", request.roles):
        # §2: the Headteacher ensures the guidance is shared with and adhered to by all staff.
        waiting = {m.pk for item in acceptance if item["policy"].compulsory for m in item["waiting"]}
        if waiting:
            to_do.append(
                (
                    f"{len(waiting)} {'person has' if len(waiting) == 1 else 'people have'} not accepted "
                    "every compulsory policy yet",
                    "policy_dashboard",
                )
            )
    if request.membership is not None:
        to_do.extend(photos_to_do(request))
        to_do.extend(conduct_to_do(request))
        to_do.extend(incidents_to_do(request.actor, school))
        to_do.extend(privacy_to_do(request.actor, school))
    # Only what the page shows is kept: plain values, no model instances.
    policies = [
        {"title": item["policy"].title, "accepted": item["accepted"], "audience": item["audience"]}
        for item in acceptance
    ]
    return {"counts": counts, "to_do": to_do, "acceptance": policies}
