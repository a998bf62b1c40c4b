from django import forms

from saferstaff.policy.models import SchoolSettings


class SchoolSettingsForm(forms.ModelForm):
    class Meta:
        model = SchoolSettings
        fields = ["image_retention_months", "pupil_voice_age"]
        labels = {
            "image_retention_months": "Keep images of pupils for (months)",
            "pupil_voice_age": "Age from which a pupil's own view counts",
        }

    def clean_image_retention_months(self):
        value = self.cleaned_data["image_retention_months"]
        if not 1 <= value <= 120:
            raise forms.ValidationError("Enter a number of months between 1 and 120 (§5 recommends 24)")
        return value

    def clean_pupil_voice_age(self):
        value = self.cleaned_data["pupil_voice_age"]
        if not 4 <= value <= 18:
            raise forms.ValidationError("Enter an age between 4 and 18")
        return value
