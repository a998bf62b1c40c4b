"""Placeholder pages (issue 16): each is built by its helper."""

from django.http import Http404


def _todo(request, school, **kwargs):
    raise Http404("Not built yet")


retention_schedule = _todo
retention_rule = _todo
retention_due = _todo
retention_certificates = _todo
hold_list = _todo
hold_add = _todo
hold_release = _todo
