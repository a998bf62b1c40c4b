"""§8 pages: the retention schedule and a school's own periods, what is due for destruction (the DPO confirms in
bulk), the certificates of what was destroyed, and legal holds. The officers only (ACCESS_MAP and
``rules.privacy``); every write goes through a door in ``privacy.schedule`` or ``privacy.destruction``."""

import csv
import datetime

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from saferstaff.accounts.stepup import step_up
from saferstaff.audit.log import record
from saferstaff.exports import csv_safe
from saferstaff.numbers import parse_id
from saferstaff.paging import page_of
from saferstaff.privacy import destruction, schedule
from saferstaff.privacy.forms.retention import HoldForm, RetentionRuleForm
from saferstaff.privacy.kinds import KINDS
from saferstaff.privacy.models import DestructionCertificate, DueRecord, LegalHold
from saferstaff.privacy.sweep import in_force
from saferstaff.rules.engine import Refused, show_on_form
from saferstaff.rules.privacy import is_officer
from saferstaff.schools.access import fields_for, pupil_views, search_pupils
from saferstaff.schools.models import Pupil
from saferstaff.schools.roles import DPO, Actor

PICKER_SIZE = 10
LABELS = {key: kind.label for key, kind in KINDS.items()}


def _officer_only(request):
    """The pages are the officers' (ACCESS_MAP); the rule is asked too, so that the two never drift."""
    if not is_officer(Actor.of(request.user, request.school)):
        raise Http404


@require_safe
def retention_schedule(request, school):
    _officer_only(request)
    entries = schedule.schedule(request.school.pk)
    waiting = dict(
        DueRecord.objects.filter(school=request.school)
        .exclude(destruction.about_the_reader(request.actor))
        .order_by()
        .values_list("record_type")
        .annotate(n=Count("pk"))
    )
    rows = [(e, waiting.get(e.key, 0)) for e in entries.values()]
    return render(request, "privacy/retention_schedule.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
def retention_rule(request, school, record_type):
    _officer_only(request)
    entry = schedule.schedule(request.school.pk).get(record_type)
    if entry is None or not entry.swept:
        raise Http404
    initial = {"months": entry.months, "why": entry.rule.why if entry.rule else ""}
    form = RetentionRuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            schedule.change_retention(
                request.school,
                key=record_type,
                months=form.cleaned_data["months"],
                why=form.cleaned_data["why"],
                by=request.user,
            )
        except Refused as exc:
            show_on_form(form, exc.decision)
        else:
            messages.success(request, f"{entry.kind.label}: the period is changed. Tonight's check uses it.")
            return redirect("retention_schedule", school=request.school.slug)
    return render(request, "privacy/retention_rule.html", {"entry": entry, "form": form})


@require_http_methods(["GET", "POST"])
def retention_due(request, school):
    _officer_only(request)
    if request.method == "POST":
        if confirm := step_up(request, "destroying records"):
            return confirm
        kind = request.POST.get("kind", "")
        ids = [i for i in map(parse_id, request.POST.getlist("row")) if i is not None]
        try:
            if "all" in request.POST:
                if kind not in KINDS:
                    raise Http404
                n = destruction.confirm_destruction(request.school, by=request.user, record_type=kind)
            else:
                n = destruction.confirm_destruction(request.school, by=request.user, ids=ids)
        except Refused as exc:
            messages.error(request, exc.decision.summary)
        else:
            if not n:  # a forged or stale row, or one a hold has just taken off the list
                messages.error(request, "None of the records chosen is due any more: nothing was confirmed.")
            else:
                messages.success(
                    request,
                    f"Confirmed {n} record{'s' if n != 1 else ''} for destruction: each is destroyed in turn, "
                    "and a certificate is kept of each.",
                )
        back = f"?kind={kind}" if kind in KINDS else ""
        return redirect(request.path + back)
    rows = DueRecord.objects.filter(school=request.school).exclude(
        destruction.about_the_reader(request.actor)
    )
    counts = {
        key: (due, confirmed)
        for key, due, confirmed in rows.order_by()
        .values("record_type")
        .annotate(
            due=Count("pk", filter=Q(status="due")), confirmed=Count("pk", filter=Q(status="confirmed"))
        )
        .values_list("record_type", "due", "confirmed")
    }
    entries = schedule.schedule(request.school.pk)
    groups = [(entries[key], *counts[key]) for key in KINDS if key in counts]
    kind = request.GET.get("kind", "")
    page = None
    if kind in KINDS:
        page = page_of(request, rows.filter(record_type=kind, status=DueRecord.Status.DUE), 100)
    return render(
        request,
        "privacy/retention_due.html",
        {"groups": groups, "kind": KINDS.get(kind), "entry": entries.get(kind), "page": page},
    )


def _date(text) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text or "")
    except ValueError:
        return None


@require_safe
def retention_certificates(request, school):
    _officer_only(request)
    certs = (
        DestructionCertificate.objects.filter(school=request.school)
        .exclude(destruction.about_the_reader(request.actor))
        .select_related("confirmed_by")
    )
    if not request.actor.holds(DPO):
        # Once a case is gone nobody can tell whom it was about: an allegation's certificate stays the DPO's.
        certs = certs.exclude(record_type="allegations")
    kind = request.GET.get("kind", "")
    start, end = _date(request.GET.get("from")), _date(request.GET.get("to"))
    if kind in KINDS:
        certs = certs.filter(record_type=kind)
    if start:
        certs = certs.filter(destroyed_at__date__gte=start)
    if end:
        certs = certs.filter(destroyed_at__date__lte=end)
    if request.GET.get("format") == "csv":
        record("privacy.certificates.exported", None, detail={"kind": kind if kind in KINDS else ""})
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="destruction-certificates.csv"'
        response["X-Content-Type-Options"] = "nosniff"
        out = csv.writer(response)
        out.writerow(["kind", "record", "what", "sha256", "rule", "due on", "confirmed by", "destroyed at"])
        for c in certs.iterator():
            out.writerow(
                [
                    csv_safe(c.record_type), csv_safe(c.record_id), csv_safe(c.description), c.sha256,
                    csv_safe(c.rule), c.due_on.isoformat(),
                    csv_safe(c.confirmed_by.get_full_name() if c.confirmed_by else ""),
                    timezone.localtime(c.destroyed_at).isoformat(timespec="minutes"),
                ]
            )  # fmt: skip
        return response
    page = page_of(request, certs, 100)
    return render(
        request,
        "privacy/retention_certificates.html",
        {
            "page": page,
            "kinds": KINDS.values(),
            "kind": kind,
            "start": start,
            "end": end,
            "query": request.GET.urlencode(),
        },
    )


@require_safe
def hold_list(request, school):
    _officer_only(request)
    holds = destruction.holds_for(request.actor).select_related("pupil", "member__user", "placed_by")
    today = timezone.localdate()
    current = holds.filter(in_force(today))
    ended = holds.exclude(pk__in=current.values("pk"))[:50]
    names = {v.pk: v.name for v in pupil_views(request, [h.pupil for h in holds if h.pupil_id])}
    return render(
        request,
        "privacy/hold_list.html",
        {"current": current, "ended": ended, "names": names, "kinds": LABELS},
    )


@require_http_methods(["GET", "POST"])
def hold_add(request, school):
    _officer_only(request)
    post = request.POST if request.method == "POST" else None
    # A link from a record's page (an image) names what to hold: the form starts with it.
    source = post or request.GET
    q = (source.get("q") or "").strip()[:100]
    finding = post is not None and "find" in post
    found = []
    if q:
        everyone = Pupil.objects.filter(school=request.school)  # leavers too: a hold is often about one
        found = list(search_pupils(everyone, q, fields_for(request))[:PICKER_SIZE])
        record("pupil.listed", ("schools.school", request.school.pk), detail={"found": len(found)})
    chosen = parse_id(source.get("pupil", ""))
    if chosen and all(p.pk != chosen for p in found):
        found += list(Pupil.objects.filter(school=request.school, pk=chosen))
    pupils = pupil_views(request, found)
    if post is None or finding:  # the form as typed, with the pupils found; nothing saved
        typed = {name: source.get(name, "") for name in HoldForm.base_fields}
        if typed["scope"] == LegalHold.Scope.RECORD and not typed["record_kind"]:
            typed["record_kind"] = typed["record_type"]  # the link names one record's kind as record_type
        if q and not typed["scope"]:
            typed["scope"] = LegalHold.Scope.PUPIL  # a name was searched for: the hold is on a pupil
        form = HoldForm(initial=typed, school=request.school, pupils=pupils)
    else:
        form = HoldForm(post, school=request.school, pupils=pupils)
    if post is not None and not finding and form.is_valid():
        data = form.cleaned_data
        try:
            destruction.place_hold(
                request.school,
                by=request.user,
                scope=data["scope"],
                reason=data["reason"],
                ends_on=data["ends_on"],
                pupil=data["pupil"],
                member=data["member"],
                case=data["case"],
                record_type=data["record_type"],
                record_id=data["record_id"],
            )
        except Refused as exc:
            form.show_refusal(exc.decision)
        else:
            messages.success(request, "The hold is in place: nothing it covers is listed or destroyed.")
            return redirect("hold_list", school=request.school.slug)
    return render(request, "privacy/hold_add.html", {"form": form, "q": q, "found": found})


@require_http_methods(["GET", "POST"])
def hold_release(request, school, pk):
    _officer_only(request)
    hold = get_object_or_404(destruction.holds_for(request.actor), pk=pk)
    if request.method == "POST":
        try:
            destruction.release_hold(hold, by=request.user)
        except Refused as exc:
            messages.error(request, exc.decision.summary)
        else:
            messages.success(request, "The hold is released: tonight's check lists what is past its period.")
        return redirect("hold_list", school=request.school.slug)
    return render(request, "privacy/hold_release.html", {"hold": hold, "kinds": LABELS})
