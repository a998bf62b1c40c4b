"""Forms of the retention pages (§8): a school's own period, and a legal hold."""

from django import forms

from saferstaff.forms import DateInput
from saferstaff.incidents.models import Case
from saferstaff.numbers import parse_id
from saferstaff.privacy.kinds import KINDS
from saferstaff.privacy.models import LegalHold
from saferstaff.privacy.schedule import MAX_MONTHS
from saferstaff.schools.models import Membership, Pupil


class RetentionRuleForm(forms.Form):
    months = forms.IntegerField(
        label="Keep for (months)",
        min_value=0,
        max_value=MAX_MONTHS,
        help_text="A whole number of months: 24 is two years. 0 means it goes as soon as the trigger happens.",
        error_messages={
            "required": "Enter how many months to keep it for",
            "invalid": "Enter a whole number of months, like 24",
            "min_value": "Enter 0 or more months",
            "max_value": f"Enter {MAX_MONTHS} months or fewer",
        },
    )
    why = forms.CharField(
        label="Why the school keeps it for this long",
        max_length=300,
        required=False,
        help_text="For example: the trust's records policy, or advice from the school's insurer",
        widget=forms.Textarea,
    )


KIND_CHOICES = [("", "Choose a kind of record")] + [(k.key, k.label) for k in KINDS.values()]
# Each scope's own questions (shown under its choice); what was answered under another scope is not used.
SCOPE_FIELDS = {
    LegalHold.Scope.PUPIL: ("q", "pupil"),
    LegalHold.Scope.MEMBER: ("member",),
    LegalHold.Scope.CASE: ("case",),
    LegalHold.Scope.RECORD_TYPE: ("record_type",),
    LegalHold.Scope.RECORD: ("record_kind", "record_id"),
}


class HoldForm(forms.Form):
    """What a hold covers, why, and until when. The pupil is chosen from the pupils a search found (the
    school's own pupils, leavers included: a hold is often about someone who has left). One record's kind has
    its own field (``record_kind``), so that each scope's questions stand under its own choice."""

    scope = forms.ChoiceField(
        label="What must be kept",
        choices=LegalHold.Scope.choices,
        widget=forms.RadioSelect,
        help_text="Then say which: only the answer under your choice is used",
        error_messages={"required": "Choose what the hold covers"},
    )
    q = forms.CharField(
        label="Find a pupil",
        max_length=100,
        required=False,
        help_text="Their name or UPN, then press Find; pupils who have left are found too",
    )
    pupil = forms.ChoiceField(label="The pupil", required=False, widget=forms.RadioSelect)
    member = forms.ChoiceField(label="The member of staff", required=False)
    case = forms.CharField(label="The case number", required=False, max_length=20)
    record_type = forms.ChoiceField(label="The kind of record", required=False, choices=KIND_CHOICES)
    record_kind = forms.ChoiceField(label="The record's kind", required=False, choices=KIND_CHOICES)
    record_id = forms.CharField(
        label="The record's number",
        required=False,
        max_length=20,
        help_text="Its number, as the due list shows it",
    )
    reason = forms.CharField(
        label="Why the records must be kept",
        max_length=300,
        help_text="The inquiry, claim or investigation: no names of pupils",
        error_messages={"required": "Say why the records must be kept"},
    )
    ends_on = forms.DateField(
        label="Until (optional)",
        required=False,
        widget=DateInput(),
        help_text="Leave empty to keep it until the hold is released",
        error_messages={"invalid": "Enter a real date, like 31/12/2027"},
    )

    def __init__(self, *args, school, pupils=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.school = school
        self.fields["pupil"].choices = [(str(p.pk), p.name) for p in pupils]
        members = (
            Membership.objects.filter(school=school)
            .select_related("user")
            .order_by("user__last_name", "user__first_name")
        )
        self.fields["member"].choices = [("", "Choose a member of staff")] + [
            (str(m.pk), m.user.get_full_name() or m.user.email) for m in members
        ]

    def clean_pupil(self):
        pk = parse_id(self.cleaned_data.get("pupil") or "")
        return Pupil.objects.filter(school=self.school, pk=pk).first() if pk else None

    def clean_member(self):
        pk = parse_id(self.cleaned_data.get("member") or "")
        return Membership.objects.filter(school=self.school, pk=pk).first() if pk else None

    def clean_case(self):
        text = (self.cleaned_data.get("case") or "").strip()
        if not text:
            return None
        pk = parse_id(text)
        case = Case.objects.filter(school=self.school, pk=pk).first() if pk else None
        if case is None:
            raise forms.ValidationError("There is no case with that number at this school")
        return case

    def clean(self):
        data = super().clean()
        scope = data.get("scope")
        if scope in SCOPE_FIELDS:
            for other, names in SCOPE_FIELDS.items():
                for name in names if other != scope else ():
                    data[name] = None if name in ("pupil", "member", "case") else ""
                    self._errors.pop(name, None)
            if scope == LegalHold.Scope.RECORD:
                data["record_type"] = data.get("record_kind") or ""
        return data

    def show_refusal(self, decision) -> None:
        """A door's refusal beside the field that asked it: one record's kind is asked as ``record_kind``."""
        one_record = self.cleaned_data.get("scope") == LegalHold.Scope.RECORD
        for reason in decision.reasons:
            name = "record_kind" if one_record and reason.field == "record_type" else reason.field
            self.add_error(name if name in self.fields else None, str(reason))

    def clean_record_id(self):
        text = (self.cleaned_data.get("record_id") or "").strip()
        if text and parse_id(text) is None:
            raise forms.ValidationError("Enter the record's number, like 1234")
        return text
