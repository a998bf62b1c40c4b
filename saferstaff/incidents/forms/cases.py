"""Forms of the casework pages (§9, KCSIE Part 4). They check the shape of what was sent; the rules are asked by
the doors (``incidents.services``), and a page shows each refusal beside the field it names — so a rule such as
"a police report has its crime reference" or "a case closes with a reason" is written once, in its door."""

from django import forms
from django.utils import timezone

from saferstaff.conduct.forms import ModelIdField
from saferstaff.forms import DateInput
from saferstaff.incidents.models import CONTACT_FIELDS, Case, Contact, Involved
from saferstaff.schools.access import PupilView
from saferstaff.schools.models import Membership, Pupil

ANY = [("", "Any")]


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self):
        super().__init__(format="%Y-%m-%dT%H:%M")


def _staff(school):
    return (
        Membership.objects.current()
        .filter(school=school)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "pk")
    )


def _person(m: Membership) -> str:
    return f"{m.listed_name}, {m.job_title}" if m.job_title else m.listed_name


class StaffField(ModelIdField):
    def label_from_instance(self, m):
        return _person(m)


class CaseSearchForm(forms.Form):
    """Searching cases: for the designated persons (``rules.incidents.may_search_cases``, §8)."""

    q = forms.CharField(label="Words in the report, or the case number", max_length=100, required=False)
    kind = forms.ChoiceField(label="Kind", choices=ANY + Case.Kind.choices, required=False)
    status = forms.ChoiceField(label="Status", choices=ANY + Case.Status.choices, required=False)
    risk = forms.ChoiceField(label="Risk", choices=ANY + Case.Risk.choices, required=False)


class TriageForm(forms.Form):
    risk = forms.ChoiceField(
        label="Risk", choices=Case.Risk.choices, widget=forms.RadioSelect, required=False,
        help_text="How serious it is, and how soon it needs acting on",
    )  # fmt: skip
    assigned_to = StaffField(
        label="Who is handling it", queryset=Membership.objects.none(), required=False,
        empty_label="Nobody in particular yet",
        error_messages={"invalid_choice": "Choose one of the people listed"},
    )  # fmt: skip

    def __init__(self, *args, managers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = managers.select_related("user").order_by(
            "user__last_name", "pk"
        )


class InvolveForm(forms.Form):
    """Someone the case involves: a member of staff, a pupil (only for those who see pupils, §8) or someone
    outside school in words. ``pupils``: what the picker lists (found by name with the Find button)."""

    role = forms.ChoiceField(
        label="How are they involved?", choices=Involved.Role.choices, widget=forms.RadioSelect,
        error_messages={"required": "Say how they are involved"},
    )  # fmt: skip
    member = StaffField(
        label="A member of staff", queryset=Membership.objects.none(), required=False,
        empty_label="Not a member of staff", error_messages={"invalid_choice": "Choose one of the people listed"},
    )  # fmt: skip
    pupil_q = forms.CharField(
        label="Find a pupil",
        max_length=100,
        required=False,
        help_text="Type part of their name, then press Find",
    )
    pupil = ModelIdField(
        label="A pupil", queryset=Pupil.objects.none(), required=False, empty_label="Not a pupil",
        error_messages={"invalid_choice": "Choose one of the pupils listed"},
    )  # fmt: skip
    outsider = forms.CharField(
        label="Someone outside school", max_length=300, required=False,
        help_text="Describe them: for example, “the parent posting as ‘@westfieldmum’ on Facebook”",
    )  # fmt: skip

    def __init__(self, *args, school, pupils: list[PupilView] | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = _staff(school)
        if pupils is None:  # §8: someone who sees no pupils names none
            del self.fields["pupil"], self.fields["pupil_q"]
        else:
            self.fields["pupil"].queryset = Pupil.objects.filter(school=school)
            self.fields["pupil"].widget.choices = [("", "Not a pupil")] + [(p.pk, p.name) for p in pupils]

    def clean(self):
        data = super().clean()
        given = [name for name in ("member", "pupil", "outsider") if data.get(name)]
        if len(given) != 1 and not self.errors.get("member"):
            self.add_error(
                "member", "Choose one person: a member of staff, a pupil or someone outside school"
            )
        return data


class ShareForm(forms.Form):
    member = StaffField(
        label="Who needs to know", queryset=Membership.objects.none(), empty_label="Choose a person",
        error_messages={"required": "Choose who needs to know", "invalid_choice": "Choose one of the people listed"},
    )  # fmt: skip
    reason = forms.CharField(
        label="Why they need to know", max_length=300, required=False,
        help_text="They read the whole case, including its notes (§8)",
    )  # fmt: skip

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = _staff(school)


class ActionForm(forms.Form):
    what = forms.CharField(label="What needs doing", max_length=300, required=False)
    owner = StaffField(
        label="Who does it", queryset=Membership.objects.none(), empty_label="Choose a person",
        help_text="They are told, and it stays on their list until it is done",
        error_messages={"required": "Choose who does it", "invalid_choice": "Choose one of the people listed"},
    )  # fmt: skip
    due_on = forms.DateField(
        label="Due by", widget=DateInput(),
        error_messages={"required": "Enter the date it is due", "invalid": "Enter a real date"},
    )  # fmt: skip

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _staff(school)


class ActionDoneForm(forms.Form):
    note = forms.CharField(label="What was done (optional)", max_length=500, required=False)


class NoteForm(forms.Form):
    text = forms.CharField(label="Note", max_length=5000, widget=forms.Textarea, required=False)


class ContactForm(forms.Form):
    """One step taken outside the case; its three fields are labelled by ``kind`` (``CONTACT_FIELDS``)."""

    made_at = forms.DateTimeField(
        label="When", widget=DateTimeInput(),
        error_messages={"required": "Enter the date and time", "invalid": "Enter a real date and time"},
    )  # fmt: skip
    with_whom = forms.CharField(max_length=200, required=False)
    reference = forms.CharField(max_length=100, required=False)
    detail = forms.CharField(max_length=2000, required=False, widget=forms.Textarea)

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        with_whom, reference, detail = CONTACT_FIELDS[Contact.Kind(kind)]
        self.fields["with_whom"].label = with_whom
        self.fields["detail"].label = detail
        if reference:
            self.fields["reference"].label = reference
        else:
            del self.fields["reference"]
        if not self.is_bound:
            self.initial.setdefault("made_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome (KCSIE Part 4)", choices=Case.Outcome.choices, widget=forms.RadioSelect, required=False
    )
    closed_reason = forms.CharField(
        label="Why it is closed", max_length=2000, widget=forms.Textarea, required=False,
        help_text="What was done and why nothing more is needed. The person who reported it reads this",
    )  # fmt: skip

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        if case.is_allegation:
            self.fields[
                "closed_reason"
            ].help_text = (
                "What was decided and why. The person who reported it is told only that it is closed"
            )
        else:
            del self.fields["outcome"]
