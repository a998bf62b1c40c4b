"""Other addresses for the pages of tests/test_links.py: what was worked out for the product's is not reused."""

from django.http import HttpResponse
from django.urls import path


def page(request, **kwargs):
    return HttpResponse("ok")


urlpatterns = [
    path("elsewhere/<slug:school>/cases/", page, name="case_list"),
    path("elsewhere/<slug:school>/cases/<int:pk>/", page, name="case_detail"),
]
