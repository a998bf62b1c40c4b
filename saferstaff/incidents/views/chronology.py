"""§9 and KCSIE Part 4 pages: a case's chronology (a page, and a signed PDF with its evidence manifest for the
police or the LADO), the timelines of a member of staff and of a pupil across the cases the viewer reads, the
trends for the designated persons and governors (counts only), and the school's closure days (the LADO clock
counts only the days the school is open).

Every timeline is built by ``incidents.chronology.timeline``; every view of one, and every export, is audited
with ids only."""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from saferstaff.accounts.stepup import step_up
from saferstaff.audit.log import record
from saferstaff.incidents import signing, vault
from saferstaff.incidents.access import get_case
from saferstaff.incidents.chronology import Viewer, manifest, timeline
from saferstaff.incidents.forms.chronology import ClosureDayForm, RemoveClosureForm
from saferstaff.incidents.models import Case, Involved
from saferstaff.incidents.trends import trends
from saferstaff.rules.engine import Refused, show_on_form
from saferstaff.rules.incidents import (
    may_export_case,
    may_read_case,
    may_see_pupil_timeline,
    may_see_trends,
    reads_as_reporter,
    sees_sealed,
)
from saferstaff.schools.access import fields_for, get_pupil, pupil_view, sees_pupils
from saferstaff.schools.closures import add_closure_day, remove_closure_day
from saferstaff.schools.models import ClosureDay, Membership


def _viewer(request, cases) -> Viewer:
    return Viewer(
        sees_pupils=sees_pupils(request),
        sees_sealed=frozenset(c.pk for c in cases if sees_sealed(request.actor, c)),
    )


def _casework(request, pk) -> Case:
    """A case whose casework the person reads (its manager, or someone added to it): a reporter who reads only
    their own report gets 404 here, as for a case they do not read at all."""
    case = get_case(request, pk)
    if reads_as_reporter(request.actor, case):
        raise Http404("No such case")
    return case


@require_safe
def case_chronology(request, school, pk):
    case = _casework(request, pk)
    viewer = _viewer(request, [case])
    entries = timeline([case], viewer)
    record("incidents.chronology_viewed", case, detail={"entries": len(entries)})
    return render(
        request,
        "incidents/chronology_case.html",
        {
            "case": case,
            "entries": entries,
            "manifest": manifest(case, viewer),
            "may_export": bool(may_export_case.peek(request.actor, subject=case)),
        },
    )


@require_safe
def case_chronology_pdf(request, school, pk):
    """The chronology as a PDF for the police or the LADO: the evidence manifest (every item's SHA-256; a sealed
    item without its name), the timeline, and a signature over the whole file."""
    case = _casework(request, pk)
    decision = may_export_case(request.actor, subject=case)
    if not decision:
        raise PermissionDenied(decision.summary)
    if confirm := step_up(request, "downloading a case's chronology"):
        return confirm
    from weasyprint import HTML  # heavy, and only for the PDFs: as in policies' dashboard_pdf

    viewer = Viewer(sees_pupils=sees_pupils(request))  # it leaves the school: no sealed item is named
    rows = manifest(case, viewer)
    html = render_to_string(
        "incidents/chronology_pdf.html",
        {
            "case": case,
            "school": request.school,
            "entries": timeline([case], viewer),
            "manifest": rows,
            "now": timezone.now(),
            "by": request.user,
            "fingerprint": signing.fingerprint(),
        },
    )
    signed = signing.sign_pdf(
        HTML(string=html).write_pdf(),
        reason=f"Chronology of case {case.pk}, exported by {request.school.name}",
    )
    response = HttpResponse(signed, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="case-{case.pk}-chronology.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    record(
        "incidents.chronology_exported",
        case,
        detail={"sha256": vault.digest(signed), "evidence": [r.pk for r in rows]},
    )
    return response


def _readable(request, cases) -> list[Case]:
    """The cases whose casework the person reads, newest first (one rule asked per case)."""
    actor = request.actor
    return [
        c
        for c in cases.select_related("subject").order_by("-reported_at", "-pk")
        if may_read_case.peek(actor, subject=c) and not reads_as_reporter(actor, c)
    ]


@require_safe
def person_timeline(request, school, pk):
    """Every case a member of staff is linked to — reported, the subject of, or involved in — as far as the
    viewer reads each (never a case about the viewer: the rules refuse it)."""
    person = get_object_or_404(Membership.objects.select_related("user"), school=request.school, pk=pk)
    involved = Involved.objects.filter(member=person).values("case_id")
    linked = Case.objects.filter(school=request.school).filter(
        Q(reported_by=person.user_id) | Q(subject=person) | Q(pk__in=involved)
    )
    cases = _readable(request, linked)
    record("incidents.person_timeline_viewed", person, detail={"cases": [c.pk for c in cases]})
    return render(
        request,
        "incidents/chronology_timeline.html",
        {"who": person.listed_name, "cases": cases, "entries": timeline(cases, _viewer(request, cases))},
    )


@require_safe
def pupil_timeline(request, school, pk):
    decision = may_see_pupil_timeline(request.actor)
    if not decision or not sees_pupils(request):
        raise PermissionDenied(decision.summary)
    pupil = get_pupil(request, pk)  # records the read of the child's record (§8)
    involved = Involved.objects.filter(pupil=pupil).values("case_id")
    cases = _readable(request, Case.objects.filter(school=request.school, pk__in=involved))
    record("incidents.pupil_timeline_viewed", pupil, detail={"cases": [c.pk for c in cases]})
    view = pupil_view(pupil, fields_for(request), with_guardians=False)
    return render(
        request,
        "incidents/chronology_timeline.html",
        {
            "who": view.name,
            "pupil": view,
            "cases": cases,
            "entries": timeline(cases, _viewer(request, cases)),
        },
    )


@require_safe
def incident_trends(request, school):
    decision = may_see_trends(request.actor)
    if not decision:
        raise PermissionDenied(decision.summary)
    figures = trends(request.actor)
    record("incidents.trends_viewed", ("schools.school", request.school.pk))
    return render(request, "incidents/trends.html", figures)


@require_http_methods(["GET", "POST"])
def closure_days(request, school):
    """The school's closure days: listed, added with a reason, and removed while still to come."""
    if request.method == "POST" and request.POST.get("action") == "remove":
        return _remove_closure(request)
    form = ClosureDayForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            try:
                add_closure_day(request.actor, **form.cleaned_data)
            except Refused as exc:
                show_on_form(form, exc.decision)
            else:
                messages.success(request, f"{form.cleaned_data['day']:%-d %B %Y} is a closure day.")
                return redirect("closure_days", school=request.school.slug)
    return _closures_page(request, form, status=400 if form.errors else 200)


def _remove_closure(request):
    removal = RemoveClosureForm(request.POST)
    closure = None
    if removal.is_valid():
        closure = ClosureDay.objects.filter(school=request.school, pk=removal.cleaned_data["closure"]).first()
    if closure is None:
        raise Http404("No such closure day")
    try:
        remove_closure_day(request.actor, closure)
    except Refused as exc:
        messages.error(request, exc.decision.summary)
    else:
        messages.success(request, f"{closure.day:%-d %B %Y} is no longer a closure day.")
    return redirect("closure_days", school=request.school.slug)


def _closures_page(request, form, *, status=200):
    today = timezone.localdate()
    days = ClosureDay.objects.filter(school=request.school)
    return render(
        request,
        "schools/closure_days.html",
        {
            "form": form,
            "coming": days.filter(day__gte=today).order_by("day"),
            "past": days.filter(day__lt=today, day__gte=today - datetime.timedelta(days=365)).order_by(
                "-day"
            ),
            "today": today,
        },
        status=status,
    )
