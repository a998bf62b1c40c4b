import re

from django import forms

from saferstaff.schools.models import EmploymentType, Membership, Role, School


class SchoolForm(forms.ModelForm):
    class Meta:
        model = School
        fields = ["name", "urn", "la_number", "establishment_number"]
        labels = {
            "name": "School name",
            "la_number": "LA number",
            "establishment_number": "Establishment number",
        }
        help_texts = {
            "urn": "6 digits, as on Get Information about Schools",
            "la_number": "3 digits, for example 383 for Leeds",
            "establishment_number": "4 digits, the second part of the DfE number (LAESTAB)",
        }

    def _digits(self, name: str, n: int) -> str:
        value = (self.cleaned_data.get(name) or "").strip()
        if not re.fullmatch(rf"\d{{{n}}}", value):
            raise forms.ValidationError(f"Enter {n} digits")
        return value

    def clean_urn(self):
        return self._digits("urn", 6)

    def clean_la_number(self):
        return self._digits("la_number", 3)

    def clean_establishment_number(self):
        return self._digits("establishment_number", 4)

    def clean(self):
        data = super().clean()
        la, estab = data.get("la_number"), data.get("establishment_number")
        if la and estab and School.objects.filter(la_number=la, establishment_number=estab).exists():
            self.add_error("establishment_number", f"A school with DfE number {la}/{estab} is already set up")
        return data


class StaffForm(forms.Form):
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField(help_text="Their work email: the invitation goes here")
    job_title = forms.CharField(max_length=120, required=False)
    employment_type = forms.ChoiceField(
        choices=EmploymentType.choices,
        widget=forms.RadioSelect,
        initial=EmploymentType.EMPLOYEE,
        help_text="The guidance covers everyone based at the school (§1)",
    )
    roles = forms.MultipleChoiceField(
        choices=Role.choices, widget=forms.CheckboxSelectMultiple, initial=[Role.STAFF]
    )

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


LINE_MANAGING_EMPLOYMENT = (EmploymentType.EMPLOYEE, EmploymentType.AGENCY)
LINE_MANAGING_ROLES = (
    Role.HEADTEACHER, Role.SENIOR_LEADER, Role.DSL, Role.LINE_MANAGER, Role.DPO, Role.OFFICE, Role.STAFF
)  # fmt: skip


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Roles at this school",
    )
    is_chair_of_governors = forms.BooleanField(required=False, label="Chair of governors")
    line_manager = forms.ModelChoiceField(queryset=Membership.objects.none(), required=False)

    def __init__(self, *args, membership: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        # Line managers are staff: employees or agency staff with a staff or leadership role (not governors,
        # contractors or volunteers, whom the school does not manage day to day).
        self.fields["line_manager"].queryset = (
            Membership.objects.active()
            .filter(school=membership.school, employment_type__in=LINE_MANAGING_EMPLOYMENT)
            .filter(role_grants__role__in=LINE_MANAGING_ROLES)
            .exclude(pk=membership.pk)
            .select_related("user")
            .distinct()
            .order_by("user__last_name", "user__first_name")
        )
        self.fields["line_manager"].label_from_instance = lambda m: m.user.display_name
        self.fields["line_manager"].empty_label = "No line manager"


class UploadForm(forms.Form):
    file = forms.FileField(label="File")
