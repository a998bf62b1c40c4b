"""Form fields shared by every app."""

from django import forms
from django.utils import timezone

from saferstaff.numbers import parse_id


class ModelMultipleIdsField(forms.ModelMultipleChoiceField):
    """Django's ``ModelMultipleChoiceField`` sends whatever digits were posted to the database in an ``IN``
    list, and a number too large for an id column (or a digit like '²' that ``int()`` rejects) crashes the
    query (a 500). Such a value is simply not one of the choices."""

    def _check_values(self, value):
        for pk in value:
            text = str(pk)
            if parse_id(text) is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": text}
                )
        return super()._check_values(value)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": "image/jpeg,image/png,video/mp4,video/quicktime,.zip"}),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data and self.required:  # an empty upload is a mistake to show by the field, not "0 added"
            raise forms.ValidationError(self.error_messages["required"], code="required")
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


# What happened, and when: the fields every report asks for (a disclosure, a concern, an incident, an allegation,
# a breach), worded and checked the same everywhere.


def happened_on_field(*, help_text: str = "", label: str = "When did it happen?") -> forms.DateField:
    return forms.DateField(
        label=label, widget=DateInput(), help_text=help_text,
        error_messages={"required": "Enter the date it happened", "invalid": "Enter a real date"},
    )  # fmt: skip


def what_happened_field(*, max_length: int, help_text: str) -> forms.CharField:
    return forms.CharField(
        label="What happened?", max_length=max_length, widget=forms.Textarea, help_text=help_text,
        error_messages={"required": "Say what happened"},
    )  # fmt: skip


def today_unless_posted(form: forms.Form, name: str = "happened_on") -> None:
    """A new form's date starts as today (as the date input reads it); a posted one keeps what was sent."""
    if not form.is_bound:
        form.initial.setdefault(name, timezone.localdate().isoformat())
