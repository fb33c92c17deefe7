"""Terms and parties to template variables: the one mapping, per deal type."""

import pytest

from marketplace.agreements import variables
from marketplace.deals.states import DealType, Side
from marketplace.documents import VariablesInvalid, load_template

from .conftest import agree, load


def test_template_per_deal_type():
    assert {t.value: variables.template_key_for(t) for t in DealType} == {
        "license": "license", "transfer": "transfer",
        "joint_development": "joint_development", "poc": "poc", "supply": "supply",
        "investment": "investment", "acquisition": "investment"}
    assert variables.template_key_for("license", purpose="nda") == "nda"


def test_license_mapping_from_terms(ctx, parties):
    deal = agree(parties, terms={
        "currency": "USD", "upfront_fee": 1_500_000, "royalty_percent": 2.5,
        "field_of_use": "EV", "territory": "Korea", "exclusivity": "non_exclusive",
        "term_months": 24, "sublicensing": False, "improvements_owner": "licensee"})
    values = variables.contract_variables(deal)
    assert values["upfront_fee"] == {"amount": 1_500_000, "currency": "USD"}
    assert values["minimum_royalty"] == {"amount": 0, "currency": "USD"}  # none agreed: zero
    assert values["sublicensing"] == "prohibited"
    assert values["improvements_owner"] == "licensee"
    assert values["licensor"]["name"] == {"ko": deal.seller.name_ko, "en": deal.seller.name_en}
    assert values["licensee"]["name"] == {"ko": deal.buyer.name_ko, "en": deal.buyer.name_en}
    assert values["licensor"]["representative"] == load(parties["seller"]).display_name
    assert values["licensee"]["representative"] == load(parties["buyer"]).display_name
    assert values["technology"]["ko"] == deal.offering.title_ko
    with pytest.raises(VariablesInvalid) as info:
        load_template("license").validate(values)
    # what neither the Terms nor the organisations know is named, never blank
    assert {"licensor.address", "licensee.address", "payment_days",
            "effective_date"} <= set(info.value.fields)
    assert "upfront_fee" not in info.value.fields
    assert set(variables.locked_names("license", values)) >= {
        "upfront_fee", "sublicensing", "licensor.name", "licensee.name"}
    assert variables.SUBLICENSING[True] == "allowed"


def test_joint_development_buyer_is_party_a(ctx, parties):
    deal = agree(parties, deal_type="joint_development", terms={
        "currency": "KRW", "scope": "공동 개발", "cost_share_percent": 70,
        "results_owner": "seller"})
    values = variables.contract_variables(deal)
    assert variables.party_field("joint_development", Side.buyer) == "party_a"
    assert values["party_a"]["name"]["ko"] == deal.buyer.name_ko
    assert values["cost_share_percent"] == 70  # the buyer's share is party A's share
    assert values["results_owner"] == "party_b"


def test_transfer_schedule_and_investment_money(ctx, parties):
    deal = agree(parties, deal_type="transfer", terms={
        "currency": "KRW", "price": 100, "payment_schedule": [
            {"amount": 40, "due": "2026-04-01"}, {"amount": 60, "due": "2026-05-01"}]})
    values = variables.contract_variables(deal)
    assert values["price"] == {"amount": 100, "currency": "KRW"}
    assert values["payment_schedule"][1] == {"amount": {"amount": 60, "currency": "KRW"},
                                             "due": "2026-05-01"}
    deal2 = agree({**parties}, deal_type="investment", terms={
        "currency": "KRW", "amount": 500_000_000, "instrument": "rcps",
        "stake_percent": 5})
    values = variables.contract_variables(deal2)
    assert values["amount"] == {"amount": 500_000_000, "currency": "KRW"}
    assert "pre_money_valuation" not in values  # not agreed: to fill in, not locked
    assert "pre_money_valuation" not in variables.locked_names("investment", values)
    assert values["investor"]["name"]["ko"] == deal2.buyer.name_ko


def test_nda_variables_validate_with_an_address_and_date(ctx, parties):
    import datetime as dt

    deal = agree(parties)
    values = variables.nda_variables(deal, effective_date=dt.date(2026, 3, 2))
    values["discloser"]["address"] = "대전"
    values["recipient"]["address"] = "서울"
    for party in ("discloser", "recipient"):
        values[party].setdefault("registration_no", "000-00-00000")
    load_template("nda").validate(values)
    assert values["discloser"]["name"]["ko"] == deal.seller.name_ko


def test_registration_numbers_are_written_with_dashes():
    assert variables.format_brn("2208162517") == "220-81-62517"
    assert variables.format_brn("DE-12345") == "DE-12345"
