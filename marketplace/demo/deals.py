"""Demo deals between the demo organisations, one in each stage a newcomer should see: a fresh
inquiry, an offer waiting for an answer, a contract half signed, a signed deal waiting for its
payment, a paid one and a declined one, plus investors' deals.

Every deal goes through the domain's own steps (open, accept, terms, contract, signatures,
payments), so the states, the hash-chained event log and the notifications are what real use
would leave; a deal already there (same buyer, offering and type) is left alone, so seeding twice
adds nothing. The jobs a step asks for (rendering and sealing the contract, payment requests) are
also run here directly: they are idempotent, so the queued copies change nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa

from ..accounts.models import User
from ..agreements import drafting, signing, variables
from ..agreements.jobs import finalise, render_approved
from ..deals import services
from ..deals.messages import post_message
from ..deals.models import Deal
from ..extensions import db
from ..listings.models import Listing
from ..listings.seed import find
from ..payments import settlement, transfers
from ..payments.ledger import balance, requests_of
from ..payments.plan import local_today
from ..payments.requesting import create_payment_requests
from .accounts import DEMO_PASSWORD, DOMAIN

# The stages a demo deal is brought to, in order.
STAGES = ("inquiry", "declined", "negotiating", "offer", "countered", "signing",
          "payment_pending", "paid")


@dataclass(frozen=True)
class DemoDeal:
    buyer: str  # e-mail local part of a member of the buying organisation
    offering: str  # key of the offering in listings/demo_data/listings.jsonl
    need: str | None
    deal_type: str
    stage: str
    message: str
    terms: dict = field(default_factory=dict)
    offer_by: str = "seller"  # who writes the (first) offer
    reply: str | None = None  # the other side's first message
    by_seller: bool = False  # the startup proposed its offering for the need
    decline: tuple[str, str] | None = None  # (reason code, note)
    reject_note: str | None = None  # the buyer's answer when it rejects the offer


def _text(ko: str, en: str) -> dict:
    return {"ko": ko, "en": en}


def _supply(quantity: int, unit_price: int, delivery_ko: str, delivery_en: str) -> dict:
    """Supply terms in won, with the standard VAT."""
    return {"currency": "KRW", "quantity": quantity, "unit_price": unit_price,
            "delivery": _text(delivery_ko, delivery_en), "vat": "standard"}


DEALS = (
    DemoDeal("garam", "visionmarket-scale-camera", "garam-fresh-checkout", "poc", "inquiry",
             "안녕하세요, 가람유통 셀프계산대 운영팀입니다. 저울 일체형 인식 모듈을 수도권 5개 "
             "점포에서 3개월 동안 시범 운영해 보고 싶습니다. 비닐봉지에 담긴 상품 인식률 자료와 "
             "POS 연동 방식을 알려 주실 수 있을까요?"),
    DemoDeal("eunha", "greenloop-enzymatic", "eunha-textile-recycling", "joint_development",
             "inquiry",
             "안녕하세요, 그린루프입니다. 은하어패럴의 폴리에스터·면 혼방 재고 의류는 저희 효소 "
             "분리 공정에 꼭 맞는 원료입니다. 재고 의류 5톤을 파일럿 반응기로 처리하고 회수한 "
             "폴리에스터로 시험 원사를 뽑아 보는 공동 실증을 제안드립니다.",
             by_seller=True),
    DemoDeal("hangang", "robohands-piece-picking", None, "investment", "inquiry",
             "한강벤처스 물류·로보틱스 투자팀입니다. 피스 피킹 로봇 셀의 현장 가동 지표와 "
             "시리즈 A 계획에 대해 이야기 나누고 싶습니다. 다음 주 중 미팅이 가능하실까요?"),
    DemoDeal("seohae", "skydrone-blade-drone", "seohae-blade-inspection", "poc", "inquiry",
             "서해에너지 풍력운영팀입니다. 내년 봄 정기 점검 때 해상풍력 4기에서 드론 점검을 "
             "시범 적용해 보고 싶습니다. 선박 이착륙 운용 경험과 초속 10m 이상 바람에서의 "
             "비행 실적을 알려 주세요."),
    DemoDeal("cheongram", "mediware-adherence", None, "supply", "inquiry",
             "청람제약 임상운영팀입니다. 내년에 시작하는 외용제 3상 임상시험에서 경구 병용약 "
             "복약 순응도를 확인하려고 합니다. 스마트 약통 300개 공급이 가능할까요?"),
    DemoDeal("yeonhui", "payshield-penny-verify", "yeonhui-mobile-id", "license", "inquiry",
             "연희증권 디지털채널부입니다. 신분증 확인과 함께 쓸 타 금융기관 계좌 인증 API "
             "이용 조건을 알고 싶습니다."),
    DemoDeal("eunha", "chainlab-recycled-trace", None, "supply", "inquiry",
             "은하어패럴 ESG팀입니다. 유럽 수출 브랜드가 재생 원료 비율 증빙을 요구하고 있어 "
             "디지털 제품 여권 도입을 검토 중입니다. 도입 비용과 일정을 알려 주세요."),
    DemoDeal("saesol", "edubridge-essay", None, "investment", "inquiry",
             "새솔파트너스 에듀테크 투자 담당입니다. 영어 에세이 채점 AI의 학원 도입 현황과 "
             "공교육 진출 계획에 관심이 있습니다. 투자 검토를 위해 미팅을 요청드립니다."),
    DemoDeal("lioncity", "mobhub-parking", None, "investment", "inquiry",
             "Lion City Ventures here. Shared scooter operators in Singapore face the same "
             "parking rules, and we would like to discuss an investment tied to a regional "
             "launch."),
    DemoDeal("rhein", "greenloop-enzymatic", None, "investment", "inquiry",
             "Rhein Deep Tech Fund invests in textile circularity ahead of the EU rules on "
             "recycled content. We would like to learn about your demonstration plant plans."),
    DemoDeal("hanbit", "sfone-aoi-review", "hanbit-smt-inspection", "poc", "negotiating",
             "한빛전자 생산기술팀입니다. 평택 공장 SMT 라인 2개에서 AOI 재판정 소프트웨어를 "
             "시범 적용해 보고 싶습니다.",
             reply="스마트팩토리원입니다. AOI 이미지 서버 연결 방식을 확인하면 4주 PoC 조건을 "
                   "바로 제안드리겠습니다."),
    DemoDeal("garam", "dataon-demand-forecast", None, "license", "negotiating",
             "가람유통 상품본부입니다. 신선식품 폐기율을 줄이기 위해 수도권 30개 점포에 수요 "
             "예측을 도입하려고 합니다.",
             reply="데이터온입니다. 점포별 POS 데이터 1년 치를 받으면 예측 정확도 시험 결과와 "
                   "함께 라이선스 조건을 보내 드리겠습니다."),
    DemoDeal("cheongram", "bioscan-epidermis", "cheongram-skin-testing", "supply", "offer",
             "청람제약 비임상팀입니다. 신규 외용제 원료 20종의 피부 자극성 시험을 OECD TG 439 "
             "방법으로 진행하고 싶습니다. 시험 키트 공급 조건을 알려 주세요.",
             terms=_supply(60, 480_000,
                           "주문 후 2주 이내 냉장 배송, 시험 기술 교육 1회 포함",
                           "Chilled delivery within 2 weeks of the order, with one "
                           "training session on the test method"),
             reply="바이오스캔입니다. 키트는 오송 센터에서 냉장 배송합니다. 원료 20종을 "
                   "3반복으로 시험할 수 있는 60개 공급 조건을 보내 드리겠습니다."),
    DemoDeal("nuri", "aerofarm-spraying", "nuri-island-drone", "supply", "declined",
             "누리물류입니다. 도서 지역 물류드론 배송에 방제 드론 기체를 활용할 수 있을지 "
             "문의드립니다. 5kg 화물을 싣고 왕복 30km를 비행할 수 있을까요?",
             decline=("not_a_fit", "저희 드론은 농약 살포용이라 화물 탑재 장치와 장거리 비행 "
                                   "인증이 없습니다. 물류드론 전문 기업을 찾아보시길 권합니다.")),
    DemoDeal("nuri", "skydrone-island-delivery", "nuri-island-drone", "poc", "negotiating",
             "누리물류 신사업팀입니다. 전남 도서 지역 11개 섬 중 3곳에서 의약품 정기 배송 "
             "실증을 함께 하고 싶습니다. 실증 기간과 비용을 제안해 주시겠어요?",
             reply="스카이드론입니다. 관심 가져 주셔서 감사합니다. 비행 승인에 6주 정도 걸리니 "
                   "다음 달 초까지 실증 범위를 함께 정하면 좋겠습니다."),
    DemoDeal("daon", "sfone-xray", "daon-foreign-object", "supply", "offer",
             "다온식품 품질관리팀입니다. 냉동만두 포장 라인 2개에 X선 이물 검사기 도입을 "
             "검토하고 있습니다. 분당 120팩 속도에서 뼈와 플라스틱 검출 사례가 있는지, 공급 "
             "조건은 어떤지 알고 싶습니다.",
             terms=_supply(2, 145_000_000,
                           "발주 후 10주 이내 음성 공장 설치 및 시운전",
                           "Installed and commissioned at the Eumseong plant within "
                           "10 weeks of the order"),
             reply="문의 감사합니다. 저희 이중 에너지 X선 검사기는 냉동만두 라인에서 분당 "
                   "120팩 속도로 운영되고 있습니다. 2대 공급 조건을 제안드리겠습니다."),
    DemoDeal("pacificbridge", "cleanair-dust-fog", None, "investment", "offer",
             "Pacific Bridge Capital here. We back construction-tech companies expanding into "
             "US cities with strict dust rules, and would like to lead your next round.",
             terms={"currency": "USD", "amount": 2_000_000_00, "instrument": "safe",
                    "pre_money_valuation": 14_000_000_00, "stake_percent": "12.5",
                    "vat": "zero_rated"},
             offer_by="buyer",
             reply="Thank you for the offer. We will review it together with our plans for the "
                   "US market and come back to you this week."),
    DemoDeal("daesung", "jeongbixr-configurator", "daesung-ev-configurator", "supply",
             "countered",
             "대성모빌리티 디지털마케팅팀입니다. 내년 3월 신형 전기 SUV 출시에 맞춰 3D "
             "컨피규레이터 구축을 의뢰하고 싶습니다. 견적을 부탁드립니다.",
             terms=_supply(1, 380_000_000,
                           "계약 후 8주 이내 구축, 출시 후 12개월 운영 포함",
                           "Built within 8 weeks of signing, 12 months of operation "
                           "after launch included"),
             reject_note="예산 범위를 넘습니다. 운영 기간을 6개월로 줄인 조건으로 다시 "
                         "제안해 주시겠어요?"),
    DemoDeal("mirae", "thermalmind-panel-thermal", "mirae-electrical-fire", "supply", "signing",
             "미래건설 자산관리팀입니다. 관리 중인 노후 빌딩 60개 동의 분전반에 열화상 감시 "
             "장치를 설치하고 싶습니다.",
             terms=_supply(240, 650_000,
                           "계약 후 6주 안에 60개 동 분전반 240면 설치",
                           "240 panels in 60 buildings fitted within 6 weeks of "
                           "signing")),
    DemoDeal("yeonhui", "securedot-id-check", "yeonhui-mobile-id", "license", "payment_pending",
             "연희증권 디지털채널부입니다. 비대면 계좌 개설에 신분증 진위 확인과 얼굴 대조를 "
             "도입하려고 합니다. 라이선스 조건을 협의하고 싶습니다.",
             terms={"currency": "KRW", "upfront_fee": 120_000_000, "royalty_percent": "0",
                    "minimum_royalty": 0,
                    "field_of_use": _text("비대면 증권 계좌 개설 본인 확인",
                                          "Identity verification for remote brokerage account "
                                          "opening"),
                    "territory": _text("대한민국", "Republic of Korea"),
                    "exclusivity": "non_exclusive", "term_months": 36, "sublicensing": False,
                    "improvements_owner": "licensor", "vat": "standard"}),
    DemoDeal("daesung", "celllogic-bms-anomaly", "daesung-bms-warning", "license", "paid",
             "대성모빌리티 전기차 품질팀입니다. 고객사에 공급한 전기 버스 400대의 BMS 데이터에 "
             "셀 이상 진단 AI를 적용하고 싶습니다.",
             terms={"currency": "KRW", "upfront_fee": 90_000_000, "royalty_percent": "1.5",
                    "field_of_use": _text("전기 버스 배터리 이상 진단",
                                          "Battery fault diagnosis for electric buses"),
                    "territory": _text("대한민국", "Republic of Korea"),
                    "exclusivity": "non_exclusive", "term_months": 24, "sublicensing": False,
                    "improvements_owner": "licensor", "vat": "standard"}),
)

# What the contract drafts need beyond the Terms and the organisations' profiles.
CONTRACT_DETAILS = {
    "effective_date": lambda: local_today().isoformat(),
    "payment_days": 30,
    "sublicensing": "prohibited",
    "improvements_owner": "licensor",
    "warranty_months": 12,
    "inspection_days": 14,
    "delivery_date": lambda: (local_today() + timedelta(days=42)).isoformat(),
    "start_date": lambda: (local_today() + timedelta(days=14)).isoformat(),
    "unit": {"ko": "대", "en": "units"},
}
SETTLEMENT_BANK = "004"  # KB국민은행


def member(slug: str) -> User:
    return User.by_email(f"{slug}{DOMAIN}")


def _exists(buyer: User, offering: Listing, deal_type: str) -> bool:
    return db.session.scalar(sa.select(Deal.id).where(
        Deal.buyer_org_id == buyer.organisation_id, Deal.offering_id == offering.id,
        Deal.deal_type == deal_type)) is not None


def seed_deals() -> int:
    created = 0
    for spec in DEALS:
        buyer, offering = member(spec.buyer), find(spec.offering)
        need = find(spec.need) if spec.need else None
        if buyer is None or offering is None or not offering.is_public \
                or _exists(buyer, offering, spec.deal_type):
            continue
        seller = db.session.scalar(sa.select(User).where(
            User.organisation_id == offering.organisation_id).order_by(User.id))
        _bring(spec, buyer, seller, offering, need)
        db.session.commit()
        created += 1
    return created


def _bring(spec: DemoDeal, buyer: User, seller: User, offering: Listing, need) -> Deal:
    """Open the deal and walk it to its stage through the domain's steps."""
    opener = seller if spec.by_seller else buyer
    deal = services.open_deal(opener, offering, need, deal_type=spec.deal_type,
                              message=spec.message)
    stage = STAGES.index(spec.stage)
    if spec.stage == "inquiry":
        return deal
    if spec.stage == "declined":
        deal.decline(seller, *spec.decline)
        return deal
    deal.accept_inquiry(seller)
    if spec.reply:
        post_message(deal, seller, spec.reply)
    if stage < STAGES.index("offer"):
        return deal
    author, answerer = (seller, buyer) if spec.offer_by == "seller" else (buyer, seller)
    deal.propose_terms(author, None, spec.terms)
    if spec.stage == "countered":
        deal.reject_terms(answerer, 1, spec.reject_note)
        return deal
    if spec.stage == "offer":
        return deal
    deal.accept_terms(answerer, 1)
    contract = _contract(deal, buyer, seller)
    signing.sign(contract, buyer, password=DEMO_PASSWORD,
                 typed_name=_signatory(contract, buyer), shown_sha256=contract.pdf_sha256,
                 ip="127.0.0.1", user_agent="seed-demo")
    if spec.stage == "signing":
        return deal
    signing.sign(contract, seller, password=DEMO_PASSWORD,
                 typed_name=_signatory(contract, seller), shown_sha256=contract.pdf_sha256,
                 ip="127.0.0.1", user_agent="seed-demo")
    db.session.flush()
    finalise(contract.id)
    _settlement_account(seller)
    create_payment_requests(deal)
    if spec.stage == "paid":
        _pay(deal, buyer, seller)
    return deal


def _contract(deal: Deal, buyer: User, seller: User):
    """The buyer starts the draft and fills in what it lacks; both approve; it is rendered."""
    contract = drafting.start_draft(deal, buyer)
    missing = drafting.missing_variables(contract)
    values = {}
    for path in missing:
        value = CONTRACT_DETAILS.get(path.rsplit(".", 1)[-1])
        if value is not None:
            values[path] = value() if callable(value) else value
    if values:
        drafting.fill_variables(contract, buyer, values)
    signing.approve(contract, buyer)
    signing.approve(contract, seller)
    db.session.flush()
    render_approved(contract.id, seller.id)
    db.session.refresh(contract)
    return contract


def _signatory(contract, user: User) -> str:
    side = contract.deal.side_of(user)
    party = variables.party_field(contract.template_key, side)
    return drafting.signatory_of(contract, party)["name"]


def _settlement_account(seller: User) -> None:
    """The seller's bank account, confirmed by staff, so the buyer can pay by transfer."""
    account = settlement.account_of(seller.organisation_id)
    if account is None:
        number = f"{(seller.organisation_id * 7919) % 10**6:06d}04{seller.id:06d}"
        settlement.save(seller.organisation, seller, SETTLEMENT_BANK, number,
                        seller.organisation.name_ko or seller.organisation.name_en)
    if not settlement.account_of(seller.organisation_id).confirmed:
        settlement.confirm(seller.organisation_id, member("staff"))


def _pay(deal: Deal, buyer: User, seller: User) -> None:
    """The buyer pays each request by bank transfer and the seller confirms it arrived."""
    for req in requests_of(deal.id):
        if balance(req).settled:
            continue
        declared = transfers.declare_transfer(req, buyer, f"TTO-{deal.id}-{req.id}",
                                              local_today())
        transfers.confirm_transfer(declared, seller)
