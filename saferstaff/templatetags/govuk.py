"""GOV.UK Frontend components as Django includes (the PyPI wrapper is slow and pinned below Django 6).

``{% govuk_field form.email %}`` renders one field with its label, hint and error message the GOV.UK way;
``{% govuk_error_summary form %}`` renders the error summary once for every form."""

import datetime

from django import forms, template
from django.utils.safestring import mark_safe

from saferstaff import links
from saferstaff.access import allowed_for
from saferstaff.numbers import how_long
from saferstaff.policies.documents.inline import render_inline
from saferstaff.policies.services import fill_placeholders

register = template.Library()


def _kind(field) -> str:
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.ClearableFileInput | forms.FileInput):
        return "file"
    return "input"


@register.inclusion_tag("includes/field.html")
def govuk_field(field, classes: str = "", autocomplete: str = ""):
    return {
        "field": field,
        "kind": _kind(field),
        "classes": classes,
        "autocomplete": autocomplete,
        "input_type": getattr(field.field.widget, "input_type", "text"),
    }


@register.inclusion_tag("includes/error_summary.html")
def govuk_error_summary(*forms_):
    """Every error of the forms, each naming its field ("Date: Enter a date within the next year") and
    linking to it. An error about the whole form links to the first field, so it too leads to the fix."""
    errors = []
    for form in forms_:
        if not getattr(form, "is_bound", False):  # no form, or one not sent yet
            continue
        visible = form.visible_fields()
        first = anchor(visible[0]) if visible else ""
        for message in form.non_field_errors():
            errors.append((first, message))
        for field in form:
            for message in field.errors:
                named = f"{field.label}: {message}" if field.label else message
                errors.append(("" if field.is_hidden else anchor(field), named))
    return {"errors": errors}


def anchor(field) -> str:
    """The id the summary links a field's error to: the field's input, or the first of its radios or
    check boxes (a group of them has no element with the field's own id)."""
    if _kind(field) in ("radios", "checkboxes"):
        options = field.subwidgets
        return options[0].id_for_label if options else field.auto_id
    return field.id_for_label or field.auto_id


@register.filter
def allowed(url_name: str, roles) -> bool:
    """``{% if "staff_add"|allowed:request.roles %}``: show a link only to those the access map lets in."""
    return allowed_for(url_name, roles or frozenset())


@register.filter
def school_text(text: str, school) -> str:
    """A policy's text with "[name of school]" placeholders filled with the school's name."""
    return fill_placeholders(text or "", getattr(school, "name", "") or "")


@register.filter
def days_taken(days: float) -> str:
    """``{{ summary.median_days|days_taken }}``: "5 hours", "3.5 days" (``numbers.how_long``)."""
    return how_long(days)


@register.filter
def apart(distance) -> str:
    """A check's distance between the image found and the photo (pHash and dHash bits): "identical" when both are
    0, else "3 and 5 bits apart"."""
    phash, dhash = (list(distance or []) + [0, 0])[:2]
    return "identical" if phash == 0 and dhash == 0 else f"{phash} and {dhash} bits apart"


@register.filter
def moment(value):
    """``{{ m.taken_at|moment|date:"j F Y" }}``: a moment kept as ISO 8601 text (a figure stored with a completed
    review) as a datetime, for the ``date`` filter to write in words; a datetime passes through."""
    if isinstance(value, str):
        try:
            return datetime.datetime.fromisoformat(value)
        except ValueError:
            return None
    return value


@register.filter
def full_stop(text) -> str:
    """``{{ name|full_stop }}`` ends a sentence once: "Ruby C." stays "Ruby C.", never "Ruby C.."."""
    text = str(text)
    return text if text.endswith((".", "!", "?")) else f"{text}."


@register.filter
def inline_markdown(text: str) -> str:
    """A policy paragraph with its Markdown inline marks (bold, italic, links) rendered; all else escaped."""
    # render_inline escapes everything it does not build itself.
    return mark_safe(render_inline(text or ""))  # noqa: S308


@register.filter
def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in (text or "").split("\n\n") if p.strip()]


@register.filter
def get_item(mapping, key):
    """``{{ sections|get_item:f.section }}``: a dictionary's value in a template."""
    return (mapping or {}).get(key)


@register.simple_tag(takes_context=True)
def school_url(context, name: str, pk=None) -> str:
    """``{% school_url 'image_detail' pk=image.pk %}``: ``{% url name school=current_school.slug pk=... %}``
    without reversing for every link (saferstaff/links.py)."""
    return links.school_url(name, context["current_school"].slug, pk)


@register.simple_tag
def site_url(name: str) -> str:
    """``{% site_url 'account_logout' %}``: ``{% url name %}`` for a page that takes nothing, reversed once."""
    return links.site_url(name)
