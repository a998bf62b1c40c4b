"""§8, UK GDPR art. 15: the subject access pages — the list, logging a request, its due date and why, identity,
pauses, the extension, the checklist of everything held, the bundle, closing. Every write goes through a door of
``privacy.requests``; a request is fetched only through ``get_request`` (404 to anyone the rule does not name)."""

import datetime

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from saferstaff.audit.log import record
from saferstaff.numbers import parse_id
from saferstaff.paging import page_of
from saferstaff.privacy import requests as doors
from saferstaff.privacy.forms.requests import (
    ExtendForm,
    IdentityForm,
    PauseForm,
    RequestCloseForm,
    RequestForm,
)
from saferstaff.privacy.models import AccessRequest, Found
from saferstaff.rules.engine import Refused, run_form
from saferstaff.rules.privacy import may_extend_request, may_read_request, may_work_request
from saferstaff.schools.access import fields_for, pupil_view, pupil_views, search_pupils
from saferstaff.schools.models import Pupil

PICKER_SIZE = 60
OPEN = (AccessRequest.Status.OPEN, AccessRequest.Status.PAUSED)


def get_request(request, pk) -> AccessRequest:
    req = get_object_or_404(
        AccessRequest.objects.select_related("about_pupil", "about_member__user", "handled_by__user"),
        school=request.school,
        pk=pk,
    )
    if not may_read_request.peek(request.actor, subject=req):
        raise Http404("No such request")
    return req


def _about(request, req: AccessRequest) -> str:
    if req.about_pupil_id:
        return pupil_view(req.about_pupil, fields_for(request)).name
    if req.about_member_id:
        return req.about_member.listed_name
    return f"{req.about_other} (not in saferstaff)"


# --- The list and logging a request ---------------------------------------------------------------------------
@require_safe
def sar_list(request, school):
    every = AccessRequest.objects.filter(school=request.school).select_related(
        "about_pupil", "about_member__user"
    )
    mine = [r for r in every if may_read_request.peek(request.actor, subject=r)]
    waiting = sorted((r for r in mine if r.status in OPEN), key=lambda r: (r.due_at, r.pk))
    ended = sorted(
        (r for r in mine if r.status not in OPEN), key=lambda r: r.closed_at or r.due_at, reverse=True
    )
    closed = page_of(request, ended, 25)
    now = timezone.now()
    rows = [
        (r, _about(request, r), r.status == AccessRequest.Status.OPEN and r.due_at < now) for r in waiting
    ]
    done = [(r, _about(request, r)) for r in closed.object_list]
    record(
        "privacy.sar.listed",
        ("schools.school", request.school.pk),
        detail={"requests": [r.pk for r in waiting] + [r.pk for r in closed.object_list]},
    )
    return render(request, "privacy/sar_list.html", {"rows": rows, "done": done, "page": closed})


def _pupil_choices(request, q: str, chosen) -> list:
    """The picker's pupils: leavers too (a former pupil may ask), matching ``q``, and the one chosen."""
    pupils = Pupil.objects.filter(school=request.school)
    found = []
    if q:
        found = list(search_pupils(pupils, q, fields_for(request))[:PICKER_SIZE])
        record("pupil.listed", ("schools.school", request.school.pk), detail={"found": len(found)})
    if (pk := parse_id(str(chosen or ""))) and all(p.pk != pk for p in found):
        found += list(pupils.filter(pk=pk))
    return pupil_views(request, found)


@require_http_methods(["GET", "POST"])
def sar_add(request, school):
    post = request.POST if request.method == "POST" else None
    source = post or request.GET  # ?about_pupil= from a pupil's page chooses them
    q = (source.get("about_pupil_q") or "").strip()[:100]
    finding = post is not None and "find" in post and bool(q)
    pupils = _pupil_choices(request, q, source.get("about_pupil"))
    if finding or post is None:  # the Find button: the form as typed, with the pupils found; nothing saved
        typed = {name: source.get(name, "") for name in RequestForm.base_fields}
        form = RequestForm(initial=typed, school=request.school, pupils=pupils)
    else:
        form = RequestForm(post, school=request.school, pupils=pupils)
    created = []
    if (
        post is not None
        and not finding
        and run_form(
            form,
            lambda d: created.append(
                doors.log_request(
                    request.actor,
                    requester_kind=d["requester_kind"],
                    requester_name=d["requester_name"],
                    requester_contact=d["requester_contact"],
                    about_pupil=d["about_pupil"],
                    about_member=d["about_member"],
                    about_other=d["about_other"],
                    received_at=timezone.make_aware(
                        datetime.datetime.combine(d["received_at"], datetime.time.min)
                    ),
                    what_asked=d["what_asked"],
                )
            ),
        )
    ):
        messages.success(request, "The request is logged. Check who is asking, then open the checklist.")
        return redirect("sar_detail", school=request.school.slug, pk=created[0].pk)
    return render(request, "privacy/sar_add.html", {"form": form}, status=400 if form.errors else 200)


# --- One request ---------------------------------------------------------------------------------------------
@require_safe
def sar_detail(request, school, pk):
    req = get_request(request, pk)
    record("privacy.sar.viewed", req)
    found = list(req.found.all())
    counts = {d: sum(1 for f in found if f.decision == d) for d in Found.Decision.values}
    open_pause = next((p for p in req.pauses.all() if p.ended_on is None), None)
    return render(
        request,
        "privacy/sar_detail.html",
        {
            "req": req,
            "about": _about(request, req),
            "why": doors.why_due(req),
            "pauses": list(req.pauses.all()),
            "open_pause": open_pause,
            "found": len(found),
            "counts": [(Found.Decision(d).label, n) for d, n in counts.items() if n],
            "others": sum(1 for f in found if f.others_in_it),
            "bundles": list(req.bundles.all()),
            "working": bool(may_work_request.peek(request.actor, subject=req)),
            "may_extend": bool(may_extend_request.peek(request.actor, subject=req)),
            "overdue": req.status == AccessRequest.Status.OPEN and req.due_at < timezone.now(),
        },
    )


def _step(request, req, form, *, title: str, button: str, intro: str = "", refused=None):
    """A step's page: its form, or (``refused``) why the step cannot be taken now, and no form."""
    return render(
        request,
        "privacy/sar_step.html",
        {
            "req": req,
            "about": _about(request, req),
            "form": form,
            "title": title,
            "button": button,
            "intro": intro,
            "refused": refused,
        },
        status=400
        if (form is not None and form.errors) or (refused is not None and request.method == "POST")
        else 200,
    )


def _working(request, pk):
    """The request, and whether it is open to work on: a closed one says so on its own page."""
    req = get_request(request, pk)
    decision = may_work_request.peek(request.actor, subject=req)
    if not decision:
        messages.error(request, decision.summary)
        return req, redirect("sar_detail", school=request.school.slug, pk=req.pk)
    return req, None


def _done(request, req, text: str):
    messages.success(request, text)
    return redirect("sar_detail", school=request.school.slug, pk=req.pk)


def _form_step(form_class, door, *, done: str, title: str, button: str, intro: str = "", gate=None):
    """A page of one step on an open request: its form, then its door (which asks the rule and recomputes the
    due date), then back to the request with ``done`` said. ``gate``: the step's rule, asked without the form's
    data; when it refuses, the page says why (its clause) and shows no form that could only fail."""

    @require_http_methods(["GET", "POST"])
    def view(request, school, pk):
        req, closed = _working(request, pk)
        if closed:
            return closed
        if gate is not None and not (decision := gate.peek(request.actor, subject=req)):
            return _step(request, req, None, title=title, button=button, refused=decision)
        form = form_class(request.POST if request.method == "POST" else None)
        if request.method == "POST" and run_form(form, lambda data: door(request.actor, req, **data)):
            return _done(request, req, done)
        return _step(request, req, form, title=title, button=button, intro=intro)

    return view


sar_identity = _form_step(
    IdentityForm, doors.check_identity, done="Their identity is recorded as checked.",
    title="Check who is asking", button="Record the check",
    intro="Ask only for what you need to be sure; a parent known to the office needs nothing more. An identity "
    "pause ends when you record the check.",
)  # fmt: skip
sar_pause = _form_step(
    PauseForm, doors.pause_request, done="The clock is paused.", title="Pause the clock", button="Pause the clock",
    intro="The month stops while you wait for proof of identity or for them to say what they want. Ask promptly: "
    "the days before you asked still count.",
)  # fmt: skip
sar_extend = _form_step(
    ExtendForm, doors.extend_request, done="The request is extended. Tell the requester why, now.",
    title="Extend the time to answer", button="Extend",
    intro="Up to two further months when the request is complex or they made several. You must tell them, with "
    "the reason, within the first month.", gate=may_extend_request,
)  # fmt: skip
sar_close = _form_step(
    RequestCloseForm, doors.close_request, done="The request is closed.", title="Close the request",
    button="Close the request",
)  # fmt: skip


@require_http_methods(["GET", "POST"])
def sar_resume(request, school, pk):
    req, closed = _working(request, pk)
    if closed:
        return closed
    if request.method == "POST":
        try:
            doors.resume_request(request.actor, req)
        except Refused as exc:
            messages.error(request, exc.decision.summary)
            return redirect("sar_detail", school=request.school.slug, pk=req.pk)
        return _done(
            request, req, "The clock runs again; the due date has moved on by the days it was paused."
        )
    return _step(
        request, req, None, title="Start the clock again", button="Start the clock again",
        intro="Do this when what you were waiting for arrives. The due date moves on by the days the clock was paused.",
    )  # fmt: skip
