"""One runner for page and API actions: commit on success, roll back and answer on a refusal."""

import pytest
from flask import get_flashed_messages

from marketplace.accounts.models import User
from marketplace.actions import done, flash_and_redirect, run_action
from marketplace.errors import DomainError, NotFound, PermissionDenied
from marketplace.extensions import db


def _rename(user_id, name, refuse=None):
    def action():
        user = db.session.get(User, user_id)
        user.display_name = name
        db.session.flush()  # the change reaches the database before the refusal
        if refuse is not None:
            raise refuse
        return user
    return action


def _name(app, user_id):
    """The name as committed (read in a fresh session)."""
    with app.app_context():
        return db.session.get(User, user_id).display_name


def test_success_commits_and_answers(app, make_user):
    uid = make_user().id
    with app.test_request_context("/ko/x", method="POST"):
        response = run_action(_rename(uid, "Kim"), on_success=done("Saved.", "/ko/done"))
        assert (response.status_code, response.location) == (303, "/ko/done")
        assert get_flashed_messages(with_categories=True) == [("success", "Saved.")]
    assert _name(app, uid) == "Kim"


def test_without_on_success_the_result_is_returned(app, make_user):
    uid = make_user().id
    with app.test_request_context("/api/v1/x", method="POST"):
        assert run_action(_rename(uid, "Lee")).id == uid


def test_a_refusal_rolls_back_and_shows_the_page_again(app, make_user):
    uid = make_user().id
    before = _name(app, uid)
    with app.test_request_context("/ko/x", method="POST"):
        answer = run_action(_rename(uid, "Park", DomainError("No.")),
                            on_success=done("Saved.", "/ko/done"),
                            on_error=lambda exc: (f"page: {exc.message}", exc.status))
        assert answer == ("page: No.", 400)
        assert get_flashed_messages() == []
        assert _name(app, uid) == before


def test_a_refusal_can_be_explained_on_another_page(app, make_user):
    uid = make_user().id
    with app.test_request_context("/ko/x", method="POST"):
        response = run_action(_rename(uid, "Choi", DomainError("Not now.")),
                              on_error=flash_and_redirect("/ko/listing"), reraise=(403, 404))
        assert (response.status_code, response.location) == (302, "/ko/listing")
        assert get_flashed_messages(with_categories=True) == [("danger", "Not now.")]


@pytest.mark.parametrize("error, reraise", [(NotFound("gone"), (404,)),
                                            (PermissionDenied("no"), (403, 404))])
def test_statuses_named_in_reraise_are_raised_after_the_rollback(app, make_user, error, reraise):
    uid = make_user().id
    before = _name(app, uid)
    with app.test_request_context("/ko/x", method="POST"), pytest.raises(type(error)):
        run_action(_rename(uid, "Jung", error), on_error=lambda exc: "page",
                   reraise=reraise)
    assert _name(app, uid) == before


def test_api_refusal_is_answered_in_json_with_nothing_written(app, make_user):
    uid = make_user().id
    before = _name(app, uid)
    with app.test_request_context("/api/v1/deals/1/accept", method="POST"):
        with pytest.raises(DomainError) as caught:
            run_action(_rename(uid, "Yoon", DomainError("Refused.", {"note": ["Too long."]})))
        response = app.handle_user_exception(caught.value)
    assert response.status_code == 400
    assert response.get_json() == {"error": {"code": "invalid", "message": "Refused.",
                                             "fields": {"note": ["Too long."]}}}
    assert _name(app, uid) == before


def test_other_errors_propagate_without_a_commit(app, make_user):
    uid = make_user().id
    before = _name(app, uid)
    with app.test_request_context("/ko/x", method="POST"):
        with pytest.raises(ZeroDivisionError):
            run_action(_rename(uid, "Kang", ZeroDivisionError()), on_error=lambda exc: "page")
        db.session.rollback()  # what the app's error handler does
    assert _name(app, uid) == before
