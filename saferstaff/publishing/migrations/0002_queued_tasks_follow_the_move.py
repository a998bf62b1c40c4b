"""Tasks waiting in the queue when a school upgrades across the move to rooms (ADR 0007) name their function by
its old module path; point each at the same function in its new room, so the worker runs it instead of failing
it. Only paths the code before the move could queue are rewritten."""

from django.db import migrations

MOVED = {
    "saferstaff.images.publishing.check_request": "saferstaff.publishing.services.check_request",
    "saferstaff.images.screening.screen_album": "saferstaff.biometrics.screening.screen_album",
    "saferstaff.images.tasks.email_portal_link": "saferstaff.consent.tasks.email_portal_link",
    "saferstaff.images.tasks.email_portal_receipt": "saferstaff.consent.tasks.email_portal_receipt",
    "saferstaff.policy.search.index_version": "saferstaff.policies.search.index_version",
}


def forwards(apps, schema_editor):
    Task = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in MOVED.items():
        Task.objects.filter(task_path=old).update(task_path=new)


def backwards(apps, schema_editor):
    Task = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in MOVED.items():
        Task.objects.filter(task_path=new).update(task_path=old)


class Migration(migrations.Migration):
    dependencies = [
        ("publishing", "0001_initial"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
