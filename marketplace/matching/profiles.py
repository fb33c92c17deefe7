"""Investors' interest profiles: what they look for, checked field by field; a real change
queues the recompute of their list."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from .. import jobs
from ..accounts.models import Organisation, OrgKind, User
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from ..listings.vocabulary import CURRENCIES, SECTORS
from .jobs import recompute_investor_job
from .records import REGION_LABELS, InvestorProfile, InvestorStage
from .settings import setting

PROFILE_FIELDS = ("thesis", "sectors", "keywords", "stages", "trl_min", "trl_max", "ticket_min",
                  "ticket_max", "currency", "regions", "languages")
MAX_TICKET = 10**15


def profile_for(org: Organisation) -> InvestorProfile | None:
    return db.session.scalar(sa.select(InvestorProfile).filter_by(organisation_id=org.id))


def clean_profile_data(data: dict) -> dict:
    """Validated profile values from plain data; DomainError with per-field messages."""
    errors: dict[str, list] = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    def codes(name, allowed):
        values = [str(v).strip() for v in data.get(name) or [] if str(v).strip()]
        values = list(dict.fromkeys(values))
        if any(v not in allowed for v in values):
            add(name, _l("Not a valid choice."))
        return [v for v in values if v in allowed]

    out = {
        "sectors": codes("sectors", SECTORS),
        "stages": codes("stages", [s.value for s in InvestorStage]),
        "regions": codes("regions", list(REGION_LABELS)),
        "languages": codes("languages", ["ko", "en"]),
    }
    thesis = (data.get("thesis") or "").strip() or None
    if thesis and len(thesis) > 5000:
        add("thesis", _l("Use at most %(n)d characters.", n=5000))
    out["thesis"] = thesis
    raw = data.get("keywords") or []
    if isinstance(raw, str):
        raw = raw.replace("\n", ",").split(",")
    keywords = list(dict.fromkeys(k.strip() for k in raw if k and k.strip()))
    if len(keywords) > 20 or any(len(k) > 40 for k in keywords):
        add("keywords", _l("Use at most 20 keywords of at most 40 characters."))
    out["keywords"] = keywords
    for name in ("trl_min", "trl_max", "ticket_min", "ticket_max"):
        value = data.get(name)
        if value in (None, ""):
            out[name] = None
            continue
        try:
            out[name] = int(value)
        except (TypeError, ValueError):
            add(name, _l("Enter a whole number."))
            out[name] = None
    for name in ("trl_min", "trl_max"):
        if out[name] is not None and not 1 <= out[name] <= 9:
            add(name, _l("The TRL is a number from 1 to 9."))
    if out["trl_min"] and out["trl_max"] and out["trl_min"] > out["trl_max"]:
        add("trl_max", _l("The maximum must not be below the minimum."))
    for name in ("ticket_min", "ticket_max"):
        if out[name] is not None and not 0 <= out[name] < MAX_TICKET:
            add(name, _l("Enter an amount between 0 and a sensible maximum."))
    if (out["ticket_min"] is not None and out["ticket_max"] is not None
            and out["ticket_max"] < out["ticket_min"]):
        add("ticket_max", _l("The maximum must not be below the minimum."))
    currency = (data.get("currency") or "").strip().upper() or None
    if out["ticket_min"] is None and out["ticket_max"] is None:
        currency = currency if currency in CURRENCIES else None
    elif currency not in CURRENCIES:
        add("currency", _l("Choose the currency of the amounts."))
    out["currency"] = currency
    if not (out["sectors"] or out["keywords"] or out["thesis"]):
        add("sectors", _l("Choose at least one sector, or describe your focus."))
    if errors:
        raise DomainError(_l("Please correct the marked fields."), errors)
    return out


def save_profile(user: User, data: dict) -> InvestorProfile:
    """Create or change the user's organisation's profile; a real change bumps the version and
    queues the recompute of its matches (sent after commit)."""
    org = user.organisation
    if org is None or org.kind != OrgKind.investor:
        raise PermissionDenied(_l("Only investors keep an interest profile."))
    values = clean_profile_data(data)
    profile = profile_for(org)
    if profile is None:
        profile = InvestorProfile(organisation_id=org.id, version=1, **values)
        db.session.add(profile)
    elif not profile.apply_changes(values):
        return profile
    db.session.flush()
    if setting("MATCHING_AUTO"):
        jobs.enqueue(recompute_investor_job, org.id)
    return profile
