"""Pages: save the browse query, list and delete saved searches, bookmark a listing, list
bookmarks. Thin: parse the form, call the service, commit once, redirect."""

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..actions import done, flash_and_redirect, run_action
from ..listings.models import get_listing_or_404
from ..listings.vocabulary import ListingKind
from . import bookmarks, searches
from .models import FILTERS

bp = Blueprint("saved", __name__, template_folder="templates", url_prefix="/<lang:lang_code>")


def _browse_url(data) -> str:
    """Back to the browse page the form was sent from, with its query."""
    kind = data.get("kind")
    if kind not in (ListingKind.need, ListingKind.offering):
        return url_for("saved.searches")
    endpoint = "listings.needs" if kind == ListingKind.need else "listings.offerings"
    return url_for(endpoint, **{k: data[k] for k in FILTERS if data.get(k)})


def _removed(remove, message: str, page: str):
    """Run `remove()` (one of the user's own things) and commit; back to the list `page`."""
    return run_action(remove, on_success=done(message, url_for(page)))


# -- saved searches ----------------------------------------------------------------------------


@bp.route("/saved-searches", endpoint="searches")
@login_required
def searches_page():
    items = searches.searches_of(current_user)
    return render_template("saved/searches.html", items=items, browse_url=searches.browse_url)


@bp.route("/saved-searches", methods=["POST"])
@login_required
def save_search():
    data = {name: request.form.get(name) for name in ("kind", "label", *FILTERS)}
    back = _browse_url(data)
    return run_action(lambda: searches.save_search(current_user, data),
                      on_success=done(_("The search is saved. We will tell you when a new "
                                        "listing matches it."), back),
                      on_error=flash_and_redirect(back, code=303))


@bp.route("/saved-searches/<int:search_id>/delete", methods=["POST"])
@login_required
def delete_search(search_id: int):
    return _removed(lambda: searches.delete_search(current_user, search_id),
                    _("The saved search is deleted."), "saved.searches")


# -- bookmarks ---------------------------------------------------------------------------------


@bp.route("/listings/<int:listing_id>/bookmark", methods=["POST"])
@login_required
def toggle_bookmark(listing_id: int):
    listing = get_listing_or_404(listing_id, current_user)
    url = url_for(f"listings.{listing.kind}", listing_id=listing.id)

    def answer(now_bookmarked: bool):
        return done(_("The listing is in your bookmarks.") if now_bookmarked
                    else _("The bookmark is removed."), url)(now_bookmarked)

    return run_action(lambda: bookmarks.toggle_bookmark(current_user, listing.id),
                      on_success=answer, on_error=flash_and_redirect(url, code=303))


@bp.route("/bookmarks", endpoint="bookmarks")
@login_required
def bookmarks_page():
    return render_template("saved/bookmarks.html",
                           items=bookmarks.bookmarks_of(current_user))


@bp.route("/bookmarks/<int:listing_id>/delete", methods=["POST"])
@login_required
def remove_bookmark(listing_id: int):
    return _removed(lambda: bookmarks.remove_bookmark(current_user, listing_id),
                    _("The bookmark is removed."), "saved.bookmarks")


@bp.app_context_processor
def _helpers():
    def bookmark_button(listing) -> dict | None:
        """What the listing page's bookmark button shows: None for no button."""
        if not current_user.is_authenticated:
            return None
        marked = bookmarks.is_bookmarked(current_user, listing.id)
        if not marked and not bookmarks.can_bookmark(listing, current_user):
            return None
        return {"bookmarked": marked}

    return {"bookmark_button": bookmark_button}
