"""Form fields shared by every app."""

from django import forms

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
