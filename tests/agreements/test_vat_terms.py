"""The VAT the Terms set reaches the contract: a deal agreed with `vat` drafts on the version of
the template that states it, locked like every other agreed value, and the PDF says it in both
languages; Terms agreed before VAT was set keep the earlier wording."""

import re
import shutil
import subprocess

import pytest

from marketplace.agreements import drafting, library
from marketplace.documents import render_pdf
from marketplace.extensions import db
from tests.deals.conftest import LICENSE

from .conftest import LICENSE_DETAILS, agree, load

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"),
                                reason="poppler-utils not installed")


def _text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "contract.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"], check=True,
                         capture_output=True).stdout.decode()
    return re.sub(r"\s+", " ", out)


def _drafted(parties, terms):
    deal = agree(parties, terms=terms)
    db.session.commit()
    contract = drafting.start_draft(deal, load(parties["buyer"]))
    drafting.fill_variables(contract, load(parties["buyer"]), LICENSE_DETAILS)
    db.session.commit()
    return contract


@pytest.mark.parametrize(("vat", "korean", "english"), [
    ("standard", "위 금액은 부가가치세 10% 별도 금액이며, 을은 부가가치세를 별도로 지급한다.",
     "The amounts above exclude value added tax, which the Licensee shall pay in addition "
     "at 10%."),
    ("zero_rated", "위 금액에는 부가가치세 영세율이 적용된다.",
     "The amounts above are zero-rated for value added tax (0%)."),
    (None, "위 금액에는 부가가치세가 포함되어 있지 아니하며, 관계 법령에",
     "The amounts above exclude value added tax. Where the law"),
])
def test_the_contract_states_the_vat_the_terms_set(ctx, parties, tmp_path, vat, korean,
                                                   english):
    contract = _drafted(parties, {**LICENSE, "vat": vat} if vat else LICENSE)
    assert contract.variables.get("vat") == vat
    assert ("vat" in contract.locked) == (vat is not None)  # agreed: not changed on the draft
    assert drafting.missing_variables(contract) == {}
    template = library.template_of(contract)
    assert template.version == 2
    assert korean in _text(render_pdf(template, contract.variables, lang="ko").pdf, tmp_path)
    assert english in _text(render_pdf(template, contract.variables, lang="en").pdf, tmp_path)
