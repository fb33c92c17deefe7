"""`flask seed-demo`: a realistic bilingual demo data set, safe to load twice."""

import click
from flask.cli import with_appcontext

from .accounts.models import Role, User, Verification, brn_check_digit
from .accounts.services import create_account
from .extensions import db

DEMO_PASSWORD = "demo-pass-2026"
ADMIN_PASSWORD = "admin-pass-2026"
STAFF_PASSWORD = "staff-pass-2026"

# (Korean name, English name, country, e-mail local part). All organisations are fictional.
FIRMS = [
    ("한빛전자", "Hanbit Electronics", "hanbit"), ("대성모빌리티", "Daesung Mobility", "daesung"),
    ("서해에너지", "Seohae Energy", "seohae"), ("청람제약", "Cheongram Pharma", "cheongram"),
    ("누리물류", "Nuri Logistics", "nuri"), ("은하어패럴", "Eunha Apparel", "eunha"),
    ("미래건설", "Mirae Construction", "mirae"), ("연희증권", "Yeonhui Securities", "yeonhui"),
    ("가람유통", "Garam Retail", "garam"), ("다온식품", "Daon Foods", "daon"),
]
STARTUPS = [
    ("비전마켓", "VisionMarket", "visionmarket"), ("써멀마인드", "ThermalMind", "thermalmind"),
    ("정비XR", "Jeongbi XR", "jeongbixr"), ("에어로팜", "AeroFarm", "aerofarm"),
    ("바이오스캔", "BioScan", "bioscan"), ("셀로직", "CellLogic", "celllogic"),
    ("그린루프", "GreenLoop", "greenloop"), ("로보핸즈", "RoboHands", "robohands"),
    ("데이터온", "DataOn", "dataon"), ("페이실드", "PayShield", "payshield"),
    ("스카이드론", "SkyDrone", "skydrone"), ("에듀브릿지", "EduBridge", "edubridge"),
    ("블록체인랩", "ChainLab", "chainlab"), ("메디웨어", "MediWare", "mediware"),
    ("클린에어텍", "CleanAir Tech", "cleanair"), ("스마트팩토리원", "SmartFactory One", "sfone"),
    ("모빌리티허브", "Mobility Hub", "mobhub"), ("시큐어닷", "SecureDot", "securedot"),
    ("프롭테크랩", "PropTech Lab", "proplab"), ("패션AI", "Fashion AI", "fashionai"),
]
# Overseas investors write English only.
INVESTORS = [
    ("한강벤처스", "Hangang Ventures", "KR", "hangang"),
    ("새솔파트너스", "Saesol Partners", "KR", "saesol"),
    (None, "Pacific Bridge Capital", "US", "pacificbridge"),
    (None, "Lion City Ventures", "SG", "lioncity"),
    (None, "Rhein Deep Tech Fund", "DE", "rhein"),
]


# Fictional but plausible details for contracts: (Korean, English) street addresses and
# representatives, handed out in turn; business type and item (업태, 종목) by kind.
STREETS = [
    ("서울특별시 강남구 테헤란로 {n}", "{n} Teheran-ro, Gangnam-gu, Seoul"),
    ("경기도 성남시 분당구 판교역로 {n}",
     "{n} Pangyoyeok-ro, Bundang-gu, Seongnam-si, Gyeonggi-do"),
    ("대전광역시 유성구 대학로 {n}", "{n} Daehak-ro, Yuseong-gu, Daejeon"),
    ("서울특별시 마포구 월드컵북로 {n}", "{n} World Cup buk-ro, Mapo-gu, Seoul"),
    ("부산광역시 해운대구 센텀중앙로 {n}", "{n} Centum jungang-ro, Haeundae-gu, Busan"),
    ("경기도 수원시 영통구 광교로 {n}", "{n} Gwanggyo-ro, Yeongtong-gu, Suwon-si, Gyeonggi-do"),
    ("인천광역시 연수구 송도과학로 {n}", "{n} Songdogwahak-ro, Yeonsu-gu, Incheon"),
    ("광주광역시 북구 첨단과기로 {n}", "{n} Cheomdangwagi-ro, Buk-gu, Gwangju"),
]
REPRESENTATIVES = [
    ("김민준", "Minjun Kim"), ("이서연", "Seoyeon Lee"), ("박지훈", "Jihoon Park"),
    ("최유진", "Yujin Choi"), ("정도윤", "Doyun Jung"), ("강하은", "Haeun Kang"),
    ("조현우", "Hyunwoo Cho"), ("윤수아", "Sua Yoon"), ("장태민", "Taemin Jang"),
    ("임다인", "Dain Lim"), ("한승우", "Seungwoo Han"),
]
BUSINESS = {"firm": ("제조업", "전자부품 및 기계장비"),
            "startup": ("서비스업", "소프트웨어 개발 및 공급"),
            "investor": ("금융업", "벤처캐피탈 투자"), "agency": ("서비스업", "기술거래 지원")}


def demo_details(index: int, kind: str) -> dict[str, str]:
    """What contracts print about the index-th demo organisation."""
    ko, en = STREETS[index % len(STREETS)]
    number = 11 + index * 13 % 180
    name_ko, name_en = REPRESENTATIVES[index % len(REPRESENTATIVES)]
    business_type, business_item = BUSINESS[kind]
    return {"address_ko": ko.format(n=number), "address_en": en.format(n=number) + ", Korea",
            "representative_ko": f"대표이사 {name_ko}", "representative_en": f"{name_en}, CEO",
            "business_type": business_type, "business_item": business_item}


def seed_organisation_details() -> int:
    """Give every Korean demo organisation without details an address and a representative."""
    from .accounts.models import Organisation

    orgs = db.session.scalars(db.select(Organisation).join(User).where(
        User.email.like("%@demo.techtradeon.kr"), Organisation.country == "KR",
        Organisation.address_ko.is_(None)).order_by(Organisation.id)).unique().all()
    for org in orgs:
        for name, value in demo_details(org.id, org.kind.value).items():
            setattr(org, name, value)
    return len(orgs)


def demo_brn(index: int, kind_code: str) -> str:
    head = f"{120 + index:03d}{kind_code}{10000 + index * 7:04d}"[:9]
    return head + str(brn_check_digit(head))


def _member(email, name_ko, name_en, kind, country, brn, lang) -> bool:
    if User.by_email(email):
        return False
    suffix = "담당자" if lang == "ko" else "Lead"
    user = create_account(email=email, password=DEMO_PASSWORD,
                          display_name=f"{name_ko or name_en} {suffix}",
                          org_kind=kind, org_name_ko=name_ko, org_name_en=name_en,
                          country=country, business_registration_no=brn,
                          preferred_language=lang)
    # Most demo organisations are already verified; a few wait in the staff queue.
    if not email.startswith(("daon", "fashionai", "proplab")):
        user.organisation.verification = Verification.verified
    return True


def seed_accounts() -> int:
    created = 0
    for i, (ko, en, slug) in enumerate(FIRMS):
        created += _member(f"{slug}@demo.techtradeon.kr", ko, en, "firm", "KR",
                           demo_brn(i, "81"), "ko")
    for i, (ko, en, slug) in enumerate(STARTUPS):
        created += _member(f"{slug}@demo.techtradeon.kr", ko, en, "startup", "KR",
                           demo_brn(i + 20, "86"), "ko")
    for ko, en, country, slug in INVESTORS:
        created += _member(f"{slug}@demo.techtradeon.kr", ko, en, "investor", country, None,
                           "ko" if country == "KR" else "en")
    if not User.by_email("staff@demo.techtradeon.kr"):
        user = create_account(email="staff@demo.techtradeon.kr", password=STAFF_PASSWORD,
                              display_name="기술거래 지원팀", org_kind="agency",
                              org_name_ko="서울기술거래진흥원",
                              org_name_en="Seoul Technology Exchange Agency",
                              country="KR", role=Role.staff)
        user.organisation.verification = Verification.verified
        created += 1
    if not User.by_email("admin@demo.techtradeon.kr"):
        create_account(email="admin@demo.techtradeon.kr", password=ADMIN_PASSWORD,
                       display_name="Administrator", org_kind=None, role=Role.admin)
        created += 1
    return created


def seed_listings() -> int:
    from .listings.seed import seed_listings as seed

    return seed()


# Features add their own seeders here, in dependency order; each must be idempotent.
SEEDERS = [seed_accounts, seed_organisation_details, seed_listings]


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Load the demo data set (organisations, users and what features add). Idempotent."""
    for seeder in SEEDERS:
        count = seeder()
        db.session.commit()
        click.echo(f"{seeder.__name__}: {count} new")
    click.echo("Demo accounts (e-mail / password):")
    click.echo(f"  member of any demo organisation, e.g. hanbit@demo.techtradeon.kr / "
               f"{DEMO_PASSWORD}")
    click.echo(f"  startup: visionmarket@demo.techtradeon.kr / {DEMO_PASSWORD}")
    click.echo(f"  overseas investor: pacificbridge@demo.techtradeon.kr / {DEMO_PASSWORD}")
    click.echo(f"  staff: staff@demo.techtradeon.kr / {STAFF_PASSWORD}")
    click.echo(f"  admin: admin@demo.techtradeon.kr / {ADMIN_PASSWORD}")
