"""Forms of the subject access pages (§8, UK GDPR art. 15). They check the shape of what was sent; the rules
(a date in the future, an extension after the first month, a second pause) are the doors' (``privacy.requests``),
shown beside the field they name."""

from django import forms

from saferstaff.conduct.forms import ModelIdField
from saferstaff.forms import DateInput
from saferstaff.privacy.models import AccessRequest, Exemption, Found, Pause
from saferstaff.schools.access import PupilView
from saferstaff.schools.models import Membership, Pupil


class MemberField(ModelIdField):
    def label_from_instance(self, m):
        left = f" (left {m.ended_on:%-d %B %Y})" if m.ended_on else ""
        return f"{m.listed_name}{left}"


ABOUT = [
    ("pupil", "About a pupil (at the school now or in the past)"),
    ("member", "About a member of staff (now or in the past)"),
    ("other", "About someone saferstaff has no record of"),
]
ABOUT_FIELD = {"pupil": "about_pupil", "member": "about_member", "other": "about_other"}
ABOUT_MISSING = {
    "pupil": "find the pupil by name, then choose them",
    "member": "choose the member of staff",
    "other": "enter their name",
}


def about_kind_of(answers) -> str:
    """Whom the request is about, from the one answer given ("" when none, or more than one)."""
    given = [kind for kind, name in ABOUT_FIELD.items() if (answers.get(name) or "").strip()]
    if len(given) == 1:
        return given[0]
    return "pupil" if (answers.get("about_pupil_q") or "").strip() else ""


class RequestForm(forms.Form):
    """A request as it arrived. ``pupils``: what the picker lists (found by name with the Find button, leavers
    too: a former pupil may ask)."""

    requester_kind = forms.ChoiceField(
        label="Who is asking?", choices=AccessRequest.Requester.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose who is asking"},
    )  # fmt: skip
    requester_name = forms.CharField(
        label="Their name", max_length=200, error_messages={"required": "Enter the name of the person asking"}
    )
    requester_contact = forms.CharField(
        label="How to reach them", max_length=300, required=False,
        help_text="An email address, a phone number or a postal address",
    )  # fmt: skip
    about_kind = forms.ChoiceField(
        label="Who is the request about?", choices=ABOUT, widget=forms.RadioSelect, required=False,
        help_text="Then say who: only the answer under your choice is used",
    )  # fmt: skip
    about_pupil_q = forms.CharField(
        label="Find a pupil",
        max_length=100,
        required=False,
        help_text="Type part of their name, then press Find",
    )
    about_pupil = ModelIdField(
        label="A pupil at the school", queryset=Pupil.objects.none(), required=False, empty_label="Choose the pupil",
        error_messages={"invalid_choice": "Choose one of the pupils listed"},
    )  # fmt: skip
    about_member = MemberField(
        label="The member of staff", queryset=Membership.objects.none(), required=False,
        empty_label="Choose the member of staff", error_messages={"invalid_choice": "Choose one of the people listed"},
    )  # fmt: skip
    about_other = forms.CharField(
        label="Their name, as the requester gave it", max_length=200, required=False,
        help_text="For example, a pupil who left before the school used saferstaff",
    )  # fmt: skip
    received_at = forms.DateField(
        widget=DateInput(), label="When did the request arrive?",
        help_text="The ICO's month runs from the day it arrived, by any means (email, letter, in person)",
        error_messages={"required": "Enter the date the request arrived", "invalid": "Enter a real date"},
    )  # fmt: skip
    what_asked = forms.CharField(
        widget=forms.Textarea, max_length=3000, required=False, label="What did they ask for?",
        help_text="In their words if you can: everything, or something in particular",
    )  # fmt: skip

    def __init__(self, data=None, *args, school, pupils: list[PupilView], initial=None, **kwargs):
        # Who it is about, when not chosen, follows from the one answer given (a link from a pupil's page, the
        # Find button, a page sent before the choice was there): the page opens at that answer.
        if data is not None and not data.get("about_kind"):
            data = data.copy()
            data["about_kind"] = about_kind_of(data)
        if initial is not None and not initial.get("about_kind"):
            initial = {**initial, "about_kind": about_kind_of(initial)}
        super().__init__(data, *args, initial=initial, **kwargs)
        self.fields["about_member"].queryset = (
            Membership.objects.filter(school=school).select_related("user").order_by("user__last_name", "pk")
        )
        self.fields["about_pupil"].queryset = Pupil.objects.filter(school=school)
        self.fields["about_pupil"].widget.choices = [("", "Choose the pupil")] + [
            (p.pk, p.name) for p in pupils
        ]

    def clean(self):
        data = super().clean()
        kind = data.get("about_kind")
        if kind not in ABOUT_FIELD:
            self.add_error(
                "about_kind", "Choose who the request is about: a pupil, a member of staff or someone else"
            )
            return data
        for other_kind, name in ABOUT_FIELD.items():  # what was typed under another choice is not used
            if other_kind != kind:
                data[name] = "" if name == "about_other" else None
                self._errors.pop(name, None)
        chosen = ABOUT_FIELD[kind]
        if not data.get(chosen) and chosen not in self._errors:
            self.add_error(chosen, f"Choose one person the request is about: {ABOUT_MISSING[kind]}")
        return data


class IdentityForm(forms.Form):
    how = forms.CharField(
        label="How was their identity checked?", max_length=200,
        help_text="For example: known to the school office; passport seen on 3 March",
        error_messages={"required": "Say how their identity was checked"},
    )  # fmt: skip


class PauseForm(forms.Form):
    why = forms.ChoiceField(
        label="Why does the clock stop?", choices=Pause.Why.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose why the clock stops"},
    )  # fmt: skip


class ExtendForm(forms.Form):
    months = forms.TypedChoiceField(
        label="How much longer?", choices=[(1, "One further month"), (2, "Two further months")], coerce=int,
        widget=forms.RadioSelect, error_messages={"required": "Choose one or two further months"},
    )  # fmt: skip
    reason = forms.CharField(
        widget=forms.Textarea, max_length=2000, label="Why does it need longer?",
        help_text="The request is complex, or they made several: the requester is told this within the first month",
        error_messages={"required": "Say why the request needs longer"},
    )  # fmt: skip


class FoundDecisionForm(forms.Form):
    """One row of the checklist."""

    found = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    decision = forms.ChoiceField(
        label="Decision", choices=[c for c in Found.Decision.choices if c[0] != Found.Decision.UNDECIDED],
        widget=forms.RadioSelect, error_messages={"required": "Choose disclose, redact or withhold"},
    )  # fmt: skip
    exemption = forms.ChoiceField(
        label="Exemption (to redact or withhold)", choices=[("", "Choose the exemption")] + Exemption.choices, required=False,
    )  # fmt: skip
    note = forms.CharField(label="Note", max_length=500, required=False)


CLOSING = [
    (AccessRequest.Status.ANSWERED, "Answered: the bundle was sent"),
    (AccessRequest.Status.REFUSED, AccessRequest.Status.REFUSED.label),
    (AccessRequest.Status.WITHDRAWN, AccessRequest.Status.WITHDRAWN.label),
]


class RequestCloseForm(forms.Form):
    status = forms.ChoiceField(
        label="How did it end?", choices=CLOSING, widget=forms.RadioSelect,
        error_messages={"required": "Choose how the request ended"},
    )  # fmt: skip
    reason = forms.CharField(
        widget=forms.Textarea, max_length=2000, required=False, label="Why (required to refuse)",
    )  # fmt: skip


class SeenSearchForm(forms.Form):
    q = forms.CharField(label="Name of a pupil or a member of staff", max_length=100, required=False)
