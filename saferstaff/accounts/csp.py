"""The sign-in pages' form-action: the school's button is a form that posts to saferstaff, which answers with a
redirect to the school's Microsoft 365 / Google Workspace sign-in. Browsers check every step of a form's
redirects against form-action, so with 'self' alone Chromium stops the person on our page.

Chosen here: on the sign-in pages only (under /accounts/), form-action adds the origin of each sign-in provider
actually set up (each OpenID Connect app's server_url, and its authorization endpoint when the app overrides
it). Not a fixed list of Microsoft's and Google's origins: a school's IT team may run its own identity
provider, and nothing that is not set up is allowed. Every other page keeps form-action 'self'."""

from urllib.parse import urlsplit

from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.utils.csp import CSP

SIGN_IN_PATH = "/accounts/"


def origin(url: str) -> str | None:
    """``https://host[:port]`` of an absolute http(s) address, else None."""
    parts = urlsplit(str(url or "").strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc or "@" in parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc.lower()}"


def sign_in_origins() -> list[str]:
    """The origins the school buttons' redirects lead to, one each, in a stable order."""
    found = set()
    for app_settings in SocialApp.objects.filter(provider="openid_connect").values_list(
        "settings", flat=True
    ):
        app_settings = app_settings or {}
        overrides = app_settings.get("openid_configuration_overrides") or {}
        for url in (app_settings.get("server_url"), overrides.get("authorization_endpoint")):
            if origin(url):
                found.add(origin(url))
    return sorted(found)


class SignInFormActionMiddleware:
    """Inside Django's CSP middleware: gives the sign-in pages their own policy (see the module's comment)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path_info.startswith(SIGN_IN_PATH)
            and response.get("Content-Type", "").startswith("text/html")
            and not hasattr(response, "_csp_config")
        ):
            origins = sign_in_origins()
            if origins:
                policy = dict(settings.SECURE_CSP)
                policy["form-action"] = [CSP.SELF, *origins]
                response._csp_config = policy
        return response
