"""Sign-in with a school's Microsoft 365 (or Google Workspace) account, against a small OpenID Connect
provider on loopback: the school's own tenant signs its own staff in; a verified address is required; another
tenant, another domain or a personal account with the same address is refused."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.contrib.sites.models import Site
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from saferstaff.accounts.adapters import school_account_for

CLIENT_ID, CLIENT_SECRET = "saferstaff-test-client", "test-secret"


class Provider:
    """Discovery, token and userinfo endpoints of one tenant. ``claims`` are what it says about the person."""

    def __init__(self, tenant: str):
        provider = self
        self.claims: dict = {}

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, body: dict):
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                path = urlparse(self.path).path
                if path.endswith("/.well-known/openid-configuration"):
                    self._json(provider.configuration)
                elif path.endswith("/userinfo"):
                    self._json(provider.claims)
                else:
                    self.send_error(404)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                assert form.get("code") == ["the-code"], form
                now = int(time.time())
                id_token = jwt.encode(
                    {
                        **provider.claims,
                        "iss": provider.issuer,
                        "aud": CLIENT_ID,
                        "iat": now,
                        "exp": now + 300,
                    },
                    "not-checked: the token comes straight from the token endpoint",
                    algorithm="HS256",
                )
                self._json({"access_token": "at", "token_type": "Bearer", "id_token": id_token})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.issuer = f"{base}/{tenant}/v2.0"
        self.configuration = {
            "issuer": self.issuer,
            "authorization_endpoint": f"{base}/{tenant}/authorize",
            "token_endpoint": f"{base}/{tenant}/token",
            "userinfo_endpoint": f"{base}/{tenant}/userinfo",
            "jwks_uri": f"{base}/{tenant}/keys",
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
        }
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tenant(cast):
    """The school's own Microsoft 365 tenant, set up as the school's sign-in provider."""
    provider = Provider("westfield-tenant-id")
    app = SocialApp.objects.create(
        provider="openid_connect",
        provider_id="westfield-microsoft",
        name="Microsoft 365",
        client_id=CLIENT_ID,
        secret=CLIENT_SECRET,
        settings={"server_url": provider.issuer},
    )
    app.sites.add(Site.objects.get_current())
    cast.school.sign_in_provider = "westfield-microsoft"
    cast.school.sign_in_domain = "school.example"
    cast.school.save()
    yield provider
    provider.close()


def sign_in_through(provider: Provider, **claims) -> tuple[Client, object]:
    cache.clear()
    provider.claims = {"sub": claims.pop("sub", "subject-1"), "tid": "westfield-tenant-id", **claims}
    client = Client()
    start = client.post(reverse("openid_connect_login", kwargs={"provider_id": "westfield-microsoft"}))
    assert start.status_code == 302 and start["Location"].startswith(
        provider.configuration["authorization_endpoint"]
    )
    state = parse_qs(urlparse(start["Location"]).query)["state"][0]
    callback = reverse("openid_connect_callback", kwargs={"provider_id": "westfield-microsoft"})
    return client, client.get(callback, {"code": "the-code", "state": state})


def test_the_sign_in_button_appears_once_the_school_sets_it_up(tenant, client):
    html = client.get(reverse("account_login")).content.decode()
    assert "Microsoft 365" in html
    assert reverse("openid_connect_login", kwargs={"provider_id": "westfield-microsoft"}) in html


def test_a_teacher_signs_in_with_the_schools_own_tenant(cast, tenant):
    client, response = sign_in_through(tenant, email=cast.teacher.email, xms_edov=True)
    assert response.status_code == 302, response.content.decode()[:1500]
    assert client.session["_auth_user_id"] == str(cast.teacher.pk)
    assert SocialAccount.objects.filter(user=cast.teacher, provider="westfield-microsoft").exists()
    # Next time the same account is recognised by its subject.
    again, response = sign_in_through(tenant, email=cast.teacher.email, xms_edov=True)
    assert again.session["_auth_user_id"] == str(cast.teacher.pk)


@pytest.mark.parametrize(
    "claims",
    [
        {"email": "tom.teacher@school.example"},  # the tenant did not verify the address
        {"email": "tom.teacher@school.example", "email_verified": False},
        {"email": "otto.teacher@other.example", "xms_edov": True},  # another school's domain
        {"email": "nobody.here@school.example", "xms_edov": True},  # not on the staff
        {},  # no address at all
    ],
)
def test_anything_else_is_refused_and_nobody_is_signed_in(cast, tenant, claims):
    client, response = sign_in_through(tenant, **claims)
    assert response.status_code == 403
    assert "You cannot sign in this way" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not SocialAccount.objects.exists()


def test_a_personal_google_account_with_a_staff_address_is_refused(cast, tenant):
    """Google lets anyone verify any address on a personal account: only the Workspace's own ``hd`` counts."""
    personal = {"email": cast.teacher.email, "email_verified": True}
    assert school_account_for("westfield-microsoft", personal) is None
    assert school_account_for("westfield-microsoft", {**personal, "hd": "school.example"}) == cast.teacher
    assert school_account_for("another-schools-app", {**personal, "hd": "school.example"}) is None


def test_someone_who_has_left_cannot_sign_in_with_it(cast, tenant):
    from saferstaff.schools.staff import mark_as_left

    mark_as_left(cast.member(cast.teacher), by=cast.head)
    client, response = sign_in_through(tenant, email=cast.teacher.email, xms_edov=True)
    assert response.status_code == 403 and "_auth_user_id" not in client.session
