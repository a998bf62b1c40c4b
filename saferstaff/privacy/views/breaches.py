"""§8 pages: the room's home, the breach log (report, list, one breach, managing it), the sharing log (list,
log by hand, one entry, completing a prefilled one, a leaver's common transfer file) and the record of processing
and the DPIA (page and PDF, with what changed since the last export). Every write goes through a door
(``privacy.breaches``, ``privacy.sharing``, ``privacy.records``); a record is fetched only through the helpers
here, 404 to anyone its rule does not name."""

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from saferstaff.audit.log import record
from saferstaff.conduct.forms import PICKER_SIZE
from saferstaff.numbers import parse_id
from saferstaff.paging import page_of
from saferstaff.privacy import breaches as doors
from saferstaff.privacy import records, sharing
from saferstaff.privacy.forms.breaches import (
    AssessForm,
    BreachReportForm,
    CloseForm,
    DecideForm,
    ReportedForm,
    SharingCompleteForm,
    SharingForm,
    ToldForm,
)
from saferstaff.privacy.models import AccessRequest, Breach, Category, DueRecord, Export, LegalHold, Sharing
from saferstaff.rules.engine import Refused, show_on_form
from saferstaff.rules.incidents import manages
from saferstaff.rules.privacy import (
    SHARING_KEEPERS,
    is_officer,
    may_complete_sharing,
    may_manage_breach,
    may_read_breach,
    may_read_sharing,
)
from saferstaff.schools.access import pupil_choices, pupil_views
from saferstaff.schools.models import Pupil
from saferstaff.schools.roles import DPO

CATEGORY_LABELS = dict(Category.choices)


# --- The room's home ------------------------------------------------------------------------------------------
@require_safe
def privacy_home(request, school):
    actor, today = request.actor, timezone.localdate()
    counts = {}
    if is_officer(actor):
        requests_open = AccessRequest.objects.filter(
            school=request.school, status__in=(AccessRequest.Status.OPEN, AccessRequest.Status.PAUSED)
        )
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
            "due": DueRecord.objects.filter(school=request.school).count(),
            "holds": holds.count(),
        }
    if actor.holds(*SHARING_KEEPERS):
        counts["sharing"] = _readable_sharing(request).filter(status=Sharing.Status.TO_COMPLETE).count()
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
    "decide": DecideForm,
    "reported": ReportedForm,
    "told": ToldForm,
    "close": CloseForm,
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
def _readable_sharing(request):
    """The entries the actor reads (``rules.privacy.may_read_sharing``), as one query: never one about them;
    an entry from an allegation only for its case manager and the DPO."""
    actor = request.actor
    entries = Sharing.objects.filter(school=request.school)
    if actor.membership is not None:
        entries = entries.exclude(about_members=actor.membership)
    if not actor.holds(DPO):
        cases = {e.case for e in entries.filter(case__isnull=False).select_related("case").distinct()}
        hidden = [c.pk for c in cases if c.is_allegation and not manages(actor, c)]
        entries = entries.exclude(case_id__in=hidden)
    return entries


def get_sharing(request, pk) -> Sharing:
    entry = get_object_or_404(
        Sharing.objects.select_related("case", "approved_by__user", "logged_by"), school=request.school, pk=pk
    )
    if not may_read_sharing(request.actor, subject=entry):
        raise Http404("No such entry")
    record("privacy.sharing.viewed", entry)
    return entry


FILTERS = {
    "": ("Every entry", {}),
    "to_complete": ("To complete", {"status": Sharing.Status.TO_COMPLETE}),
    "logged": ("Logged", {"status": Sharing.Status.LOGGED}),
    **{f"source-{v}": (label, {"source": v}) for v, label in Sharing.Source.choices},
}


@require_safe
def sharing_list(request, school):
    chosen = request.GET.get("show", "")
    if chosen not in FILTERS:
        chosen = ""
    entries = _readable_sharing(request).filter(**FILTERS[chosen][1])
    to_complete = list(entries.filter(status=Sharing.Status.TO_COMPLETE).order_by("shared_at", "pk"))
    logged = page_of(request, entries.filter(status=Sharing.Status.LOGGED).order_by("-shared_at", "-pk"), 25)
    record(
        "privacy.sharing.listed",
        ("schools.school", request.school.pk),
        detail={"entries": [e.pk for e in to_complete] + [e.pk for e in logged.object_list]},
    )
    leavers = pupil_views(request, sharing.leavers_without_ctf(request.school)[:PICKER_SIZE])
    return render(
        request,
        "privacy/sharing_list.html",
        {
            "to_complete": to_complete,
            "page": logged,
            "filters": [(key, label) for key, (label, _) in FILTERS.items()],
            "chosen": chosen,
            "leavers": leavers,
            "ctf_days": sharing.CTF_DAYS,
        },
    )


def _ctf(request):
    """ "Log the common transfer file sent to their new school": a prefilled entry, to complete."""
    pk = parse_id(request.POST.get("ctf", ""))
    pupil = sharing.leavers_without_ctf(request.school).filter(pk=pk).first() if pk else None
    if pupil is None:
        messages.error(request, "Choose a pupil who left in the last few weeks (§8)")
        return redirect("sharing_list", school=request.school.slug)
    entry = sharing.open_ctf(request.actor, pupil)
    return redirect("sharing_complete", school=request.school.slug, pk=entry.pk)


@require_http_methods(["GET", "POST"])
def sharing_add(request, school):
    if request.method == "POST" and "ctf" in request.POST:
        return _ctf(request)
    data = request.POST if request.method == "POST" else None
    q = ((data or request.GET).get("pupil_q") or "").strip()[:100]
    # Find with nothing to find is the form being sent (Enter in a text box submits with the first button).
    finding = data is not None and "find" in data and bool(q)
    chosen = [pk for pk in (parse_id(v) for v in (data.getlist("pupils") if data else [])) if pk]
    found = pupil_choices(request, q, limit=PICKER_SIZE)
    if extra := [pk for pk in chosen if all(v.pk != pk for v in found)]:
        found += pupil_views(request, Pupil.objects.filter(school=request.school, pk__in=extra))
    if finding:  # shown again as typed, with the pupils found: nothing is checked or saved
        typed = {name: data.get(name, "") for name in SharingForm.base_fields}
        typed |= {"pupils": chosen, "members": data.getlist("members")}
        form = SharingForm(initial=typed, school=request.school, pupils=found)
    else:
        form = SharingForm(data, school=request.school, pupils=found)
    if data is not None and not finding and form.is_valid():
        d = form.cleaned_data
        try:
            entry = sharing.log_sharing(
                request.actor,
                shared_at=d["shared_at"], recipient=d["recipient"], organisation=d["organisation"],
                what=d["what"], pupils=list(d["pupils"]), members=list(d["members"]),
                about_others=d["about_others"], lawful_basis=d["lawful_basis"],
                special_condition=d["special_condition"], why=d["why"], how=d["how"],
                approved_by=d["approved_by"],
            )  # fmt: skip
        except Refused as exc:
            show_on_form(form, exc.decision)
        else:
            messages.success(request, "The disclosure is in the log.")
            return redirect("sharing_detail", school=request.school.slug, pk=entry.pk)
    status = 400 if data is not None and not finding and form.errors else 200
    return render(request, "privacy/sharing_add.html", {"form": form, "finding": finding}, status=status)


def _sharing_page(request, entry, form=None, status=200):
    may_complete = bool(may_complete_sharing.peek(request.actor, subject=entry))
    if may_complete and form is None:
        initial = {
            "lawful_basis": entry.lawful_basis,
            "special_condition": entry.special_condition,
            "why": entry.why,
            "how": entry.how,
            "approved_by": entry.approved_by_id,
        }
        form = SharingCompleteForm(school=request.school, initial=initial)
    context = {
        "entry": entry,
        "pupils": pupil_views(request, entry.about_pupils.all()),
        "members": entry.about_members.select_related("user"),
        "form": form if may_complete else None,
    }
    return render(request, "privacy/sharing_detail.html", context, status=status)


@require_safe
def sharing_detail(request, school, pk):
    return _sharing_page(request, get_sharing(request, pk))


@require_http_methods(["GET", "POST"])
def sharing_complete(request, school, pk):
    entry = get_sharing(request, pk)
    if request.method == "GET":
        return _sharing_page(request, entry)
    form = SharingCompleteForm(request.POST, school=request.school)
    if form.is_valid():
        try:
            sharing.complete_sharing(request.actor, entry, **form.cleaned_data)
        except Refused as exc:
            show_on_form(form, exc.decision)
        else:
            messages.success(request, "The disclosure is logged.")
            return redirect("sharing_detail", school=request.school.slug, pk=entry.pk)
    entry.refresh_from_db()
    if not may_complete_sharing.peek(request.actor, subject=entry):
        form = None
        messages.error(request, "This disclosure is logged already: the log is added to, not changed (§8)")
    return _sharing_page(request, entry, form, status=400)


# --- The record of processing and the DPIA ---------------------------------------------------------------------
TEMPLATES = {Export.Kind.PROCESSING: "records_processing", Export.Kind.DPIA: "dpia"}


def _record_page(request, kind: str):
    content, last, changed = records.current(request.school, kind)
    return render(
        request,
        "privacy/records_page.html",
        {
            "content": content,
            "last": last,
            "changes": changed,
            "kind": kind,
            "pdf_url": f"{TEMPLATES[kind]}_pdf",
        },
    )


def _record_pdf(request, kind: str):
    from weasyprint import HTML  # heavy, and only for the PDFs: as in policies' dashboard_pdf

    try:
        made, previous, changed = records.export(request.actor, kind)
    except Refused as exc:
        raise Http404(exc.decision.summary) from exc
    html = render_to_string(
        "privacy/records_pdf.html",
        {
            "content": made.content,
            "made": made,
            "previous": previous,
            "changes": changed,
            "school": request.school,
        },
    )
    response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
    name = f"{TEMPLATES[kind].replace('_', '-')}-{request.school.slug}-{made.made_at:%Y%m%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_safe
def records_processing(request, school):
    return _record_page(request, Export.Kind.PROCESSING)


@require_safe
def records_processing_pdf(request, school):
    return _record_pdf(request, Export.Kind.PROCESSING)


@require_safe
def dpia(request, school):
    return _record_page(request, Export.Kind.DPIA)


@require_safe
def dpia_pdf(request, school):
    return _record_pdf(request, Export.Kind.DPIA)
