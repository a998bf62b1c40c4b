"""Form fields shared by every app."""

from django import forms

_LARGEST_ID = 2**63 - 1  # a bigint primary key


class ModelMultipleIdsField(forms.ModelMultipleChoiceField):
    """Django's ``ModelMultipleChoiceField`` sends whatever digits were posted to the database in an ``IN``
    list, and a number too large for an id column crashes the query (a 500). Such a value is simply not one
    of the choices."""

    def _check_values(self, value):
        for pk in value:
            text = str(pk)
            if text.isdigit() and not 0 < int(text) <= _LARGEST_ID:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": text}
                )
        return super()._check_values(value)
