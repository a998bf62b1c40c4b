"""Placeholder: the pages of this module are being built on a helper branch."""

from django.http import Http404


def _todo(request, school, **kwargs):
    raise Http404("Not built yet")


case_list = _todo

case_detail = _todo

case_triage = _todo

case_involve = _todo

case_share = _todo

action_add = _todo

action_done = _todo

note_add = _todo

note_edit = _todo

contact_add = _todo

case_close = _todo
