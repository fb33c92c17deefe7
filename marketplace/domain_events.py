"""Domain events that other features react to, without the sender knowing who listens.

A feature subscribes once, in its ``init_app`` (subscribing the same function again is a no-op):
``domain_events.subscribe("mark_signed", on_signed)`` for one kind of deal event, or
``domain_events.deal_event.connect(on_any, weak=False)`` for every kind; a receiver is called as
``fn(deal, event=DealEvent, actor=User | None)``. Flush-level changes of a model are announced with
``watch_changes(Listing, ("status", "version", "hidden_at"), listing_changed)``; its receivers are
called as ``fn(listing, session=Session)``.

Receivers run synchronously, inside the sender's transaction: what they write is committed or
rolled back with the action, and work meant for after the commit goes through ``jobs.enqueue``
(held until the commit, dropped on a rollback). A receiver's exception aborts the action.
"""

from collections.abc import Callable, Iterable

import sqlalchemy as sa
from blinker import Namespace, Signal
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

domain = Namespace()

# Every deal event once it is appended (sender: the Deal; event=DealEvent, actor=User | None).
deal_event = domain.signal("deal-event")
# A listing's status, version or moderation changed in a flush (sender: the Listing; session=).
listing_changed = domain.signal("listing-changed")
# An account was signed out everywhere: a password reset, staff, an administrator or the CLI
# ended all its sessions (sender: the User). Credentials kept elsewhere (API tokens) end too.
signed_out_everywhere = domain.signal("signed-out-everywhere")


def deal_event_of(kind: str) -> Signal:
    """The signal for one kind of deal event (e.g. "mark_signed")."""
    return domain.signal(f"deal-event:{kind}")


def subscribe(kind: str | None, fn: Callable | None = None):
    """Call `fn(deal, event=..., actor=...)` for each deal event of `kind` (None: every kind).

    Usable as a decorator (``@subscribe("decline")``); subscribing twice calls `fn` once.
    """
    def connect(receiver: Callable) -> Callable:
        signal = deal_event if kind is None else deal_event_of(kind)
        signal.connect(receiver, weak=False)
        return receiver
    return connect(fn) if fn is not None else connect


def send_deal_event(deal, event, actor) -> None:
    """Announce an appended deal event: to every-kind receivers, then to those of its kind."""
    deal_event.send(deal, event=event, actor=actor)
    deal_event_of(event.kind).send(deal, event=event, actor=actor)


# ---- flush-level changes ------------------------------------------------------------------

_watched: dict[tuple[type, tuple[str, ...], int], Signal] = {}


def watch_changes(model: type, fields: Iterable[str], signal: Signal) -> None:
    """After each flush, send `signal(obj, session=session)` for each new or changed `model`
    object whose `fields` changed (attribute history is still readable by the receivers)."""
    fields = tuple(fields)
    _watched[(model, fields, id(signal))] = signal
    if not sa_event.contains(Session, "after_flush", _after_flush):
        sa_event.listen(Session, "after_flush", _after_flush)


def unwatch(model: type, fields: Iterable[str], signal: Signal) -> None:
    """Stop announcing what `watch_changes` announced (for tests)."""
    _watched.pop((model, tuple(fields), id(signal)), None)


def _after_flush(session: Session, flush_context) -> None:
    objects = list(session.new) + list(session.dirty)
    for (model, fields, _), signal in list(_watched.items()):
        for obj in objects:
            if isinstance(obj, model) and _any_changed(obj, fields):
                signal.send(obj, session=session)


def _any_changed(obj, fields: tuple[str, ...]) -> bool:
    state = sa.inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in fields)
