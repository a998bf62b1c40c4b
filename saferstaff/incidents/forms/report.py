"""Forms of the reporting pages (§9, KCSIE Part 4): an incident with its evidence, an allegation about a member
of staff, more evidence on an open case, sealing an item. They check the shape of what was sent and read the
files (each refused by its size before a byte of it is read); the doors (``incidents.services``) ask the rules."""

from django import forms

from saferstaff.conduct.forms import ModelIdField, pupil_label
from saferstaff.forms import (
    MultipleFileField,
    MultipleFileInput,
    happened_on_field,
    today_unless_posted,
    what_happened_field,
)
from saferstaff.incidents import vault
from saferstaff.incidents.models import Case, Involved
from saferstaff.incidents.services import MAX_FILES, Person, Upload
from saferstaff.schools.models import Membership, Pupil

# Files of one request together: more than this and the person sends the largest later, with "Add evidence".
MAX_TOTAL_BYTES = 2 * vault.MAX_BYTES
MB = 1_000_000


def _staff(school, *, leaving_out=None):
    members = Membership.objects.current().filter(school=school).select_related("user")
    if leaving_out is not None:
        members = members.exclude(pk=leaving_out.pk)
    return members.order_by("user__last_name", "user__first_name", "pk")


def _staff_label(m: Membership) -> str:
    return f"{m.listed_name}, {m.job_title}" if m.job_title else m.listed_name


class EvidenceFields(forms.Form):
    """Files (screenshots, saved emails, documents) and the address of a page for the server to capture."""

    file = MultipleFileField(
        label="Screenshots, saved emails (.eml) or other files (optional)", required=False,
        widget=MultipleFileInput(), allow_empty_file=True, help_text=f"Up to {MAX_FILES} files, each up to 50 MB",
    )  # fmt: skip
    url = forms.CharField(
        label="The address of a web page to capture (optional)", max_length=2000, required=False,
        help_text="saferstaff saves a copy of the page as it is now, e.g. https://social.example/post/123",
    )  # fmt: skip

    def clean_file(self):
        """Each file checked by the size the upload reported, before it is read; the names say which."""
        files = self.cleaned_data.get("file") or []
        if len(files) > MAX_FILES:
            raise forms.ValidationError(f"Choose up to {MAX_FILES} files at once (you chose {len(files)})")
        problems = []
        for f in files:
            if f.size > vault.MAX_BYTES:
                problems.append(
                    f"{f.name} is larger than 50 MB: keep it safe and tell the designated safeguarding lead"
                )
            elif f.size == 0:
                problems.append(f"{f.name} is empty: choose the file again")
        if not problems and sum(f.size for f in files) > MAX_TOTAL_BYTES:
            problems.append(
                f"Together the files are larger than {MAX_TOTAL_BYTES // MB} MB: send the largest later, "
                "with Add evidence"
            )
        if problems:
            raise forms.ValidationError(problems)
        return files

    def uploads(self) -> list[Upload]:
        """The files' names and bytes (never more than the cap is read, whatever the upload claimed)."""
        return [(f.name[:200], f.read(vault.MAX_BYTES + 1)) for f in self.cleaned_data["file"]]


class IncidentForm(EvidenceFields):
    """§9: what happened, who is involved, and the evidence, in one form. ``pupils``: the pupils the person may
    choose from (§8: none, and no pupil fields, for someone who sees no pupils)."""

    field_order = [
        "kind", "by_whom", "channel", "happened_on", "what_happened", "about_me", "member", "member_role",
        "pupil_q", "pupil", "pupil_role", "outsider", "outsider_role", "file", "url",
    ]  # fmt: skip

    kind = forms.ChoiceField(
        label="What are you reporting?", widget=forms.RadioSelect,
        choices=[c for c in Case.Kind.choices if c[0] != Case.Kind.ALLEGATION],
        error_messages={"required": "Choose what you are reporting"},
    )  # fmt: skip
    by_whom = forms.ChoiceField(
        label="Who did it?", choices=Case.By.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose who did it, or “I don't know”"},
    )  # fmt: skip
    channel = forms.ChoiceField(
        label="How did it happen?", choices=Case.Channel.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose how it happened, or “Something else”"},
    )  # fmt: skip
    happened_on = happened_on_field(help_text="The day it started, if it went on")
    what_happened = what_happened_field(
        max_length=5000, help_text="What was said or done, where, and for how long. Copy the words if you can"
    )
    about_me = forms.BooleanField(label="It was aimed at me", required=False)
    member = ModelIdField(
        label="A member of staff involved (optional)", queryset=Membership.objects.none(), required=False,
        empty_label="No one else from the staff",
        error_messages={"invalid_choice": "Choose one of the staff listed"},
    )  # fmt: skip
    member_role = forms.ChoiceField(
        label="How is the member of staff involved?", choices=Involved.Role.choices,
        initial=Involved.Role.TARGET, required=False,
    )  # fmt: skip
    pupil_q = forms.CharField(
        label="Find a pupil involved", max_length=100, required=False,
        help_text="Type part of their name, then press Find",
    )  # fmt: skip
    pupil = ModelIdField(
        label="The pupil (optional)", queryset=Pupil.objects.none(), required=False,
        empty_label="No pupil", error_messages={"invalid_choice": "Choose one of the pupils listed"},
    )  # fmt: skip
    pupil_role = forms.ChoiceField(
        label="How is the pupil involved?", choices=Involved.Role.choices, initial=Involved.Role.ALLEGED,
        required=False,
    )  # fmt: skip
    outsider = forms.CharField(
        label="Someone outside school (optional)", max_length=300, required=False,
        help_text="Describe them: e.g. “the parent of a pupil in Year 4, posting as @name”",
    )  # fmt: skip
    outsider_role = forms.ChoiceField(
        label="How are they involved?", choices=Involved.Role.choices, initial=Involved.Role.ALLEGED,
        required=False,
    )  # fmt: skip

    def __init__(self, *args, school, me, pupils, sees_pupils: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.me = me
        today_unless_posted(self)
        self.fields["member"].queryset = _staff(school, leaving_out=me)
        self.fields["member"].label_from_instance = _staff_label
        if sees_pupils:
            self.fields["pupil"].queryset = Pupil.objects.filter(school=school)
            if not pupils:
                self.fields["pupil"].help_text = "Find them by name first"
            self.fields["pupil"].widget.choices = [("", "No pupil")] + [
                (view.pk, pupil_label(view)) for view in pupils
            ]
        else:  # §8: someone who sees no pupils names none; the designated person adds them
            del self.fields["pupil"], self.fields["pupil_q"], self.fields["pupil_role"]

    def clean(self):
        data = super().clean()
        for person, role in (
            ("member", "member_role"),
            ("pupil", "pupil_role"),
            ("outsider", "outsider_role"),
        ):
            if data.get(person) and not data.get(role):
                self.add_error(role, "Say how they are involved")
        return data

    def people(self) -> list[Person]:
        data, found = self.cleaned_data, []
        if data["about_me"] and self.me is not None:
            found.append(Person(Involved.Role.TARGET, member=self.me))
        if data["member"]:
            found.append(Person(data["member_role"], member=data["member"]))
        if data.get("pupil"):
            found.append(Person(data["pupil_role"], pupil=data["pupil"]))
        if data["outsider"].strip():
            found.append(Person(data["outsider_role"], outsider=data["outsider"]))
        return found

    def door_kwargs(self) -> dict:
        """What the door (``services.report``) is given."""
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "by_whom": data["by_whom"],
            "channel": data["channel"],
            "happened_on": data["happened_on"],
            "what_happened": data["what_happened"],
            "people": self.people(),
            "files": self.uploads(),
            "url": data["url"],
        }


class AllegationForm(forms.Form):
    """KCSIE Part 4: an allegation that a member of staff has harmed, or may pose a risk to, a pupil."""

    subject = ModelIdField(
        label="Who is it about?", queryset=Membership.objects.none(), empty_label="Choose a person",
        error_messages={"required": "Choose who it is about", "invalid_choice": "Choose one of the people listed"},
    )  # fmt: skip
    happened_on = happened_on_field()
    what_happened = what_happened_field(
        max_length=5000,
        help_text="What you saw, heard or were told, and by whom. Do not investigate or ask anyone about it",
    )

    def __init__(self, *args, school, me, **kwargs):
        super().__init__(*args, **kwargs)
        today_unless_posted(self)
        self.fields["subject"].queryset = _staff(school, leaving_out=me)
        self.fields["subject"].label_from_instance = _staff_label


class EvidenceForm(EvidenceFields):
    """More evidence on an open case: files, a page to capture, or both."""

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("file") and not data.get("url", "").strip():
            self.add_error("file", "Choose a file, or give the address of a page to capture")
        return data


class SealForm(forms.Form):
    reason = forms.CharField(
        label="Why is it sealed from view?", max_length=500, widget=forms.Textarea,
        help_text="e.g. it shows another pupil. The item stays in the vault, intact; only you can open it",
        error_messages={"required": "Say why it is sealed"},
    )  # fmt: skip
