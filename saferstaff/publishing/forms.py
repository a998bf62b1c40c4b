"""§5: publishing a copy of an image."""

from django import forms

from saferstaff.consent.models import Purpose


class PublishImageForm(forms.Form):
    """Publishing a copy of one image, on a use guardians are asked about (§5)."""

    channel = forms.ModelChoiceField(queryset=None, label="Where", empty_label=None)
    where = forms.CharField(
        max_length=300,
        label="Web address, newsletter issue or display board",
        help_text="For the register (§5)",
    )
    blur_faces = forms.BooleanField(
        required=False,
        initial=True,
        label="Blur every face that is unknown or has no consent",
        help_text="Faces are found by two detectors and matched to pupils enrolled for face matching",
    )

    def __init__(self, *args, activity, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = Purpose.objects.filter(
            school_id=activity.school_id, publicity=True, active=True
        )
