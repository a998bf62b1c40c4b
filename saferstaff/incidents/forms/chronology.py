"""Forms of the chronology pages: the school's closure days (the LADO clock counts only the days it is open)."""

from django import forms

from saferstaff.forms import DateInput
from saferstaff.numbers import parse_id


class ClosureDayForm(forms.Form):
    day = forms.DateField(
        label="Day the school is closed", widget=DateInput(),
        help_text="A weekday that is not a bank holiday: an INSET day, or a day the school had to close",
        error_messages={"required": "Enter the day the school is closed", "invalid": "Enter a real date"},
    )  # fmt: skip
    reason = forms.CharField(
        label="Why is the school closed?", max_length=100,
        help_text="For example: “INSET day” or “Closed: heating failure”",
        error_messages={"required": "Say why the school is closed"},
    )  # fmt: skip


class RemoveClosureForm(forms.Form):
    closure = forms.CharField()

    def clean_closure(self):
        pk = parse_id(self.cleaned_data["closure"])
        if pk is None:
            raise forms.ValidationError("Choose a closure day from the list")
        return pk
