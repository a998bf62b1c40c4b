from django import forms

from saferstaff import scans
from saferstaff.consent.models import Purpose
from saferstaff.forms import DateInput, ModelMultipleIdsField, MultipleFileField
from saferstaff.photos.models import Activity, Device
from saferstaff.photos.places import MAX_PLACES, clean_url
from saferstaff.photos.takedowns import UNCHECKED_NOTE_MIN
from saferstaff.rules.images import may_date_activity
from saferstaff.schools.models import Membership


class DeviceForm(forms.ModelForm):
    class Meta:
        model = Device
        fields = ["kind", "make", "model", "serial", "asset_tag", "lent_to", "retired_on"]
        widgets = {"retired_on": DateInput()}
        labels = {"lent_to": "Lent to", "retired_on": "Retired on (leave blank while in use)"}

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.school = school
        self.fields["lent_to"].queryset = (
            Membership.objects.active().filter(school=school).select_related("user")
        )
        self.fields["lent_to"].empty_label = "Kept in school"
        self.fields["lent_to"].label_from_instance = lambda m: m.user.get_full_name() or m.user.email

    def clean_asset_tag(self):
        tag = self.cleaned_data["asset_tag"].strip()
        clash = Device.objects.filter(school=self.school, asset_tag__iexact=tag).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("Another device already has this asset tag")
        return tag


class ActivityForm(forms.ModelForm):
    year_groups = forms.MultipleChoiceField(
        choices=[], widget=forms.CheckboxSelectMultiple, label="Which pupils", required=True,
        help_text="The pupils who may be photographed; the check-list shows who must not be",
    )  # fmt: skip

    class Meta:
        model = Activity
        fields = ["title", "happens_on", "place", "device", "purposes", "after_use", "not_one_to_one"]
        field_classes = {"purposes": ModelMultipleIdsField}
        widgets = {
            "happens_on": DateInput(),
            "purposes": forms.CheckboxSelectMultiple,
            "after_use": forms.Textarea,
        }
        labels = {
            "title": "What is happening",
            "happens_on": "Date",
            "place": "Where",
            "device": "Which school device",
            "purposes": "What the images are for",
            "not_one_to_one": "No pupil will be photographed one-to-one (§5)",
        }
        help_texts = {
            "after_use": "§5: say what happens to the images afterwards (e.g. deleted from the camera)"
        }

    def __init__(self, *args, school, year_groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["device"].queryset = Device.objects.filter(school=school, retired_on__isnull=True)
        self.fields["purposes"].queryset = Purpose.objects.filter(school=school, active=True, biometric=False)
        self.fields["year_groups"].choices = [(y, f"Year {y}" if y.isdigit() else y) for y in year_groups]

    def clean_happens_on(self):
        happens_on = self.cleaned_data["happens_on"]
        decision = may_date_activity(None, happens_on=happens_on)
        if not decision:
            raise forms.ValidationError(str(decision.reasons[0]))
        return happens_on

    def clean_not_one_to_one(self):
        if not self.cleaned_data.get("not_one_to_one"):
            raise forms.ValidationError("Confirm that no pupil will be photographed one-to-one")
        return True


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", "Approve"), ("refuse", "Do not approve")],
        widget=forms.RadioSelect,
        label="Decision",
    )
    note = forms.CharField(required=False, max_length=300, label="Note to the photographer (optional)")


class ImageUploadForm(forms.Form):
    """Photos and videos taken for an approved activity (§5)."""

    files = MultipleFileField(
        label="Photos, videos or a zip",
        help_text="JPEG, PNG, MP4 or MOV, or one zip of them. Everything is checked first: if any file has a "
        "problem, nothing is saved and each problem is listed.",
        error_messages={"required": "Choose the photos or videos to add"},
    )


class TakedownForm(forms.Form):
    note = forms.CharField(
        max_length=500,
        label="What you did",
        help_text=(
            "For example, 'Removed from the website gallery page'. At most 500 characters; at least "
            f"{UNCHECKED_NOTE_MIN} characters where saferstaff could not check a web address, unless you add a "
            "screenshot"
        ),
        error_messages={"required": "Say what you did", "max_length": "Enter at most 500 characters"},
    )
    evidence = forms.FileField(required=False, label="Screenshot (optional)", help_text="PDF, JPEG or PNG")

    def clean_evidence(self):
        evidence = self.cleaned_data.get("evidence")
        if evidence is not None and (problem := scans.problem(evidence)):
            raise forms.ValidationError(problem)
        return evidence


class OverruleForm(forms.Form):
    """Senior management's word that the image a check found is not the withdrawn photo (``checks.overrule``)."""

    reason = forms.CharField(
        max_length=500,
        label="Why the image found is not the withdrawn photo",
        help_text="For example, 'Another photo of the same class, taken a minute later, with consent for everyone in it'. At most 500 characters",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter a reason", "max_length": "Enter at most 500 characters"},
    )


# §5: publishing a copy of an image (the image's page shows it; the publishing room's page takes it).
class PublishImageForm(forms.Form):
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
    places = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "autocomplete": "off"}),
        label="Web addresses where this copy will appear (optional)",
        help_text="One to a line, for example https://school.example/news/sports-day. If consent is "
        "withdrawn, these are the pages to take it down from",
    )

    def __init__(self, *args, activity, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = Purpose.objects.filter(
            school_id=activity.school_id, publicity=True, active=True
        )

    def clean_places(self) -> list[str]:
        """Each line a web address (``clean_url``); empty lines ignored, an address given twice kept once."""
        urls, problems = [], []
        for n, line in enumerate(self.cleaned_data["places"].splitlines(), start=1):
            if not line.strip():
                continue
            try:
                url = clean_url(line)
            except forms.ValidationError as problem:
                problems.append(f"Web addresses, line {n}: {problem.messages[0]}")
            else:
                urls += [] if url in urls else [url]
        if len(urls) > MAX_PLACES:
            problems.append(f"Web addresses: enter at most {MAX_PLACES}, one to a line")
        if problems:
            raise forms.ValidationError(problems)
        return urls


class PlaceForm(forms.Form):
    """Another web address where a published copy appears (the publication's page)."""

    url = forms.CharField(
        label="Web address where this copy appears",
        help_text="For example https://school.example/news/sports-day",
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off", "inputmode": "url"}),
        error_messages={"required": "Enter the web address where this copy appears"},
    )

    def clean_url(self) -> str:
        try:
            return clean_url(self.cleaned_data["url"])
        except forms.ValidationError as problem:
            raise forms.ValidationError(problem.messages[0]) from None  # the summary names the field


class SiteForm(forms.Form):
    """One of the school's own websites, to be swept each week (the sites page)."""

    url = forms.CharField(
        label="Start address of the website",
        help_text="For example https://school.example/ — every page linked from it on the same site is checked",
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off", "inputmode": "url"}),
        error_messages={"required": "Enter the start address of the website"},
    )
    label = forms.CharField(
        label="Name (optional)",
        required=False,
        max_length=100,
        help_text="At most 100 characters",
        error_messages={"max_length": "Enter a name of at most 100 characters"},
    )

    def clean_url(self) -> str:
        try:
            return clean_url(self.cleaned_data["url"])
        except forms.ValidationError as problem:
            raise forms.ValidationError(problem.messages[0]) from None  # the summary names the field
