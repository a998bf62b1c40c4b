# A count of each school's changes, bumped with every audit event that is not a reading (ADR 0014).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0002_keyed_chain_per_school'),
    ]

    operations = [
        migrations.CreateModel(
            name='Generation',
            fields=[
                ('scope', models.BigIntegerField(primary_key=True, serialize=False)),
                ('value', models.PositiveBigIntegerField(default=0)),
            ],
        ),
    ]
