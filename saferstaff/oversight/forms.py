from django import forms

from saferstaff.oversight.areas import LEVELS
from saferstaff.oversight.services import COMMENTARY_MAX
from saferstaff.schools.models import Membership


class OwnerChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.user.get_full_name() or obj.user.email


class AreaForm(forms.Form):
    """One area of the self-review: its level, a commentary, and optionally one new action (what, owner, due)."""

    level = forms.ChoiceField(
        label="How far is this in place?",
        choices=[(key, f"{label} — {meaning}") for key, label, meaning in LEVELS],
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose how far this area is in place",
            "invalid_choice": "Choose one of the levels listed",
        },
    )
    commentary = forms.CharField(
        label="Commentary",
        required=False,
        max_length=COMMENTARY_MAX,
        widget=forms.Textarea,
        help_text=f"What the evidence shows, what is working and what is not (up to {COMMENTARY_MAX:,} characters)",
        error_messages={"max_length": f"Keep the commentary to {COMMENTARY_MAX:,} characters or fewer"},
    )
    action_what = forms.CharField(
        label="New action (optional)", required=False, max_length=300,
        error_messages={"max_length": "Keep the action to 300 characters or fewer"},
    )  # fmt: skip
    action_owner = OwnerChoice(
        label="Who owns the action", required=False, queryset=Membership.objects.none(),
        error_messages={"invalid_choice": "Choose a member of staff of this school"},
    )  # fmt: skip
    action_due = forms.DateField(
        label="Due by",
        required=False,
        help_text="For example, 31/12/2027",
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        error_messages={"invalid": "Enter the due date as a real date, like 31/12/2027"},
    )

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action_owner"].queryset = (
            Membership.objects.active()
            .filter(school=school)
            .select_related("user")
            .order_by("user__last_name")
        )

    def clean(self):
        data = super().clean()
        given = [name for name in ("action_what", "action_owner", "action_due") if data.get(name)]
        if given and not any(self.has_error(name) for name in ("action_what", "action_owner", "action_due")):
            if not data.get("action_what"):
                self.add_error("action_what", "Say what will be done")
            if not data.get("action_owner"):
                self.add_error("action_owner", "Choose who owns the action")
            if not data.get("action_due"):
                self.add_error("action_due", "Give the date it is due by")
        return data

    @property
    def has_action(self) -> bool:
        return bool(self.cleaned_data.get("action_what"))
