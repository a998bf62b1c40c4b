"""The forms of the conduct room's pages. The rules are asked by the doors (``conduct.services``); these only
read what was typed, and a door's refusal is shown beside the field it names (``rules.engine.show_on_form``)."""

from django import forms

from saferstaff.conduct.models import LowLevelConcern
from saferstaff.forms import DateInput
from saferstaff.schools.models import Membership


# --- KCSIE Part 4: low-level concerns ----------------------------------------------------------------------
class ConcernForm(forms.Form):
    subject = forms.ModelChoiceField(
        queryset=Membership.objects.none(),
        label="Who is it about?",
        empty_label="Choose a person",
        help_text="Anyone on the school's staff list, including you: you can raise a concern about yourself",
    )
    happened_on = forms.DateField(widget=DateInput(), label="When did it happen?")
    what = forms.CharField(
        widget=forms.Textarea,
        max_length=3000,
        label="What happened?",
        help_text="What you saw or heard, as plainly as you can. You do not need to be sure, or to find out more",
    )
    anonymous_to_subject = forms.TypedChoiceField(
        choices=[("yes", "No, keep me anonymous to them"), ("no", "Yes, they may be told I raised it")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        initial="yes",
        label="May the person be told who raised it?",
        help_text="Whoever reads the concern always knows who raised it",
    )

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["subject"]
        field.queryset = (
            Membership.objects.current()
            .filter(school=school)
            .select_related("user")
            .order_by("user__last_name", "user__first_name", "pk")
        )
        field.label_from_instance = lambda m: (
            f"{m.listed_name}, {m.job_title}" if m.job_title else m.listed_name
        )


class ConcernOutcomeForm(forms.Form):
    rationale = forms.CharField(
        widget=forms.Textarea,
        max_length=2000,
        label="Why it is a low-level concern",
        help_text="Why it falls short of the guidance, and why it does not meet the harm threshold",
    )
    action = forms.CharField(widget=forms.Textarea, max_length=2000, label="Action taken")
    outcome = forms.ChoiceField(
        choices=[c for c in LowLevelConcern.Outcome.choices if c[0] != LowLevelConcern.Outcome.ESCALATED],
        widget=forms.RadioSelect,
        label="Outcome",
    )


class EscalateForm(forms.Form):
    """Shown with the outcome form on one page: its fields carry the prefix ``escalate``."""

    rationale = forms.CharField(
        widget=forms.Textarea,
        max_length=2000,
        label="Why the harm threshold is met",
        help_text="For example: it suggests the person may have harmed a child, or may pose a risk of harm",
    )
