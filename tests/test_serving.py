"""How the web server's threads use the database: each keeps its own connection from one request to the next
(DB_CONN_MAX_AGE, on SQLite as on PostgreSQL), so a request does not pay for opening one (docs/serving.md).
Requests go through the WSGI application as the web server calls it, with Django's request signals, which the
test client leaves out."""

import gc
import io
import threading
from wsgiref.util import setup_testing_defaults

import pytest
from django.conf import settings
from django.db import connection, connections

from saferstaff.wsgi import application

THREADS = 3
REQUESTS = 4


def serve(path: str) -> tuple[str, bytes]:
    """One GET through the WSGI application, as granian's threads call it: its status line and body."""
    environ = {"PATH_INFO": path, "REQUEST_METHOD": "GET", "wsgi.input": io.BytesIO(b"")}
    setup_testing_defaults(environ)
    environ["HTTP_HOST"] = "testserver"
    answer = {}
    response = application(environ, lambda status, headers, exc_info=None: answer.update(status=status))
    try:
        body = b"".join(response)
    finally:
        response.close()  # the server closes it: Django sends request_finished here
    return answer["status"], body


@pytest.fixture
def opened(monkeypatch):
    """Each new database connection, by the thread that opened it."""
    opened = []
    backend = type(connections["default"])
    original = backend.get_new_connection

    def counting(self, conn_params):
        opened.append(threading.get_ident())
        return original(self, conn_params)

    monkeypatch.setattr(backend, "get_new_connection", counting)
    return opened


def test_the_database_connection_is_kept_between_requests_by_default():
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 60


@pytest.mark.django_db(transaction=True)
def test_each_server_thread_opens_one_connection_and_keeps_it(opened):
    answers, errors = [], []

    def worker():
        try:
            for _ in range(REQUESTS):
                answers.append(serve("/readyz"))  # a query on the database, one on the task queue
        except Exception as error:  # noqa: BLE001 - reported below, with the thread's others
            errors.append(error)
        finally:
            connections.close_all()  # this thread's connection, before the test's database is emptied

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(answers) == THREADS * REQUESTS
    assert all(status.startswith("200") for status, _ in answers), answers[:3]
    # One connection a thread, whatever its number of requests; never one thread's connection in another.
    assert len(opened) == THREADS, f"{len(opened)} connections opened for {len(answers)} requests"
    assert len(set(opened)) == THREADS


@pytest.mark.django_db(transaction=True)
def test_a_connection_older_than_its_age_is_opened_afresh(opened):
    kept = connection.settings_dict["CONN_MAX_AGE"]
    connection.settings_dict["CONN_MAX_AGE"] = 0  # DB_CONN_MAX_AGE=0: a connection a request
    connections.close_all()
    try:
        for _ in range(REQUESTS):
            status, _ = serve("/readyz")
            assert status.startswith("200")
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = kept
    assert len(opened) == REQUESTS


def test_what_the_server_loaded_at_start_is_kept_out_of_the_collectors_sight():
    """saferstaff.wsgi freezes what the process loaded before serving (Django, the rooms, their models): a full
    garbage collection then walks only what requests made, not ~150,000 long-lived objects (docs/serving.md)."""
    assert application is not None
    assert gc.get_freeze_count() > 10_000
