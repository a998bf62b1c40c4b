"""§5 consent forms: a pupil's answers and the school's list of uses."""

from django import forms

from saferstaff import scans
from saferstaff.consent.models import ConsentRecord, Purpose
from saferstaff.forms import ModelMultipleIdsField
from saferstaff.schools.models import Guardian


class ConsentAnswerForm(forms.Form):
    """An answer given on paper, by phone or in person, typed in by the office (§5)."""

    purposes = ModelMultipleIdsField(
        queryset=Purpose.objects.none(), widget=forms.CheckboxSelectMultiple, label="For which uses"
    )
    answer = forms.ChoiceField(choices=ConsentRecord.Answer.choices, widget=forms.RadioSelect, label="Answer")
    source = forms.ChoiceField(
        choices=ConsentRecord.Source.choices, widget=forms.RadioSelect, label="Who answered"
    )
    guardian = forms.ModelChoiceField(
        queryset=None, required=False, label="Which guardian", help_text="Needed when a guardian answered"
    )
    method = forms.ChoiceField(
        choices=[c for c in ConsentRecord.Method.choices if c[0] != ConsentRecord.Method.PORTAL],
        widget=forms.RadioSelect,
        label="How",
        help_text="§5 asks for written consent: a yes by phone or in person waits for the written form. "
        "A no counts however it is given.",
    )
    evidence = forms.FileField(
        required=False, label="Scan of the form", help_text="Needed for a paper form (PDF, JPEG or PNG)"
    )
    note = forms.CharField(required=False, max_length=300, label="Note (optional)")

    def __init__(self, *args, school, pupil, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purposes"].queryset = Purpose.objects.filter(school=school, active=True)
        self.fields["guardian"].queryset = Guardian.objects.filter(school=school, guardianships__pupil=pupil)
        self.fields["guardian"].empty_label = "Not a guardian"

    def clean(self):
        data = super().clean()
        if data.get("source") == ConsentRecord.Source.GUARDIAN and not data.get("guardian"):
            self.add_error("guardian", "Choose the guardian who answered")
        if data.get("method") == ConsentRecord.Method.PAPER and not data.get("evidence"):
            self.add_error("evidence", "Attach the scan of the paper form")
        evidence = data.get("evidence")
        if evidence is not None and (problem := scans.problem(evidence)):
            self.add_error("evidence", problem)
        return data


class PurposeForm(forms.ModelForm):
    class Meta:
        model = Purpose
        fields = ["name", "plain_words", "publicity", "renew_annually", "active"]
        widgets = {"plain_words": forms.Textarea}
        labels = {
            "name": "Name staff see",
            "plain_words": "What guardians read",
            "publicity": "Seen outside school (the pupil's own view counts from the school's age)",
            "renew_annually": "Ask again every school year (answers lapse on 31 August)",
            "active": "In use (guardians are asked about it)",
        }
