"""While the database switches to its standby (ADR 0012), a request that loses its connection gets a clear 503
with Retry-After, never a 500 or a stack trace; its broken connection is closed so the next request reconnects; a
GET is tried once more, a POST never. Simulated here on SQLite by raising the errors a lost connection raises; the
real failover is tests/test_failover.py's. Also: DATABASE_URL in libpq's several-hosts form."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse
from django.test import Client
from django.urls import path, reverse

from saferstaff.access import ACCESS_MAP, PUBLIC
from saferstaff.env import ConfigError, database_from_url

from .conftest import signed_in

ROOT = Path(__file__).resolve().parent.parent
CALLS: list[dict] = []
FAILURES = {"left": 0, "error": OperationalError}


def flaky(request):
    """Fails while FAILURES["left"] > 0, as a query on a connection whose server has gone would."""
    CALLS.append({"method": request.method, "connection_was_closed": connection.connection is None})
    if FAILURES["left"] > 0:
        FAILURES["left"] -= 1
        raise FAILURES["error"]("server closed the connection unexpectedly")
    return HttpResponse("served")


def broken(request):
    raise ValueError("not a database problem")


urlpatterns = [path("flaky/", flaky, name="test_flaky"), path("broken/", broken, name="test_broken")]


@pytest.fixture
def pages(settings, monkeypatch):
    settings.ROOT_URLCONF = __name__
    monkeypatch.setitem(ACCESS_MAP, "test_flaky", frozenset({PUBLIC}))
    monkeypatch.setitem(ACCESS_MAP, "test_broken", frozenset({PUBLIC}))
    CALLS.clear()
    # The test client would re-raise the view's exception; a real server answers with the response.
    return Client(raise_request_exception=False, enforce_csrf_checks=False)


def fail(times, error=OperationalError):
    FAILURES.update(left=times, error=error)


# The middleware closes the connection: inside a test's own transaction Django would only mark it for closing.
@pytest.mark.django_db(transaction=True)
def test_a_get_that_loses_its_connection_is_tried_again_on_a_new_one(pages):
    connection.ensure_connection()
    fail(1)
    response = pages.get("/flaky/")
    assert response.status_code == 200 and response.content == b"served"
    assert [c["method"] for c in CALLS] == ["GET", "GET"]
    assert CALLS[1]["connection_was_closed"], "the broken connection must be closed before the retry"


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_get_that_fails_twice_gets_the_503_page_and_the_next_request_reconnects(pages, caplog, error):
    fail(2, error)
    with caplog.at_level(logging.INFO):
        response = pages.get("/flaky/?pupil=Ada+Lovelace")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    html = response.content.decode()
    assert "saferstaff is switching to its standby database; try again in a minute" in html
    assert 'class="govuk-heading-l"' in html and "Traceback" not in html and "server closed" not in html
    assert len(CALLS) == 2
    # One line of our own, naming the page by its view and the error by its class, nothing from the request.
    ours = [r.getMessage() for r in caplog.records if r.name == "saferstaff.database"]
    assert ours[-1] == f"database unavailable ({error.__name__}) on GET test_flaky: answered 503"
    assert not any("Ada" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.name == "django.request"], "no 'Internal Server Error' trace"
    assert connection.connection is None
    assert pages.get("/flaky/").status_code == 200  # the next request reconnects


def test_a_head_is_retried_like_a_get(pages):
    fail(1)
    assert pages.head("/flaky/").status_code == 200
    assert [c["method"] for c in CALLS] == ["HEAD", "HEAD"]


def test_a_post_is_never_run_twice(pages):
    """Its transaction may have committed before the connection broke: a second run could save it twice."""
    fail(1)
    response = pages.post("/flaky/", {"what": "a disclosure"})
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert "look before you send it again" in response.content.decode()
    assert [c["method"] for c in CALLS] == ["POST"]


def test_other_errors_stay_500(pages):
    response = pages.get("/broken/")
    assert response.status_code == 500 and "Retry-After" not in response


@pytest.mark.django_db(transaction=True)
def test_a_lost_connection_in_a_middleware_gets_the_503_too(cast, monkeypatch):
    """Most requests first touch the database in a middleware (the session, the signed-in user), not the
    view: Django turns that into a 500 where it happens; the 503 must come all the same."""
    client = signed_in(cast.teacher)
    client.raise_request_exception = False
    home = reverse("home")
    assert client.get(home).status_code in {200, 302}

    def lost(self):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(SessionStore, "load", lost)
    response = client.get(home)
    assert response.status_code == 503
    assert "switching to its standby database" in response.content.decode()
    assert response["X-Request-ID"]  # outside the middleware that gives each request its id


# --- DATABASE_URL with a primary and its standby -------------------------------------------------------------


def test_a_url_naming_a_primary_and_its_standby():
    config = database_from_url(
        "postgres://saferstaff:s%40cret@10.0.0.1:5433,db-b.example:5434/saferstaff"
        "?target_session_attrs=read-write&sslmode=require",
        conn_max_age=60,
    )
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"]) == ("10.0.0.1,db-b.example", "5433,5434")
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == ("saferstaff", "saferstaff", "s@cret")
    assert config["OPTIONS"] == {"target_session_attrs": "read-write", "sslmode": "require"}
    assert config["CONN_MAX_AGE"] == 60


def test_hosts_without_ports_and_in_brackets():
    config = database_from_url("postgresql://u@[::1],db2/x?target_session_attrs=read-write", conn_max_age=0)
    assert (config["HOST"], config["PORT"]) == ("::1,db2", "5432,5432")


def test_one_host_is_read_as_before():
    config = database_from_url("postgres://u:p@db.example:5432/x", conn_max_age=0)
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.example", 5432, "x")
    assert database_from_url("sqlite:////tmp/x.sqlite3", conn_max_age=0)["NAME"] == "/tmp/x.sqlite3"


@pytest.mark.parametrize(
    "url", ["mysql://u@h1:3306,h2:3306/x", "postgres://u@h1:5432,:5433/x", "postgres://u@h1:port,h2/x"]
)
def test_bad_several_hosts_urls_are_refused(url):
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        database_from_url(url, conn_max_age=0)


def test_postgresql_connections_are_checked_before_use(tmp_path):
    """CONN_HEALTH_CHECKS: a connection kept from before a failover is found dead and replaced at the next
    request, instead of failing it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAFERSTAFF_", "DATABASE_URL"))}
    env |= {
        "SAFERSTAFF_VAR": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": "postgres://u@h1:5432,h2:5432/x?target_session_attrs=read-write",
    }
    code = "import saferstaff.settings as s; d = s.DATABASES['default']; print(d['HOST'], d['CONN_HEALTH_CHECKS'], d['OPTIONS'])"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "h1,h2 True {'target_session_attrs': 'read-write', 'connect_timeout': 5}"
