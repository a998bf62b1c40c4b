"""KCSIE Part 4 pages: raising a low-level concern about a colleague; the reader's log and pattern view; one
concern with its outcome and escalation; one person's concerns over time; and, for the Headteacher and
governors, the conduct summary (counts only) and the registers' exports.

A concern is read only by whoever it is routed to (``conduct.access.get_concern``: 404 to everyone else, every
view audited); its subject never sees it, by any page, list, count or export."""

import csv
import datetime

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from saferstaff.accounts.stepup import step_up
from saferstaff.audit.log import record
from saferstaff.conduct import services
from saferstaff.conduct.access import get_concern
from saferstaff.conduct.forms import ConcernForm, ConcernOutcomeForm, EscalateForm
from saferstaff.conduct.registers import (
    PATTERN_COUNT,
    PATTERN_DAYS,
    concerns_readable_by,
    contact_register,
    equipment_register,
    patterns,
)
from saferstaff.conduct.summary import conduct_summary as summary_counts
from saferstaff.exports import csv_safe
from saferstaff.paging import page_of
from saferstaff.rules.conduct import CHAIR, HEADTEACHER, may_escalate_concern, may_record_concern_outcome
from saferstaff.rules.engine import Refused, show_on_form
from saferstaff.schools.models import Membership
from saferstaff.schools.roles import H

WHO_READS = {CHAIR: "the chair of governors", HEADTEACHER: "the Headteacher"}


def _listed(request, concerns, what: str) -> None:
    """A page that shows concerns (their subjects, dates, outcomes) is a view of each: one audit row, ids only."""
    record(
        f"conduct.{what}",
        ("schools.school", request.school.pk),
        detail={"concerns": [c.pk for c in concerns]},
    )


# --- Raising a concern ---------------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def concern_new(request, school):
    form = ConcernForm(request.POST or None, school=request.school)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            concern = services.raise_concern(
                request.actor,
                subject=data["subject"],
                happened_on=data["happened_on"],
                what=data["what"],
                anonymous_to_subject=data["anonymous_to_subject"],
            )
        except Refused as exc:
            show_on_form(form, exc.decision)
        else:
            # No link to the concern: most people who raise one may not read it (and get 404 there).
            who = WHO_READS[concern.routed_to]
            messages.success(
                request,
                f"Thank you. Your concern has been recorded and passed to {who}, who will decide what happens "
                "next. The person it is about is not told by saferstaff.",
            )
            return redirect("concern_new", school=request.school.slug)
    return render(request, "conduct/concern_new.html", {"form": form})


# --- The reader's log and pattern view -----------------------------------------------------------------------
@require_safe
def concern_list(request, school):
    readable = concerns_readable_by(request.actor).select_related("subject__user", "raised_by")
    waiting = list(readable.filter(outcome="").order_by("created_at", "pk"))
    decided = page_of(request, readable.exclude(outcome="").order_by("-decided_at", "-pk"), 25)
    people = patterns(request.actor)
    prominent = {p.subject_id for p in people if p.prominent}
    _listed(request, [*waiting, *decided.object_list], "concerns_listed")
    return render(
        request,
        "conduct/concern_list.html",
        {
            "waiting": waiting,
            "page": decided,
            "people": people,
            "with_pattern": [p for p in people if p.prominent],
            "prominent": prominent,
            "pattern_count": PATTERN_COUNT,
        },
    )


# --- One concern ---------------------------------------------------------------------------------------------
def _detail(request, concern, *, outcome_form=None, escalate_form=None, status=200):
    actor = request.actor
    may_decide = bool(may_record_concern_outcome.peek(actor, subject=concern))
    may_escalate = bool(may_escalate_concern.peek(actor, subject=concern))
    if may_decide and outcome_form is None:
        outcome_form = ConcernOutcomeForm()
    if may_escalate and escalate_form is None:
        escalate_form = EscalateForm(prefix="escalate")
    return render(
        request,
        "conduct/concern_detail.html",
        {
            "concern": concern,
            "outcome_form": outcome_form if may_decide else None,
            "escalate_form": escalate_form if may_escalate else None,
            "read_by": _read_by(concern),
        },
        status=status,
    )


def _read_by(concern) -> str:
    """Who reads it: the chair of governors too once the person it is about has become a Headteacher
    (``rules.conduct.chair_reads_too``)."""
    if concern.routed_to == HEADTEACHER and H in concern.subject.roles:
        return "the chair of governors (it was raised before they became a Headteacher)"
    return WHO_READS[concern.routed_to]


def _not_on_form(request, concern, exc: Refused):
    """A refusal no field can fix (an outcome was recorded meanwhile): said above the concern, whose page no
    longer offers the form."""
    if any(reason.field for reason in exc.decision.reasons):
        return None
    messages.error(request, exc.decision.summary)
    return redirect("concern_detail", school=request.school.slug, pk=concern.pk)


@require_safe
def concern_detail(request, school, pk):
    return _detail(request, get_concern(request, pk))


@require_http_methods(["GET", "POST"])
def concern_outcome(request, school, pk):
    concern = get_concern(request, pk)
    if request.method == "GET":
        return _detail(request, concern)
    form = ConcernOutcomeForm(request.POST)
    if form.is_valid():
        try:
            services.record_concern_outcome(request.actor, concern, **form.cleaned_data)
        except Refused as exc:
            if refused := _not_on_form(request, concern, exc):
                return refused
            show_on_form(form, exc.decision)
        else:
            messages.success(request, "The outcome is recorded.")
            return redirect("concern_detail", school=request.school.slug, pk=concern.pk)
    return _detail(request, concern, outcome_form=form, status=400)


@require_http_methods(["GET", "POST"])
def concern_escalate(request, school, pk):
    concern = get_concern(request, pk)
    if request.method == "GET":
        return _detail(request, concern)
    form = EscalateForm(request.POST, prefix="escalate")
    if form.is_valid():
        try:
            services.escalate_concern(request.actor, concern, rationale=form.cleaned_data["rationale"])
        except Refused as exc:
            if refused := _not_on_form(request, concern, exc):
                return refused
            show_on_form(form, exc.decision)
        else:
            messages.success(
                request,
                "Escalated to the allegations process. Tell the Local Authority designated officer (LADO) within "
                "one working day. The designated safeguarding lead has been told and can read this record.",
            )
            return redirect("concern_detail", school=request.school.slug, pk=concern.pk)
    return _detail(request, concern, escalate_form=form, status=400)


# --- One person over time ------------------------------------------------------------------------------------
@require_safe
def concern_person(request, school, pk):
    person = get_object_or_404(Membership.objects.select_related("user"), school=request.school, pk=pk)
    if request.membership is not None and person.pk == request.membership.pk:
        raise Http404("No such person")  # KCSIE: the subject never sees concerns about themselves
    concerns = list(
        concerns_readable_by(request.actor)
        .filter(subject=person)
        .select_related("raised_by")
        .order_by("-happened_on", "-pk")
    )
    since = timezone.localdate() - datetime.timedelta(days=PATTERN_DAYS)
    recent = sum(1 for c in concerns if c.happened_on > since)
    _listed(request, concerns, "concern_person_viewed")
    return render(
        request,
        "conduct/concern_person.html",
        {
            "person": person,
            "concerns": concerns,
            "recent": recent,
            "prominent": recent >= PATTERN_COUNT,
            "pattern_count": PATTERN_COUNT,
        },
    )


# --- Counts for the Headteacher and governors ----------------------------------------------------------------
@require_safe
def conduct_summary(request, school):
    return render(request, "conduct/summary.html", summary_counts(request.actor))


@require_safe
def conduct_summary_pdf(request, school):
    """The same counts as a PDF for the governors' meeting pack: no names, so no step-up."""
    from weasyprint import HTML  # heavy, and only for the PDFs: as in policies' dashboard_pdf

    html = render_to_string(
        "conduct/summary_pdf.html",
        summary_counts(request.actor) | {"school": request.school, "now": timezone.now()},
    )
    response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="conduct-summary-{request.school.slug}.pdf"'
    record("conduct.summary_exported", ("schools.school", request.school.pk), detail={"format": "pdf"})
    return response


# --- The registers and the concern log, for the Headteacher ---------------------------------------------------
def _dates(p) -> tuple[str, str]:
    return p.starts_on.isoformat(), p.ends_on.isoformat()


def _contact_rows(request):
    headers = ["Who", "Channel", "Purpose", "With which pupils", "From", "Until", "Approved by"]
    rows, ids = [], []
    for p in contact_register(request.school):
        pupils = len(p.pupils.all())
        with_whom = [*p.year_groups, *([p.group_name] if p.group_name else [])]
        with_whom += [f"{pupils} named pupil{'s' if pupils != 1 else ''}"] if pupils else []
        decider = p.decided_by.display_name if p.decided_by else ""
        rows.append(
            [
                p.requested_by.display_name,
                p.channel.name,
                p.purpose,
                "; ".join(with_whom),
                *_dates(p),
                decider,
            ]
        )
        ids.append(p.pk)
    return "Contact with pupils: permissions in force (§3, §4)", headers, rows, ids


def _equipment_rows(request):
    headers = ["Who", "Device", "Make and model", "Purpose", "Conditions", "From", "Until", "Approved by"]
    rows, ids = [], []
    for p in equipment_register(request.school):
        decider = p.decided_by.display_name if p.decided_by else ""
        rows.append(
            [
                p.requested_by.display_name,
                p.get_device_kind_display(),
                p.make_model,
                p.purpose,
                "; ".join(p.condition_labels()),
                *_dates(p),
                decider,
            ]
        )
        ids.append(p.pk)
    return "Personal equipment: permissions in force (§6)", headers, rows, ids


def _concern_rows(request):
    headers = [
        "Raised on", "Happened on", "About", "Raised by", "The person may be told who raised it", "What happened",
        "Why it is a low-level concern", "Action taken", "Outcome",
    ]  # fmt: skip
    rows, ids = [], []
    concerns = concerns_readable_by(request.actor).select_related("subject__user", "raised_by")
    for c in concerns.order_by("created_at", "pk"):
        rows.append(
            [
                timezone.localtime(c.created_at).date().isoformat(),
                c.happened_on.isoformat(),
                c.subject.listed_name,
                c.raised_by.display_name,
                "No" if c.anonymous_to_subject else "Yes",
                c.what,
                c.rationale,
                c.action,
                c.get_outcome_display() or "Waiting for an outcome",
            ]
        )
        ids.append(c.pk)
    return "Low-level concerns (KCSIE Part 4)", headers, rows, ids


EXPORTS = {
    "contact-register": _contact_rows,
    "equipment-register": _equipment_rows,
    "concerns": _concern_rows,
}


def _export(request, what: str, fmt: str):
    if what not in EXPORTS:
        raise Http404("No such export")
    if confirm := step_up(request, "downloading the conduct registers"):  # exports: step-up first
        return confirm
    title, headers, rows, ids = EXPORTS[what](request)
    filename = f"{what}-{request.school.slug}.{fmt}"
    if fmt == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        writer = csv.writer(response)
        writer.writerow(headers)
        writer.writerows([csv_safe(cell) for cell in row] for row in rows)
    else:
        from weasyprint import HTML  # heavy, and only for the PDFs: as in policies' dashboard_pdf

        html = render_to_string(
            "conduct/export_pdf.html",
            {
                "title": title,
                "headers": headers,
                "rows": rows,
                "school": request.school,
                "now": timezone.now(),
            },
        )
        response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    kind = "concerns" if what == "concerns" else "permissions"  # the key the audit trail looks up concerns by
    record(
        "conduct.exported",
        ("schools.school", request.school.pk),
        detail={"what": what, "format": fmt, "count": len(ids), kind: ids},
    )
    return response


@require_safe
def conduct_export_csv(request, school, what):
    return _export(request, what, "csv")


@require_safe
def conduct_export_pdf(request, school, what):
    return _export(request, what, "pdf")
