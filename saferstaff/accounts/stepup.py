"""Step-up re-authentication before sensitive and irreversible actions: role changes, adding staff,
exports, destroying images, sending links to guardians, face enrolment, applying a roster import, the
school's settings. One helper, ``step_up``; each caller names what the person is about to do, and the
"Confirm it is you" page says so.

allauth's ``reauthentication_required`` suspends a POST and, after the password step, replays it by calling
the view function directly — outside the middleware stack, so the access map and CSRF checks would not run
on the replayed request. Ours never replays: the form page itself asks for the password first, and a POST
that arrives after the re-authentication window has closed is sent back to confirm and then to the form,
with nothing saved, to be submitted again.

Staff of a school that requires its own sign-in confirm through it: the page's button signs them in again at
the school's Microsoft 365 or Google Workspace (asking it to check who they are again), and a sign-in there
within the same few minutes counts as confirming."""

import time
from urllib.parse import urlencode

from allauth.account import app_settings as account_settings
from allauth.account.internal.flows.login import get_authentication_records
from allauth.account.internal.flows.reauthentication import did_recently_reauthenticate
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

_SESSION_KEY = "saferstaff.step_up"
# What allauth's own pages (adding or removing a second factor) ask a password for.
SIGN_IN_CHANGES = "changing how you sign in"


def step_up(request, doing: str, *, back_to: str = "") -> HttpResponse | None:
    """None if the person confirmed it is them within the last few minutes; otherwise the redirect to do so.
    ``doing`` completes "You are signed in, but … needs you to confirm who you are first", e.g. "destroying
    images". Call it right after the view's access helper:
    ``if (confirm := step_up(request, "changing someone's roles")): return confirm``. They come back to this
    page, or to ``back_to`` — the page of the form, for a view that only takes a POST."""
    if did_recently_reauthenticate(request) or signed_in_through_school_recently(request):
        return None
    if request.method == "POST":
        messages.info(request, "Nothing was saved: confirm it is you, then make the change again.")
    back_to = back_to or request.get_full_path()
    request.session[_SESSION_KEY] = {"next": back_to, "doing": doing}
    return redirect(f"{reverse('account_reauthenticate')}?{urlencode({'next': back_to})}")


def what_needs_confirming(request) -> str:
    """For the "Confirm it is you" page: what the person was about to do when they were sent there."""
    pending = request.session.get(_SESSION_KEY) or {}
    if pending.get("next") and pending.get("next") == request.GET.get("next"):
        return pending["doing"]
    return SIGN_IN_CHANGES


def signed_in_through_school_recently(request) -> bool:
    """Did this person sign in through a school's own provider within ACCOUNT_REAUTHENTICATION_TIMEOUT?"""
    times = [
        r["at"]
        for r in get_authentication_records(request, request.user)
        if r.get("method") == "socialaccount"
    ]
    return bool(times) and time.time() - times[-1] < account_settings.REAUTHENTICATION_TIMEOUT


def signed_in_through(request, provider_id: str) -> bool:
    """Did this session sign in through the provider ``provider_id`` (its records go when it signs out)?"""
    records = get_authentication_records(request, request.user)
    return bool(provider_id) and any(
        r.get("method") == "socialaccount" and r.get("provider") == provider_id for r in records
    )
