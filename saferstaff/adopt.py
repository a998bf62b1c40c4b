"""The first migration of a room that models moved into (ADR 0007).

On a new database its operations create the tables. On a database from before the move the tables are already
there, filled, under the same names (each moved model keeps its ``db_table``), so only Django's picture of the
models changes: no row moves, nothing is copied. Which of the two is decided by one table the old layout had.
The few tables whose names Django derives from the room (simple_history's table for a many-to-many field) are
renamed in place."""

from django.db import migrations


class AdoptOrCreate(migrations.SeparateDatabaseAndState):
    def __init__(self, existing: str, operations, renames=()):
        super().__init__(database_operations=operations, state_operations=operations)
        self.existing = existing
        self.renames = tuple(renames)

    def deconstruct(self):
        kwargs = {"existing": self.existing, "operations": self.state_operations}
        if self.renames:
            kwargs["renames"] = self.renames
        return (self.__class__.__qualname__, [], kwargs)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        tables = schema_editor.connection.introspection.table_names()
        if self.existing not in tables:
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        quote = schema_editor.quote_name
        for old, new in self.renames:
            if old in tables and new not in tables:
                schema_editor.execute(f"ALTER TABLE {quote(old)} RENAME TO {quote(new)}")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        raise migrations.exceptions.IrreversibleError(  # type: ignore[attr-defined]
            "The rooms' first migrations adopt tables that older migrations made: they are not undone"
        )

    def describe(self):
        return f"Adopt the tables of before the move (found by {self.existing}), or create them"
