"""Amounts and dates as people type them, and dates, times and amounts as each language shows
them."""

from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale

from marketplace.i18n.amounts import AmountError, parse_amount
from marketplace.i18n.converted import approximate, money_with_approximate
from marketplace.i18n.dates import (
    DateInputError,
    input_hint,
    input_text,
    parse_date,
    show_date,
    show_datetime,
)

AMOUNTS = [
    ("₩30,000,000", "KRW", 30_000_000),
    ("￦30,000,000", "KRW", 30_000_000),
    ("30,000,000", "KRW", 30_000_000),
    ("30000000", "KRW", 30_000_000),
    ("30000000원", "KRW", 30_000_000),
    ("30,000,000 원", "KRW", 30_000_000),
    ("KRW 30,000,000", "KRW", 30_000_000),
    ("3천만 원", "KRW", 30_000_000),
    ("3천만원", "KRW", 30_000_000),
    ("천만 원", "KRW", 10_000_000),
    ("3,000만원", "KRW", 30_000_000),
    ("1억 2천만원", "KRW", 120_000_000),
    ("1억2천만", "KRW", 120_000_000),
    ("1.5억", "KRW", 150_000_000),
    ("12억 3456만 7890원", "KRW", 1_234_567_890),
    ("2조 5억", "KRW", 2_000_500_000_000),
    ("1.23456789억", "KRW", 123_456_789),
    ("5만 원", "KRW", 50_000),
    ("$1,250.50", "USD", 125_050),
    ("US$1,250.50", "USD", 125_050),
    ("1,250.5 USD", "USD", 125_050),
    ("1250", "USD", 125_000),
    ("1,250.50달러", "USD", 125_050),
    ("0", "KRW", 0),
]

NOT_AMOUNTS = [
    ("３０，０００", "KRW", "in digits"),        # full-width digits are not ASCII digits
    ("٣٠٠٠", "KRW", "in digits"),
    ("①", "KRW", "in digits"),
    ("", "KRW", "in digits"),
    ("원", "KRW", "in digits"),
    ("-5000", "KRW", "in digits"),
    ("1e6", "KRW", "in digits"),
    ("3,0000", "KRW", "in digits"),              # commas only between groups of three
    ("1 000", "KRW", "in digits"),
    ("만억", "KRW", "in digits"),                 # larger place after a smaller one
    ("3천 2천", "KRW", "in digits"),
    ("9" * 31, "KRW", "in digits"),
    ("$5,000", "KRW", "is in USD, but this field takes KRW"),
    ("5,000원", "USD", "is in KRW, but this field takes USD"),
    ("€10", "USD", "is in EUR, but this field takes USD"),
    ("1,250.505", "USD", "Too many decimal places for USD"),
    ("1,250.50", "KRW", "Too many decimal places for KRW"),
    ("0.5원", "KRW", "Too many decimal places for KRW"),
    ("1.234567891억", "KRW", "Too many decimal places for KRW"),
]


@pytest.mark.parametrize(("text", "currency", "minor"), AMOUNTS)
def test_amounts_as_people_type_them(ctx, text, currency, minor):
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(("text", "currency", "message"), NOT_AMOUNTS)
def test_what_is_not_an_amount_of_the_field_says_why(ctx, text, currency, message):
    with force_locale("en"):
        with pytest.raises(AmountError) as caught:
            parse_amount(text, currency)
        assert message in str(caught.value.message)


def test_amount_errors_are_in_korean_on_korean_pages(ctx):
    with force_locale("ko"):
        with pytest.raises(AmountError) as caught:
            parse_amount("$5", "KRW")
        assert str(caught.value.message) == (
            "이 칸에는 KRW 금액을 입력해야 하는데, USD 금액이 입력되었습니다.")
        with pytest.raises(AmountError) as caught:
            parse_amount("３천만", "KRW")
        assert str(caught.value.message) == (
            "금액을 30,000,000, 3천만 원, 1,250.50처럼 숫자로 입력해 주세요.")


DATES = ["2026. 11. 30.", "2026.11.30", "2026-11-30", "2026/11/30", "20261130",
         "2026년 11월 30일", " 2026. 11. 30 "]


@pytest.mark.parametrize("text", DATES)
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_dates_as_people_type_them(ctx, text, lang):
    with force_locale(lang):
        assert parse_date(text) == date(2026, 11, 30)


def test_month_first_dates_only_on_english_pages(ctx):
    with force_locale("en"):
        assert parse_date("11/30/2026") == date(2026, 11, 30)
        assert parse_date("1/5/2027") == date(2027, 1, 5)
    with force_locale("ko"):
        with pytest.raises(DateInputError) as caught:
            parse_date("11/30/2026")
        assert str(caught.value.message) == (
            "날짜를 YYYY. MM. DD. 형식으로 입력해 주세요(예: 2026. 11. 30.).")


@pytest.mark.parametrize("text", ["2026. 2. 30.", "30.11.2026", "２０２６-１１-３０", "tomorrow",
                                  "2026-11", ""])
def test_what_is_not_a_date_names_the_pattern(ctx, text):
    with force_locale("en"):
        with pytest.raises(DateInputError) as caught:
            parse_date(text)
        assert str(caught.value.message) == (
            "Enter the date as MM/DD/YYYY (for example, 11/30/2026).")


def test_date_fields_show_the_pattern_of_the_page(ctx):
    with force_locale("ko"):
        assert input_hint() == "YYYY. MM. DD."
        assert input_text(date(2026, 1, 5)) == "2026. 01. 05."
        assert parse_date(input_text(date(2026, 1, 5))) == date(2026, 1, 5)
    with force_locale("en"):
        assert input_hint() == "MM/DD/YYYY"
        assert input_text(date(2026, 1, 5)) == "01/05/2026"
        assert parse_date(input_text(date(2026, 1, 5))) == date(2026, 1, 5)


def test_times_read_the_way_of_the_page(ctx):
    moment = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)  # 17:30 in Seoul
    with force_locale("ko"):
        assert show_datetime(moment) == "2026. 11. 30. 오후 5:30"
        assert show_datetime(moment, "short") == "2026. 11. 30. 오후 5:30"
        assert show_datetime(moment, "long") == "2026년 11월 30일 오후 5:30"
        assert show_date(moment) == show_date(date(2026, 11, 30), "short") == "2026. 11. 30."
        assert "PM" not in show_datetime(datetime(2026, 11, 30, 1, 5, tzinfo=UTC))
        assert show_datetime(datetime(2026, 11, 30, 1, 5, tzinfo=UTC)).endswith("오전 10:05")
    with force_locale("en"):
        assert show_datetime(moment) == "Nov 30, 2026, 5:30\u202fPM"
        assert show_date(moment, "long") == "November 30, 2026"


def test_won_amounts_show_about_how_many_dollars_on_english_pages(ctx):
    with force_locale("en"):
        assert approximate(50_000_000, "KRW") == "≈ US$35,700"
        assert approximate(125_050, "USD") is None
        html = money_with_approximate(50_000_000, "KRW")
        assert html.startswith("₩50,000,000 <small")
        assert "(≈ US$35,700" in html
        assert 'title="Approximate, at ₩1,400 to US$1 on Nov 30, 2026."' in html
    with force_locale("ko"):
        assert approximate(50_000_000, "KRW") is None
        assert money_with_approximate(50_000_000, "KRW") == "₩50,000,000"


def test_dollar_amounts_show_about_how_many_won_on_korean_pages(app, ctx):
    with force_locale("ko"):
        assert approximate(125_050, "USD") == "≈ ₩1,750,000"
        html = money_with_approximate(125_050, "USD")
        assert html.startswith("US$1,250.50 <small")
        assert "2026. 11. 30. 기준 환율(US$1 = ₩1,400)로 계산한 대략적인 금액입니다." in html
    app.config["USD_KRW_RATE"] = "0"
    try:
        with force_locale("ko"):
            assert money_with_approximate(125_050, "USD") == "US$1,250.50"
    finally:
        app.config["USD_KRW_RATE"] = "1400"
    # a new rate or rate date shows at once, though the figure was formatted before
    rate_date, app.config["USD_KRW_RATE_DATE"] = app.config["USD_KRW_RATE_DATE"], "2026-12-01"
    try:
        with force_locale("ko"):
            assert "2026. 12. 1. 기준" in money_with_approximate(125_050, "USD")
    finally:
        app.config["USD_KRW_RATE_DATE"] = rate_date
    app.config["USD_KRW_RATE"] = "1500"
    try:
        with force_locale("ko"):
            assert "≈ ₩1,880,000" in money_with_approximate(125_050, "USD")
    finally:
        app.config["USD_KRW_RATE"] = "1400"
