from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template.loader import render_to_string


def forbidden(request, exception=None):
    return render(request, "errors/403.html", {"reason": str(exception or "")}, status=403)


def not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def server_error(request):
    # No request context: its processors query the database (the signed-in user, their notifications), and
    # this page must draw when the database is what failed (ADR 0012).
    return HttpResponseServerError(render_to_string("errors/500.html"))
