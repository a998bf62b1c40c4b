"""§2: the inspection evidence pack's page (what is in it, how to check its signature), making it (POST only:
a GET never makes one) and the signing certificate to check it with. The pack is made by ``oversight.pack``."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from saferstaff.incidents import signing
from saferstaff.oversight import pack as packs
from saferstaff.rules.engine import Refused


@require_safe
def pack_page(request, school):
    return render(
        request,
        "oversight/pack.html",
        {
            "fingerprint": signing.fingerprint(),
            "cases_listed": packs.may_list_cases(request.actor),
            "review": packs.last_review(request.school),
        },
    )


@require_POST
def pack_make(request, school):
    try:
        made = packs.build(request.actor)
    except Refused as exc:
        messages.error(request, exc.decision.summary)
        return redirect("pack_page", school=request.school.slug)
    response = HttpResponse(made.data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{made.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def pack_certificate(request, school):
    response = HttpResponse(signing.certificate_pem(), content_type="application/x-pem-file")
    response["Content-Disposition"] = f'attachment; filename="{packs.CERT_NAME}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
