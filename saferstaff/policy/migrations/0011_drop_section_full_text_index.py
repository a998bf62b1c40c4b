""" "Ask the policy" ranks sections in Python now (saferstaff.screening.ask: BM25 and sentence meaning, fused),
the same on SQLite and PostgreSQL, so the database's full-text table (SQLite) and index (PostgreSQL) made by
0005 are no longer read: drop them."""

from django.db import migrations

from saferstaff.policy.migrations import _section_search_sql as sql


def run(statements_by_vendor):
    def apply(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("policy", "0010_saved_draft_checks")]

    operations = [
        migrations.RunPython(
            run({"sqlite": sql.SQLITE_DOWN, "postgresql": sql.POSTGRES_DOWN}),
            run({"sqlite": sql.SQLITE_UP, "postgresql": sql.POSTGRES_UP}),
        )
    ]
