"""Two health checks, open to anyone and saying nothing about schools or people.

- ``/healthz``: liveness. The process answers; no database, nothing else. For a supervisor deciding whether to
  restart it.
- ``/readyz``: readiness. The database answers a query, the file storage takes, gives back and deletes a tiny
  file under ``health/``, and the task queue's oldest waiting task has waited less than
  READYZ_QUEUE_MAX_AGE_MINUTES. 200 with ``{"database": "ok", "storage": "ok", "queue": "ok"}``, or 503 with the
  failing check named. For a load balancer deciding whether to send traffic here, and for monitoring.

A failing check never becomes a 500 and never shows its exception (which may carry host names or keys): the
exception's class goes to the log, with the request id.
"""

import logging
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import Case, F, Min, When
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_tasks_db.models import DBTaskResult, get_date_max

log = logging.getLogger(__name__)

OK = "ok"


@require_safe
@never_cache
def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return OK


def check_storage() -> str:
    content = uuid.uuid4().hex.encode()
    name = default_storage.save(f"health/{uuid.uuid4().hex}.txt", ContentFile(content))
    try:
        with default_storage.open(name, "rb") as stored:
            if stored.read() != content:
                return "failed: the file read back differs"
    finally:
        default_storage.delete(name)
    return OK


def check_queue() -> str:
    """The age of the oldest task a worker could run now: since it was enqueued, or since its run_after."""
    waiting_since = DBTaskResult.objects.ready().aggregate(
        oldest=Min(Case(When(run_after=get_date_max(), then=F("enqueued_at")), default=F("run_after")))
    )["oldest"]
    if waiting_since is None:
        return OK
    waited = (timezone.now() - waiting_since).total_seconds()
    if waited > settings.READYZ_QUEUE_MAX_AGE_MINUTES * 60:
        return f"failed: the oldest waiting task has waited {int(waited // 60)} minutes (are the workers running?)"
    return OK


CHECKS = {"database": check_database, "storage": check_storage, "queue": check_queue}


@require_safe
@never_cache
def readyz(request):
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as problem:  # any failure is a 503 naming the check, never a 500
            log.warning("readyz: %s check failed: %s", name, type(problem).__name__)
            results[name] = "failed"
    healthy = all(result == OK for result in results.values())
    return JsonResponse(results, status=200 if healthy else 503)
