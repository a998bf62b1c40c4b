"""(Being built.) Pages of the conduct room: concerns."""

from django.http import Http404


def concern_list(request, school, **kwargs):
    raise Http404("concern_list is being built")


def concern_new(request, school, **kwargs):
    raise Http404("concern_new is being built")


def concern_detail(request, school, **kwargs):
    raise Http404("concern_detail is being built")


def concern_outcome(request, school, **kwargs):
    raise Http404("concern_outcome is being built")


def concern_escalate(request, school, **kwargs):
    raise Http404("concern_escalate is being built")


def concern_person(request, school, **kwargs):
    raise Http404("concern_person is being built")


def conduct_summary(request, school, **kwargs):
    raise Http404("conduct_summary is being built")


def conduct_summary_pdf(request, school, **kwargs):
    raise Http404("conduct_summary_pdf is being built")


def conduct_export_csv(request, school, **kwargs):
    raise Http404("conduct_export_csv is being built")


def conduct_export_pdf(request, school, **kwargs):
    raise Http404("conduct_export_pdf is being built")
