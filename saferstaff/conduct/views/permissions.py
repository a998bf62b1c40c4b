"""§3, §4, §6 pages: asking permission to contact pupils (or to use social media with them) and to use
personal equipment in work time; the decision, by the person the rules route it to; withdrawing; and the
registers of who may contact whom and who may use what. Every write is a door of ``conduct.services``."""

import datetime

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from saferstaff.conduct import services
from saferstaff.conduct.access import get_contact_permission, get_equipment_permission
from saferstaff.conduct.forms import ContactRequestForm, DecideForm, EquipmentRequestForm, WithdrawForm
from saferstaff.conduct.models import ContactPermission, Decided, EquipmentPermission
from saferstaff.conduct.registers import contact_register as contact_in_force
from saferstaff.conduct.registers import equipment_register as equipment_in_force
from saferstaff.paging import page_of
from saferstaff.rules.conduct import (
    ROUTE_LABELS,
    may_decide_contact,
    may_decide_equipment,
    may_withdraw_permission,
)
from saferstaff.rules.engine import Refused, show_on_form
from saferstaff.schools.access import fields_for, pupil_views, sees_pupils
from saferstaff.schools.models import Pupil

# The registers show permissions that ended this recently, for leadership to notice what ran out.
RECENTLY_ENDED_DAYS = 30


# --- Asking -------------------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def contact_request(request, school):
    pupils = Pupil.objects.filter(school=request.school).current()
    form = ContactRequestForm(
        request.POST or None,
        school=request.school,
        year_groups=pupils.year_groups(),
        pupil_fields=fields_for(request),
    )
    if request.method == "POST" and form.is_valid():
        try:
            permission = services.request_contact(request.actor, **form.door_kwargs())
        except Refused as exc:
            show_on_form(form, exc.decision)
        else:
            messages.success(request, f"Sent to {ROUTE_LABELS[permission.routed_to]} to decide.")
            return redirect("contact_detail", school=request.school.slug, pk=permission.pk)
    picker = (
        pupil_views(request, pupils.order_by("legal_surname", "legal_forename"))
        if sees_pupils(request)
        else []
    )
    return render(
        request,
        "conduct/contact_request.html",
        {"form": form, "picker": picker, "pupil_boxes": _boxes(form)},
    )


def _boxes(form) -> list[tuple[int, str]]:
    """The named-pupil text boxes, with what was typed in them kept."""
    values = list(form["pupils"].value() or []) if form.is_bound else []
    return list(enumerate(values + [""] * max(0, form.fields["pupils"].BOXES - len(values))))


@require_http_methods(["GET", "POST"])
def equipment_request(request, school):
    form = EquipmentRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            permission = services.request_equipment(request.actor, **form.door_kwargs())
        except Refused as exc:
            show_on_form(form, exc.decision)
        else:
            messages.success(request, f"Sent to {ROUTE_LABELS[permission.routed_to]} to decide.")
            return redirect("equipment_detail", school=request.school.slug, pk=permission.pk)
    return render(request, "conduct/equipment_request.html", {"form": form})


# --- One request: what it asks, the decision, withdrawing ------------------------------------------------
def _page(request, permission, *, decide_form=None):
    equipment = isinstance(permission, EquipmentPermission)
    rule = may_decide_equipment if equipment else may_decide_contact
    # Offered to whoever may decide at all: a request whose dates have passed can still be refused.
    may_decide = rule.peek(request.actor, subject=permission, approve=False)
    ctx = {
        "permission": permission,
        "equipment": equipment,
        "kind": "equipment" if equipment else "contact",
        "decider": ROUTE_LABELS.get(permission.routed_to, permission.routed_to),
        "decide_form": decide_form if decide_form is not None else (DecideForm() if may_decide else None),
        "may_withdraw": bool(may_withdraw_permission.peek(request.actor, subject=permission)),
        "withdraw_form": WithdrawForm(),
    }
    if not equipment:
        named = permission.pupils.order_by("legal_surname", "legal_forename")
        ctx["named"] = pupil_views(request, named) if sees_pupils(request) else None
        ctx["named_count"] = named.count()
    template = "conduct/equipment_detail.html" if equipment else "conduct/contact_detail.html"
    return render(request, template, ctx)


@require_safe
def contact_detail(request, school, pk):
    return _page(request, get_contact_permission(request, pk))


@require_safe
def equipment_detail(request, school, pk):
    return _page(request, get_equipment_permission(request, pk))


def _decide(request, permission, page: str):
    if request.method != "POST":
        return _page(request, permission)
    form = DecideForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.decide(request.actor, permission, approve=approve, reason=form.cleaned_data["reason"])
        except Refused as exc:
            show_on_form(form, exc.decision)
        else:
            messages.success(request, "Approved." if approve else "Not approved; they have been told why.")
            return redirect(page, school=request.school.slug, pk=permission.pk)
    return _page(request, permission, decide_form=form)


@require_http_methods(["GET", "POST"])
def contact_decide(request, school, pk):
    return _decide(request, get_contact_permission(request, pk), "contact_detail")


@require_http_methods(["GET", "POST"])
def equipment_decide(request, school, pk):
    return _decide(request, get_equipment_permission(request, pk), "equipment_detail")


def _withdraw(request, permission, page: str):
    form = WithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.withdraw(request.actor, permission, reason=reason)
    except Refused as exc:
        messages.error(request, exc.decision.summary)
    else:
        messages.success(request, "Withdrawn.")
    return redirect(page, school=request.school.slug, pk=permission.pk)


@require_POST
def contact_withdraw(request, school, pk):
    return _withdraw(request, get_contact_permission(request, pk), "contact_detail")


@require_POST
def equipment_withdraw(request, school, pk):
    return _withdraw(request, get_equipment_permission(request, pk), "equipment_detail")


# --- The registers -------------------------------------------------------------------------------------
def _register(request, model, in_force, template: str):
    today = timezone.localdate()
    asked = model.objects.filter(school=request.school).select_related("requested_by", "decided_by")
    if model is ContactPermission:
        asked = asked.select_related("channel").prefetch_related("pupils")
    ctx = {
        "page": page_of(request, in_force(request.school), 50),
        "waiting": asked.filter(status=Decided.REQUESTED).order_by("requested_at", "pk"),
        "starting": asked.filter(status=Decided.APPROVED, starts_on__gt=today).order_by("starts_on", "pk"),
        "ended": asked.filter(
            status=Decided.APPROVED,
            ends_on__lt=today,
            ends_on__gte=today - datetime.timedelta(days=RECENTLY_ENDED_DAYS),
        ).order_by("-ends_on", "-pk"),
        "ended_caption": f"Ended in the last {RECENTLY_ENDED_DAYS} days",
    }
    return render(request, template, ctx)


@require_safe
def contact_register(request, school):
    return _register(request, ContactPermission, contact_in_force, "conduct/contact_register.html")


@require_safe
def equipment_register(request, school):
    return _register(request, EquipmentPermission, equipment_in_force, "conduct/equipment_register.html")
