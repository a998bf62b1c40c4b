"""The conduct room's forms. They read and tidy what was sent; every rule is the door's (``conduct.services``),
whose refusals a page puts beside their fields (``rules.engine.show_on_form``)."""

from django import forms

from saferstaff.conduct.models import ContactChannel, EquipmentPermission
from saferstaff.forms import DateInput
from saferstaff.numbers import parse_id
from saferstaff.schools.access import NAME, search_pupils
from saferstaff.schools.models import Pupil


# --- §3, §4, §6: asking permission, deciding, withdrawing ----------------------------------------------
class PupilNamesInput(forms.Widget):
    """Several text boxes of one name, each typed with the page's list of pupils (a datalist: no
    JavaScript needed); the template draws them (``conduct/includes/pupil_names.html``)."""

    def value_from_datadict(self, data, files, name):
        return [text for text in data.getlist(name) if text.strip()] if hasattr(data, "getlist") else []


class PupilNamesField(forms.Field):
    """Named pupils, each as the list offers them ("Ada Lovelace (Year 6) #12") or a name typed in full. An id
    is looked up as sent: the door refuses a pupil of another school, citing its clause."""

    widget = PupilNamesInput
    BOXES = 5

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.school = None
        self.fields = frozenset()

    def clean(self, value):
        pupils, missing = [], []
        for text in value or []:
            pupil = self.find(text.strip())
            if pupil is None:
                missing.append(text.strip().rsplit("#", 1)[0].strip() or text.strip())
            elif pupil not in pupils:
                pupils.append(pupil)
        if missing:
            raise forms.ValidationError(
                "Choose each pupil from the list as you type their name (not found: %(names)s)",
                params={"names": ", ".join(missing[:5])},
            )
        return pupils

    def find(self, text: str):
        if NAME not in self.fields:
            return None  # §8: someone who does not see pupils' names does not look them up either
        if "#" in text and (pk := parse_id(text.rsplit("#", 1)[1])) is not None:
            return Pupil.objects.filter(pk=pk).first()
        matches = list(
            search_pupils(Pupil.objects.filter(school=self.school).current(), text, self.fields)[:2]
        )
        return matches[0] if len(matches) == 1 else None


class ChannelField(forms.ModelChoiceField):
    def label_from_instance(self, channel):
        if channel.is_social_media:
            return f"{channel.name} — the Headteacher decides (§4)"
        if not channel.run_by_school:
            return f"{channel.name} — not a school channel (§3)"
        return channel.name


def _one_day_or_more(data) -> None:
    """A blank last day is the first day: permission for one day."""
    if data.get("starts_on") and not data.get("ends_on"):
        data["ends_on"] = data["starts_on"]


class ContactRequestForm(forms.Form):
    purpose = forms.CharField(
        max_length=300,
        label="What it is for",
        help_text="For example: messages to the pupils going on the Year 6 residential, about the trip",
    )
    channel = ChannelField(
        queryset=ContactChannel.objects.none(),
        label="How",
        empty_label="Choose how",
        help_text="The school's own channels (§3). Social media needs the Headteacher's permission (§4). "
        "Personal numbers, personal email and personal social-media accounts are never given to pupils (§3).",
    )
    year_groups = forms.MultipleChoiceField(
        choices=[], widget=forms.CheckboxSelectMultiple, required=False, label="Year groups"
    )
    group_name = forms.CharField(
        max_length=120,
        required=False,
        label="Class, club or group",
        help_text="For example: Oak class, the football club",
    )
    pupils = PupilNamesField(
        label="Named pupils", help_text="Start typing a name and choose from the list; leave the rest empty"
    )
    starts_on = forms.DateField(widget=DateInput(), label="From")
    ends_on = forms.DateField(widget=DateInput(), label="To", help_text="At most a school year")

    def __init__(self, *args, school, year_groups, pupil_fields, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = ContactChannel.objects.filter(school=school, active=True).order_by(
            "-run_by_school", "position", "name"
        )
        self.fields["year_groups"].choices = [(y, f"Year {y}" if y.isdigit() else y) for y in year_groups]
        self.fields["pupils"].school, self.fields["pupils"].fields = school, pupil_fields

    def door_kwargs(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields}


class EquipmentRequestForm(forms.Form):
    device_kind = forms.ChoiceField(
        choices=EquipmentPermission.Kind.choices, widget=forms.RadioSelect, label="What device"
    )
    make_model = forms.CharField(
        max_length=120,
        required=False,
        label="Make and model",
        help_text="As the phone's settings show it, e.g. Apple iPhone 13",
    )
    purpose = forms.CharField(
        max_length=300, label="What it is for", help_text="For example: calls to school on the farm trip"
    )
    starts_on = forms.DateField(widget=DateInput(), label="Date, or first day")
    ends_on = forms.DateField(
        widget=DateInput(), required=False, label="Last day", help_text="Leave empty for one day only"
    )
    conditions = forms.MultipleChoiceField(
        choices=EquipmentPermission.Condition.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Conditions",
        help_text="Whatever the conditions, personal equipment is never used to record images of pupils (§5)",
    )
    conditions_note = forms.CharField(max_length=300, required=False, label="Other conditions (optional)")

    def clean(self):
        data = super().clean()
        _one_day_or_more(data)
        return data

    def door_kwargs(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields}


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", "Approve"), ("refuse", "Do not approve")],
        widget=forms.RadioSelect,
        label="Decision",
    )
    reason = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea,
        label="Reason",
        help_text="Needed when it is not approved; the person who asked reads it",
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(max_length=500, required=False, label="Why (optional)")
