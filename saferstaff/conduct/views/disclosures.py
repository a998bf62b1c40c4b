"""§3/§4 pages: telling the Headteacher about contact with a pupil, the outcome, the lists of what waits for
someone, a member's own My conduct page, and the school's list of channels. Every write goes through a door
in ``conduct.services``; a disclosure is fetched only through ``conduct.access.get_disclosure``."""

from django.contrib import messages
from django.db.models import Case, F, IntegerField, Value, When
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from saferstaff.audit.log import record
from saferstaff.conduct import services
from saferstaff.conduct.access import get_disclosure
from saferstaff.conduct.forms import PICKER_SIZE, ChannelForm, DisclosureForm, OutcomeForm
from saferstaff.conduct.models import (
    ContactChannel,
    ContactPermission,
    Decided,
    Disclosure,
    EquipmentPermission,
)
from saferstaff.conduct.registers import concerns_readable_by, disclosures_readable_by, requests_decided_by
from saferstaff.numbers import parse_id
from saferstaff.paging import page_of
from saferstaff.rules.conduct import CHAIR, may_edit_disclosure, may_record_outcome, route_for
from saferstaff.rules.engine import Refused, show_on_form
from saferstaff.schools.access import fields_for, pupil_choices, pupil_view, sees_pupils
from saferstaff.schools.models import SchoolSettings

# The guidance's own words, shown on the page where staff disclose contact.
GUIDANCE = [
    ("§3", "Staff must not establish or seek to establish social contact with students … Staff should alert "
     "the Headteacher of any such contact immediately."),
    ("§4", "Staff must not add students as friends or respond to friend requests from students."),
]  # fmt: skip


def _disclosure_form(request, *, initial=None):
    """The disclosure form for this request: bound to what was sent, except when the person pressed Find with
    a name to find (then it is shown again as typed, with the pupils found, and nothing is checked or saved).
    Find with nothing to find is the disclosure being sent: Enter in a text box, or a phone keyboard's Go,
    submits the form with its first button, which is Find."""
    post = request.POST if request.method == "POST" else None
    source = post if post is not None else initial or {}
    q = (source.get("pupil_q") or "").strip()[:100]
    finding = post is not None and "find" in post and bool(q)
    pupil = source.get("pupil")
    pupil = getattr(pupil, "pk", pupil)
    kwargs = {
        "school": request.school,
        "pupils": pupil_choices(request, q, pupil, limit=PICKER_SIZE),
        "sees_pupils": sees_pupils(request),
    }
    if finding:
        typed = {name: post.get(name, "") for name in DisclosureForm.base_fields}
        typed["did"] = post.getlist("did")
        return DisclosureForm(initial=typed, **kwargs), True
    if post is not None:
        return DisclosureForm(post, **kwargs), False
    return DisclosureForm(initial=initial, **kwargs), False


def _reader(request) -> str:
    """Who a disclosure by this person goes to: the chair of governors for the Headteacher's own."""
    return (
        "the chair of governors"
        if route_for(request.school.pk, request.user.pk) == CHAIR
        else "the Headteacher"
    )


def _told(disclosure: Disclosure) -> str:
    who = "The chair of governors has" if disclosure.routed_to == CHAIR else "The Headteacher has"
    dsl = disclosure.routed_to != CHAIR and SchoolSettings.for_school(disclosure.school).disclosures_to_dsl
    return f"{who} been told{' (and the designated safeguarding lead)' if dsl else ''}. Thank you for telling them."


@require_http_methods(["GET", "POST"])
def disclosure_new(request, school):
    form, finding = _disclosure_form(request)
    if request.method == "POST" and not finding and form.is_valid():
        try:
            submission = form.cleaned_data.get("submission")
            disclosure = services.disclose(request.actor, submission=submission, **form.door_kwargs())
        except Refused as exc:
            show_on_form(form, exc.decision)
        else:
            messages.success(request, _told(disclosure))
            return redirect("disclosure_detail", school=request.school.slug, pk=disclosure.pk)
    return render(
        request,
        "conduct/disclosure_form.html",
        {"form": form, "guidance": GUIDANCE, "editing": None, "told": _reader(request)},
        status=400 if form.is_bound and form.errors else 200,
    )


def _pupil_name(request, disclosure: Disclosure) -> str | None:
    """The pupil's name for someone who may see pupils (§8: not for governors), else None."""
    if disclosure.pupil is None or not sees_pupils(request):
        return None
    return pupil_view(disclosure.pupil, fields_for(request), with_guardians=False).name


@require_safe
def disclosure_detail(request, school, pk):
    disclosure = get_disclosure(request, pk)
    may_outcome = may_record_outcome.peek(request.actor, subject=disclosure)
    return render(
        request,
        "conduct/disclosure_detail.html",
        {
            "disclosure": disclosure,
            "pupil_name": _pupil_name(request, disclosure),
            "may_edit": may_edit_disclosure.peek(request.actor, subject=disclosure),
            "outcome_form": OutcomeForm() if may_outcome else None,
            "mine": disclosure.discloser_id == request.user.pk,
        },
    )


def _refusal(request, disclosure, decision, *, title: str):
    """The page that says why not (the rule's reasons with their clauses): 403, and nothing changed."""
    return render(
        request,
        "conduct/refused.html",
        {"disclosure": disclosure, "decision": decision, "title": title},
        status=403,
    )


@require_http_methods(["GET", "POST"])
def disclosure_edit(request, school, pk):
    disclosure = get_disclosure(request, pk)
    decision = may_edit_disclosure.peek(request.actor, subject=disclosure)
    if not decision:
        return _refusal(request, disclosure, decision, title="This disclosure cannot be changed")
    initial = {
        "who": disclosure.who,
        "pupil": disclosure.pupil_id,
        "who_text": disclosure.who_text,
        "channel": disclosure.channel_id,
        "happened_on": disclosure.happened_on.isoformat(),
        "what_happened": disclosure.what_happened,
        "did": disclosure.did,
        "did_note": disclosure.did_note,
    }
    form, finding = _disclosure_form(request, initial=initial)
    if request.method == "POST" and not finding and form.is_valid():
        try:
            services.edit_disclosure(request.actor, disclosure, **form.door_kwargs())
        except Refused as exc:
            show_on_form(form, exc.decision)
        else:
            messages.success(request, "Your disclosure is updated.")
            return redirect("disclosure_detail", school=request.school.slug, pk=disclosure.pk)
    return render(
        request,
        "conduct/disclosure_form.html",
        {"form": form, "guidance": GUIDANCE, "editing": disclosure, "told": _reader(request)},
        status=400 if form.is_bound and form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def disclosure_outcome(request, school, pk):
    """The Headteacher (the chair of governors for the Headteacher's own) records the outcome. Anyone else
    who reads the disclosure gets the rule's refusal as a 403 page: the form is not theirs to fill in, so
    there is no field to show it beside."""
    disclosure = get_disclosure(request, pk)
    decision = may_record_outcome.peek(request.actor, subject=disclosure)
    if not decision:
        return _refusal(request, disclosure, decision, title="You cannot record the outcome")
    form = OutcomeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_outcome(
                request.actor,
                disclosure,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        except Refused as exc:
            show_on_form(form, exc.decision)
        else:
            messages.success(request, "Outcome recorded. The person who disclosed it has been told.")
            return redirect("disclosure_detail", school=request.school.slug, pk=disclosure.pk)
    return render(
        request,
        "conduct/disclosure_outcome.html",
        {"disclosure": disclosure, "form": form, "pupil_name": _pupil_name(request, disclosure)},
        status=400 if form.errors else 200,
    )


@require_safe
def disclosure_list(request, school):
    """What is routed to the person: those waiting for an outcome first, oldest first (by state only: opening
    one takes nothing off the list), then those decided, most recently decided first."""
    disclosures = (
        disclosures_readable_by(request.actor)
        .select_related("discloser", "channel", "pupil")
        .annotate(
            decided=Case(When(outcome="", then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        .order_by("decided", F("decided_at").desc(nulls_first=True), "created_at", "pk")
    )
    page = page_of(request, disclosures, 50)
    show_pupils = sees_pupils(request)
    return render(
        request,
        "conduct/disclosure_list.html",
        {"page": page, "show_pupils": show_pupils, "shared_with_dsl": _shares_with_dsl(request)},
    )


def _shares_with_dsl(request) -> bool:
    return SchoolSettings.for_school(request.school).disclosures_to_dsl


@require_safe
def waiting(request, school):
    """Everything the signed-in person must act on in the conduct room, oldest first: the daily chase
    (``conduct.daily``) links here."""
    actor = request.actor
    concerns = list(
        concerns_readable_by(actor)
        .filter(outcome="")
        .select_related("subject__user")
        .order_by("created_at", "pk")
    )
    if concerns:
        # The list names whom each concern is about: a view of each, recorded as the concern log's list is.
        record(
            "conduct.concerns_listed",
            ("schools.school", request.school.pk),
            detail={"concerns": [c.pk for c in concerns]},
        )
    return render(
        request,
        "conduct/waiting.html",
        {
            "disclosures": disclosures_readable_by(actor)
            .filter(outcome="")
            .select_related("discloser", "channel")
            .order_by("created_at", "pk"),
            "contact_requests": requests_decided_by(actor, ContactPermission)
            .select_related("requested_by", "channel")
            .order_by("requested_at", "pk"),
            "equipment_requests": requests_decided_by(actor, EquipmentPermission)
            .select_related("requested_by")
            .order_by("requested_at", "pk"),
            "concerns": concerns,
        },
    )


@require_safe
def my_conduct(request, school):
    """A member's own record in the conduct room: calm and plain. Their policy acceptances are the policies
    room's page (the rooms do not import each other); that they reached this page at all means they have no
    compulsory policy left to accept (``policies.middleware`` sends them there first)."""
    user = request.user
    permissions = [
        *ContactPermission.objects.filter(school=request.school, requested_by=user).select_related("channel"),
        *EquipmentPermission.objects.filter(school=request.school, requested_by=user),
    ]
    permissions.sort(key=lambda p: p.requested_at, reverse=True)
    today = timezone.localdate()
    approved = [p for p in permissions if p.status == Decided.APPROVED and p.ends_on >= today]
    waiting = [p for p in permissions if p.status == Decided.REQUESTED]
    past = [p for p in permissions if p not in approved and p not in waiting]
    return render(
        request,
        "conduct/mine.html",
        {
            "disclosures": Disclosure.objects.filter(school=request.school, discloser=user).select_related(
                "channel", "decided_by"
            ),
            "has_permissions": bool(permissions),
            "permission_groups": [
                ("Approved", approved),
                ("Waiting for a decision", waiting),
                ("Expired, not approved or withdrawn", past),
            ],
        },
    )


@require_http_methods(["GET", "POST"])
def contact_channels(request, school):
    """Senior management's list of the platforms and channels staff choose from when they disclose contact
    or ask permission (§3, §4). A channel is switched off, never deleted: disclosures point at it."""
    form = ChannelForm(request.POST if request.POST.get("action") == "add" else None)
    if request.method == "POST" and request.POST.get("action") not in ("add", "on", "off"):
        return HttpResponseBadRequest("Choose whether to add a channel or to switch one on or off.")
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "add":
            if form.is_valid():
                try:
                    channel = services.add_channel(request.actor, **form.cleaned_data)
                except Refused as exc:
                    show_on_form(form, exc.decision)
                else:
                    messages.success(request, f"Added {channel.name}.")
                    return redirect("contact_channels", school=request.school.slug)
        elif action in ("on", "off"):
            pk = parse_id(request.POST.get("channel", ""))
            if pk is None:
                raise Http404("No such channel")
            channel = get_object_or_404(ContactChannel, school=request.school, pk=pk)
            try:
                services.set_channel_active(request.actor, channel, active=action == "on")
            except Refused as exc:
                messages.error(request, exc.decision.summary)
            else:
                messages.success(
                    request,
                    f"{channel.name} is {'offered again' if action == 'on' else 'no longer offered'}.",
                )
            return redirect("contact_channels", school=request.school.slug)
    return render(
        request,
        "conduct/channels.html",
        {"form": form, "channels": ContactChannel.objects.filter(school=request.school)},
        status=400 if form.errors else 200,
    )
