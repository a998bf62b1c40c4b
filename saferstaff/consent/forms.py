"""§5 consent forms: a pupil's answers typed in by the office, the school's list of uses, and the guardian
portal's choices."""

from django import forms

from saferstaff import scans
from saferstaff.consent.models import ConsentRecord, Purpose
from saferstaff.consent.services import current_answers
from saferstaff.forms import ModelMultipleIdsField
from saferstaff.numbers import parse_id
from saferstaff.schools.models import Guardian, Pupil


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


class PortalForm(forms.Form):
    """A guardian's choices through their link: a yes or no for each of their children and each use the
    school asks about (§5). Built for the link: it covers the guardian's children with parental
    responsibility (those who have left too, so consent can still be withdrawn) and the uses in use."""

    def __init__(self, data=None, files=None, *, link):
        super().__init__(data, files)
        self.children = list(
            Pupil.objects.filter(
                school=link.school,
                guardianships__guardian=link.guardian,
                guardianships__parental_responsibility=True,
            ).order_by("date_of_birth")
        )
        self.purposes = list(Purpose.objects.filter(school=link.school, active=True))
        self.current = current_answers(link, self.children)
        self._questions = []
        for child in self.children:
            forename = child.preferred_forename or child.legal_forename
            questions = []
            for purpose in self.purposes:
                name = self.name_for(child, purpose)
                self.fields[name] = forms.ChoiceField(
                    choices=ConsentRecord.Answer.choices,
                    required=False,
                    widget=forms.RadioSelect,
                    label=f"{purpose.name} for {forename}",
                    help_text=purpose.plain_words,
                    error_messages={"invalid_choice": "Choose yes or no"},
                )
                self.initial[name] = self.current.get((child.pk, purpose.pk), "")
                questions.append((purpose, name))
            self._questions.append((child, questions))
        self.refused_pupil = None  # a child of someone else's, named in the post: the view refuses it

    @property
    def rows(self):
        """Each child with their questions: (use, its field), for the page."""
        return [(child, [(purpose, self[name]) for purpose, name in qs]) for child, qs in self._questions]

    @staticmethod
    def name_for(child, purpose) -> str:
        return f"c-{child.pk}-{purpose.pk}"

    def clean(self):
        data = super().clean()
        children = {c.pk for c in self.children}
        for key in self.data:
            if not key.startswith("c-") or key in self.fields:
                continue
            _, pupil_id, purpose_id = (key.split("-") + ["", ""])[:3]
            pupil_id, purpose_id = parse_id(pupil_id), parse_id(purpose_id)
            if pupil_id is None or purpose_id is None or key.count("-") != 2:
                raise forms.ValidationError(
                    "The form was not sent as the school made it. Open your link again.", code="malformed"
                )
            if pupil_id not in children:
                # A link only ever covers the guardian's own children.
                self.refused_pupil = pupil_id
                raise forms.ValidationError(
                    "This link can only be used for your own children. Nothing was saved. Open the link from "
                    "your own email to give your choices.",
                    code="not_your_child",
                )
            raise forms.ValidationError(
                "The uses the school asks about have changed since you opened this page. Check your choices "
                "below, then save again.",
                code="uses_changed",
            )
        if not self.errors and not self.answers():
            raise self.unchanged_error()
        return data

    @staticmethod
    def unchanged_error() -> forms.ValidationError:
        return forms.ValidationError(
            "You have not changed any answer. Choose yes or no for a use, then save.", code="unchanged"
        )

    def answers(self) -> list[tuple]:
        """(child, use, answer) for each answer that differs from the guardian's answer in force."""
        changed = []
        for child, questions in self._questions:
            for purpose, name in questions:
                value = self.cleaned_data.get(name)
                if value and value != self.current.get((child.pk, purpose.pk)):
                    changed.append((child, purpose, value))
        return changed
