"""Every page in the access map answers with the security headers: a Content-Security-Policy whose scripts
need this request's nonce (never 'unsafe-inline' or 'unsafe-eval'), Referrer-Policy, nosniff, no framing and a
Permissions-Policy. Walks every school page as a role the map allows (tests/test_access_map.py's pages and
sample objects), the public and signed-in pages without an id, and the trust's pages."""

import re

import pytest
from django.urls import reverse

from saferstaff.access import ACCESS_MAP, CLOSED, PUBLIC, SIGNED_IN, TRUST_ADMIN

from .conftest import signed_in
from .test_access_map import all_url_names, sample_kwargs, school_pages

pytestmark = pytest.mark.django_db

NONCE = re.compile(r"'nonce-([A-Za-z0-9+/_=-]{16,})'")


def directives(csp: str) -> dict[str, str]:
    return {part.split()[0]: part for part in (p.strip() for p in csp.split(";")) if part}


def header_problems(name: str, response) -> list[str]:
    """What is missing or wrong in ``response``'s security headers (every response); an HTML page's script
    policy must also name the nonce its own inline scripts carry."""
    problems = []
    csp = response.get("Content-Security-Policy", "")
    if not csp:
        return [f"{name}: no Content-Security-Policy"]
    if "unsafe-inline" in csp or "unsafe-eval" in csp:
        problems.append(f"{name}: CSP allows unsafe-inline/unsafe-eval: {csp}")
    policy = directives(csp)
    form_action = policy.get("form-action", "").split()[1:]
    sandboxed = "sandbox" in policy  # a download shown as is: no forms at all
    if (
        not sandboxed
        and "'self'" not in form_action
        or any(source in {"*", "https:", "http:"} for source in form_action)
    ):
        problems.append(f"{name}: form-action {form_action!r}")
    if response.get("Referrer-Policy") not in {
        "same-origin",
        "no-referrer",
        "strict-origin-when-cross-origin",
    }:
        problems.append(f"{name}: Referrer-Policy {response.get('Referrer-Policy')!r}")
    if response.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"{name}: no X-Content-Type-Options: nosniff")
    if response.get("X-Frame-Options") != "DENY" and "'none'" not in policy.get("frame-ancestors", ""):
        problems.append(f"{name}: may be framed")
    permissions = response.get("Permissions-Policy", "")
    if not all(
        f"{feature}=()" in permissions for feature in ("camera", "microphone", "geolocation", "payment")
    ):
        problems.append(f"{name}: Permissions-Policy {permissions!r}")
    if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
        nonce = NONCE.search(policy.get("script-src", ""))
        if not nonce:
            problems.append(f"{name}: script-src names no nonce: {policy.get('script-src')!r}")
        else:
            scripts = re.findall(r"<script\b[^>]*>", response.content.decode())
            unsigned = [
                tag for tag in scripts if "src=" not in tag and f'nonce="{nonce.group(1)}"' not in tag
            ]
            if unsigned:
                problems.append(f"{name}: inline scripts without this request's nonce: {unsigned}")
    return problems


def people(cast) -> dict[str, object]:
    return {**cast.by_role(), TRUST_ADMIN: cast.trust_admin}


def test_every_school_page_sends_the_security_headers(cast):
    problems, html_pages = [], 0
    cast_people = people(cast)
    clients = {}
    for name in school_pages():
        role = next(role for role in cast_people if role in ACCESS_MAP[name])
        user = cast_people[role]
        if role not in clients:
            clients[role] = signed_in(user, confirmed=True)
        response = clients[role].get(reverse(name, kwargs=sample_kwargs(name, cast, cast.school, user)))
        html_pages += response.status_code == 200 and response["Content-Type"].startswith("text/html")
        problems += header_problems(f"{name} as {role} ({response.status_code})", response)
    assert html_pages > 50, "the walk reached too few pages to prove anything"
    assert not problems, "\n".join(problems)


def test_public_signed_in_and_trust_pages_send_the_security_headers(cast, client):
    problems = []
    plain = [
        (name, ACCESS_MAP[name])
        for name, _, route in all_url_names(with_routes=True)
        if not name.startswith("<") and not re.search(r"<|\(\?", route) and CLOSED not in ACCESS_MAP[name]
    ]
    assert any(PUBLIC in roles for _, roles in plain) and any(SIGNED_IN in roles for _, roles in plain)
    teacher = signed_in(cast.teacher)
    for name, roles in plain:
        response = (client if PUBLIC in roles else teacher).get(reverse(name))
        problems += header_problems(f"{name} ({response.status_code})", response)
    admin = signed_in(cast.trust_admin, confirmed=True)
    for name in ("trust_dashboard", "school_create", "trust_policy_publish"):
        response = admin.get(reverse(name, kwargs={"trust": cast.trust.slug}))
        problems += header_problems(f"{name} ({response.status_code})", response)
    # Refusals and errors too.
    problems += header_problems("a page that is not there", client.get("/no-such-page/"))
    problems += header_problems("another school's page", teacher.get(f"/s/{cast.other_school.slug}/staff/"))
    assert not problems, "\n".join(problems)


def test_the_nonce_changes_with_every_request(client):
    first = NONCE.search(client.get(reverse("account_login"))["Content-Security-Policy"])
    second = NONCE.search(client.get(reverse("account_login"))["Content-Security-Policy"])
    assert first and second and first.group(1) != second.group(1)


def test_the_sign_in_pages_let_forms_go_on_to_the_schools_provider_and_no_other_page_does(cast, client):
    """The school's button posts to saferstaff, which redirects to the school's provider: the browser checks
    that redirect against form-action. Only the sign-in pages (/accounts/) name the providers set up."""
    from allauth.socialaccount.models import SocialApp
    from django.contrib.sites.models import Site

    app = SocialApp.objects.create(
        provider="openid_connect",
        provider_id="westfield-microsoft",
        name="Microsoft 365",
        client_id="c",
        secret="s",
        settings={"server_url": "https://login.microsoftonline.com/tenant-id/v2.0"},
    )
    app.sites.add(Site.objects.get_current())
    login = directives(client.get(reverse("account_login"))["Content-Security-Policy"])
    assert login["form-action"] == "form-action 'self' https://login.microsoftonline.com"
    interstitial = client.get(reverse("openid_connect_login", kwargs={"provider_id": "westfield-microsoft"}))
    assert (
        "https://login.microsoftonline.com"
        in directives(interstitial["Content-Security-Policy"])["form-action"]
    )
    assert not header_problems("the sign-in page", interstitial)
    teacher = signed_in(cast.teacher)
    page = teacher.get(reverse("school_dashboard", kwargs={"school": cast.school.slug}))
    assert directives(page["Content-Security-Policy"])["form-action"] == "form-action 'self'"
