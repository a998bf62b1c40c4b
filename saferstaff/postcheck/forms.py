"""§4: a draft post or profile to check."""

from django import forms
from django.conf import settings

from saferstaff.textcheck.check import MAX_CHARS


class DraftForm(forms.Form):
    text = forms.CharField(
        label="Your draft",
        help_text="A post, a comment or your profile's bio, as you would publish it.",
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "true"}),
        strip=False,
    )
    form = forms.ChoiceField(
        label="What is it?",
        choices=[("post", "A post or comment"), ("bio", "My profile or bio")],
        initial="post",
        widget=forms.RadioSelect,
    )
    photo = forms.FileField(
        label="A photo you want to post with it (optional)",
        help_text="Checked for faces, then forgotten: it is not kept.",
        required=False,
    )
    save = forms.BooleanField(
        label="Keep this check in my saved checks",
        help_text=(
            "For you alone, until the school's retention schedule destroys it: 3 months unless the school changed "
            "it (the photo is never kept). Otherwise nothing you type or attach is kept."
        ),
        required=False,
    )

    def clean_text(self):
        text = self.cleaned_data["text"]
        if not text.strip():
            raise forms.ValidationError("Enter your draft")
        if len(text) > MAX_CHARS:
            raise forms.ValidationError(
                f"Check one post or profile at a time: this is {len(text):,} characters, the most is {MAX_CHARS:,}"
            )
        return text

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo and photo.size > settings.IMAGE_MAX_BYTES:
            raise forms.ValidationError(
                f"The photo must be smaller than {settings.IMAGE_MAX_BYTES // 1024 // 1024} MB"
            )
        return photo
