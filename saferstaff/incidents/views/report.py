"""§9 and KCSIE Part 4 pages for everyone on the staff: reporting an incident with its evidence, reporting an
allegation about a member of staff, one's own reports; adding evidence to an open case, downloading an item
(re-verified against its hash every time, never shown inline), sealing it from view, and who opened it.

Every write goes through a door in ``incidents.services``; a case or an item is fetched only through
``incidents.access`` (404 to anyone the rules do not name)."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from saferstaff.audit.log import record, record_type
from saferstaff.audit.models import AuditEvent
from saferstaff.conduct.forms import PICKER_SIZE
from saferstaff.incidents import services, vault
from saferstaff.incidents.access import get_case, get_evidence
from saferstaff.incidents.forms.report import AllegationForm, EvidenceForm, IncidentForm, SealForm
from saferstaff.incidents.models import Case, Evidence
from saferstaff.incidents.registers import actions_of, cases_listed_for, cases_managed_by
from saferstaff.rules.conduct import CHAIR
from saferstaff.rules.engine import Refused, show_on_form
from saferstaff.rules.incidents import (
    manages,
    may_add_evidence,
    may_read_case,
    may_seal_evidence,
    may_search_cases,
    may_see_trends,
)
from saferstaff.schools.access import pupil_choices, sees_pupils
from saferstaff.schools.models import Membership

# The guidance's own advice (§9), shown where a member of staff reports.
ADVICE = [
    "Do not retaliate or reply: never engage personally with the person doing it.",
    "Keep the evidence: screenshots, saved messages and emails, the address of each page.",
    "Report it promptly, here, to the designated person.",
]
SUPPORT = (
    "If you would rather talk to someone outside school first, or want support as well, you can go to your "
    "union, your professional association or the Education Support Partnership."
)
WHO_MANAGES = {CHAIR: "the chair of governors", "headteacher": "the Headteacher"}


def _case_detail(case: Case):
    return redirect("case_detail", school=case.school.slug, pk=case.pk)


# --- Reporting an incident -----------------------------------------------------------------------------------
def _incident_form(request):
    """The report form for this request: bound to what was sent, except when the person pressed Find with a
    name to find (then it is shown again as typed, with the pupils found, and nothing is checked or saved).
    Find with nothing to find is the report being sent: Enter in a text box, or a phone keyboard's Go, submits
    the form with its first button, which is Find."""
    post = request.POST if request.method == "POST" else None
    q = ((post or {}).get("pupil_q") or "").strip()[:100]
    finding = post is not None and "find" in post and bool(q)
    kwargs = {
        "school": request.school,
        "me": request.membership,
        "pupils": pupil_choices(request, q, (post or {}).get("pupil"), limit=PICKER_SIZE),
        "sees_pupils": sees_pupils(request),
    }
    if finding:
        typed = {name: post.get(name, "") for name in IncidentForm.base_fields if name != "file"}
        typed["about_me"] = bool(post.get("about_me"))
        return IncidentForm(initial=typed, **kwargs), True
    if post is not None:
        return IncidentForm(post, request.FILES, **kwargs), False
    return IncidentForm(**kwargs), False


@require_http_methods(["GET", "POST"])
def incident_report(request, school):
    form, finding = _incident_form(request)
    if request.method == "POST" and not finding and form.is_valid():
        try:
            case = services.report(request.actor, **form.door_kwargs())
        except Refused as exc:
            show_on_form(form, exc.decision)
        else:
            messages.success(
                request,
                f"Thank you. Your report is case {case.pk}: the designated persons have been told and will "
                f"contact you. {SUPPORT} (§9)",
            )
            return _case_detail(case)
    return render(
        request,
        "incidents/report_new.html",
        {
            "form": form,
            "advice": ADVICE,
            "support": SUPPORT,
            "files_again": request.method == "POST" and bool(request.FILES),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


# --- Reporting an allegation about a member of staff ---------------------------------------------------------
@require_http_methods(["GET", "POST"])
def allegation_report(request, school):
    form = AllegationForm(request.POST or None, school=request.school, me=request.membership)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = services.report_allegation(
                request.actor,
                about=data["subject"],
                happened_on=data["happened_on"],
                what_happened=data["what_happened"],
            )
        except Refused as exc:
            show_on_form(form, exc.decision)
        else:
            messages.success(
                request,
                f"Thank you. The allegation has been passed to {WHO_MANAGES[case.routed_to]}, who manages it "
                "and will refer it to the Local Authority's designated officer (LADO) if it needs to be. The "
                "person it is about is not told by saferstaff and will never see it. (KCSIE Part 4)",
            )
            return redirect("incidents_mine", school=request.school.slug)
    return render(
        request,
        "incidents/report_allegation.html",
        {"form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


# --- My reports ----------------------------------------------------------------------------------------------
def _waiting(request) -> dict:
    """What waits for this person: new reports they manage, waiting for triage; their own actions to do."""
    actor = request.actor
    triage = cases_managed_by(actor).filter(status=Case.Status.NEW).count()  # one query, as the rule answers
    return {"triage": triage, "actions": actions_of(actor).count()}


@require_safe
def incidents_mine(request, school):
    """The reporter's own reports with their status and outcome; for an allegation only that it was received,
    and closed (KCSIE Part 4: its casework is the case manager's)."""
    own = Case.objects.filter(school=request.school, reported_by=request.user).order_by("-reported_at", "-pk")
    reports = [case for case in own if may_read_case.peek(request.actor, subject=case)]
    record(
        "incidents.mine_listed",
        ("schools.school", request.school.pk),
        detail={"cases": [case.pk for case in reports]},
    )
    return render(
        request,
        "incidents/report_mine.html",
        {
            "reports": reports,
            "waiting": _waiting(request),
            "support": SUPPORT,
            # The case list, for whoever runs a case or was added to one (need to know, §8): nobody else.
            "shows_cases": bool(may_search_cases.peek(request.actor))
            or cases_listed_for(request.actor).exists(),
            "shows_trends": bool(may_see_trends.peek(request.actor)),  # counts only: also for governors
        },
    )


# --- Evidence ------------------------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def evidence_add(request, school, pk):
    case = get_case(request, pk)
    decision = may_add_evidence.peek(request.actor, subject=case)
    if not decision:
        if request.method == "POST":  # closed meanwhile: the door refuses, and the refusal is audited
            try:
                services.add_files(request.actor, case, files=[], url="")
            except Refused as exc:
                decision = exc.decision
        return render(
            request,
            "incidents/evidence_add.html",
            {"case": case, "form": None, "decision": decision},
            status=400 if request.method == "POST" else 200,
        )
    posted = request.method == "POST"  # bound even when nothing at all was sent: that is an error to show
    form = EvidenceForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        try:
            kept = services.add_files(request.actor, case, files=form.uploads(), url=form.cleaned_data["url"])
        except Refused as exc:
            show_on_form(form, exc.decision)
        else:
            said = [f"{len(kept)} item{'' if len(kept) == 1 else 's'} added"] if kept else []
            if form.cleaned_data["url"].strip():
                said.append("the page is being captured: you will be told when it is kept")
            messages.success(request, "; ".join(said).capitalize() + ". (§9)")
            return _case_detail(case)
    return render(
        request,
        "incidents/evidence_add.html",
        {"case": case, "form": form, "decision": decision},
        status=400 if form.is_bound and form.errors else 200,
    )


def _download_name(item: Evidence) -> str:
    """Named by the case and item, with the extension of the type its bytes are: never the sender's name."""
    return f"case-{item.case_id}-evidence-{item.pk}.{item.extension}"


@require_safe
def evidence_download(request, school, pk):
    """The item's bytes as received, re-hashed first. Always an attachment, never rendered by the browser: no
    type sniffing, a sandbox with nothing allowed, not cached."""
    item = get_evidence(request, pk)
    try:
        data = services.open_evidence(request.actor, item)
    except Refused:
        raise Http404("No such item") from None
    except vault.EvidenceProblem as problem:
        return render(
            request, "incidents/evidence_problem.html", {"item": item, "problem": str(problem)}, status=409
        )
    return HttpResponse(
        data,
        content_type=item.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{_download_name(item)}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "Cache-Control": "private, no-store",
        },
    )


@require_http_methods(["GET", "POST"])
def evidence_seal(request, school, pk):
    item = get_evidence(request, pk)
    decision = may_seal_evidence.peek(request.actor, subject=item)
    if not decision:
        messages.error(request, f"This item cannot be sealed by you. {decision.summary}")
        return _case_detail(item.case)
    form = SealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.seal_evidence(request.actor, item, reason=form.cleaned_data["reason"])
        except Refused as exc:
            show_on_form(form, exc.decision)
        else:
            messages.success(
                request, f"Evidence {item.pk} is sealed from view. It stays in the vault, intact."
            )
            return _case_detail(item.case)
    return render(
        request,
        "incidents/evidence_seal.html",
        {"item": item, "form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


# What each event of an item's chain of custody says.
CUSTODY = {
    "incidents.evidence_added": "Received and hashed",
    "incidents.evidence_opened": "Opened (downloaded), hash checked",
    "incidents.evidence_altered": "Refused: no longer matched its hash",
    "incidents.evidence_sealed": "Sealed from view",
    "incidents.custody_viewed": "Read this chain of custody",
}


@require_safe
def evidence_custody(request, school, pk):
    """Who received, opened, sealed each item, and when: the audit trail's events about it (staff names)."""
    item = get_evidence(request, pk)
    if not manages(request.actor, item.case):
        raise Http404("No such item")
    record("incidents.custody_viewed", item)
    events = list(
        AuditEvent.objects.filter(
            school_id=request.school.pk,
            object_type=record_type(Evidence),
            object_id=str(item.pk),
            action__in=list(CUSTODY),
        ).order_by("at", "pk")
    )
    names = {
        m.user_id: m.user.display_name
        for m in Membership.objects.filter(
            school=request.school, user_id__in={e.actor_id for e in events if e.actor_id}
        ).select_related("user")
    }
    rows = [
        {
            "at": e.at,
            "what": CUSTODY[e.action],
            "who": names.get(
                e.actor_id, "saferstaff (automatic)" if not e.actor_id else f"Person {e.actor_id}"
            ),
        }
        for e in events
    ]
    return render(request, "incidents/evidence_custody.html", {"item": item, "rows": rows})
