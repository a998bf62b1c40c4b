"""Placeholder pages (issue 16): each is built by its helper."""

from django.http import Http404


def _todo(request, school, **kwargs):
    raise Http404("Not built yet")


privacy_home = _todo
breach_report = _todo
breach_list = _todo
breach_detail = _todo
breach_manage = _todo
sharing_list = _todo
sharing_add = _todo
sharing_detail = _todo
sharing_complete = _todo
records_processing = _todo
records_processing_pdf = _todo
dpia = _todo
dpia_pdf = _todo
