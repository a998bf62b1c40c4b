from django import template

from saferstaff.accounts.stepup import what_needs_confirming

register = template.Library()


@register.simple_tag(takes_context=True)
def step_up_doing(context) -> str:
    return what_needs_confirming(context["request"])
