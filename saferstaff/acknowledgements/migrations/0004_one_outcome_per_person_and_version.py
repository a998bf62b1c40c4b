from django.conf import settings
from django.db import migrations, models


def drop_repeats(apps, schema_editor):
    """Before the constraint: a form sent twice could have recorded the same outcome twice. The first row
    of each (school, version, person, outcome) is the record; the repeats say nothing more."""
    Acceptance = apps.get_model("acknowledgements", "Acceptance")
    seen = set()
    repeats = []
    rows = Acceptance.objects.order_by("accepted_at", "pk").values_list(
        "pk", "school_id", "version_id", "user_id", "outcome"
    )
    for pk, *key in rows.iterator():
        if tuple(key) in seen:
            repeats.append(pk)
        seen.add(tuple(key))
    Acceptance.objects.filter(pk__in=repeats).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("acknowledgements", "0003_reminder"),
        ("policy", "0011_drop_section_full_text_index"),
        ("schools", "0002_alter_historicalrolegrant_role_alter_rolegrant_role"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(drop_repeats, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="acceptance",
            constraint=models.UniqueConstraint(
                fields=("school", "version", "user", "outcome"), name="one_outcome_per_person_and_version"
            ),
        ),
    ]
