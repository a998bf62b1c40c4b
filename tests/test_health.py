"""/healthz says the process answers; /readyz checks the database, the file storage and the task queue, and
answers 503 naming what failed (never a 500, never an exception's text, nothing about schools or people)."""

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from saferstaff import health

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def waiting_task(enqueued_minutes_ago: int, run_after=None) -> DBTaskResult:
    task = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="saferstaff.home.tasks.nothing",
        backend_name="default",
        run_after=run_after or get_date_max(),
    )
    DBTaskResult.objects.filter(pk=task.pk).update(
        enqueued_at=timezone.now() - datetime.timedelta(minutes=enqueued_minutes_ago)
    )
    return task


def test_healthz_is_a_cheap_ok_with_no_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"


def test_readyz_checks_the_database_storage_and_queue(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "storage": "ok", "queue": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    # The file it wrote is gone again.
    assert not default_storage.exists("health") or not default_storage.listdir("health")[1]


def test_a_queue_whose_oldest_task_waits_too_long_is_named(client, settings):
    settings.READYZ_QUEUE_MAX_AGE_MINUTES = 15
    waiting_task(enqueued_minutes_ago=5)
    assert client.get("/readyz").status_code == 200
    waiting_task(enqueued_minutes_ago=40)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok" and body["storage"] == "ok"
    assert body["queue"].startswith("failed") and "40 minutes" in body["queue"]


def test_a_task_scheduled_for_later_is_not_waiting(client):
    waiting_task(enqueued_minutes_ago=60, run_after=timezone.now() + datetime.timedelta(hours=1))
    assert client.get("/readyz").status_code == 200
    # Once its time has come it waits from then, not from when it was enqueued.
    waiting_task(enqueued_minutes_ago=60, run_after=timezone.now() - datetime.timedelta(minutes=2))
    assert client.get("/readyz").status_code == 200


def test_storage_that_fails_is_a_503_naming_it_not_a_500(client, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("bucket saferstaff-files at s3.internal:9000 refused: key AKIA-SECRET")

    monkeypatch.setattr(default_storage, "save", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "storage": "failed", "queue": "ok"}
    assert b"AKIA" not in response.content and b"s3.internal" not in response.content


def test_a_database_that_fails_is_a_503_naming_it(client, monkeypatch):
    class Unreachable:
        def cursor(self):
            raise connection.Database.OperationalError("could not connect to server at 10.0.0.5")

    def queue_unreachable():
        raise connection.Database.OperationalError("could not connect to server at 10.0.0.5")

    monkeypatch.setattr(health, "connection", Unreachable())
    monkeypatch.setattr(health.DBTaskResult.objects, "ready", queue_unreachable)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["database"] == "failed" and body["queue"] == "failed" and body["storage"] == "ok"
    assert b"10.0.0.5" not in response.content


def test_readyz_needs_no_sign_in_and_only_reads(client):
    assert client.post("/readyz").status_code == 405


def test_with_the_database_server_down_readyz_is_a_503_through_every_middleware(tmp_path):
    # A fresh interpreter whose DATABASE_URL points at a closed port: the whole request path, not a patched check.
    code = (
        "import django, json; django.setup(); from django.test import Client; "
        "r = Client().get('/readyz'); print(r.status_code, json.dumps(r.json()))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAFERSTAFF_", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="saferstaff.settings",
        SAFERSTAFF_VAR=str(tmp_path),
        DATABASE_URL="postgres://saferstaff@127.0.0.1:1/saferstaff?connect_timeout=2",
        PYTHONPATH=str(ROOT),
        LOG_LEVEL="CRITICAL",
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-800:]
    status, body = result.stdout.strip().splitlines()[-1].split(" ", 1)
    assert status == "503"
    assert json.loads(body) == {"database": "failed", "storage": "ok", "queue": "failed"}
