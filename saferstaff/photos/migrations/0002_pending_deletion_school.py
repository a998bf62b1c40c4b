"""A file waiting to be deleted says whose it is (the school's), so a school's queue can be shown to it and
follows it; rows queued before carry the school in their name (every stored name begins
``images/<school id>/`` or ``schools/<school id>/``)."""

import re

import django.db.models.deletion
from django.db import migrations, models

OWNER = re.compile(r"^(?:images|schools)/(\d+)/")


def name_the_school(apps, schema_editor):
    PendingDeletion = apps.get_model("photos", "PendingDeletion")
    School = apps.get_model("schools", "School")
    schools = set(School.objects.values_list("pk", flat=True))
    for pending in PendingDeletion.objects.filter(school__isnull=True):
        match = OWNER.match(pending.name)
        if match is None or int(match.group(1)) not in schools:
            raise RuntimeError(
                f"A file waiting to be deleted (queue row {pending.pk}) does not name a school saferstaff "
                "knows. Delete that file from storage by hand, delete the row, and run migrate again."
            )
        PendingDeletion.objects.filter(pk=pending.pk).update(school_id=int(match.group(1)))


class Migration(migrations.Migration):
    dependencies = [
        ("photos", "0001_initial"),
        ("schools", "0006_school_settings_moved_here"),
    ]

    operations = [
        migrations.AddField(
            model_name="pendingdeletion",
            name="school",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="schools.school"
            ),
        ),
        migrations.RunPython(name_the_school, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="pendingdeletion",
            name="school",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="schools.school"
            ),
        ),
        migrations.AlterField(
            model_name="pendingdeletion",
            name="name",
            field=models.CharField(max_length=200),
        ),
        migrations.AddConstraint(
            model_name="pendingdeletion",
            constraint=models.UniqueConstraint(fields=("school", "name"), name="unique_pending_deletion"),
        ),
    ]
