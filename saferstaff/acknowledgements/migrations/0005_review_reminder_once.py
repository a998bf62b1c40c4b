from django.db import migrations, models


def drop_repeats(apps, schema_editor):
    """Review reminders were recorded with no membership, which the old constraint never compared (NULLs are
    distinct), so one could be sent every day. Keep the first of each before the new constraint."""
    Reminder = apps.get_model("acknowledgements", "Reminder")
    seen, repeats = set(), []
    rows = Reminder.objects.filter(membership__isnull=True).order_by("sent_at", "pk")
    for pk, *key in rows.values_list("pk", "school_id", "version_id", "kind", "day_mark").iterator():
        if tuple(key) in seen:
            repeats.append(pk)
        seen.add(tuple(key))
    Reminder.objects.filter(pk__in=repeats).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("acknowledgements", "0004_one_outcome_per_person_and_version"),
        ("policy", "0013_version_change_note"),
        ("schools", "0002_alter_historicalrolegrant_role_alter_rolegrant_role"),
    ]

    operations = [
        migrations.RunPython(drop_repeats, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="reminder",
            constraint=models.UniqueConstraint(
                condition=models.Q(("membership__isnull", True)),
                fields=("school", "version", "kind", "day_mark"),
                name="unique_school_reminder",
            ),
        ),
    ]
