"""From the signed Terms to the payments they call for: what is paid, in how many instalments,
when, and the platform's fee on each. Pure except for reading the fee and the local date from the
app's configuration."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..deals.models import DealType
from ..deals.terms import MAX_MONEY
from ..errors import DomainError
from .models import Purpose

MAX_TOTAL = MAX_MONEY  # what the terms let through is what a payment may be
#: Korea's VAT rate on a domestic supply (부가가치세법 제30조).
VAT_PERCENT = 10


def vat_for(supply_value: int, treatment: str | None) -> int:
    """The VAT on a supply value in minor units: 10% for a domestic supply (`standard`), cut
    down to a whole unit as tax invoices do; none when zero-rated (the buyer is abroad) or when
    the Terms set no VAT (deals agreed before VAT was set on the terms)."""
    if treatment != "standard":
        return 0
    return supply_value * VAT_PERCENT // 100


def _total(deal_type: DealType, fields: dict) -> tuple[Purpose, int | None]:
    """The amount the Terms make the buyer pay at signing, and what it is for."""
    if deal_type == DealType.license:
        return Purpose.upfront_fee, fields.get("upfront_fee") or None
    if deal_type == DealType.transfer:
        return Purpose.price, fields.get("price")
    if deal_type == DealType.poc:
        return Purpose.poc_fee, fields.get("fee") or None
    if deal_type == DealType.supply:
        quantity, unit_price = fields.get("quantity"), fields.get("unit_price")
        return Purpose.supply, quantity * unit_price if quantity and unit_price else None
    if deal_type == DealType.investment:
        return Purpose.investment, fields.get("amount")
    if deal_type == DealType.acquisition:
        return Purpose.acquisition, fields.get("amount")
    return Purpose.scheduled, None  # joint development: only a schedule asks for money


def plan(deal_type, fields: dict, signed_on: date) -> list[dict]:
    """The payments the Terms call for: the schedule when there is one, otherwise one payment
    of the total, due on the day of signing. Empty when the Terms ask for no money."""
    purpose, total = _total(DealType(deal_type), fields)
    schedule = [item for item in fields.get("payment_schedule") or [] if item.get("amount")]
    if schedule:
        items = [(int(item["amount"]), date.fromisoformat(item["due"])) for item in schedule]
    elif total:
        items = [(int(total), signed_on)]
    else:
        return []
    for amount, _ in items:
        if not 0 < amount <= MAX_TOTAL:
            raise DomainError(_l("A payment in the signed terms is out of range."))
    return [{"seq": n, "count": len(items), "purpose": purpose, "amount": amount, "due": due}
            for n, (amount, due) in enumerate(items, start=1)]


def fee_percent() -> Decimal:
    raw = current_app.config["PLATFORM_FEE_PERCENT"]
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise RuntimeError("PLATFORM_FEE_PERCENT must be a number") from None
    if not (0 <= value < 100) or value != value.quantize(Decimal("0.01")):
        raise RuntimeError("PLATFORM_FEE_PERCENT must be 0 to 99.99, two decimals at most")
    return value


def fee_for(amount: int, percent: Decimal) -> int:
    """The platform's share of `amount` minor units, rounded half up to a whole minor unit."""
    return int((Decimal(amount) * percent / 100).to_integral_value(rounding=ROUND_HALF_UP))


def local_today() -> date:
    tz = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.now(tz).date()
