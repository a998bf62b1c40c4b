"""(Being built.) Pages of the conduct room: disclosures."""

from django.http import Http404


def my_conduct(request, school, **kwargs):
    raise Http404("my_conduct is being built")


def waiting(request, school, **kwargs):
    raise Http404("waiting is being built")


def disclosure_new(request, school, **kwargs):
    raise Http404("disclosure_new is being built")


def disclosure_list(request, school, **kwargs):
    raise Http404("disclosure_list is being built")


def disclosure_detail(request, school, **kwargs):
    raise Http404("disclosure_detail is being built")


def disclosure_edit(request, school, **kwargs):
    raise Http404("disclosure_edit is being built")


def disclosure_outcome(request, school, **kwargs):
    raise Http404("disclosure_outcome is being built")


def contact_channels(request, school, **kwargs):
    raise Http404("contact_channels is being built")
