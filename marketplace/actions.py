"""One way to run a user's action: commit on success, roll back and answer on a DomainError.

Pages: ``return run_action(lambda: deal.withdraw(user), on_success=done(_("Withdrawn."), url),
on_error=lambda exc: (render_page(error=exc.message), exc.status))``. API: ``return
run_action(lambda: action(deal), on_success=lambda _: deal)`` — with no ``on_error`` the error is
raised again after the rollback, and the app's DomainError handler answers it in JSON.
"""

from collections.abc import Callable, Collection
from typing import Any

from flask import flash, redirect

from .errors import DomainError
from .extensions import db


def run_action(action: Callable[[], Any], *,
               on_success: Callable[[Any], Any] = lambda result: result,
               on_error: Callable[[DomainError], Any] | None = None,
               reraise: Collection[int] = (404,)) -> Any:
    """Run `action()` and commit; answer with `on_success(result)`.

    On a DomainError the session is rolled back (nothing half-written); the error is raised again
    when there is no `on_error` or its status is in `reraise` (by default a 404 stays a 404
    rather than the page being shown again), otherwise the answer is `on_error(exc)`.
    Errors other than DomainError propagate untouched (the app's handlers roll back).
    """
    try:
        result = action()
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        if on_error is None or exc.status in reraise:
            raise
        return on_error(exc)
    return on_success(result)


def done(message, url: str, code: int = 303) -> Callable[[Any], Any]:
    """An `on_success` that flashes `message` and redirects to `url` (303 after a POST)."""
    def answer(_result):
        flash(message, "success")
        return redirect(url, code=code)
    return answer


def flash_and_redirect(url: str, code: int = 302) -> Callable[[DomainError], Any]:
    """An `on_error` that explains the refusal in a flash message on the page at `url`."""
    def answer(exc: DomainError):
        flash(str(exc.message), "danger")
        return redirect(url, code=code)
    return answer
