"""(Being built.) Pages of the conduct room: permissions."""

from django.http import Http404


def contact_register(request, school, **kwargs):
    raise Http404("contact_register is being built")


def contact_request(request, school, **kwargs):
    raise Http404("contact_request is being built")


def contact_detail(request, school, **kwargs):
    raise Http404("contact_detail is being built")


def contact_decide(request, school, **kwargs):
    raise Http404("contact_decide is being built")


def contact_withdraw(request, school, **kwargs):
    raise Http404("contact_withdraw is being built")


def equipment_register(request, school, **kwargs):
    raise Http404("equipment_register is being built")


def equipment_request(request, school, **kwargs):
    raise Http404("equipment_request is being built")


def equipment_detail(request, school, **kwargs):
    raise Http404("equipment_detail is being built")


def equipment_decide(request, school, **kwargs):
    raise Http404("equipment_decide is being built")


def equipment_withdraw(request, school, **kwargs):
    raise Http404("equipment_withdraw is being built")
