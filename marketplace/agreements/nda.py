"""The NDA step's document: the ``nda`` contract template, filled from the deal and both
organisations, rendered to one bilingual PDF that both sides confirm by its SHA-256.

The PDF is rendered in the request the first time someone needs it (it is a few pages) and
stored like contract PDFs (`ContractFile`, content-addressed). While neither side has
confirmed, a change in what it is made of (say an organisation fills in its address) renders
it again, so a confirmation of the older hash is refused as stale. From the first confirmation
on, the document is fixed.
"""

from __future__ import annotations

import hashlib
from datetime import UTC
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from ..deals import events
from ..deals.models import Deal
from ..deals.states import DealState, Side
from ..documents import VariablesInvalid, load_template, render_pdf
from ..errors import Conflict, NotFound, PermissionDenied
from ..extensions import db
from .forms import PARTY_KEY_LABELS
from .models import ContractFile
from .variables import nda_variables, side_of_party

LANGUAGE = "bilingual"
MISSING_MESSAGE = _l("The NDA can be prepared once both organisations have filled in their "
                     "details for contracts.")


def _template():
    return load_template("nda")


def effective_date(deal: Deal):
    """The day (in the platform's time zone) the deal entered the NDA step: a fixed date, so
    the same deal and organisations always give the same PDF."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    started = next((e.created_at for e in reversed(deal.events)
                    if e.to_state == DealState.nda.value), deal.created_at)
    if started.tzinfo is None:
        started = started.replace(tzinfo=UTC)
    return started.astimezone(zone).date()


def variables(deal: Deal) -> dict:
    return nda_variables(deal, effective_date=effective_date(deal))


def missing_details(deal: Deal) -> list[tuple[Side | None, str]]:
    """What the NDA still lacks, as (side, label): mostly an organisation's address,
    representative or registration number; empty when it can be rendered."""
    template = _template()
    try:
        template.validate(variables(deal))
    except VariablesInvalid as exc:
        lang = "en" if str(get_locale() or "ko") == "en" else "ko"
        missing = []
        for path in exc.fields:
            head, _, key = path.partition(".")
            if key in PARTY_KEY_LABELS:
                missing.append((side_of_party("nda", head), PARTY_KEY_LABELS[key]))
            else:
                spec = template.fields.get(head)
                missing.append((None, spec.label[lang] if spec else head))
        return missing
    return []


def missing_now(deal: Deal) -> list[tuple[Side | None, str]]:
    """What keeps the NDA from being prepared: nothing once its PDF exists, or outside the
    NDA step."""
    if deal.nda_sha256 or deal.state != DealState.nda:
        return []
    return missing_details(deal)


def confirmed_by_anyone(deal: Deal) -> bool:
    return any(deal.nda_confirmed_by(side) for side in Side)


def prepare(deal: Deal) -> str | None:
    """The SHA-256 of the NDA PDF the parties confirm now, rendering and storing it when it is
    missing or out of date; None while organisation details are missing. Flushes only."""
    if deal.state != DealState.nda or (confirmed_by_anyone(deal) and deal.nda_sha256):
        return deal.nda_sha256
    values = variables(deal)
    digest = events.digest(values)
    if digest == deal.nda_variables_digest and deal.nda_sha256:
        return deal.nda_sha256
    if missing_details(deal):
        deal.nda_sha256 = deal.nda_variables_digest = None
        return None
    deal._lock()  # one render at a time; another request may have stored this one already
    if deal.state != DealState.nda or (confirmed_by_anyone(deal) and deal.nda_sha256) \
            or digest == deal.nda_variables_digest:
        return deal.nda_sha256
    document = render_pdf(_template(), values, lang=LANGUAGE,
                          contract_no=f"TTO-NDA-{deal.id:06d}", contract_version=1)
    ContractFile.store(document.pdf, document.sha256, document.pages)
    deal.nda_sha256, deal.nda_variables_digest = document.sha256, digest
    db.session.flush()
    return document.sha256


def pdf(deal: Deal) -> tuple[bytes, str]:
    """The NDA PDF's bytes and SHA-256 (the caller has checked the viewer may see the deal)."""
    sha = prepare(deal)
    if not sha:
        raise NotFound(MISSING_MESSAGE)
    stored = db.session.get(ContractFile, sha)
    if stored is None or hashlib.sha256(stored.data).hexdigest() != sha:
        raise RuntimeError(f"stored NDA PDF {sha} is missing or damaged")
    return stored.data, sha


def confirm(deal: Deal, actor, *, sha256: str, password: str) -> None:
    """A side confirms the NDA PDF whose SHA-256 it was shown, with its password, as a
    contract is signed; when both have, the negotiation opens."""
    current = prepare(deal)
    if deal.state == DealState.nda and current is None:
        raise Conflict(MISSING_MESSAGE)

    def verify_password():
        if not password or not actor.check_password(password):
            raise PermissionDenied(_l("The password is not correct."),
                                   {"password": [_l("The password is not correct.")]})

    deal.confirm_nda(actor, sha256 or "", verify=verify_password)
