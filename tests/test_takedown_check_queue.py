"""§5: a takedown's check never waits behind a long job. Checks go on their own queue ("checks"), at a higher
priority: every worker takes them before its other jobs, and one worker (``make run``, ``saferstaff-checks
.service``) takes nothing else, so a sweep of a school's websites (minutes) running on a worker does not hold up
"Check again". The takedown's page says when the check was asked and, when it is late, that it is."""

# ruff: noqa: F811  (``photos``, ``published`` and ``site`` are fixtures imported from the other test files)

import datetime
from pathlib import Path

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from saferstaff.ops.management.commands.run_worker import Command as RunWorker
from saferstaff.photos import checks, sites
from saferstaff.photos.models import PlaceCheck, SiteSweep

from .conftest import signed_in
from .test_publication_places import _files, photos  # noqa: F401
from .test_takedown_checks import _done, published, site, take_down  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
DB_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "checks"]}}


def test_checks_have_their_own_queue_and_go_first(cast, published, site, settings):
    takedown = take_down(cast, published)  # checked at once (the test's immediate queue)
    settings.TASKS = DB_QUEUE
    sweep = SiteSweep.objects.create(school=cast.school)
    sites.sweep_school.enqueue(sweep.pk)  # a long sweep, queued first
    (check,) = checks.queue_checks(takedown, by=cast.teacher)
    ready = DBTaskResult.objects.ready()
    assert [r.queue_name for r in ready.order_by("enqueued_at")] == ["default", "checks"]
    # What a worker of every queue takes next (the worker's own query): the check, though queued second.
    assert ready.filter(queue_name__in=["default", "checks"]).first().task_path.endswith("check_place")
    # The checks worker takes the check and never the sweep.
    assert [r.args_kwargs["args"] for r in ready.filter(queue_name__in=["checks"])] == [[check.pk]]


def test_every_worker_runs_checks_and_make_run_starts_one_for_checks_alone(settings):
    settings.TASKS = DB_QUEUE
    options = RunWorker().create_parser("saferstaff", "run_worker").parse_args([])
    assert options.queue_name == "default,checks"
    makefile = (ROOT / "Makefile").read_text()
    assert "run_worker --interval 1 --queue-name checks &" in makefile


def test_the_page_says_when_a_check_was_asked_and_when_it_is_late(cast, published, site):
    takedown = take_down(cast, published)
    PlaceCheck.objects.filter(takedown=takedown).update(result=PlaceCheck.Result.WAITING)
    client = signed_in(cast.teacher)
    shown = client.get(_done(cast, takedown)).content.decode()
    assert "usually takes under a minute" in shown and "It has waited" not in shown
    asked = timezone.now() - datetime.timedelta(minutes=12)
    PlaceCheck.objects.filter(takedown=takedown).update(requested_at=asked)
    shown = client.get(_done(cast, takedown)).content.decode()
    assert "It has waited 12 minutes" in shown and "checker may have stopped" in shown
