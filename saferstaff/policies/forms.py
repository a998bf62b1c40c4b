"""§1–2, §7: the forms of the policy pages."""

from django import forms
from django.utils import timezone

from saferstaff import scans
from saferstaff.policies.models import Policy, PolicyKind, QuizQuestion
from saferstaff.schools.models import EmploymentType, Membership, Role

MAX_POLICY_BYTES = 10 * 1024 * 1024


class PolicyImportForm(forms.Form):
    title = forms.CharField(
        max_length=200, help_text="As staff will see it, e.g. 'Online Safety and Social Media Guidance'"
    )
    kind = forms.ChoiceField(
        choices=PolicyKind.choices,
        widget=forms.RadioSelect,
        initial=PolicyKind.ONLINE_SAFETY,
        label="What kind of policy is it?",
    )
    file = forms.FileField(
        label="The document", help_text="Word (.docx), plain text (.txt) or Markdown (.md), up to 10 MB"
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_POLICY_BYTES:  # refused before a byte of it is read
            raise forms.ValidationError(
                f"The file is {upload.size / (1024 * 1024):.1f} MB; the limit is 10 MB. Save the document "
                "without embedded pictures, or as plain text, and upload that."
            )
        return upload

    def document(self) -> dict:
        """What ``import_policy`` and ``publish_to_trust`` take from this form."""
        upload = self.cleaned_data["file"]
        return {
            "title": self.cleaned_data["title"],
            "kind": self.cleaned_data["kind"],
            "filename": upload.name,
            "data": upload.read(),
        }


class PublishVersionForm(forms.Form):
    """Publishing a draft version of a policy: staff are asked to read and accept it unless it is minor."""

    minor_change = forms.ChoiceField(
        required=False,  # not said: a text the same as the version in force is a minor change
        choices=[
            (
                "on",
                "A minor change (for example a typo): staff who accepted the last version need not accept again",
            ),
            ("off", "A change staff must read and accept again"),
        ],
        widget=forms.RadioSelect,
        label="What kind of change is it?",
    )
    change_note = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What changed (optional)",
        help_text="Staff see this on 'What changed'. Needed when the text is the same but staff must accept again.",
    )
    review_date = forms.DateField(
        required=False,
        label="Review date",
        help_text="When the school will next review this policy, for example 31/08/2027",
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
    )

    def clean_review_date(self):
        return _future_review_date(self.cleaned_data["review_date"])

    def minor(self) -> bool | None:
        return {"on": True, "off": False}.get(self.cleaned_data.get("minor_change") or "")


def _future_review_date(value):
    """A review date is a plan: one already past would print as due in the governors' report."""
    if value is not None and value <= timezone.localdate():
        raise forms.ValidationError("Enter a review date in the future, for example 31/08/2027")
    return value


class ReviewDateForm(forms.Form):
    review_date = forms.DateField(
        label="Review date",
        help_text="When the school will next review this policy, for example 31/08/2027",
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
    )

    def clean_review_date(self):
        return _future_review_date(self.cleaned_data["review_date"])


class AcceptForm(forms.Form):
    def __init__(self, *args, questions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for n, q in enumerate(self.questions, start=1):
            self.fields[f"q{q.pk}"] = forms.ChoiceField(
                choices=list(enumerate(q.answers)),
                widget=forms.RadioSelect,
                required=False,
                label=f"Question {n}: {q.text}",
            )

    def wrong_questions(self) -> list[tuple[int, QuizQuestion]]:
        """(number on the page, question) for each question not answered rightly."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return [
            (n, q)
            for n, q in enumerate(self.questions, start=1)
            if str(data.get(f"q{q.pk}", "")) != str(q.correct)
        ]

    understood = forms.BooleanField(
        required=False, label="I have read and understood this policy, and I will follow it"
    )
    # Not required here: the rule (rules.policies) says what an empty or a wrong name needs, once, in its words.
    typed_name = forms.CharField(
        required=False, max_length=200, label="Your full name", help_text="Typing your name is your signature"
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea, max_length=2000, label="Why are you declining it?", required=False
    )


class AcceptOnBehalfForm(forms.Form):
    member = forms.ModelChoiceField(queryset=Membership.objects.none(), label="Who accepted it")
    note = forms.CharField(
        widget=forms.Textarea,
        max_length=2000,
        required=False,
        label="How they accepted it",
        help_text="For example: signed the paper copy at the volunteers' induction on 3 March",
    )
    evidence = forms.FileField(
        required=False, label="The scanned, signed form", help_text="PDF, JPEG or PNG, up to 10 MB"
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["member"].label_from_instance = lambda m: (
            f"{m.user.display_name} ({m.get_employment_type_display()})"
        )

    def clean_evidence(self):
        upload = self.cleaned_data.get("evidence")
        if upload is not None and (problem := scans.problem(upload)):
            raise forms.ValidationError(problem)
        return upload


class AudienceForm(forms.ModelForm):
    audience_roles = forms.MultipleChoiceField(
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Roles who must read it",
        help_text="Tick none for everyone",
    )
    audience_employment = forms.MultipleChoiceField(
        choices=EmploymentType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Kinds of staff who must read it",
        help_text="Tick none for everyone (§1 covers employees, agency staff, contractors and volunteers)",
    )

    class Meta:
        model = Policy
        fields = ["compulsory", "audience_roles", "audience_employment"]
        labels = {"compulsory": "Staff must accept it before they can use the rest of saferstaff"}


MAX_QUESTIONS = 5  # a short check of understanding, not an exam


class QuestionForm(forms.Form):
    text = forms.CharField(max_length=300, label="Question")
    answers = forms.CharField(
        widget=forms.Textarea,
        max_length=2000,
        label="Answers, one per line",
        help_text="Two to five answers. Put * in front of the right one.",
    )
    section = forms.CharField(
        max_length=20,
        required=False,
        label="Section that answers it (optional)",
        help_text="For example 4 or 7.1",
    )

    def __init__(self, *args, version, **kwargs):
        super().__init__(*args, **kwargs)
        self.version = version

    def clean(self):
        data = super().clean()
        if self.version.questions.count() >= MAX_QUESTIONS:
            raise forms.ValidationError("A version has at most five questions: remove one first.")
        return data

    def clean_answers(self):
        lines = [line.strip() for line in self.cleaned_data["answers"].splitlines() if line.strip()]
        right = [i for i, line in enumerate(lines) if line.startswith("*")]
        if not 2 <= len(lines) <= 5:
            raise forms.ValidationError("Give between two and five answers, one per line")
        if len(right) != 1:
            raise forms.ValidationError("Put * in front of exactly one answer: the right one")
        answers = [line.lstrip("*").strip() for line in lines]
        if any(len(answer) > 200 for answer in answers):
            raise forms.ValidationError("Keep each answer under 200 characters")
        return answers, right[0]

    def clean_section(self):
        """A question may cite only a section this version has (staff who get it wrong are sent there)."""
        number = self.cleaned_data["section"].strip().lstrip("§").strip()
        numbers = [n for n in self.version.sections.values_list("number", flat=True) if n]
        if number and number not in numbers:
            example = (
                f": one of {', '.join(numbers[:8])}{' …' if len(numbers) > 8 else ''}" if numbers else ""
            )
            raise forms.ValidationError(
                f"Version {self.version.number} has no §{number}. Enter the number of one of its sections{example}"
            )
        return number


class DeleteQuestionForm(forms.Form):
    delete = forms.IntegerField(min_value=1, max_value=2**31 - 1)
