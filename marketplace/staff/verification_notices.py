"""Telling an organisation's members that staff verified it, or why they did not."""

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from ..accounts.models import Organisation, User
from ..extensions import db
from ..notifications import notify, register_kind
from ..notifications.services import Rendered


def tell_members(org: Organisation) -> None:
    """Notify every active member of `org` of its verification decision (verified or rejected),
    in the transaction that records it."""
    kind = "organisation_verified" if org.is_verified else "organisation_rejected"
    for user in User.active_members(org.id):
        notify(user, kind, org, reason=org.verification_reason or "")


@register_kind("organisation_verified", _l("Your organisation is verified"))
def _verified(notice) -> Rendered:
    org = db.session.get(Organisation, notice.subject_id)
    return Rendered(gettext("%(name)s is verified: you can now post listings and open deals.",
                            name=org.name if org else "—"),
                    "accounts.profile")


@register_kind("organisation_rejected", _l("Your organisation could not be verified"))
def _rejected(notice) -> Rendered:
    org = db.session.get(Organisation, notice.subject_id)
    reason = notice.data.get("reason") or "—"
    return Rendered(gettext("%(name)s could not be verified. The reason staff gave: %(reason)s",
                            name=org.name if org else "—", reason=reason),
                    "accounts.profile")
