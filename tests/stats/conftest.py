"""A small programme whose figures are counted by hand (see test_figures.py for the counts):
published, closed, draft, hidden and archived listings; deals that were paid, signed,
withdrawn after agreeing, declined; signed contracts in KRW and USD and a voided one."""

from datetime import UTC, datetime

import pytest

from marketplace.accounts.models import Organisation, User
from marketplace.agreements.models import Contract
from marketplace.deals.models import Deal, DealEvent, DealTerms
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.matching.records import InvestorMatch, Match


def at(month, day, hour=9):
    return datetime(2026, month, day, hour, tzinfo=UTC)


ORGS = {  # key: (kind, country, verification, created)
    "firm_kr": ("firm", "KR", "verified", at(1, 2)),
    "firm_us": ("firm", "US", "verified", at(1, 3)),
    "startup_kr": ("startup", "KR", "verified", at(1, 4)),
    "startup_jp": ("startup", "JP", "pending", at(1, 5)),
    "startup_jp2": ("startup", "JP", "verified", at(3, 1)),
    "investor_gb": ("investor", "GB", "verified", at(1, 6)),
    "agency_kr": ("agency", "KR", "rejected", at(1, 7)),
}
USERS = {  # key: (organisation, language, role, active)
    "firm_kr": ("firm_kr", "ko", "member", True),
    "firm_us": ("firm_us", "en", "member", True),
    "startup_kr": ("startup_kr", "ko", "member", True),
    "startup_jp": ("startup_jp", "en", "member", True),
    "startup_jp2": ("startup_jp2", "ko", "member", True),
    "investor_gb": ("investor_gb", "en", "member", False),
    "staff": (None, "en", "staff", True),
}
LISTINGS = {  # key: (kind, organisation, sector, status, published, extra)
    "L1": ("need", "firm_kr", "ai", "published", at(1, 10), {}),
    "L2": ("offering", "startup_kr", "ai", "published", at(1, 15), {}),
    "L3": ("offering", "startup_jp2", "ai", "closed", at(2, 2), {"closed_reason": "deal_done"}),
    "L4": ("need", "firm_kr", "ai", "draft", None, {}),
    "L5": ("need", "firm_us", "drone", "published", at(2, 3), {"hidden_at": at(2, 4)}),
    "L6": ("offering", "startup_kr", "drone", "archived", at(1, 20), {"archived_at": at(2, 1)}),
    "L7": ("need", "firm_us", "drone", "published", at(2, 20), {}),
    "L8": ("offering", "startup_jp2", "drone", "published", at(3, 5), {}),
    "L9": ("need", "firm_kr", "drone", "closed", at(3, 6), {"closed_reason": "withdrawn"}),
    "L10": ("need", "firm_us", "ai", "published", at(3, 8), {}),
}
# key: (type, final state, buyer, seller, offering, need, [(state reached, when)])
DEALS = {
    "D1": ("license", "closed", "firm_kr", "startup_kr", "L2", "L1",
           [("inquiry", at(1, 1)), ("negotiating", at(1, 2)), ("agreed", at(1, 5)),
            ("drafting", at(1, 6)), ("signing", at(1, 8)), ("signed", at(1, 10)),
            ("payment_pending", at(1, 10, 10)), ("paid", at(1, 12)), ("closed", at(1, 13))]),
    "D2": ("transfer", "signed", "firm_us", "startup_kr", "L2", None,
           [("inquiry", at(1, 3)), ("negotiating", at(1, 4)), ("agreed", at(1, 13)),
            ("drafting", at(1, 14)), ("signing", at(1, 15)), ("drafting", at(1, 16)),
            ("signing", at(1, 17)), ("signed", at(1, 23))]),
    "D3": ("supply", "paid", "firm_us", "startup_jp2", "L8", None,
           [("inquiry", at(2, 1)), ("nda", at(2, 2)), ("negotiating", at(2, 3)),
            ("agreed", at(2, 8)), ("drafting", at(2, 9)), ("signing", at(2, 9, 12)),
            ("signed", at(2, 10)), ("payment_pending", at(2, 11)), ("paid", at(2, 20))]),
    "D4": ("poc", "withdrawn", "firm_kr", "startup_jp2", "L8", None,
           [("inquiry", at(2, 5)), ("negotiating", at(2, 6)), ("withdrawn", at(2, 7))]),
    "D5": ("investment", "declined", "investor_gb", "startup_kr", "L2", None,
           [("inquiry", at(3, 1)), ("declined", at(3, 2))]),
    "D6": ("license", "inquiry", "firm_kr", "startup_kr", "L2", None, [("inquiry", at(3, 2))]),
    "D7": ("joint_development", "withdrawn", "firm_kr", "startup_jp2", "L8", None,
           [("inquiry", at(3, 3)), ("negotiating", at(3, 4)), ("agreed", at(3, 10)),
            ("withdrawn", at(3, 12))]),
}
# key: (deal, terms version, currency, fields, status, signed)
CONTRACTS = {
    "C1": ("D1", 1, "KRW", {"upfront_fee": 50_000_000, "royalty_percent": 3}, "signed", at(1, 10)),
    "C2v1": ("D2", 1, "USD", {"price": 99_999_999}, "void", None),
    "C2": ("D2", 2, "USD", {"price": 12_000_000}, "signed", at(1, 23)),
    "C3": ("D3", 1, "KRW", {"quantity": 10, "unit_price": 3_000_000}, "signed", at(2, 10)),
}
MATCHES = {  # (need, offering, need dismissed, offering dismissed)
    "M1": ("L1", "L2", False, False),
    "M2": ("L10", "L2", True, False),
    "M3": ("L7", "L8", False, True),
    "M4": ("L10", "L3", False, False),
}
INVESTOR_MATCHES = {"I1": ("L2", False), "I2": ("L8", True)}  # (offering, dismissed)


def build_programme() -> dict:
    ids = {}
    for key, (kind, country, verification, created) in ORGS.items():
        org = Organisation(kind=kind, country=country, verification=verification,
                           name_ko=f"{key} 기관", name_en=key, created_at=created)
        db.session.add(org)
        db.session.flush()
        ids[key] = org.id
    users = {}
    for key, (org, lang, role, active) in USERS.items():
        user = User(email=f"{key}@example.com", display_name=key, role=role,
                    preferred_language=lang, active=active,
                    organisation_id=ids[org] if org else None, created_at=at(1, 8))
        user.set_password("correct-horse-battery")
        db.session.add(user)
        db.session.flush()
        users[key] = user
    for key, (kind, org, sector, status, published, extra) in LISTINGS.items():
        listing = Listing(kind=kind, organisation_id=ids[org], sector=sector, status=status,
                          title_ko=f"{key} 제목", published_at=published, deal_types=["license"],
                          created_at=published or at(1, 1), **extra)
        db.session.add(listing)
        db.session.flush()
        ids[key] = listing.id
    for key, (deal_type, state, buyer, seller, offering, need, steps) in DEALS.items():
        agreed = any(s == "agreed" for s, _ in steps)
        version = 2 if key == "D2" else (1 if agreed else 0)
        deal = Deal(deal_type=deal_type, state=state, buyer_org_id=ids[buyer],
                    seller_org_id=ids[seller], initiator_side="buyer",
                    offering_id=ids[offering], need_id=ids[need] if need else None,
                    opened_by_id=users[buyer].id, current_version=version,
                    buyer_accepted_version=version or None,
                    seller_accepted_version=version or None, event_seq=len(steps),
                    created_at=steps[0][1], last_activity_at=steps[-1][1])
        db.session.add(deal)
        db.session.flush()
        ids[key] = deal.id
        previous = None
        for seq, (target, when) in enumerate(steps, start=1):
            db.session.add(DealEvent(
                deal_id=deal.id, seq=seq, kind="open" if seq == 1 else "step",
                actor_user_id=users[buyer].id, from_state=previous, to_state=target,
                payload={}, payload_digest="0" * 64, created_at=when, prev_hash="0" * 64,
                hash=f"{seq:064d}"))
            previous = target
    for key, (deal, version, currency, fields, status, signed) in CONTRACTS.items():
        deal_id = ids[deal]
        buyer = users[DEALS[deal][2]]
        db.session.add(DealTerms(deal_id=deal_id, version=version, author_side="buyer",
                                 author_org_id=buyer.organisation_id, author_user_id=buyer.id,
                                 currency=currency, fields={"currency": currency, **fields}))
        db.session.add(Contract(deal_id=deal_id, version=version, contract_no=key,
                                status=status, template_key="licence", template_version=1,
                                terms_version=version, variables={}, created_by_id=buyer.id,
                                signed_at=signed, pdf_sha256="a" * 64 if signed else None,
                                signed_pdf_sha256="b" * 64 if signed else None))
    for need, offering, need_dismissed, offering_dismissed in MATCHES.values():
        db.session.add(Match(need_id=ids[need], offering_id=ids[offering], score=0.8,
                             explanation={}, model_version="test", computed_at=at(2, 1),
                             need_dismissed_at=at(2, 2) if need_dismissed else None,
                             offering_dismissed_at=at(2, 2) if offering_dismissed else None))
    for offering, dismissed in INVESTOR_MATCHES.values():
        db.session.add(InvestorMatch(
            investor_org_id=ids["investor_gb"], offering_id=ids[offering],
            startup_org_id=db.session.get(Listing, ids[offering]).organisation_id, score=0.7,
            explanation={}, model_version="test", computed_at=at(2, 1),
            dismissed_at=at(2, 2) if dismissed else None))
    db.session.commit()
    return ids


@pytest.fixture
def programme(app):
    with app.app_context():
        ids = build_programme()
        db.session.remove()
    return ids


@pytest.fixture
def staff_user(app, programme):
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == "staff@example.com"))
        db.session.expunge(user)
        return user
