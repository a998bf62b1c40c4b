"""A subject-access request's checklist of everything held and its bundle (§8, UK GDPR art. 15)."""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from saferstaff.accounts.stepup import step_up
from saferstaff.audit.log import record
from saferstaff.privacy import requests as doors
from saferstaff.privacy.forms.requests import FoundDecisionForm
from saferstaff.privacy.holdings import RESTRICTED_LABEL
from saferstaff.privacy.kinds import KINDS
from saferstaff.privacy.models import Bundle, Found
from saferstaff.privacy.views.requests import _about, _done, _working, get_request
from saferstaff.rules.engine import Refused, run_form
from saferstaff.rules.privacy import may_read_request, may_work_request


# --- The checklist -------------------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def sar_checklist(request, school, pk):
    req = get_request(request, pk)
    working = bool(may_work_request.peek(request.actor, subject=req))
    bound = None
    if request.method == "POST":
        if not working:
            messages.error(request, "The request is closed")
            return redirect("sar_detail", school=request.school.slug, pk=req.pk)
        if "refresh" in request.POST:
            added = doors.refresh_checklist(request.actor, req)
            messages.success(request, f"Looked again: {added} new record{'s' if added != 1 else ''} found.")
            return redirect("sar_checklist", school=request.school.slug, pk=req.pk)
        if "disclose_rest" in request.POST:
            try:
                result = doors.disclose_undecided(request.actor, req)
            except Refused as exc:
                messages.error(request, exc.decision.summary)
            else:
                messages.success(request, _disclosed_said(result))
            return redirect("sar_checklist", school=request.school.slug, pk=req.pk)
        bound = FoundDecisionForm(request.POST, prefix=None)
        row = None
        if bound.is_valid():
            row = req.found.filter(pk=bound.cleaned_data["found"]).first()
            if row is None:
                raise Http404("No such row")
        if row is not None and run_form(
            bound,
            lambda d: doors.decide_found(
                request.actor, row, decision=d["decision"], exemption=d["exemption"], note=d["note"]
            ),
        ):
            messages.success(request, "The decision is saved.")
            return redirect(f"{request.path}#row-{row.pk}")
    elif working and not req.found.exists() and (req.about_pupil_id or req.about_member_id):
        doors.refresh_checklist(request.actor, req)  # the first open finds everything held
    record("privacy.sar.checklist_viewed", req)
    hidden = doors.routed_elsewhere(req, [request.actor])  # judged for this reader, whoever found the rows
    routed = doors.one_by_one(req, request.actor) if working else set()
    rows = []
    for f in req.found.all():
        if bound is not None and bound.data.get("found") == str(f.pk):
            form = bound
        else:
            # An exemption shows as chosen only when someone chose it: a proposal starts empty, so nobody
            # withholds or redacts under an exemption they did not choose.
            exemption = f.exemption if f.decided_by_id else ""
            form = FoundDecisionForm(
                initial={"found": f.pk, "decision": f.decision, "exemption": exemption, "note": f.note},
                auto_id=f"row{f.pk}-%s",
            )
        if form is bound:
            form.auto_id = f"row{f.pk}-%s"
        if (f.record_type, f.record_id) in hidden:
            rows.append((f, doors.ROUTED_KIND, RESTRICTED_LABEL, "", form))
        else:
            kind = KINDS[f.record_type].label if f.record_type in KINDS else f.record_type
            rows.append((f, kind, f.label, f.room, form))
    return render(
        request,
        "privacy/sar_checklist.html",
        {
            "req": req,
            "about": _about(request, req),
            "rows": rows,
            "working": working,
            "undecided": sum(1 for f, *_ in rows if f.decision == Found.Decision.UNDECIDED),
            "bulk": sum(1 for f, *_ in rows if doors.in_bulk(f, routed)) if working else 0,
            "bound": bound,
        },
        status=400 if bound is not None and bound.errors else 200,
    )


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _disclosed_said(result: doors.Disclosed) -> str:
    said = f"Disclosed {_plural(result.disclosed, 'record', 'records')} nobody had decided yet."
    left = result.others_in_it + result.routed
    if left:
        why = []
        if result.others_in_it:
            why.append(
                f"{result.others_in_it} with other people's data in {'it' if result.others_in_it == 1 else 'them'}"
            )
        if result.routed:
            why.append(
                f"{result.routed} reviewed by the person {'it is' if result.routed == 1 else 'they are'} routed to"
            )
        said += f" {_plural(left, 'record is', 'records are')} left for a decision one by one: {' and '.join(why)}."
    return said


# --- The bundle ----------------------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def sar_bundle(request, school, pk):
    req, closed = _working(request, pk)
    if closed:
        return closed
    if confirm := step_up(request, "making a subject access bundle"):
        return confirm
    found = list(req.found.all())
    if request.method == "POST":
        try:
            bundle = doors.make_bundle(request.actor, req)
        except Refused as exc:
            messages.error(request, exc.decision.summary)
            return redirect("sar_checklist", school=request.school.slug, pk=req.pk)
        return _done(
            request,
            req,
            f"The bundle is made ({bundle.items} items). Download it, check it, and send it securely.",
        )
    return render(
        request,
        "privacy/sar_bundle.html",
        {
            "req": req,
            "about": _about(request, req),
            "given": sum(1 for f in found if f.decision in (Found.Decision.DISCLOSE, Found.Decision.REDACT)),
            "withheld": sum(1 for f in found if f.decision == Found.Decision.WITHHOLD),
            "undecided": sum(1 for f in found if f.decision == Found.Decision.UNDECIDED),
        },
    )


@require_safe
def sar_bundle_download(request, school, pk):
    bundle = get_object_or_404(Bundle.objects.select_related("request"), school=request.school, pk=pk)
    if not may_read_request.peek(request.actor, subject=bundle.request):
        raise Http404("No such bundle")
    if confirm := step_up(request, "downloading a subject access bundle"):
        return confirm
    record(
        "privacy.sar.bundle_downloaded", bundle, school=request.school, detail={"request": bundle.request_id}
    )
    response = FileResponse(
        bundle.file.open("rb"),
        content_type="application/zip",
        as_attachment=True,
        filename=f"subject-access-{bundle.request_id}-{bundle.pk}.zip",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
