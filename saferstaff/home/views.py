"""The school's dashboard and the trust's: each brings together what the rooms below have to show or ask."""

from django.db.models import Count, Q
from django.shortcuts import render
from django.views.decorators.http import require_safe

from saferstaff.home.overview import overview
from saferstaff.policies.counts import trust_overview
from saferstaff.schools.models import School


@require_safe
def school_dashboard(request, school):
    return render(request, "home/school_dashboard.html", overview(request))


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
