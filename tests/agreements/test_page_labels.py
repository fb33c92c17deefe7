"""No internal code on a page: coded values show as their labels on the draft, the terms pages
and the change log; the missing-details list names labels, never variable paths; the change
log shows values as people read them (the reader's language, formatted dates and money)."""

import re
from html.parser import HTMLParser

import pytest

from marketplace.agreements import access, drafting
from marketplace.deals import terms as deal_terms
from marketplace.documents import load_template
from marketplace.extensions import db
from tests.conftest import login
from tests.deals.conftest import LICENSE, negotiating_deal

from .conftest import LICENSE_DETAILS, agree, load

TEMPLATES = ("license", "transfer", "joint_development", "poc", "supply", "investment", "nda")
ADDRESS = {"ko": "경기도 수원시 영통구 삼성로 129", "en": "129 Samsung-ro, Yeongtong-gu, Suwon"}


def _codes() -> set[str]:
    """Every coded value a page could show: the templates' choices and the terms' choices."""
    codes = {code for key in TEMPLATES for spec in load_template(key).fields.values()
             if spec.type == "enum" for code in spec.values}
    for deal_type in deal_terms.TYPE_FIELDS:
        codes |= {code for spec in deal_terms.fields_for(deal_type) if spec.choices
                  for code in spec.choices}
    return codes


class _Visible(HTMLParser):
    """The text a reader sees: no tags, attributes, scripts or styles."""

    def __init__(self):
        super().__init__()
        self.parts, self._hidden = [], 0

    def handle_starttag(self, tag, attrs):
        self._hidden += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def _section(html: str, element_id: str) -> str:
    return re.search(rf'id="{element_id}"(.*?)</section>', html, re.S).group(1)


def _without_clauses(html: str) -> str:
    """The page without the clause text (whose English column rightly uses words such as
    "exclusive" or "return")."""
    return html.replace(_section(html, "clauses"), "")


def _words_found(text: str, codes) -> set[str]:
    return {code for code in codes if re.search(rf"(?<![\w.]){re.escape(code)}(?![\w.])", text)}


@pytest.fixture
def draft(app, parties):
    """A licence draft whose details were filled in (an address in both languages, a date, a
    coded choice) and whose language was changed: the change log has every kind of value."""
    p = parties
    with app.test_request_context():
        deal = agree(p)
        buyer = load(p["buyer"])
        contract = drafting.start_draft(deal, buyer)
        details = {k: v for k, v in LICENSE_DETAILS.items() if k != "licensor.address"}
        drafting.fill_variables(contract, buyer, details)
        drafting.fill_variables(contract, buyer, {"licensor.address": ADDRESS})
        assert contract.language == "bilingual"  # the seller is abroad
        drafting.change_language(contract, buyer, "bilingual", "en")
        db.session.commit()
        return deal.id


def _page(app, user, url, lang):
    client = app.test_client()
    login(client, user, lang=lang)
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_korean_contract_page_shows_no_code(app, parties, draft):
    html = _page(app, parties["buyer"], f"/ko/deals/{draft}/contract", "ko")
    assert 'id="clauses"' in html
    assert _words_found(visible(_without_clauses(html)), _codes()) == set()


def test_every_coded_detail_shows_its_label_in_the_readers_language(app, parties, draft):
    template = load_template("license")
    with app.app_context():
        from marketplace.deals.models import Deal

        values = access.current_contract(db.session.get(Deal, draft)).variables
    for lang in ("ko", "en"):
        html = _page(app, parties["seller"], f"/{lang}/deals/{draft}/contract", lang)
        for name in ("exclusivity", "sublicensing", "improvements_owner", "dispute_resolution"):
            row = re.search(rf'<tr data-variable="{name}"[^>]*>(.*?)</tr>', html, re.S).group(1)
            label = template.fields[name].labels[lang][values[name]]
            assert visible(row).startswith(f"{template.fields[name].label[lang]} {label}"), row
        assert not _words_found(visible(html), {c for c in _codes() if "_" in c})


def test_the_missing_list_names_labels_only(app, parties):
    p = parties
    with app.test_request_context():
        deal = agree(p)
        drafting.start_draft(deal, load(p["buyer"]))
        db.session.commit()
        deal_id = deal.id
    for lang, expected in (("ko", ("실시허락자(갑): 주소", "지급기한(일)")),
                           ("en", ("Address", "Payment"))):
        html = _page(app, p["buyer"], f"/{lang}/deals/{deal_id}/contract", lang)
        shown = visible(re.search(r'id="missing-details">(.*?)</div>', html, re.S).group(1))
        for path in ("licensor.address", "licensee.address", "payment_days", "effective_date"):
            assert path not in shown
        assert not re.search(r"\b[a-z]+(_[a-z]+)+\b|\b[a-z]+\.[a-z_]+\b", shown), shown
        for text in expected:
            assert text in shown, shown


def test_the_change_log_reads_as_people_read_it(app, parties, draft):
    template = load_template("license")
    korean = visible(_section(_page(app, parties["buyer"], f"/ko/deals/{draft}/contract", "ko"),
                              "history"))
    english = visible(_section(_page(app, parties["seller"], f"/en/deals/{draft}/contract",
                                     "en"), "history"))
    for text in (korean, english):
        assert "{" not in text and "licensor.address" not in text and "payment_days" not in text
        assert "with_consent" not in text and "/ko" not in text
    assert f"— → {ADDRESS['ko']}" in korean and ADDRESS["en"] not in korean
    assert f"— → {ADDRESS['en']}" in english and ADDRESS["ko"] not in english
    assert "2026년 3월 2일" in korean and "March 2, 2026" in english
    assert template.fields["sublicensing"].labels["ko"]["with_consent"] in korean
    assert template.fields["sublicensing"].labels["en"]["with_consent"] in english
    assert "국문·영문 병기 (우선 언어: 한국어) → 국문·영문 병기 (우선 언어: 영어)" in korean, \
        korean
    assert ("Korean and English (prevailing: Korean) → Korean and English (prevailing: "
            "English)") in english
    assert "실시허락자(갑): 주소" in korean and "Licensor" in english


def test_terms_pages_show_labels_not_codes(app, parties):
    p = parties
    with app.test_request_context():
        deal = negotiating_deal(p)
        deal.propose_terms(load(p["buyer"]), None, {
            **LICENSE, "exclusivity": "non_exclusive", "sublicensing": True,
            "improvements_owner": "joint"})
        deal.propose_terms(load(p["seller"]), 1, {**LICENSE, "improvements_owner": "licensor"})
        db.session.commit()
        deal_id = deal.id
    codes = _codes()
    for url in (f"/ko/deals/{deal_id}", f"/ko/deals/{deal_id}/terms/compare?a=1&b=2"):
        text = visible(_page(app, p["buyer"], url, "ko"))
        assert _words_found(text, codes) == set(), url
        assert "비독점" in text


def test_an_error_on_the_contract_page_names_fields_by_their_labels(app, parties):
    p = parties
    with app.test_request_context():
        deal = agree(p)
        drafting.start_draft(deal, load(p["buyer"]))
        db.session.commit()
        deal_id = deal.id
    client = app.test_client()
    login(client, p["buyer"], lang="ko")
    response = client.post(f"/ko/deals/{deal_id}/contract/approve")
    assert response.status_code == 400
    box = visible(re.search(r'id="contract-error">(.*?)</div>', response.get_data(as_text=True),
                            re.S).group(1))
    assert "실시허락자(갑): 주소: 계약서에 꼭 필요한 항목입니다." in box, box
    assert "licensor.address" not in box and "payment_days" not in box
