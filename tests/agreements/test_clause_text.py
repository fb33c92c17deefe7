"""A party's clause edit is literal text: on the contract page and in the PDF, what both sides
approved is exactly what is signed (no expression runs, no markup hides a word)."""

import html as html_lib
import re
import shutil
import subprocess

import pytest
import sqlalchemy as sa

from marketplace.agreements import clauses as clause_text
from marketplace.agreements import drafting
from marketplace.agreements.models import Contract, ContractStatus
from marketplace.extensions import db
from tests.conftest import login

from .conftest import LICENSE_DETAILS, agree, load

requires_pdftotext = pytest.mark.skipif(not shutil.which("pdftotext"),
                                        reason="poppler-utils not installed")

HIDDEN = '<span style="font-size:0">x</span>'
EDIT = ("본 계약은 {{7*7}} 건의 실시를 정한다.\n"
        "둘째 줄은 그대로 둔다.\n\n"
        f"숨은 글자 {HIDDEN} 없이 모두 보인다.\n\n"
        "범위는 {{ range(10**6)|list|length }} 이다.")
COSTLY = "계산 {{ (3**(10**7)) % 7 }} 은 하지 않는다."


@pytest.fixture
def draft_id(app, parties):
    """A licence draft in Korean with every detail filled in."""
    p = parties
    with app.test_request_context():
        deal = agree(p)
        contract = drafting.start_draft(deal, load(p["buyer"]))
        drafting.fill_variables(contract, load(p["buyer"]), LICENSE_DETAILS)
        drafting.change_language(contract, load(p["buyer"]), "ko")
        db.session.commit()
        return deal.id


def _client(app, user, lang="ko"):
    client = app.test_client()
    login(client, user, lang=lang)
    return client


def _edit(client, deal_id, text):
    response = client.post(f"/ko/deals/{deal_id}/contract/clauses/purpose",
                           data={"text_ko": text})
    assert response.status_code == 303, response.get_data(as_text=True)[-1500:]


def _squeeze(text: str) -> str:
    """Text with no whitespace at all: PDF lines wrap anywhere, Korean included."""
    return "".join(text.split())


def _redline_now(page: str) -> str:
    """The Korean clause text the contract page's redline shows as it reads now."""
    redline = re.search(r'data-redline="ko">(.*?)</div>', page, re.S).group(1)
    redline = re.sub(r"<del>.*?</del>", "", redline, flags=re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", "", redline))


def test_template_syntax_in_an_edit_is_shown_literally_on_the_page(app, parties, draft_id):
    buyer = _client(app, parties["buyer"])
    _edit(buyer, draft_id, EDIT)
    page = _client(app, parties["seller"], "en").get(f"/ko/deals/{draft_id}/contract")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    shown = _redline_now(html)
    assert "{{7*7}}" in shown and HIDDEN in shown and _squeeze(shown) == _squeeze(EDIT)
    assert HIDDEN not in html  # escaped: no markup of the edit reaches the page


def test_an_expensive_expression_is_never_evaluated(app, parties, draft_id):
    buyer = _client(app, parties["buyer"])
    _edit(buyer, draft_id, COSTLY)
    html = buyer.get(f"/ko/deals/{draft_id}/contract").get_data(as_text=True)
    assert _squeeze(_redline_now(html)) == _squeeze(COSTLY)
    with app.app_context():
        contract = db.session.scalar(sa.select(Contract))
        assert contract.overrides["purpose"] == {"ko": COSTLY}


@requires_pdftotext
def test_the_pdf_says_exactly_what_both_sides_approved(app, parties, draft_id, tmp_path):
    p = parties
    buyer, seller = _client(app, p["buyer"]), _client(app, p["seller"], "en")
    _edit(buyer, draft_id, EDIT)
    for client, lang in ((seller, "en"), (buyer, "ko")):
        assert client.post(f"/{lang}/deals/{draft_id}/contract/approve").status_code == 303
    with app.test_request_context():
        contract = db.session.scalar(sa.select(Contract))
        assert contract.status == ContractStatus.rendered
        approved = contract.overrides["purpose"]["ko"]
        clauses = {row["id"]: row["langs"]["ko"] for row in clause_text.clause_view(contract)}
        purpose, after = clauses["purpose"], clauses["definitions"]
        contract_id = contract.id
    assert approved == EDIT
    pdf = buyer.get(f"/ko/deals/{draft_id}/contract/{contract_id}/pdf")
    path = tmp_path / "contract.pdf"
    path.write_bytes(pdf.data)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "{{7*7}}" in text and HIDDEN in text
    # the clause as the PDF shows it, between its heading and the next article's
    squeezed = _squeeze(text)
    start = squeezed.index(_squeeze(purpose["number"] + purpose["title"]))
    start += len(_squeeze(purpose["number"] + purpose["title"]))
    end = squeezed.index(_squeeze(after["number"] + after["title"]), start)
    assert squeezed[start:end] == _squeeze(approved)
    # paragraphs kept, in order
    paragraphs = [_squeeze(part) for part in approved.split("\n\n")]
    positions = [squeezed.index(part, start) for part in paragraphs]
    assert positions == sorted(positions) and len(paragraphs) == 3
