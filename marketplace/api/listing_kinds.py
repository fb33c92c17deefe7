"""Routes that exist alike under /needs/{id} and /offerings/{id}."""

from flask import abort

from ..extensions import db
from ..listings.models import Listing
from ..listings.vocabulary import ListingKind
from .auth import api_user

KINDS = ((ListingKind.need, "needs"), (ListingKind.offering, "offerings"))


def per_kind(blp, rule: str, name: str, methods=("GET",)):
    """Registers `make(kind, path)`'s view at /needs/{listing_id}`rule` and then at
    /offerings/{listing_id}`rule`; `name` (with `{kind}` and `{path}`) names each endpoint."""

    def decorator(make):
        for kind, path in KINDS:
            view = make(kind, path)
            view.__name__ = name.format(kind=kind.value, path=path)
            blp.route(f"/{path}/<int:listing_id>{rule}", methods=list(methods))(view)
        return make

    return decorator


def listing_or_404(kind: ListingKind, listing_id: int) -> Listing:
    """A listing of `kind` the caller may see (404 for any other)."""
    listing = db.session.get(Listing, listing_id)
    if listing is None or listing.kind != kind or not listing.is_visible_to(api_user()):
        abort(404)
    return listing
