"""Every error in an error summary names its field ("Date: This field is required."), in every form of the
project: the one summary (``{% govuk_error_summary %}``, templates/includes/error_summary.html) does it,
and the sign-in pages use it too (their messages are checked in test_signin_pages.py)."""

import pathlib
import re

import pytest
from django import forms
from django.urls import reverse

from saferstaff.biometrics import forms as biometric_forms
from saferstaff.consent import forms as consent_forms
from saferstaff.photos import forms as image_forms
from saferstaff.policies import forms as policy_forms
from saferstaff.postcheck import forms as postcheck_forms
from saferstaff.schools import forms as school_forms
from saferstaff.schools.models import Membership
from saferstaff.templatetags.govuk import govuk_error_summary

from .conftest import signed_in
from .image_samples import approved_activity, pupil_with_parents

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _project_forms():
    seen = []
    modules = (biometric_forms, consent_forms, image_forms, policy_forms, postcheck_forms,
               school_forms)  # fmt: skip
    for module in modules:
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, forms.BaseForm)
                and value.__module__ == module.__name__
                and value not in seen
            ):
                seen.append(value)
    return seen


def _kwargs(cast, form_class):
    import inspect

    from saferstaff.consent.models import PortalLink
    from saferstaff.policies.models import Policy, PolicyVersion

    pupil, _ = pupil_with_parents(cast.school)
    policy = Policy.objects.create(school=cast.school, title="A policy with questions")
    version = PolicyVersion.objects.create(
        school=cast.school, policy=policy, number=1, status="published", text_sha256="0" * 64
    )
    given = {
        "version": version,
        "school": cast.school,
        "pupil": pupil,
        "year_groups": ["1"],
        "activity": approved_activity(cast.school, cast.teacher, cast.slt),
        "members": Membership.objects.filter(school=cast.school),
        "membership": cast.member(cast.teacher),
        "questions": (),
        "link": PortalLink(school=cast.school, guardian=pupil.guardianships.first().guardian),
    }
    wanted = inspect.signature(form_class.__init__).parameters
    return {name: value for name, value in given.items() if name in wanted}


@pytest.mark.parametrize("form_class", _project_forms(), ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_every_error_in_the_summary_names_its_field(cast, storage, form_class):
    form = form_class({}, {}, **_kwargs(cast, form_class))
    form.is_valid()
    errors = govuk_error_summary(form)["errors"]
    for name, messages in form.errors.items():
        if name == forms.forms.NON_FIELD_ERRORS:
            continue
        field = form[name]
        if isinstance(field.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
            target = field.subwidgets[0].id_for_label  # the first option: the group has no id of its own
        else:
            target = field.id_for_label or field.auto_id
        for message in messages:
            assert (target, f"{field.label}: {message}") in errors, errors


def test_the_activity_and_device_forms_name_each_missing_field(cast):
    head = signed_in(cast.head)
    for url, expected in (
        (reverse("activity_new", kwargs={"school": cast.school.slug}),
         ["What is happening: This field is required.", "Date: This field is required.",
          "Where: This field is required."]),
        (reverse("device_add", kwargs={"school": cast.school.slug}),
         ["Make: This field is required.", "Asset tag: This field is required."]),
    ):  # fmt: skip
        page = head.post(url, {"title": "", "make": ""}).content.decode()  # as a browser sends it
        summary = page.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0]
        items = re.findall(r"<a href=\"#[^\"]+\">([^<]+)</a>", summary)
        assert items and all(": " in item for item in items), items
        for text in expected:
            assert text in items, items


def test_forms_use_the_one_error_summary():
    """A page that draws a form's fields also draws the shared summary of its errors."""
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        if "{% govuk_field" in text and 'method="post"' in text and "form." in text:
            bound_forms = re.findall(r"{% govuk_field (\w+)\.", text)
            if set(bound_forms) <= {"form"}:
                assert "{% govuk_error_summary" in text, path
