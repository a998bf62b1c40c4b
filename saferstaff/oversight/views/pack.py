"""§2: the inspection evidence pack's page (what is in it, how to check its signature), making it (POST only:
a GET never makes one; the person confirms it is them first, ``accounts.stepup``) and the signing certificate
to check it with. The pack is made by ``oversight.pack``."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from saferstaff.accounts.stepup import step_up
from saferstaff.incidents import signing
from saferstaff.oversight import pack as packs
from saferstaff.rules.engine import Refused

# Completes "You are signed in, but … needs you to confirm who you are first".
DOING = "making the evidence pack"


@require_safe
def pack_page(request, school):
    if confirm := step_up(request, DOING):  # the page asks first, so the button then makes the pack
        return confirm
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
    # A zip of staff names and case dates leaves the school: the person is confirmed again, as for a case's
    # chronology. Sent when the confirmation has lapsed, they confirm and come back to the pack's page.
    if confirm := step_up(
        request, DOING, back_to=reverse("pack_page", kwargs={"school": request.school.slug})
    ):
        return confirm
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
