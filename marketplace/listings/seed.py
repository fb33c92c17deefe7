"""Demo listings for `flask seed-demo`: needs of the demo firms, offerings of the demo startups,
two open challenges. Texts come from `demo_data/` (fictional organisations); safe to run twice."""

import json
import re
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from ..accounts.models import Organisation, OrgKind, User
from ..clock import utcnow
from ..extensions import db
from . import challenges, services
from .models import Listing

DATA = Path(__file__).resolve().parent / "demo_data"
OFFERING_COUNT = 60
CHALLENGE_TITLES = ("미세먼지 저감", "물류드론")


def _rows(name: str) -> list[dict]:
    with (DATA / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _summary(description: str) -> str:
    """The first sentence, as the one-line summary."""
    first = re.split(r"(?<=[.다])\s+", description.strip(), maxsplit=1)[0]
    return first[:300]


def _demo_members(kind: OrgKind) -> list[User]:
    users = db.session.scalars(
        sa.select(User).join(User.organisation)
        .where(Organisation.kind == kind, User.email.like("%@demo.techtradeon.kr"))
        .order_by(User.id)).all()
    seen, members = set(), []
    for user in users:
        if user.organisation_id not in seen:
            seen.add(user.organisation_id)
            members.append(user)
    return members


def _exists(org_id: int, data: dict) -> bool:
    title = data.get("title_ko") or data.get("title_en")
    column = Listing.title_ko if data.get("title_ko") else Listing.title_en
    return bool(db.session.scalar(sa.select(Listing.id).where(
        Listing.organisation_id == org_id, column == title)))


def _create(user: User, data: dict) -> bool:
    if _exists(user.organisation_id, data):
        return False
    listing = services.create_listing(user.organisation, user, data)
    if user.organisation.is_verified:
        listing.publish(user)
    return True


def _single_language(row: dict) -> dict:
    lang = row["lang"]
    return {f"title_{lang}": row["title"], f"summary_{lang}": _summary(row["description"]),
            f"description_{lang}": row["description"]}


def seed_listings() -> int:
    firms = _demo_members(OrgKind.firm)
    startups = _demo_members(OrgKind.startup)
    if not firms or not startups:
        return 0
    by_slug = {u.email.split("@")[0]: u for u in firms}
    created = 0
    now = utcnow()

    for i, row in enumerate(_rows("extra_needs.jsonl")):
        user = by_slug.get(row.pop("org")) or firms[i % len(firms)]
        row.update(currency="KRW", deadline=now + timedelta(days=30 + 7 * i))
        created += _create(user, row)
    for i, row in enumerate(_rows("needs.jsonl")):
        user = firms[(i * 3) % len(firms)]
        data = _single_language(row)
        data.update(sector=row["sector"], min_trl=row["min_trl"], deal_types=row["deal_types"],
                    deadline=now + timedelta(days=45 + 5 * i))
        if i % 3 == 0:
            data.update(price_min=20_000 * (i + 1) * 100, price_max=100_000 * (i + 1) * 100,
                        currency="USD")
        created += _create(user, data)
    for i, row in enumerate(_rows("offerings.jsonl")[:OFFERING_COUNT]):
        user = startups[i % len(startups)]
        data = _single_language(row)
        data.update(sector=row["sector"], trl=row["trl"], deal_types=row["deal_types"],
                    keywords=row.get("keywords", []), evidence=None,
                    ip_status="applied" if i % 4 == 0 else "none",
                    patent_applications=[f"10-2024-0{100000 + i * 37:06d}"] if i % 4 == 0
                    else [])
        if i % 2 == 0:
            low = (3 + i % 7) * 10_000_000
            data.update(price_min=low, price_max=low * 3, currency="KRW")
        created += _create(user, data)
    db.session.flush()
    created += _seed_challenges(now)
    return created


def _seed_challenges(now) -> int:
    created = 0
    for i, fragment in enumerate(CHALLENGE_TITLES):
        need = db.session.scalar(sa.select(Listing).where(
            Listing.kind == "need", Listing.status == "published",
            Listing.title_ko.contains(fragment)).order_by(Listing.id))
        if need is None or need.challenge is not None:
            continue
        owner = db.session.scalar(sa.select(User).where(
            User.organisation_id == need.organisation_id).order_by(User.id))
        deadline = min(now + timedelta(days=21 + 7 * i), need.deadline or now + timedelta(60))
        challenges.open_challenge(need, owner, {
            "deadline": deadline, "winners": 2 if i == 0 else 1,
            "criteria": "기술 성숙도(40%), 비용 대비 효과(30%), 현장 적용 계획(30%)\n"
                        "Technology readiness (40%), value for money (30%), "
                        "deployment plan (30%)"})
        created += 1
    return created
