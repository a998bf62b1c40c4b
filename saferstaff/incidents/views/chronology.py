"""Placeholder: the pages of this module are being built on a helper branch."""

from django.http import Http404


def _todo(request, school, **kwargs):
    raise Http404("Not built yet")


case_chronology = _todo

case_chronology_pdf = _todo

person_timeline = _todo

pupil_timeline = _todo

incident_trends = _todo

closure_days = _todo
