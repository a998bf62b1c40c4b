"""The product's pages plus one for the benchmark only: a school page that answers "ok" and does nothing else,
reachable by every role at the school (as the Overview is), so every middleware of a signed-in member of staff
runs for it — the session, the access map with its school and roles, the second-factor and compulsory-policy
checks, the audit context — and nothing of a page. benchmarks/pages.py measures it as the ceiling. The product
never loads this module (settings.ROOT_URLCONF is saferstaff.urls), so its access map gains no page."""

from django.http import HttpResponse
from django.urls import include, path

from saferstaff.access import ACCESS_MAP

ACCESS_MAP["bench_ping"] = ACCESS_MAP["school_dashboard"]


def ping(request, school):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("s/<slug:school>/bench-ping/", ping, name="bench_ping"),
    path("", include("saferstaff.urls")),
]
