"""Forms of the breach log, the sharing log and their pages. They check the shape of what was sent; the doors
(``privacy.breaches``, ``privacy.sharing``) ask the rules, and a page shows a refusal beside the field it names."""

from django import forms
from django.utils import timezone

from saferstaff.conduct.forms import ModelIdField, pupil_label
from saferstaff.forms import ModelMultipleIdsField
from saferstaff.incidents.forms.cases import DateTimeInput
from saferstaff.privacy.models import Breach, Category, LawfulBasis, Sharing
from saferstaff.schools.models import Membership, Pupil

NOW = {"required": "Enter the date and time", "invalid": "Enter a real date and time"}


def _staff(school):
    return (
        Membership.objects.current()
        .filter(school=school)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "pk")
    )


class StaffChoice(ModelIdField):
    def label_from_instance(self, obj):
        return obj.listed_name


class StaffChoices(ModelMultipleIdsField):
    def label_from_instance(self, obj):
        return obj.listed_name


# --- Breaches ------------------------------------------------------------------------------------------------
class BreachReportForm(forms.Form):
    """What any member of staff says, on a phone, in under two minutes."""

    what = forms.CharField(
        label="What happened?", max_length=3000, widget=forms.Textarea,
        help_text="For example: “A pupil's report was emailed to the wrong parent this morning.”",
        error_messages={"required": "Say what happened"},
    )  # fmt: skip
    aware_at = forms.DateTimeField(
        label="When did you (or the school) find out?", widget=DateTimeInput(), error_messages=NOW,
        help_text="The 72 hours to tell the ICO run from this moment",
    )  # fmt: skip
    happened_at = forms.DateTimeField(
        label="When did it happen? (optional)", widget=DateTimeInput(), required=False, error_messages=NOW
    )
    people_count = forms.IntegerField(
        label="How many people's data? (optional)", min_value=1, max_value=10_000_000, required=False,
        error_messages={"invalid": "Enter a number", "min_value": "Enter 1 or more"},
    )  # fmt: skip
    categories = forms.MultipleChoiceField(
        label="What kind of data? (optional)", choices=Category.choices, widget=forms.CheckboxSelectMultiple,
        required=False, error_messages={"invalid_choice": "Choose from the list"},
    )  # fmt: skip
    contained = forms.CharField(
        label="What has been done about it so far? (optional)", max_length=2000, widget=forms.Textarea,
        required=False, help_text="For example: “I phoned the parent and they deleted the email.”",
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("aware_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))


class AssessForm(forms.Form):
    people_count = forms.IntegerField(
        label="How many people", min_value=1, max_value=10_000_000, required=False,
        error_messages={"invalid": "Enter a number", "min_value": "Enter 1 or more"},
    )  # fmt: skip
    categories = forms.MultipleChoiceField(
        label="Categories of data", choices=Category.choices, widget=forms.CheckboxSelectMultiple,
        required=False, error_messages={"invalid_choice": "Choose from the list"},
    )  # fmt: skip
    risk = forms.ChoiceField(
        label="Likely risk to the people affected", choices=Breach.Risk.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose how likely a risk it is", "invalid_choice": "Choose from the list"},
    )  # fmt: skip
    contained = forms.CharField(
        label="What was done to contain it", max_length=2000, widget=forms.Textarea, required=False
    )


class BreachDecideForm(forms.Form):
    decision = forms.ChoiceField(
        label="Tell the ICO?",
        choices=[c for c in Breach.Decision.choices if c[0] != Breach.Decision.UNDECIDED],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether to report it", "invalid_choice": "Choose from the list"},
    )
    decision_reasons = forms.CharField(
        label="Why", max_length=3000, widget=forms.Textarea,
        help_text="A breach that is not reported is documented too, with the reasons (UK GDPR art. 33(5))",
        error_messages={"required": "Say why"},
    )  # fmt: skip


class ReportedForm(forms.Form):
    reported_at = forms.DateTimeField(
        label="Reported to the ICO at", widget=DateTimeInput(), error_messages=NOW
    )
    ico_reference = forms.CharField(
        label="ICO reference", max_length=60, error_messages={"required": "Enter the ICO's reference"}
    )


class ToldForm(forms.Form):
    people_told = forms.ChoiceField(
        label="Were the people affected told?", choices=Breach.Told.choices, widget=forms.RadioSelect,
        help_text="When the risk to them is high they are told without undue delay (UK GDPR art. 34)",
        error_messages={"required": "Choose one", "invalid_choice": "Choose from the list"},
    )  # fmt: skip


class BreachCloseForm(forms.Form):
    pass


# --- The sharing log ---------------------------------------------------------------------------------------
class _Completion(forms.Form):
    lawful_basis = forms.ChoiceField(
        label="Lawful basis", choices=[("", "Choose one"), *LawfulBasis.choices],
        error_messages={"required": "Choose the lawful basis", "invalid_choice": "Choose from the list"},
    )  # fmt: skip
    special_condition = forms.CharField(
        label="Condition for special category data (if any)", max_length=200, required=False,
        help_text="UK GDPR art. 9 and DPA 2018 Sch. 1, e.g. safeguarding of children (para. 18)",
    )  # fmt: skip
    why = forms.CharField(
        label="Why it was needed", max_length=3000, widget=forms.Textarea,
        error_messages={"required": "Say why it was needed"},
    )  # fmt: skip
    how = forms.ChoiceField(
        label="How it was sent", choices=[("", "Choose one"), *Sharing.How.choices],
        error_messages={"required": "Choose how it was sent", "invalid_choice": "Choose from the list"},
    )  # fmt: skip
    approved_by = StaffChoice(
        label="Who approved it", queryset=Membership.objects.none(), empty_label="Choose who approved it",
        error_messages={"required": "Choose who approved it", "invalid_choice": "Choose someone from the list"},
    )  # fmt: skip

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["approved_by"].queryset = _staff(school)


class SharingCompleteForm(_Completion):
    """A prefilled entry's missing facts; then it is logged, and never changed."""


class SharingForm(_Completion):
    """A disclosure logged by hand: every field. The pupils are found by name (``pupil_q`` + Find), as in the
    school's other pickers, and ticked."""

    shared_at = forms.DateTimeField(label="When it was shared", widget=DateTimeInput(), error_messages=NOW)
    recipient = forms.CharField(
        label="To whom", max_length=200, help_text="The person's name or role",
        error_messages={"required": "Say who it was shared with"},
    )  # fmt: skip
    organisation = forms.CharField(label="Their organisation", max_length=200, required=False)
    what = forms.CharField(
        label="What data", max_length=3000, widget=forms.Textarea,
        error_messages={"required": "Say what was shared"},
    )  # fmt: skip
    pupil_q = forms.CharField(
        label="Find the pupils it was about", max_length=100, required=False,
        help_text="Type part of a name, then press Find",
    )  # fmt: skip
    pupils = ModelMultipleIdsField(
        label="Pupils it was about", queryset=Pupil.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple, error_messages={"invalid_choice": "Choose pupils from the list"},
    )  # fmt: skip
    members = StaffChoices(
        label="Staff it was about", queryset=Membership.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple, error_messages={"invalid_choice": "Choose staff from the list"},
    )  # fmt: skip
    about_others = forms.CharField(
        label="Anyone else it was about", max_length=300, required=False,
        help_text="For example: “a parent”, “a visitor”",
    )  # fmt: skip

    field_order = [
        "shared_at", "recipient", "organisation", "what", "pupil_q", "pupils", "members", "about_others",
        "lawful_basis", "special_condition", "why", "how", "approved_by",
    ]  # fmt: skip

    def __init__(self, *args, school, pupils=(), **kwargs):
        super().__init__(*args, school=school, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("shared_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
        self.fields["pupils"].queryset = Pupil.objects.filter(school=school)
        self.fields["pupils"].widget.choices = [(view.pk, pupil_label(view)) for view in pupils]
        self.fields["members"].queryset = _staff(school)
        if not pupils:
            self.fields["pupils"].help_text = "Find them by name first"
