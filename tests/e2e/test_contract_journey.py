"""From an agreed deal to a contract PDF both sides signed, in real browsers: once with the
Korean pages and once with the English ones (one browser context per party)."""

import re
import shutil
import subprocess

import pytest
from playwright.sync_api import expect

from marketplace.accounts.models import User
from marketplace.clock import utcnow
from marketplace.deals import services as deal_services
from marketplace.extensions import db
from marketplace.listings.models import Listing, ListingKind, ListingStatus
from tests.conftest import TEST_PASSWORD
from tests.e2e.test_deal_journey import sign_in

NAMES = {"ko": ("한빛정밀", "로보비전"), "en": ("Hanbit Precision", "RoboVision")}
LABELS = {
    "ko": {"start": "계약서 초안 시작", "fill": "빠진 항목 입력하기", "save": "세부 항목 저장",
           "approve": "이 초안 승인", "sign": "계약서에 서명", "edit": "이 조항 수정",
           "save_clause": "조항 저장", "save_signatory": "서명자 저장"},
    "en": {"start": "Start the contract draft", "fill": "Fill in the missing details",
           "save": "Save details", "approve": "Approve this draft", "sign": "Sign the contract",
           "edit": "Edit this clause", "save_clause": "Save the clause",
           "save_signatory": "Save the signatory"},
}


def agreed_deal(app, buyer, seller) -> int:
    """A licence deal brought to `agreed` through the domain."""
    with app.app_context():
        offering = Listing(kind=ListingKind.offering, status=ListingStatus.published,
                           organisation_id=seller.organisation_id, title_ko="협동로봇 비전 검사",
                           title_en="Cobot vision inspection", summary_ko="요약",
                           sector="robotics", trl=7, deal_types=["license"],
                           published_at=utcnow())
        db.session.add(offering)
        db.session.flush()
        firm, startup = db.session.get(User, buyer.id), db.session.get(User, seller.id)
        deal = deal_services.open_deal(firm, offering, deal_type="license",
                                       message="라이선스 도입을 원합니다.")
        deal.accept_inquiry(startup)
        deal.propose_terms(firm, None, {
            "currency": "KRW", "upfront_fee": 50_000_000, "royalty_percent": 3,
            "field_of_use": {"ko": "자동차 부품 외관 검사",
                             "en": "Visual inspection of automotive parts"},
            "territory": {"ko": "대한민국", "en": "Republic of Korea"},
            "exclusivity": "non_exclusive", "term_months": 24, "sublicensing": False,
            "improvements_owner": "joint"})
        deal.accept_terms(startup, 1)
        db.session.commit()
        return deal.id


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_agreed_deal_to_a_pdf_both_sides_signed(app, live_server, browser, make_user, lang,
                                                tmp_path):
    buyer_name, seller_name = NAMES[lang]
    firm = make_user(kind="firm", lang=lang, name_ko=NAMES["ko"][0], name_en=NAMES["en"][0])
    startup = make_user(kind="startup", lang=lang, name_ko=NAMES["ko"][1],
                        name_en=NAMES["en"][1])
    deal_id = agreed_deal(app, firm, startup)
    t = LABELS[lang]
    locale = "ko-KR" if lang == "ko" else "en-US"
    buyer = browser.new_context(locale=locale, accept_downloads=True).new_page()
    seller = browser.new_context(locale=locale, accept_downloads=True).new_page()
    for page in (buyer, seller):
        page.set_default_timeout(20_000)
    sign_in(buyer, live_server, lang, firm)
    sign_in(seller, live_server, lang, startup)
    contract_url = f"{live_server}/{lang}/deals/{deal_id}/contract"

    # The firm starts the draft from the deal page; missing details are named.
    buyer.goto(f"{live_server}/{lang}/deals/{deal_id}")
    buyer.locator("#contract-link").click()
    buyer.get_by_role("button", name=t["start"]).click()
    missing = buyer.locator("#missing-details")
    expect(missing.locator("[data-missing='licensor.address']")).to_be_visible()
    expect(missing.locator("[data-missing='effective_date']")).to_be_visible()

    # It fills them in.
    buyer.get_by_role("link", name=t["fill"]).click()
    buyer.locator("[name=v__licensor__address__ko]").fill("대전광역시 유성구 대학로 99")
    buyer.locator("[name=v__licensor__address__en]").fill("99 Daehak-ro, Yuseong-gu, Daejeon")
    buyer.locator("[name=v__licensee__address__ko]").fill("경기도 안산시 단원구 산단로 120")
    buyer.locator("[name=v__licensee__address__en]").fill("120 Sandan-ro, Ansan, Gyeonggi-do")
    buyer.locator("[name=v__licensor__registration_no]").fill("314-81-12345")
    buyer.locator("[name=v__licensee__registration_no]").fill("134-81-67890")
    buyer.locator("[name=v__payment_days]").fill("30")
    buyer.locator("[name=v__effective_date]").fill("2026-03-02")
    buyer.get_by_role("button", name=t["save"]).click()
    expect(buyer).to_have_url(re.compile(rf"/{lang}/deals/{deal_id}/contract$"))
    expect(buyer.locator("#missing-details")).to_have_count(0)

    # The buyer's side is signed for by Minji Park, not by the profile's display name.
    buyer.locator("#signatories [name=name]").fill("Minji Park")
    buyer.locator("#signatories [name=title]").fill("대표이사" if lang == "ko" else "CEO")
    buyer.get_by_role("button", name=t["save_signatory"]).click()
    expect(buyer.locator("[data-signatory=licensee]")).to_contain_text("Minji Park")

    # It rewords a clause (no staff assigned, so the parties edit); the seller sees a redline.
    buyer.locator("#clause-purpose").get_by_role("link", name=t["edit"]).click()
    field = buyer.locator(f"[name=text_{lang}]")
    field.fill(field.input_value() + (" 이 조항은 양측이 합의하여 보완하였다." if lang == "ko"
                                      else " The parties added this sentence together."))
    buyer.get_by_role("button", name=t["save_clause"]).click()
    seller.goto(contract_url)
    expect(seller.locator(f"#clause-purpose [data-redline='{lang}'] ins")).to_be_visible()

    # Both approve: the PDF is rendered by the job and signing opens.
    seller.get_by_role("button", name=t["approve"]).click()
    buyer.goto(contract_url)
    buyer.get_by_role("button", name=t["approve"]).click()
    expect(buyer.locator("#contract-status")).to_have_attribute("data-status", "rendered")
    sha = buyer.locator("#pdf-sha256").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", sha)

    for page, name in ((buyer, "Minji Park"), (seller, startup.display_name)):
        page.goto(contract_url)
        assert page.locator("[name=document_sha256]").input_value() == sha
        page.locator("[name=signatory_name]").fill(name)
        page.locator("[name=password]").fill(TEST_PASSWORD)
        page.get_by_role("button", name=t["sign"]).click()
        expect(page.locator("#signing")).to_be_visible()

    seller.goto(contract_url)
    expect(seller.locator("#contract-status")).to_have_attribute("data-status", "signed")
    with seller.expect_download() as download:
        seller.locator("#signed-pdf").click()
    path = tmp_path / f"signed-{lang}.pdf"
    download.value.save_as(path)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert buyer_name in text and seller_name in text and "Minji Park" in text
    assert "50,000,000" in text
    assert sha in text  # the certificate names the hash of the document both signed
    for page in (buyer, seller):
        page.context.close()
