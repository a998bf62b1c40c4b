"""Full-text search over policy sections ("ask the policy").

SQLite: an FTS5 table kept in step with ``policy_policysection`` by triggers (Porter stemming, so "friends"
finds "friend"). PostgreSQL: nothing to create here; queries use to_tsvector/to_tsquery (english) directly.
"""

from django.db import migrations

from saferstaff.policy.migrations._section_search_sql import (
    POSTGRES_DOWN,
    POSTGRES_UP,
    SQLITE_DOWN,
    SQLITE_UP,
)


def run(statements_by_vendor):
    def apply(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("policy", "0004_historicalpolicy_audience_employment_and_more")]

    operations = [
        migrations.RunPython(
            run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        )
    ]
