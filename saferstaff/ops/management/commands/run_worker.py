from django.conf import settings
from django_tasks_db.management.commands import db_worker

from saferstaff.ops.worker import RecoveringWorker


class Command(db_worker.Command):
    help = (
        "Run a task worker (django-tasks-db's db_worker, same options) that also runs again the jobs of workers "
        "that died and, with backoff, jobs that failed on a connection (SMTP, S3, the database). Never reloads."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        # Every worker also runs a takedown's checks (first: they are queued at a higher priority); `--queue-name
        # checks` runs a worker for them alone, so that a check never waits behind a long job (a site sweep).
        parser.set_defaults(queue_name=f"default,{settings.CHECKS_QUEUE}")

    def handle(self, *, verbosity, queue_name, interval, batch, backend_name, startup_delay, max_tasks, worker_id,
               exclude_queues, **options) -> None:  # fmt: skip
        self.configure_logging(verbosity)
        worker = RecoveringWorker(
            queue_names=queue_name.split(","),
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=exclude_queues.split(",") if exclude_queues else [],
        )
        worker.configure_signals()
        worker.run()
