"""The template library: metadata, variables, clause ids, versions and validation."""

import copy
import json
import re
import shutil

import pytest
from jinja2 import meta

from marketplace.documents import (
    TemplateInvalid,
    TemplateNotFound,
    VariablesInvalid,
    list_templates,
    load_template,
)
from marketplace.documents.fields import FIELD_TYPES, format_money
from marketplace.documents.render import environment_for, render_html
from marketplace.documents.templates import CONTRACTS_ROOT

from .conftest import TYPES

VAT_TYPES = ("license", "transfer", "poc", "supply")

#: Names the renderer provides itself (see templates.RESERVED_NAMES).
RENDER_NAMES = {"document"}
#: Variables the shared page layout shows for every type (signing date, parties block).
LAYOUT_NAMES = {"effective_date"}


def test_every_contract_type_is_in_the_library():
    assert [t.key for t in list_templates()] == sorted(TYPES)
    for template in list_templates():  # the types with a price state its VAT from v2 on
        assert template.version == (2 if template.key in VAT_TYPES else 1)
        assert template.title["ko"] and template.title["en"]
        assert len(template.parties) == 2
        assert {spec.type for spec in template.fields.values()} <= set(FIELD_TYPES)


@pytest.mark.parametrize("key", TYPES)
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_variables_used_are_exactly_the_declared_ones(key, lang):
    template = load_template(key)
    env = environment_for(template)
    used = meta.find_undeclared_variables(env.parse(template.source(lang))) - RENDER_NAMES
    declared = set(template.fields)
    used |= LAYOUT_NAMES | set(template.parties)
    assert used - declared == set(), "used in the HTML but not declared"
    assert declared - used == set(), "declared but never used"


@pytest.mark.parametrize("key", TYPES)
def test_sample_is_valid_and_every_money_is_integer_minor_units(key):
    template = load_template(key)
    sample = template.sample()
    assert template.validate(sample) == sample
    for name, spec in template.fields.items():
        if spec.type == "money":
            assert isinstance(sample[name]["amount"], int)
    required = {name for name, spec in template.fields.items() if spec.required}
    assert required <= set(sample)


@pytest.mark.parametrize("key", TYPES)
def test_clauses_have_stable_unique_ids(key):
    template = load_template(key)
    ids = template.clause_ids
    assert len(ids) == len(set(ids)) >= 10
    assert {"governing_law", "disputes", "prevailing_language"} <= set(ids)


@pytest.mark.parametrize("key", TYPES)
def test_bilingual_articles_are_the_cells_of_their_columns(key):
    """Each article row holds the Korean article and the English one as its two cells, each
    keeping its clause id; a single-language document wraps each article in a section."""
    template = load_template(key)
    html = render_html(template, template.sample(), lang="bilingual")
    rows = html.count('<tr class="article">')
    cells = re.findall(r'<tr class="article"><td class="clause" lang="ko" id="clause-ko-(\w+)"'
                       r'|</td><td class="clause" lang="en" id="clause-en-(\w+)"', html)
    assert rows >= 10 and len(cells) == 2 * rows
    for (ko, _), (_, en) in zip(cells[::2], cells[1::2], strict=True):
        assert ko == en and ko in template.clause_ids
    assert '<section class="clause"' not in html
    single = render_html(template, template.sample(), lang="en")
    assert single.count('<section class="clause"') >= 10 and 'td class="clause"' not in single


def test_missing_required_variables_are_named():
    template = load_template("license")
    variables = template.sample()
    del variables["licensee"]
    del variables["royalty_percent"]
    with pytest.raises(VariablesInvalid) as caught:
        template.validate(variables)
    assert caught.value.fields == {"licensee": "required", "royalty_percent": "required"}
    assert "licensee" in str(caught.value) and "royalty_percent" in str(caught.value)


def test_wrong_types_are_named_down_to_the_nested_key():
    template = load_template("transfer")
    variables = copy.deepcopy(template.sample())
    variables["price"] = {"amount": 1200.5, "currency": "KRW"}
    variables["payment_schedule"][1]["due"] = "31/07/2026"
    variables["assignee"]["registration_no"] = 2248133210
    variables["effective_date"] = "tomorrow"
    variables["dispute_resolution"] = "duel"
    variables["surprise"] = "x"
    with pytest.raises(VariablesInvalid) as caught:
        template.validate(variables)
    assert set(caught.value.fields) == {
        "price.amount",
        "payment_schedule[1].due",
        "assignee.registration_no",
        "effective_date",
        "dispute_resolution",
        "surprise",
    }


def test_optional_variables_may_be_left_out():
    template = load_template("license")
    variables = template.sample()
    for name in ("patents", "court", "conditions"):
        variables.pop(name)
    assert "patents" not in template.validate(variables)


def test_percent_and_integer_bounds():
    template = load_template("license")
    variables = template.sample()
    variables["royalty_percent"] = 130
    variables["term_months"] = 0
    with pytest.raises(VariablesInvalid) as caught:
        template.validate(variables)
    assert set(caught.value.fields) == {"royalty_percent", "term_months"}


def test_money_is_formatted_from_minor_units_by_currency_precision():
    assert format_money({"amount": 50000000, "currency": "KRW"}, "ko") == "₩50,000,000"
    assert format_money({"amount": 50000000, "currency": "KRW"}, "en") == "₩50,000,000"
    assert format_money({"amount": 8500000, "currency": "USD"}, "en") == "$85,000.00"
    assert format_money({"amount": 8500001, "currency": "USD"}, "ko") == "US$85,000.01"


def test_unknown_type_or_version_is_not_found():
    with pytest.raises(TemplateNotFound):
        load_template("lease")
    with pytest.raises(TemplateNotFound):
        load_template("../contracts")
    with pytest.raises(TemplateNotFound):
        load_template("license", version=7)


def test_a_later_version_lives_beside_the_first(tmp_path):
    first_only = shutil.ignore_patterns("v[0-9]*")
    shutil.copytree(CONTRACTS_ROOT / "license", tmp_path / "license", ignore=first_only)
    newer = tmp_path / "license" / "v2"
    shutil.copytree(CONTRACTS_ROOT / "license", newer, ignore=first_only)
    metadata = json.loads((newer / "fields.json").read_text(encoding="utf-8"))
    metadata["version"] = 2
    (newer / "fields.json").write_text(json.dumps(metadata), encoding="utf-8")

    assert load_template("license", roots=[tmp_path]).version == 2
    first = load_template("license", version=1, roots=[tmp_path])
    assert first.version == 1 and first.path == (tmp_path / "license").resolve()


def test_templates_whose_languages_disagree_are_refused(tmp_path):
    folder = tmp_path / "mou"
    shutil.copytree(CONTRACTS_ROOT / "mou", folder)
    en = (folder / "en.html").read_text(encoding="utf-8")
    (folder / "en.html").write_text(en.replace('clause("publicity"', 'clause("press"'))
    with pytest.raises(TemplateInvalid, match="same clauses"):
        load_template("mou", roots=[tmp_path])
