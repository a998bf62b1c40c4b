"""Every school that existed before the conduct room gets the starting list of contact channels (a new school
gets it when it is created: conduct.signals)."""

from django.db import migrations

from saferstaff.conduct.models import SEED_CHANNELS


def seed(apps, schema_editor):
    School = apps.get_model("schools", "School")
    ContactChannel = apps.get_model("conduct", "ContactChannel")
    for school in School.objects.all():
        for position, (name, social, school_run) in enumerate(SEED_CHANNELS):
            ContactChannel.objects.get_or_create(
                school=school,
                name=name,
                defaults={"is_social_media": social, "run_by_school": school_run, "position": position},
            )


class Migration(migrations.Migration):
    dependencies = [("conduct", "0001_initial"), ("schools", "0007_disclosures_to_dsl")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
