"""Faults in the task queue, with real processes: a worker (``manage.py run_worker``) killed with SIGKILL while
its job waits on the mail server, and the mail server down then back. Each time the email arrives exactly once,
none is lost, and the job ends SUCCESSFUL. Plus the pieces on their own: the outbox, the backoff, the reaper."""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from saferstaff.notifications.models import Notification, SentEmail
from saferstaff.notifications.outbox import send_once
from saferstaff.notifications.service import notify
from saferstaff.ops.models import WorkerBeat
from saferstaff.ops.worker import requeue_orphans, retry_delay
from tests.test_faces_screening import _database_url
from tests.test_smtp import Collector, _free_port

from .conftest import skip_or_fail

ROOT = Path(__file__).resolve().parent.parent
LEASE = 2  # seconds, for the workers started here (production: 60)
DB_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


class SlowCollector(Collector):
    """Keeps every message; the first ``slow`` MAIL commands hang for a minute (a mail server that stalls)."""

    def __init__(self, slow: int = 0):
        super().__init__()
        self.slow = slow
        self.stalled = threading.Event()

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.slow:
            self.slow -= 1
            self.stalled.set()
            await asyncio.sleep(60)
        envelope.mail_from = address
        return "250 OK"


def smtp_on(port: int, handler):
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        skip_or_fail("aiosmtpd is not installed: run `make setup`")
    controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    return controller


def worker(smtp_port: int, settings) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_TIMEOUT": "5",
        "TASK_LEASE_SECONDS": str(LEASE),
        "TASK_RETRY_BASE_SECONDS": "1",
    }
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "run_worker", "--interval", "0.1", "--no-startup-delay"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def wait_for(condition, process, seconds=60):
    deadline = time.monotonic() + seconds
    while not condition():
        assert process.poll() is None, f"the worker died: {process.stderr.read()[-2000:]}"
        assert time.monotonic() < deadline, "the worker did not get there in time"
        time.sleep(0.05)


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def the_job() -> DBTaskResult:
    (job,) = DBTaskResult.objects.filter(task_path__endswith="email_notification")
    return job


@pytest.mark.smtp
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_job_is_replaced_and_the_email_leaves_once(cast, settings):
    settings.TASKS = DB_QUEUE
    port = _free_port()
    server = SlowCollector(slow=1)
    controller = smtp_on(port, server)
    first = worker(port, settings)
    try:
        notify(cast.dsl, kind="concern.raised", title="t", school=cast.school)
        assert server.stalled.wait(60), "the worker never reached the mail server"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        killed_at = time.monotonic()
        assert the_job().status == "RUNNING"  # what django-tasks-db alone would leave for ever
        second = worker(port, settings)
        try:
            wait_for(lambda: the_job().status == "SUCCESSFUL", second)
            took = time.monotonic() - killed_at
        finally:
            stop(second)
    finally:
        stop(first)
        controller.stop()
    job = the_job()
    assert len(job.worker_ids) == 2 and job.worker_ids[0] != job.worker_ids[1]
    assert [m.recipients for m in server.received] == [[cast.dsl.email]]
    assert SentEmail.objects.count() == 1
    assert Notification.objects.get(user=cast.dsl).emailed_at is not None
    print(f"\nworker killed mid-job: done by the next worker {took:.1f}s later (lease {LEASE}s), 1 email")


@pytest.mark.smtp
@pytest.mark.django_db(transaction=True)
def test_emails_wait_while_the_mail_server_is_down_and_leave_once_when_it_is_back(cast, settings):
    settings.TASKS = DB_QUEUE
    port = _free_port()  # nothing listens there yet: the mail server is down
    process = worker(port, settings)
    controller = None
    try:
        for person in (cast.dsl, cast.head, cast.teacher):
            notify(person, kind="concern.raised", title="t", school=cast.school)
        jobs = DBTaskResult.objects.filter(task_path__endswith="email_notification")
        # Each tried and failed at least twice, and is waiting for its next attempt, not FAILED for good.
        wait_for(lambda: all(len(j.worker_ids) >= 2 for j in jobs.all()), process)
        assert not jobs.filter(status="FAILED").exists(), list(
            jobs.values_list("exception_class_path", "traceback", "worker_ids")
        )
        assert SentEmail.objects.count() == 0 and not Notification.objects.exclude(emailed_at=None).exists()
        down_at = time.monotonic()
        server = Collector()
        controller = smtp_on(port, server)
        wait_for(lambda: jobs.filter(status="SUCCESSFUL").count() == 3, process)
        took = time.monotonic() - down_at
    finally:
        stop(process)
        if controller is not None:
            controller.stop()
    assert sorted(r for m in server.received for r in m.recipients) == sorted(
        [cast.dsl.email, cast.head.email, cast.teacher.email]
    )
    assert SentEmail.objects.count() == 3
    assert Notification.objects.filter(emailed_at=None).count() == 0
    attempts = max(len(j.worker_ids) for j in jobs.all())
    print(
        f"\nSMTP down then up: 3 emails, each once, {took:.1f}s after it came back, at most {attempts} attempts"
    )


@pytest.mark.django_db
def test_send_once_sends_a_key_once_and_not_at_all_when_smtp_fails(settings, monkeypatch):
    assert send_once("k:1", "s", "b", ["a@example.org"]) is True
    assert send_once("k:1", "s", "b", ["a@example.org"]) is False
    assert len(mail.outbox) == 1

    def refused(*args, **kwargs):
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr("saferstaff.notifications.outbox.send_mail", refused)
    with pytest.raises(ConnectionRefusedError):
        send_once("k:2", "s", "b", ["a@example.org"])
    assert not SentEmail.objects.filter(key="k:2").exists()  # so the retry sends it


def test_the_backoff_doubles_up_to_an_hour(settings):
    settings.TASK_RETRY_BASE_SECONDS = 30
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 8, 20)] == [30, 60, 120, 3600, 3600]


@pytest.mark.django_db
def test_the_reaper_requeues_only_jobs_of_silent_workers(settings):
    settings.TASK_LEASE_SECONDS = 60
    settings.TASK_RETRY_ATTEMPTS = 3
    long_ago = timezone.now() - timedelta(minutes=5)

    def running(worker_ids):
        return DBTaskResult.objects.create(
            status="RUNNING", args_kwargs={"args": [], "kwargs": {}}, task_path="x.y", backend_name="default",
            run_after=long_ago, started_at=long_ago, worker_ids=worker_ids,
        )  # fmt: skip

    WorkerBeat.objects.create(worker_id="alive")
    WorkerBeat.objects.create(worker_id="dead", seen_at=long_ago)
    alive, dead, unknown, spent = (
        running(["alive"]),
        running(["dead"]),
        running(["gone"]),
        running(["a", "b", "c"]),
    )
    assert requeue_orphans() == 2
    statuses = {j.pk: j.status for j in DBTaskResult.objects.all()}
    assert statuses == {alive.pk: "RUNNING", dead.pk: "READY", unknown.pk: "READY", spent.pk: "FAILED"}
    assert DBTaskResult.objects.get(pk=spent.pk).exception_class_path == "saferstaff.ops.worker.WorkerLost"
