from django import forms
from django.shortcuts import render
from django.views.decorators.http import require_safe

from saferstaff.access import allowed_for
from saferstaff.audit.log import record
from saferstaff.audit.trail import RECORD_TYPES, Filters, events_for, rows_for
from saferstaff.forms import DateInput
from saferstaff.numbers import parse_id
from saferstaff.paging import page_of
from saferstaff.schools.models import Membership


class TrailFilterForm(forms.Form):
    person = forms.TypedChoiceField(label="Who", required=False, coerce=int, empty_value=None)
    record_type = forms.ChoiceField(
        label="Record type",
        required=False,
        choices=[("", "Any")] + sorted(RECORD_TYPES.items(), key=lambda c: c[1]),
    )
    record_id = forms.CharField(
        label="Record number", required=False, max_length=64, help_text="The number in the record's address"
    )
    date_from = forms.DateField(label="From", required=False, widget=DateInput())
    date_to = forms.DateField(label="To", required=False, widget=DateInput())

    def __init__(self, *args, school, names_allowed: bool, **kwargs):
        super().__init__(*args, **kwargs)
        members = Membership.objects.filter(school=school).select_related("user").order_by("user__last_name")
        self.fields["person"].choices = [("", "Anyone")] + [
            (m.user_id, m.user.display_name if names_allowed else f"Person {m.user_id}") for m in members
        ]

    def clean_record_id(self):
        value = self.cleaned_data["record_id"].strip()
        if value and parse_id(value) is None:
            raise forms.ValidationError("Enter the record number in digits, like 12")
        return value

    def clean(self):
        data = super().clean()
        if data.get("record_id") and not data.get("record_type"):
            self.add_error("record_type", "Choose the type of record the number belongs to")
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", "The 'To' date must be the same as or after the 'From' date")
        return data


@require_safe
def audit_trail(request, school):
    """§8: who did what to which record at this school, for the Headteacher and the DPO."""
    names_allowed = allowed_for("staff_list", request.roles)
    form = TrailFilterForm(request.GET or None, school=request.school, names_allowed=names_allowed)
    filters = Filters()
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        filters = Filters(d["person"], d["record_type"], d["record_id"], d["date_from"], d["date_to"])
    page = page_of(request, events_for(request.school, filters, request.actor), 50)
    # Reading the trail is itself recorded (ids and codes only).
    record(
        "audit.viewed",
        None,
        detail={k: str(v) for k, v in vars(filters).items() if v not in (None, "")} | {"page": page.number},
    )
    rows = rows_for(request.school, request.roles, page.object_list)
    return render(request, "audit/trail.html", {"form": form, "page": page, "rows": rows})
