"""The task worker saferstaff runs (``saferstaff run_worker``): django-tasks-db's worker, plus what it lacks.

- A killed worker's job is run again. The library marks a job RUNNING when a worker claims it and leaves it so if
  the worker dies (SIGKILL, a lost machine): nothing would ever run it. Each worker here writes a beat
  (``WorkerBeat``) every lease/6 seconds and, with it, puts back in the queue every job RUNNING under a worker
  whose beat is older than the lease (``TASK_LEASE_SECONDS``).
- A job that failed on a connection (SMTP down: ``OSError``; S3: botocore's errors; the database:
  ``OperationalError``) runs again later, with backoff, instead of staying FAILED: an email waits for the mail
  server to come back.

Either way the job may run twice, so the jobs whose effect must happen once record it atomically (emails:
``notifications.outbox.send_once``).
"""

import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from saferstaff.ops.models import WorkerBeat

log = logging.getLogger(__name__)

try:  # S3 unreachable (django-storages' backend): botocore's connection errors are not OSErrors
    from botocore.exceptions import BotoCoreError
except ImportError:  # pragma: no cover - botocore is in requirements.lock
    BotoCoreError = OSError
TRANSIENT = (OSError, BotoCoreError, OperationalError, InterfaceError)
MAX_DELAY = timedelta(hours=1)


class WorkerLost(Exception):
    """Recorded on a job whose worker died on each of its attempts."""


def retry_delay(attempt: int) -> timedelta:
    """How long before attempt ``attempt + 1``: base, 2×base, 4×base… at most an hour."""
    return min(timedelta(seconds=settings.TASK_RETRY_BASE_SECONDS * 2 ** (attempt - 1)), MAX_DELAY)


def requeue_orphans() -> int:
    """Put back in the queue each job RUNNING under a worker silent for longer than the lease; fail one that has
    used up its attempts. Returns how many went back. Safe to run from every worker at once."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.TASK_LEASE_SECONDS)
    alive = set(WorkerBeat.objects.filter(seen_at__gte=cutoff).values_list("worker_id", flat=True))
    requeued = 0
    for job in (
        DBTaskResult.objects.running().filter(started_at__lt=cutoff).only("id", "worker_ids", "started_at")
    ):
        if job.worker_ids and job.worker_ids[-1] in alive:
            continue
        # started_at in the filter: if another worker claimed it again meanwhile, this changes nothing.
        same = DBTaskResult.objects.filter(
            pk=job.pk, status=TaskResultStatus.RUNNING, started_at=job.started_at
        )
        if len(job.worker_ids) >= settings.TASK_RETRY_ATTEMPTS:
            same.update(
                status=TaskResultStatus.FAILED, finished_at=now,
                exception_class_path=f"{__name__}.WorkerLost", traceback="its worker died on every attempt",
            )  # fmt: skip
            log.error("job %s failed: its worker died on each of %d attempts", job.pk, len(job.worker_ids))
        elif same.update(status=TaskResultStatus.READY, run_after=now, started_at=None):
            requeued += 1
            log.warning("job %s requeued: its worker %s stopped beating", job.pk, job.worker_ids[-1:])
    WorkerBeat.objects.filter(seen_at__lt=now - 10 * (now - cutoff)).delete()  # long-gone workers
    return requeued


class RecoveringWorker(Worker):
    def run(self) -> None:
        self.beat()  # before the first claim: a job of ours is never seen without a beat
        self.stopped = threading.Event()
        beating = threading.Thread(target=self.keep_beating, name="worker-beat", daemon=True)
        beating.start()
        try:
            super().run()
        finally:
            self.stopped.set()

    def beat(self) -> None:
        WorkerBeat.objects.update_or_create(worker_id=self.worker_id, defaults={"seen_at": timezone.now()})
        requeue_orphans()

    def keep_beating(self) -> None:
        try:
            while not self.stopped.wait(max(settings.TASK_LEASE_SECONDS / 6, 0.2)):
                try:
                    self.beat()
                except DatabaseError as exc:  # the database is away: the next beat tries again
                    log.warning("worker %s could not beat: %s", self.worker_id, type(exc).__name__)
        finally:
            connection.close()

    def run_task(self, db_task_result: DBTaskResult) -> None:
        # The library records a failure with set_failed; a transient one is recorded as "run again later"
        # instead, in the same single write (never FAILED in between).
        db_task_result.set_failed = lambda exc: self.fail_or_retry(db_task_result, exc)
        super().run_task(db_task_result)

    def fail_or_retry(self, job: DBTaskResult, exc: BaseException) -> None:
        attempts = len(job.worker_ids)
        if not isinstance(exc, TRANSIENT) or attempts >= settings.TASK_RETRY_ATTEMPTS:
            if isinstance(exc, TRANSIENT):
                log.error("job %s failed for good after %d attempts", job.pk, attempts)
            DBTaskResult.set_failed(job, exc)
            return
        job.status = TaskResultStatus.READY
        job.run_after = timezone.now() + retry_delay(attempts)
        job.started_at = None
        job.exception_class_path = f"{type(exc).__module__}.{type(exc).__qualname__}"
        job.save(update_fields=["status", "run_after", "started_at", "exception_class_path"])
        log.warning(
            "job %s failed on %s (attempt %d); runs again at %s",
            job.pk, job.exception_class_path, attempts, job.run_after.isoformat(timespec="seconds"),
        )  # fmt: skip
