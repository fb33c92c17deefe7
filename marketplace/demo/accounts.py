"""The demo organisations and their accounts: who they are, the details their contracts print,
and staff's verification decisions."""

from ..accounts.models import Role, User, Verification, brn_check_digit
from ..accounts.services import create_account
from ..extensions import db

DEMO_PASSWORD = "demo-pass-2026"
ADMIN_PASSWORD = "admin-pass-2026"
STAFF_PASSWORD = "staff-pass-2026"
DOMAIN = "@demo.techtradeon.kr"

# (Korean name, English name, e-mail local part, (business type, business item)). All
# organisations are fictional; what each posts is in listings/demo_data/listings.jsonl.
FIRMS = [
    ("한빛전자", "Hanbit Electronics", "hanbit", ("제조업", "전자부품")),
    ("대성모빌리티", "Daesung Mobility", "daesung", ("제조업", "전기 버스 및 승용차")),
    ("서해에너지", "Seohae Energy", "seohae", ("전기업", "해상풍력 발전")),
    ("청람제약", "Cheongram Pharma", "cheongram", ("제조업", "의약품 및 화장품")),
    ("누리물류", "Nuri Logistics", "nuri", ("운수업", "화물 운송 및 창고")),
    ("은하어패럴", "Eunha Apparel", "eunha", ("제조업", "의류")),
    ("미래건설", "Mirae Construction", "mirae", ("건설업", "종합건설 및 건물 관리")),
    ("연희증권", "Yeonhui Securities", "yeonhui", ("금융업", "증권 중개")),
    ("가람유통", "Garam Retail", "garam", ("도매 및 소매업", "대형마트")),
    ("다온식품", "Daon Foods", "daon", ("제조업", "가공식품")),
]
STARTUPS = [
    ("비전마켓", "VisionMarket", "visionmarket", ("서비스업", "유통 매장용 영상 인식 소프트웨어")),
    ("써멀마인드", "ThermalMind", "thermalmind", ("제조업", "전기 안전 센서 및 관제 소프트웨어")),
    ("정비XR", "Jeongbi XR", "jeongbixr", ("서비스업", "자동차 3D·XR 콘텐츠 개발")),
    ("에어로팜", "AeroFarm", "aerofarm", ("제조업", "농업용 드론")),
    ("바이오스캔", "BioScan", "bioscan", ("서비스업", "비임상 피부 안전성 시험")),
    ("셀로직", "CellLogic", "celllogic", ("서비스업", "배터리 데이터 분석 소프트웨어")),
    ("그린루프", "GreenLoop", "greenloop", ("제조업", "섬유 재활용")),
    ("로보핸즈", "RoboHands", "robohands", ("제조업", "물류 로봇")),
    ("데이터온", "DataOn", "dataon", ("서비스업", "유통 데이터 분석 소프트웨어")),
    ("페이실드", "PayShield", "payshield", ("서비스업", "금융 인증 소프트웨어")),
    ("스카이드론", "SkyDrone", "skydrone", ("제조업", "무인비행장치 및 드론 운항")),
    ("에듀브릿지", "EduBridge", "edubridge", ("서비스업", "교육용 소프트웨어")),
    ("블록체인랩", "ChainLab", "chainlab", ("서비스업", "블록체인 소프트웨어")),
    ("메디웨어", "MediWare", "mediware", ("제조업", "의료기기 및 소프트웨어")),
    ("클린에어텍", "CleanAir Tech", "cleanair", ("제조업", "대기환경 설비")),
    ("스마트팩토리원", "SmartFactory One", "sfone", ("제조업", "산업용 비전 검사 장비")),
    ("모빌리티허브", "Mobility Hub", "mobhub", ("서비스업", "모빌리티 소프트웨어")),
    ("시큐어닷", "SecureDot", "securedot", ("서비스업", "정보보안 소프트웨어")),
    ("프롭테크랩", "PropTech Lab", "proplab", ("서비스업", "건물 관리 IoT 서비스")),
    ("패션AI", "Fashion AI", "fashionai", ("서비스업", "패션 AI 소프트웨어")),
]
# Overseas investors write English only.
INVESTORS = [
    ("한강벤처스", "Hangang Ventures", "KR", "hangang"),
    ("새솔파트너스", "Saesol Partners", "KR", "saesol"),
    (None, "Pacific Bridge Capital", "US", "pacificbridge"),
    (None, "Lion City Ventures", "SG", "lioncity"),
    (None, "Rhein Deep Tech Fund", "DE", "rhein"),
]
# Staff reject one organisation (its members are told why) and leave one in their queue.
REJECTED = {"proplab": "사업자등록증 사본의 상호가 가입 시 입력한 기관명과 다릅니다. "
                       "현재 상호로 다시 신청해 주세요."}
PENDING = ("fashionai",)


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
# Each demo firm and startup's own business type and item, by e-mail local part.
BUSINESS_OF = {slug: business for _, _, slug, business in FIRMS + STARTUPS}


def demo_details(index: int, kind: str, slug: str | None = None) -> dict[str, str]:
    """What contracts print about the index-th demo organisation (`slug`: its account's e-mail
    local part, which names its own business)."""
    ko, en = STREETS[index % len(STREETS)]
    number = 11 + index * 13 % 180
    name_ko, name_en = REPRESENTATIVES[index % len(REPRESENTATIVES)]
    business_type, business_item = BUSINESS_OF.get(slug) or BUSINESS[kind]
    return {"address_ko": ko.format(n=number), "address_en": en.format(n=number) + ", Korea",
            "representative_ko": f"대표이사 {name_ko}", "representative_en": f"{name_en}, CEO",
            "business_type": business_type, "business_item": business_item}


def seed_organisation_details() -> int:
    """Give every Korean demo organisation without details an address and a representative."""
    from ..accounts.models import Organisation

    orgs = db.session.scalars(db.select(Organisation).join(User).where(
        User.email.like(f"%{DOMAIN}"), Organisation.country == "KR",
        Organisation.address_ko.is_(None)).order_by(Organisation.id)).unique().all()
    for org in orgs:
        slug = db.session.scalar(db.select(User.email).where(
            User.organisation_id == org.id).order_by(User.id)).split("@")[0]
        for name, value in demo_details(org.id, org.kind.value, slug).items():
            setattr(org, name, value)
    return len(orgs)


def demo_brn(index: int, kind_code: str) -> str:
    head = f"{120 + index:03d}{kind_code}{10000 + index * 7:04d}"[:9]
    return head + str(brn_check_digit(head))


def _member(email, name_ko, name_en, kind, country, brn, lang) -> bool:
    if User.by_email(email):
        return False
    suffix = "담당자" if lang == "ko" else "Lead"
    create_account(email=email, password=DEMO_PASSWORD,
                   display_name=f"{name_ko or name_en} {suffix}",
                   org_kind=kind, org_name_ko=name_ko, org_name_en=name_en,
                   country=country, business_registration_no=brn,
                   preferred_language=lang)
    return True


def seed_accounts() -> int:
    created = 0
    if not User.by_email(f"staff{DOMAIN}"):
        user = create_account(email=f"staff{DOMAIN}", password=STAFF_PASSWORD,
                              display_name="기술거래 지원팀", org_kind="agency",
                              org_name_ko="서울기술거래진흥원",
                              org_name_en="Seoul Technology Exchange Agency",
                              country="KR", role=Role.staff)
        user.organisation.verification = Verification.verified  # the platform's own agency
        created += 1
    for i, (ko, en, slug, _) in enumerate(FIRMS):
        created += _member(f"{slug}{DOMAIN}", ko, en, "firm", "KR", demo_brn(i, "81"), "ko")
    for i, (ko, en, slug, _) in enumerate(STARTUPS):
        created += _member(f"{slug}{DOMAIN}", ko, en, "startup", "KR", demo_brn(i + 20, "86"),
                           "ko")
    for ko, en, country, slug in INVESTORS:
        created += _member(f"{slug}{DOMAIN}", ko, en, "investor", country, None,
                           "ko" if country == "KR" else "en")
    if not User.by_email(f"admin{DOMAIN}"):
        create_account(email=f"admin{DOMAIN}", password=ADMIN_PASSWORD,
                       display_name="Administrator", org_kind=None, role=Role.admin)
        created += 1
    return created


def member_slugs() -> list[str]:
    """The e-mail local part of every demo member account (staff and admin aside)."""
    return ([slug for _, _, slug, _ in FIRMS + STARTUPS]
            + [slug for _, _, _, slug in INVESTORS])


def seed_verifications() -> int:
    """Staff decide on the demo organisations still waiting, as they do in the console: most
    are verified, one is rejected with a reason, one is left in the queue. Members hear of the
    decision in the notification centre."""
    from ..staff.verification_notices import tell_members

    staff = User.by_email(f"staff{DOMAIN}")
    decided = 0
    for slug in member_slugs():
        user = User.by_email(f"{slug}{DOMAIN}")
        org = user.organisation if user else None
        if org is None or org.verification != Verification.pending or slug in PENDING:
            continue
        if slug in REJECTED:
            org.reject(staff, REJECTED[slug])
        else:
            org.verify(staff)
        tell_members(org)
        decided += 1
    return decided
