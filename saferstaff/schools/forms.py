import re

from django import forms
from django.db.models import Q

from saferstaff.numbers import parse_int
from saferstaff.schools.models import EmploymentType, Membership, Role, School, SchoolSettings
from saferstaff.schools.roles import LINE_MANAGING
from saferstaff.textcheck.text import fold


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
        # Their current line manager stays a choice even if no longer one who manages: saving the page
        # without touching the field must not quietly take the line manager away.
        managing = Q(employment_type__in=LINE_MANAGING_EMPLOYMENT, role_grants__role__in=LINE_MANAGING)
        self.fields["line_manager"].queryset = (
            Membership.objects.active()
            .filter(school=membership.school)
            .filter(managing | Q(pk=membership.line_manager_id))
            .exclude(pk=membership.pk)
            .select_related("user")
            .distinct()
            .order_by("user__last_name", "user__first_name")
        )
        self.fields["line_manager"].label_from_instance = lambda m: m.user.display_name
        self.fields["line_manager"].empty_label = "No line manager"


class RecordsFileForm(forms.Form):
    """A file of records from the school's systems: the staff list, or the pupils and guardians (rosters)."""

    file = forms.FileField(label="File")


class SignInRequiredForm(forms.Form):
    required = forms.TypedChoiceField(
        label="How the school's staff sign in",
        choices=[
            ("no", "With the school's account or their saferstaff password"),
            ("yes", "Only with the school's account: a password alone is refused"),
        ],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )


class SchoolSettingsForm(forms.ModelForm):
    class Meta:
        model = SchoolSettings
        fields = [
            "pupil_voice_age",
            "reminder_days",
            "escalate_after_days",
            "name_aliases",
            "publish_blurred_without_consent",
            "disclosures_to_dsl",
        ]
        widgets = {"name_aliases": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "name_aliases": "One per line, e.g. what parents call the school. The checker already knows the "
            "school's name, its short forms and its initials (§4)."
        }
        labels = {
            "name_aliases": "Other names the school goes by",
            "reminder_days": "Remind staff to accept a new policy after (days)",
            "escalate_after_days": "Tell their line manager after (days)",
            "pupil_voice_age": "Age from which a pupil's own view counts",
            "publish_blurred_without_consent": "Allow publishing a photo with a pupil without consent blurred",
            "disclosures_to_dsl": "Tell the designated safeguarding lead too when staff disclose contact with a "
            "pupil (§3)",
        }

    def clean_name_aliases(self):
        lines = [line.strip() for line in self.cleaned_data["name_aliases"].splitlines() if line.strip()]
        if len(lines) > 20 or any(len(line) > 80 for line in lines):
            raise forms.ValidationError("Enter up to 20 names, one per line, each under 80 characters")

        if any(sum(c.isalnum() for c in fold(line).text) < 3 for line in lines):
            raise forms.ValidationError(
                "Each name needs at least 3 letters (shorter ones match ordinary words)"
            )
        return "\n".join(lines)

    def clean_pupil_voice_age(self):
        value = self.cleaned_data["pupil_voice_age"]
        if not 4 <= value <= 18:
            raise forms.ValidationError("Enter an age between 4 and 18")
        return value

    def clean_reminder_days(self):
        value = self.cleaned_data["reminder_days"]
        parts = [p.strip() for p in value.split(",") if p.strip()]
        days = [parse_int(p, max_digits=3) for p in parts]
        if not days or not all(d is not None and 1 <= d <= 365 for d in days):
            raise forms.ValidationError(
                "Enter days between 1 and 365 separated by commas, for example 3,7,14"
            )
        return ",".join(str(n) for n in sorted(set(days)))

    def clean_escalate_after_days(self):
        value = self.cleaned_data["escalate_after_days"]
        if not 1 <= value <= 365:
            raise forms.ValidationError("Enter a number of days between 1 and 365")
        return value

    def clean(self):
        data = super().clean()
        marks, escalate = data.get("reminder_days"), data.get("escalate_after_days")
        if marks and escalate is not None:
            first = int(marks.split(",")[0])
            if escalate <= first:
                # §2: the person is reminded first; their line manager hears only if the reminder did not work.
                self.add_error(
                    "escalate_after_days",
                    f"Tell the line manager after the first reminder (day {first}): enter more than {first} days",
                )
        return data
