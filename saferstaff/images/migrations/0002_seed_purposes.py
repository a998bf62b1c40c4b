from django.db import migrations


def seed(apps, schema_editor):
    from saferstaff.images.models import SEED_PURPOSES

    School = apps.get_model("schools", "School")
    Purpose = apps.get_model("images", "Purpose")
    for school in School.objects.all():
        for position, (code, name, publicity, biometric, annual, words) in enumerate(SEED_PURPOSES):
            Purpose.objects.get_or_create(
                school=school,
                code=code,
                defaults={
                    "name": name,
                    "plain_words": words,
                    "publicity": publicity,
                    "biometric": biometric,
                    "renew_annually": annual,
                    "position": position,
                },
            )


class Migration(migrations.Migration):
    dependencies = [("images", "0001_initial"), ("schools", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
