"""§5: enrolling pupils' faces from the MIS photos."""

from django import forms

from saferstaff.forms import MultipleFileField


class MisPhotosForm(forms.Form):
    files = MultipleFileField(
        label="The MIS photos",
        help_text="JPEG or PNG photos, or one zip of them, each named by the pupil's UPN or MIS id.",
        error_messages={"required": "Choose the MIS photos to enrol from"},
    )
