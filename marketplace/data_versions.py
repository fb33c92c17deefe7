"""A version number of some data, raised by every commit that changes it, so that what was
computed from the data can be kept under the version and served while the version stands.

One row (`id` 1) per version table; `value` is raised in the very transaction that changes the
data (at its commit, after its last flush, so the row is locked only while committing and no
lock is taken after it). A reader reads the version first and then the data: any commit it
does not see raises the version, so what is kept under a version is never older than it.
`epoch` is drawn afresh whenever the row is created, so a recreated table never meets what was
kept under an earlier one. Used for the programme figures (`stats`) and for the pages served
to visitors who are not signed in (`page_cache`).
"""

import uuid
import weakref
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


class DataVersion:
    """The version kept in `table` (id, epoch, value) of the data that `matters` says a
    changed object or a statement on a mapped class (None: a table outside the models) is
    part of; raised only while `enabled()` (something keeps results under it)."""

    def __init__(self, table: sa.Table, matters: Callable[[object], bool],
                 class_matters: Callable[[type | None], bool], enabled: Callable[[], bool]):
        self.table, self.matters, self.class_matters = table, matters, class_matters
        self.enabled = enabled
        self._flag = f"{table.name}_changed"
        self._engines: weakref.WeakSet = weakref.WeakSet()  # whose schema has the table
        sa.event.listen(Session, "after_flush", self._note_flush)
        sa.event.listen(Session, "do_orm_execute", self._note_statement)
        sa.event.listen(Session, "before_commit", self._raise)
        sa.event.listen(Session, "after_commit", self._forget)
        sa.event.listen(Session, "after_rollback", self._forget)

    def read(self, session) -> tuple[str, int] | None:
        """(epoch, value) as committed, or None before the first change (or the table)."""
        if not self._has_table(session):
            return None
        row = session.execute(sa.select(self.table.c.epoch, self.table.c.value)
                              .where(self.table.c.id == 1)).first()
        return tuple(row) if row else None

    def has_changes(self, session) -> bool:
        """Whether the session holds changes to the data that are not committed."""
        return bool(session.info.get(self._flag)) or any(
            self.matters(obj) for obj in (*session.new, *session.dirty, *session.deleted))

    def _has_table(self, session) -> bool:
        """Not before the table's migration (as when a migration's test writes through the
        models at an earlier revision); once seen, remembered."""
        engine = session.get_bind()
        if engine not in self._engines:
            if not sa.inspect(session.connection()).has_table(self.table.name):
                return False
            self._engines.add(engine)
        return True

    def _note_flush(self, session, flush_context) -> None:
        if any(self.matters(obj) for obj in (*session.new, *session.dirty, *session.deleted)):
            session.info[self._flag] = True

    def _note_statement(self, state) -> None:
        if not (state.is_insert or state.is_update or state.is_delete):
            return
        mapper = state.bind_mapper
        if self.class_matters(mapper.class_ if mapper is not None else None):
            state.session.info[self._flag] = True

    def _raise(self, session) -> None:
        if not self.enabled() or not self.has_changes(session) or not self._has_table(session):
            return
        session.flush()  # the last writes first: nothing is locked after the version row
        dialect = session.get_bind().dialect.name
        insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect](self.table)
        session.execute(insert.values(id=1, epoch=uuid.uuid4().hex, value=0)
                        .on_conflict_do_nothing(index_elements=["id"]))
        session.execute(sa.update(self.table).where(self.table.c.id == 1)
                        .values(value=self.table.c.value + 1))

    def _forget(self, session) -> None:
        session.info.pop(self._flag, None)
