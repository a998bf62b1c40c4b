"""The school's dashboard and the trust's: each brings together what the rooms below have to show or ask."""

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Count, Q
from django.shortcuts import render
from django.views.decorators.http import require_safe

from saferstaff.access import allowed_for
from saferstaff.conduct.status import things_to_do as conduct_to_do
from saferstaff.incidents.status import things_to_do as incidents_to_do
from saferstaff.photos.status import things_to_do as photos_to_do
from saferstaff.policies.status import school_overview, trust_overview
from saferstaff.privacy.status import things_to_do as privacy_to_do
from saferstaff.schools.models import Membership, Pupil, RosterImport, School


@require_safe
def school_dashboard(request, school):
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
    return render(
        request, "home/school_dashboard.html", {"counts": counts, "to_do": to_do, "acceptance": acceptance}
    )


@require_safe
def trust_dashboard(request, trust):
    schools = (
        School.objects.filter(trust=request.trust)
        .annotate(
            staff_count=Count("memberships", filter=Q(memberships__ended_on__isnull=True), distinct=True),
        )
        .order_by("name")
    )
    return render(
        request,
        "home/trust_dashboard.html",
        {"trust": request.trust, "schools": schools, "acceptance": trust_overview(request.trust)},
    )
