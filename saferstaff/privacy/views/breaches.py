"""§8 pages: the room's home and the breach log (report, list, one breach, managing it). Every write goes
through a door (``privacy.breaches``); a breach is fetched only through ``get_breach``, 404 to anyone its rule
does not name. The sharing log's pages are in ``views/sharing.py``, the record of processing's in
``views/records.py``."""

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from saferstaff.audit.log import record
from saferstaff.paging import page_of
from saferstaff.privacy import breaches as doors
from saferstaff.privacy.destruction import about_the_reader
from saferstaff.privacy.forms.breaches import (
    AssessForm,
    BreachCloseForm,
    BreachDecideForm,
    BreachReportForm,
    ReportedForm,
    ToldForm,
)
from saferstaff.privacy.models import Breach, Category, DueRecord, LegalHold, Sharing
from saferstaff.privacy.sharing import entries_readable_by
from saferstaff.privacy.status import breach_clock, open_requests, requests_on_time
from saferstaff.rules.engine import Refused, show_on_form
from saferstaff.rules.privacy import (
    SHARING_KEEPERS,
    is_officer,
    may_manage_breach,
    may_read_breach,
)

CATEGORY_LABELS = dict(Category.choices)


# --- The room's home ------------------------------------------------------------------------------------------
@require_safe
def privacy_home(request, school):
    actor, today = request.actor, timezone.localdate()
    counts = {}
    if is_officer(actor):
        requests_open = open_requests(request.school, actor)  # never one about them, as in their list
        holds = LegalHold.objects.filter(school=request.school, released_at__isnull=True).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=today)
        )
        waiting = doors.waiting(Breach.objects.filter(school=request.school))
        first = waiting.order_by("ico_due", "pk").first()
        counts = {
            "breaches": waiting.count(),
            "next_breach": _breach_view(first) if first else None,
            "requests": requests_open.count(),
            "requests_overdue": requests_open.filter(due_at__lt=timezone.now()).count(),
            "due": DueRecord.objects.filter(school=request.school).exclude(about_the_reader(actor)).count(),
            "holds": holds.count(),
            "breach_clock": breach_clock(request.school),  # the self-review's figure too (oversight.figures)
            "on_time": requests_on_time(request.school),
        }
    if actor.holds(*SHARING_KEEPERS):
        counts["sharing"] = (
            entries_readable_by(request.actor).filter(status=Sharing.Status.TO_COMPLETE).count()
        )
    mine = Breach.objects.filter(school=request.school, logged_by=request.user).order_by("-aware_at")[:5]
    return render(
        request,
        "privacy/home.html",
        {"counts": counts, "officer": is_officer(actor), "mine": mine},
    )


# --- Breaches ------------------------------------------------------------------------------------------------
def get_breach(request, pk) -> Breach:
    breach = get_object_or_404(
        Breach.objects.select_related("logged_by", "decided_by", "school"), school=request.school, pk=pk
    )
    if not may_read_breach(request.actor, subject=breach):
        raise Http404("No such breach")
    return breach


def _breach_view(breach: Breach) -> dict:
    now = timezone.now()
    left = doors.hours_left(breach, now)
    return {
        "breach": breach,
        "deadline": doors.when(breach.ico_due),
        "hours_left": left,
        "overdue_hours": int((now - breach.ico_due).total_seconds() // 3600),
        "overdue_days": (now - breach.ico_due).days,  # said in days once it is two or more
        "overdue": left < 0 and breach.decision == Breach.Decision.UNDECIDED,
        "clock_runs": breach.decision == Breach.Decision.UNDECIDED and breach.closed_at is None,
        "categories": [CATEGORY_LABELS.get(c, c) for c in breach.categories],
    }


@require_http_methods(["GET", "POST"])
def breach_report(request, school):
    form = BreachReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            breach = doors.report_breach(
                request.actor,
                what=data["what"],
                aware_at=data["aware_at"],
                happened_at=data["happened_at"],
                people_count=data["people_count"],
                categories=data["categories"],
                contained=data["contained"],
            )
        except Refused as exc:
            show_on_form(form, exc.decision)
        else:
            messages.success(
                request,
                "Thank you. The data-protection officer and the Headteacher have been told. They decide by "
                f"{doors.when(breach.ico_due)} whether to tell the ICO.",
            )
            return redirect("breach_detail", school=request.school.slug, pk=breach.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "privacy/breach_report.html", {"form": form}, status=status)


@require_safe
def breach_list(request, school):
    breaches = Breach.objects.filter(school=request.school).select_related("logged_by")
    waiting = [_breach_view(b) for b in doors.waiting(breaches).order_by("ico_due", "pk")]
    rest = page_of(
        request, breaches.exclude(pk__in=[w["breach"].pk for w in waiting]).order_by("-aware_at", "-pk"), 25
    )
    record(
        "privacy.breach.listed",
        ("schools.school", request.school.pk),
        detail={"breaches": [w["breach"].pk for w in waiting] + [b.pk for b in rest.object_list]},
    )
    return render(
        request,
        "privacy/breach_list.html",
        {"waiting": waiting, "page": rest, "rest": [_breach_view(b) for b in rest.object_list]},
    )


STEPS = {
    "assess": AssessForm,
    "decide": BreachDecideForm,
    "reported": ReportedForm,
    "told": ToldForm,
    "close": BreachCloseForm,
}


def _forms_for(breach: Breach, bound: dict | None = None) -> dict:
    initial = {
        "assess": {
            "people_count": breach.people_count,
            "categories": breach.categories,
            "risk": breach.risk,
            "contained": breach.contained,
        },
        "told": {"people_told": breach.people_told},
    }
    forms = {}
    for step, form_class in STEPS.items():
        forms[step] = (bound or {}).get(step) or form_class(prefix=step, initial=initial.get(step))
    if breach.decision != Breach.Decision.UNDECIDED:
        del forms["decide"]
    if breach.decision != Breach.Decision.REPORT:
        del forms["reported"]
    return forms


def _breach_detail(request, breach: Breach, *, bound=None, status=200):
    manage = breach.closed_at is None and bool(may_manage_breach.peek(request.actor, subject=breach))
    officer = is_officer(request.actor.at(breach.school_id))
    record("privacy.breach.viewed", breach)
    view = _breach_view(breach)
    context = view | {
        "w": view,
        "officer": officer,
        "forms": _forms_for(breach, bound) if manage else {},
    }
    return render(request, "privacy/breach_detail.html", context, status=status)


@require_safe
def breach_detail(request, school, pk):
    return _breach_detail(request, get_breach(request, pk))


@require_http_methods(["GET", "POST"])
def breach_manage(request, school, pk):
    breach = get_breach(request, pk)
    if not may_manage_breach.peek(request.actor, subject=breach):
        raise Http404("No such breach")
    if request.method == "GET":
        return redirect("breach_detail", school=request.school.slug, pk=breach.pk)
    step = request.POST.get("step", "")
    if step not in STEPS:
        return HttpResponse("Choose what to record", status=400, content_type="text/plain")
    form = STEPS[step](request.POST, prefix=step)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if step == "assess":
                doors.assess_breach(request.actor, breach, **data)
            elif step == "decide":
                doors.decide_breach(
                    request.actor, breach, decision=data["decision"], reasons=data["decision_reasons"]
                )
            elif step == "reported":
                doors.record_ico_report(request.actor, breach, **data)
            elif step == "told":
                doors.record_people_told(request.actor, breach, **data)
            else:
                doors.close_breach(request.actor, breach)
        except Refused as exc:
            show_on_form(form, exc.decision)
        else:
            messages.success(request, "Recorded.")
            return redirect("breach_detail", school=request.school.slug, pk=breach.pk)
    breach.refresh_from_db()
    if breach.closed_at is not None:  # closed meanwhile: its page no longer offers the forms
        messages.error(request, "The breach is closed: nothing more is recorded on it (§8)")
        return redirect("breach_detail", school=request.school.slug, pk=breach.pk)
    return _breach_detail(request, breach, bound={step: form}, status=400)


# --- The sharing log -----------------------------------------------------------------------------------------
