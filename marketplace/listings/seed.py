"""Demo listings for `flask seed-demo`: the needs of the demo firms, the offerings of the demo
startups and two open challenges, from `demo_data/listings.jsonl` (fictional organisations);
safe to run twice.

Each row names its organisation by the e-mail local part of its demo account (`org`) and has a
`key`. A need lists the keys of the offerings a deal officer would call a strong fit (`fits`)
and of those that fit only in part (`partial_fits`); tests/demo checks that the matching engine
ranks every strong fit in the need's top 3."""

import json
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from ..accounts.models import User
from ..clock import utcnow
from ..extensions import db
from . import challenges, services
from .models import Listing

DATA = Path(__file__).resolve().parent / "demo_data" / "listings.jsonl"
DEMO_DOMAIN = "@demo.techtradeon.kr"
CHALLENGE_KEYS = ("mirae-site-dust", "nuri-island-drone")
# What a row carries besides the listing's own fields.
_META = ("key", "kind", "org", "fits", "partial_fits")


def demo_rows() -> list[dict]:
    """Every demo listing as written in the data file, in order."""
    with DATA.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def find(key: str) -> Listing | None:
    """The seeded listing of `key` (its organisation's listing with the row's title)."""
    row = next((r for r in demo_rows() if r["key"] == key), None)
    user = row and _owner(row["org"])
    return _existing(user.organisation_id, row) if user else None


def _owner(slug: str) -> User | None:
    return User.by_email(f"{slug}{DEMO_DOMAIN}")


def _existing(org_id: int, row: dict) -> Listing | None:
    column, title = ((Listing.title_ko, row["title_ko"]) if row.get("title_ko")
                     else (Listing.title_en, row["title_en"]))
    return db.session.scalar(sa.select(Listing).where(Listing.organisation_id == org_id,
                                                      column == title))


def seed_listings() -> int:
    now = utcnow()
    created = 0
    for i, row in enumerate(demo_rows()):
        user = _owner(row["org"])
        if user is None or _existing(user.organisation_id, row) is not None:
            continue
        data = {k: v for k, v in row.items() if k not in _META}
        if row["kind"] == "need":
            data["deadline"] = now + timedelta(days=45 + 5 * i)
        listing = services.create_listing(user.organisation, user, data, kind=row["kind"])
        if user.organisation.is_verified:
            listing.publish(user)
        created += 1
    db.session.flush()
    return created + _seed_challenges(now)


def _seed_challenges(now) -> int:
    created = 0
    for i, key in enumerate(CHALLENGE_KEYS):
        need = find(key)
        if need is None or not need.is_public or need.challenge is not None:
            continue
        owner = _owner(next(r["org"] for r in demo_rows() if r["key"] == key))
        deadline = min(now + timedelta(days=21 + 7 * i), need.deadline or now + timedelta(60))
        challenges.open_challenge(need, owner, {
            "deadline": deadline, "winners": 2 if i == 0 else 1,
            "criteria": "기술 성숙도(40%), 비용 대비 효과(30%), 현장 적용 계획(30%)\n"
                        "Technology readiness (40%), value for money (30%), "
                        "deployment plan (30%)"})
        created += 1
    return created
