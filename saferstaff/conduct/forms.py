"""Forms of the conduct room's pages. They check the shape of what was sent; the rules (``rules.conduct``)
are asked by the doors (``conduct.services``), and a page shows a refusal beside the field it names."""

import uuid

from django import forms

from saferstaff.conduct.models import ContactChannel, Disclosure, EquipmentPermission, LowLevelConcern
from saferstaff.forms import DateInput, happened_on_field, today_unless_posted, what_happened_field
from saferstaff.numbers import parse_id
from saferstaff.schools.access import NAME, PupilView, search_pupils
from saferstaff.schools.models import Membership, Pupil

# The most pupils a picker lists at once; a longer list asks for a name to search for.
PICKER_SIZE = 60


class ModelIdField(forms.ModelChoiceField):
    """A ``ModelChoiceField`` that treats a malformed or oversized id as "not one of the choices" (Django's
    own sends it to the database, where a number too large for an id column is a 500)."""

    def to_python(self, value):
        if value not in self.empty_values and parse_id(str(value)) is None:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class DisclosureForm(forms.Form):
    """§3/§4: contact with a pupil, told to the Headteacher. ``pupils``: the pupils the person may choose from
    (§8: none for someone who sees no pupils, and then "a pupil at this school" is not offered)."""

    who = forms.ChoiceField(
        label="Who was it?", choices=Disclosure.Who.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose who it was"},
    )  # fmt: skip
    pupil_q = forms.CharField(
        label="Find the pupil", max_length=100, required=False,
        help_text="Type part of their name, then press Find",
    )  # fmt: skip
    pupil = ModelIdField(
        label="The pupil", queryset=Pupil.objects.none(), required=False, empty_label="Choose the pupil",
        error_messages={"invalid_choice": "Choose one of the pupils listed"},
    )  # fmt: skip
    who_text = forms.CharField(
        label="Who they are", max_length=200, required=False,
        help_text="A few words, e.g. “says they are in Year 9”, “the parent of a pupil in Year 3”",
    )  # fmt: skip
    channel = ModelIdField(
        label="How were they in touch?", queryset=ContactChannel.objects.none(), empty_label="Choose one",
        error_messages={"required": "Choose how they were in touch", "invalid_choice": "Choose one of the list"},
    )  # fmt: skip
    happened_on = happened_on_field()
    what_happened = what_happened_field(
        max_length=2000, help_text="For example: “They sent me a friend request on Instagram last night.”"
    )
    did = forms.MultipleChoiceField(
        label="What did you do?", choices=Disclosure.Did.choices, widget=forms.CheckboxSelectMultiple,
        required=False,
    )  # fmt: skip
    did_note = forms.CharField(label="Anything to add (optional)", max_length=500, required=False)

    submission = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, school, pupils, sees_pupils: bool, **kwargs):
        super().__init__(*args, **kwargs)
        today_unless_posted(self)
        if not self.is_bound:
            self.initial.setdefault("submission", uuid.uuid4())
        self.sees_pupils = sees_pupils
        self.fields["channel"].queryset = ContactChannel.objects.filter(school=school, active=True)
        if sees_pupils:
            # Any pupil of the school is a valid answer (one who has just left too); the list shows those
            # found (PICKER_SIZE) and the one already chosen.
            self.fields["pupil"].queryset = Pupil.objects.filter(school=school)
            if not pupils:
                self.fields["pupil"].help_text = "Find them by name first"
            self.fields["pupil"].widget.choices = [("", "Choose the pupil")] + [
                (view.pk, pupil_label(view)) for view in pupils
            ]
        else:
            # §8: someone who sees no pupils says only that they think it is a pupil, or a family member.
            self.fields["who"].choices = [c for c in Disclosure.Who.choices if c[0] != Disclosure.Who.PUPIL]
            del self.fields["pupil"], self.fields["pupil_q"]

    def clean(self):
        data = super().clean()
        who = data.get("who")
        if who == Disclosure.Who.PUPIL and not data.get("pupil") and "pupil" not in self.errors:
            self.add_error("pupil", "Choose the pupil, or say you think it is a pupil")
        if (
            who in (Disclosure.Who.THINK_PUPIL, Disclosure.Who.FAMILY)
            and not data.get("who_text", "").strip()
        ):
            self.add_error("who_text", "Say in a few words who they are")
        if who != Disclosure.Who.PUPIL:
            data["pupil"] = None
        return data

    def door_kwargs(self) -> dict:
        """What the door (``services.disclose`` / ``edit_disclosure``) is given."""
        data = self.cleaned_data
        return {
            "who": data["who"],
            "pupil": data.get("pupil"),
            "who_text": data["who_text"].strip(),
            "channel": data["channel"],
            "happened_on": data["happened_on"],
            "what_happened": data["what_happened"].strip(),
            "did": list(data["did"]),
            "did_note": data["did_note"].strip(),
        }


def pupil_label(view: PupilView) -> str:
    if not view.year_group:
        return view.name
    return f"{view.name} ({'Year ' + view.year_group if view.year_group.isdigit() else view.year_group})"


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome", choices=Disclosure.Outcome.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose an outcome"},
    )  # fmt: skip
    note = forms.CharField(
        label="Note for the person who disclosed it", max_length=2000, required=False, widget=forms.Textarea,
        help_text="They read this on their My conduct page, e.g. the advice you gave",
    )  # fmt: skip


class ChannelForm(forms.Form):
    name = forms.CharField(
        label="Name of the platform or channel", max_length=80,
        error_messages={"required": "Enter the name of the platform or channel"},
    )  # fmt: skip
    is_social_media = forms.BooleanField(label="It is social media (§4)", required=False)
    run_by_school = forms.BooleanField(
        label="The school runs it (staff may ask permission to contact pupils through it, §3)", required=False
    )


# --- KCSIE Part 4: low-level concerns ----------------------------------------------------------------------
class ConcernForm(forms.Form):
    subject = forms.ModelChoiceField(
        queryset=Membership.objects.none(),
        label="Who is it about?",
        empty_label="Choose a person",
        help_text="Anyone on the school's staff list, including you: you can raise a concern about yourself",
        error_messages={
            "required": "Choose who it is about",
            "invalid_choice": "Choose one of the people listed",
        },
    )
    happened_on = happened_on_field()
    what = what_happened_field(
        max_length=3000,
        help_text="What you saw or heard, as plainly as you can. You do not need to be sure, or to find out more",
    )
    anonymous_to_subject = forms.TypedChoiceField(
        choices=[("yes", "No, keep me anonymous to them"), ("no", "Yes, they may be told I raised it")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        initial="yes",
        label="May the person be told who raised it?",
        help_text="Whoever reads the concern always knows who raised it",
        error_messages={
            "required": "Choose whether the person may be told who raised it",
            "invalid_choice": "Choose whether the person may be told who raised it",
        },
    )

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["subject"]
        field.queryset = (
            Membership.objects.current()
            .filter(school=school)
            .select_related("user")
            .order_by("user__last_name", "user__first_name", "pk")
        )
        field.label_from_instance = lambda m: (
            f"{m.listed_name}, {m.job_title}" if m.job_title else m.listed_name
        )


class ConcernOutcomeForm(forms.Form):
    rationale = forms.CharField(
        widget=forms.Textarea,
        max_length=2000,
        label="Why it is a low-level concern",
        help_text="Why it falls short of the guidance, and why it does not meet the harm threshold",
        error_messages={"required": "Say why it is a low-level concern"},
    )
    action = forms.CharField(
        widget=forms.Textarea, max_length=2000, label="Action taken",
        error_messages={"required": "Say what action was taken"},
    )  # fmt: skip
    outcome = forms.ChoiceField(
        choices=[c for c in LowLevelConcern.Outcome.choices if c[0] != LowLevelConcern.Outcome.ESCALATED],
        widget=forms.RadioSelect,
        label="Outcome",
        error_messages={
            "required": "Choose an outcome",
            "invalid_choice": "Choose one of the outcomes listed",
        },
    )


class EscalateForm(forms.Form):
    """Shown with the outcome form on one page: its fields carry the prefix ``escalate``."""

    rationale = forms.CharField(
        widget=forms.Textarea,
        max_length=2000,
        label="Why the harm threshold is met",
        help_text="For example: it suggests the person may have harmed a child, or may pose a risk of harm",
        error_messages={"required": "Say why the harm threshold is met"},
    )


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
        error_messages={"required": "Say what it is for"},
    )
    channel = ChannelField(
        queryset=ContactChannel.objects.none(),
        label="How",
        empty_label="Choose how",
        error_messages={"required": "Choose how", "invalid_choice": "Choose one of the list"},
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
    starts_on = forms.DateField(
        widget=DateInput(), label="From",
        error_messages={"required": "Enter the first day", "invalid": "Enter a real date"},
    )  # fmt: skip
    ends_on = forms.DateField(
        widget=DateInput(), label="To", help_text="At most a school year",
        error_messages={"required": "Enter the last day", "invalid": "Enter a real date"},
    )  # fmt: skip

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
        choices=EquipmentPermission.Kind.choices, widget=forms.RadioSelect, label="What device",
        error_messages={"required": "Choose what device"},
    )  # fmt: skip
    make_model = forms.CharField(
        max_length=120,
        required=False,
        label="Make and model",
        help_text="As the device's settings show it (Settings, About): e.g. Apple iPhone 13, or a model number "
        "such as SM-G991B. Photos are matched to it by the camera details they carry",
    )
    purpose = forms.CharField(
        max_length=300, label="What it is for", help_text="For example: calls to school on the farm trip",
        error_messages={"required": "Say what it is for"},
    )  # fmt: skip
    starts_on = forms.DateField(
        widget=DateInput(), label="Date, or first day",
        error_messages={"required": "Enter the date, or the first day", "invalid": "Enter a real date"},
    )  # fmt: skip
    ends_on = forms.DateField(
        widget=DateInput(), required=False, label="Last day", help_text="Leave empty for one day only",
        error_messages={"invalid": "Enter a real date"},
    )  # fmt: skip
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
        error_messages={"required": "Choose whether to approve it"},
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
