from django.db import models
from django.utils import timezone


class WorkerBeat(models.Model):
    """A task worker says it is alive (``saferstaff run_worker``). A job RUNNING under a worker whose last beat is
    older than the lease is a job whose worker died: another worker puts it back in the queue."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    seen_at = models.DateTimeField(default=timezone.now)
