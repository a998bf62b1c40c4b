"""The retention schedule, read where another room's page shows a record (the images room cannot import this
room: its pages load this tag). ``{% keep_until image as kept %}`` → kept.until, kept.words, kept.held."""

from django import template
from django.utils import timezone

from saferstaff.clocks import add_months
from saferstaff.privacy import schedule, sweep

register = template.Library()


@register.simple_tag
def keep_until(image) -> dict:
    entry = schedule.schedule(image.school_id)["images"]
    until = add_months(timezone.localtime(image.captured_at).date(), entry.months)
    held = sweep.held("images", image.pk, school_id=image.school_id)
    return {"until": until, "words": entry.words, "held": held}
