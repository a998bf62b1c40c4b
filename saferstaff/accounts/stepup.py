"""Step-up re-authentication before sensitive actions (role changes; exports in later issues).

allauth's ``reauthentication_required`` suspends a POST and, after the password step, replays it by calling
the view function directly — outside the middleware stack, so the access map and CSRF checks would not run
on the replayed request. Ours never replays: the form page itself asks for the password first, and a POST
that arrives after the re-authentication window has closed is sent back to confirm and then to the form,
with nothing saved, to be submitted again."""

from urllib.parse import urlencode

from allauth.account.internal.flows.reauthentication import did_recently_reauthenticate
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse


def step_up(request) -> HttpResponse | None:
    """None if the person confirmed it is them within the last few minutes; otherwise the redirect to do so.
    Call it right after the view's access helper: ``if (confirm := step_up(request)): return confirm``."""
    if did_recently_reauthenticate(request):
        return None
    if request.method == "POST":
        messages.info(request, "Nothing was saved: confirm it is you, then make the change again.")
    return redirect(f"{reverse('account_reauthenticate')}?{urlencode({'next': request.get_full_path()})}")
