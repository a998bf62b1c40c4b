"""Placeholder: the pages of this module are being built on a helper branch."""

from django.http import Http404


def _todo(request, school, **kwargs):
    raise Http404("Not built yet")


incidents_mine = _todo

incident_report = _todo

allegation_report = _todo

evidence_add = _todo

evidence_download = _todo

evidence_seal = _todo

evidence_custody = _todo
