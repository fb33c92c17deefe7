"""Korean contracts read as a Korean legal officer expects: particles that agree with the names
and amounts before them, only the articles that apply (numbered without gaps), labels for coded
choices. Checked in the text pdftotext extracts from the rendered PDF."""

import copy
import re

import pytest

from marketplace.documents import load_template, render_html, render_pdf

from .conftest import TYPES, pdf_text, requires_poppler

pytestmark = requires_poppler

#: How each type's preamble names its two parties ("갑"/"을", or the term sheet's own words).
ROLES = {key: ("갑", "을") for key in TYPES} | {"investment": ("투자자", "회사")}
NAME_PAIRS = [
    # (first party, its 과/와, second party, its 은/는)
    ("비전마켓", "과", "한빛전자", "는"),  # consonant-final, vowel-final
    ("한빛전자", "와", "주식회사 한울", "은"),  # vowel-final, ㄹ-final
]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _render_text(tmp_path, template, variables, name="contract", **kwargs) -> str:
    doc = render_pdf(template, variables, lang="ko", **kwargs)
    path = tmp_path / f"{template.key}-{name}.pdf"
    path.write_bytes(doc.pdf)
    return _squash(pdf_text(path))


def _with_names(template, first: str, second: str) -> dict:
    variables = copy.deepcopy(template.sample())
    for party, name in zip(template.parties, (first, second), strict=True):
        variables[party]["name"] = name
    return variables


def _quoted(role: str) -> str:
    return f'(이하"{role}"{"이라" if role in ("갑", "을") else "라"}한다)'


@pytest.mark.parametrize("key", TYPES)
@pytest.mark.parametrize("names", NAME_PAIRS, ids=["consonant-vowel", "vowel-rieul"])
def test_preamble_particles_agree_with_the_party_names(tmp_path, key, names):
    first, with_first, second, topic = names
    template = load_template(key)
    text = _render_text(tmp_path, template, _with_names(template, first, second))
    role_a, role_b = ROLES[key]
    expected = f"{first}{_quoted(role_a)}{with_first}{second}{_quoted(role_b)}{topic}"
    assert _squash(expected) in text


@pytest.mark.parametrize(
    ("key", "changes", "expected"),
    [
        ("poc", {}, "US$85,000.00(부가가치세10%별도)로한다"),  # 달러로
        ("poc", {"fee": {"amount": 8500000, "currency": "KRW"}},
         "₩8,500,000(부가가치세10%별도)으로"),
        ("poc", {"vat": None}, "US$85,000.00(부가가치세별도)로한다"),
        ("transfer", {}, "₩12,000,000,000(부가가치세10%별도)으로한다"),
        ("transfer", {"vat": "zero_rated"}, "₩12,000,000,000(부가가치세영세율적용)으로한다"),
        ("supply", {}, "₩222,000,000(부가가치세10%별도)으로하며"),
        ("joint_development", {}, "₩480,000,000으로한다"),
        ("joint_development", {}, "총개발비의70%를부담하고"),
        ("investment", {}, "₩17,000,000,000으로하며"),
        ("investment", {}, "완전희석기준으로15%로한다"),
        ("investment", {}, "2026년9월30일로한다"),
        ("nda", {}, "₩100,000,000을손해배상액으로"),
        ("license", {}, "대전지방법원을제1심"),
        ("license", {"court": None}, "서울중앙지방법원을제1심"),
        ("license", {"court": "서울남부지방법원 본원"}, "서울남부지방법원본원을제1심"),
        ("license", {"court": "특허법원"}, "특허법원을제1심"),
    ],
)
def test_particles_after_amounts_and_names_agree(tmp_path, key, changes, expected):
    template = load_template(key)
    variables = template.sample() | changes
    variables = {name: value for name, value in variables.items() if value is not None}
    assert expected in _render_text(tmp_path, template, variables)


def _articles(html: str) -> list[tuple[int, str]]:
    found = re.findall(
        r'<h3 class="clause-title"[^>]*>제(\d+)조 ([^<]+)</h3>', html
    )
    return [(int(number), title) for number, title in found]


def _assert_numbered_without_gaps(template, variables, text):
    articles = _articles(render_html(template, variables, lang="ko"))
    assert [number for number, _ in articles] == list(range(1, len(articles) + 1))
    position = 0
    for number, title in articles:
        position = text.index(_squash(f"제{number}조 {title}"), position)
    cited = {int(n) for n in re.findall(r"제(\d+)조", text)}
    assert cited <= set(range(1, len(articles) + 1))
    return [title for _, title in articles]


@pytest.mark.parametrize(
    ("key", "article"), [("license", "실시권의 등록"), ("transfer", "이전등록")]
)
def test_without_patents_no_patent_article_and_no_gap(tmp_path, key, article):
    template = load_template(key)
    variables = template.sample()
    del variables["patents"]
    text = _render_text(tmp_path, template, variables, name="no-patents")
    titles = _assert_numbered_without_gaps(template, variables, text)
    assert article not in titles
    assert "대상특허" not in text and "특허청" not in text

    with_patents = _render_text(tmp_path, template, template.sample(), name="patents")
    assert article in _assert_numbered_without_gaps(template, template.sample(), with_patents)
    assert "대상특허" in with_patents


def test_results_of_one_party_need_no_co_ownership_article(tmp_path):
    template = load_template("joint_development")
    variables = template.sample() | {"results_owner": "party_a"}
    text = _render_text(tmp_path, template, variables)
    titles = _assert_numbered_without_gaps(template, variables, text)
    assert "공유 권리의 실시 및 처분" not in titles
    assert "개발성과에관한권리는갑에게귀속한다" in text

    joint = _render_text(tmp_path, template, template.sample(), name="joint")
    assert "개발성과에관한권리는갑과을이공동으로소유한다" in joint
    assert "공유에게" not in joint


def test_jointly_owned_improvements_read_as_korean(tmp_path):
    template = load_template("license")
    text = _render_text(tmp_path, template, template.sample())
    assert "갑과을이균등한지분으로공동으로소유한다" in text
    assert "공유에게" not in text


def _enum_fields(template):
    return {name: spec for name, spec in template.fields.items() if spec.type == "enum"}


@pytest.mark.parametrize("key", TYPES)
def test_no_raw_code_in_a_korean_contract(tmp_path, key):
    """Coded choices that a Korean contract prints show as their Korean labels."""
    template = load_template(key)
    enums = _enum_fields(template)
    text = _render_text(tmp_path, template, template.sample())
    for spec in enums.values():
        for code in spec.values:
            assert not re.search(rf"(?<![A-Za-z]){re.escape(code)}(?![A-Za-z])", text), code


def test_bilingual_columns_show_each_language_label():
    template = load_template("license")
    data = template.sample() | {"exclusivity": "non_exclusive"}
    html = render_html(template, data, lang="bilingual")
    assert "비독점적 실시권" in html
    assert "a non-exclusive license" in html
    assert "non_exclusive" not in html


@pytest.mark.parametrize(
    ("key", "expected", "wrong"),
    [
        ("mou", ["본협약은그대상에관한", "본협약과관련하여분쟁이"], "본계약"),
        ("investment", ["본합의서는그대상에관한", "본합의서와관련하여분쟁이"], "본계약은그대상에"),
    ],
)
def test_general_articles_call_the_document_by_its_own_name(tmp_path, key, expected, wrong):
    """The shared articles say 본 협약 / 본 합의서, with agreeing particles: in a term sheet
    "본계약" is the investment contract still to be signed."""
    template = load_template(key)
    text = _render_text(tmp_path, template, template.sample())
    for words in expected:
        assert words in text
    assert wrong not in text


def test_numbered_lists_are_numbered_per_level_and_bulleted_ones_left_alone():
    from marketplace.documents.render import _number_list_items

    html = ("<ol><li>a<ol><li>b</li><li>c</li></ol></li>"
            "<li>d<ul><li>bullet</li></ul></li><li>e</li></ol><ul><li>plain</li></ul>")
    assert _number_list_items(html, "ko") == (
        "<ol><li>① a<ol><li>가. b</li><li>나. c</li></ol></li>"
        "<li>② d<ul><li>bullet</li></ul></li><li>③ e</li></ol><ul><li>plain</li></ul>")
    assert "<li>1. a<ol><li>1. b</li><li>2. c</li>" in _number_list_items(html, "en")
