"""Placeholder pages (issue 16): each is built by its helper."""

from django.http import Http404


def _todo(request, school, **kwargs):
    raise Http404("Not built yet")


sar_list = _todo
sar_add = _todo
sar_detail = _todo
sar_identity = _todo
sar_pause = _todo
sar_resume = _todo
sar_extend = _todo
sar_checklist = _todo
sar_bundle = _todo
sar_bundle_download = _todo
sar_close = _todo
seen_search = _todo
seen_pupil = _todo
seen_member = _todo
