# Rows written before this migration keep their plain SHA-256 hashes and stay one chain (chain -1, v 1):
# nothing already written is rewritten. New rows are sealed with AUDIT_KEY in a chain per school, and the
# first row of each starts from the old chain's last hash, which seals the old rows too (ADR 0006).

from django.db import migrations, models

VERSIONS = [
    (1, "SHA-256, one chain (before December 2026)"),
    (2, "HMAC-SHA256 under AUDIT_KEY, a chain per school"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelOptions(name="auditevent", options={"ordering": ["id"]}),
        # Existing rows: the old single chain, old hash.
        migrations.AddField(
            model_name="auditevent",
            name="chain",
            field=models.BigIntegerField(default=-1),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="v",
            field=models.PositiveSmallIntegerField(choices=VERSIONS, default=1),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="v",
            field=models.PositiveSmallIntegerField(choices=VERSIONS, default=2),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.PositiveBigIntegerField(),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["school_id", "at"], name="audit_school_at"),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(fields=("chain", "seq"), name="audit_one_seq_per_chain"),
        ),
    ]
