"""Append-only tables, guarded by the database as well as by the models.

The models refuse updates and deletes made through the ORM. On PostgreSQL a trigger also
refuses them for every statement, bulk and hand-written SQL included, so rewriting history
takes the table owner disabling the trigger first (and the deal log's hash chain still shows
it). SQLite, the embedded default, relies on the models and the hash chain. The migration
``append_only_triggers`` creates the same function and triggers on existing databases; a later
append-only table (``confidential_accesses``) adds its trigger in its own migration.
"""

import sqlalchemy as sa

FUNCTION = """
CREATE OR REPLACE FUNCTION refuse_append_only_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
    MESSAGE = TG_TABLE_NAME || ' is append-only: ' || TG_OP || ' refused';
END $$
"""


def trigger(table: str) -> str:
    return (f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_append_only_change()")


def guard(table: sa.Table) -> None:
    """Have the database refuse UPDATE and DELETE on ``table`` (PostgreSQL) from creation on."""
    for statement in (FUNCTION, trigger(table.name)):
        sa.event.listen(table, "after_create",
                        sa.DDL(statement).execute_if(dialect="postgresql"))


def refuse_orm_changes(refuse, *models) -> None:
    """Run ``refuse`` (a mapper listener that raises) before any ORM update or delete of a row
    of ``models``."""
    for model in models:
        for when in ("before_update", "before_delete"):
            sa.event.listen(model, when, refuse)
