"""Where a payee is paid: each organisation's settlement account (a Korean bank, the account
number, the holder), confirmed by staff before a payer is shown it.

A change of bank, number or holder clears the confirmation: the new account must be confirmed
again. A payer is shown the full number only while they owe money on a request and the account
is confirmed; everywhere else the number is masked (`masked`). An account changed in the last
`RECENT_CHANGE_DAYS` days carries a warning on both sides of a payment to it, the pattern of
invoice fraud (a fraudster changes the account just before a payment is due).

The account number is never written to a log: the model's `repr` masks it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organisation, User
from ..clock import utcnow
from ..db_types import AwareDateTime
from ..errors import Conflict, DomainError, NotFound, PermissionDenied
from ..extensions import db

#: Korean banks by their KFTC (금융결제원) bank code: (code, Korean name, English name).
BANKS = (
    ("002", "KDB산업은행", "Korea Development Bank"),
    ("003", "IBK기업은행", "IBK Industrial Bank of Korea"),
    ("004", "KB국민은행", "KB Kookmin Bank"),
    ("007", "수협은행", "Suhyup Bank"),
    ("011", "NH농협은행", "NongHyup Bank"),
    ("012", "지역농·축협", "Local NongHyup and livestock cooperatives"),
    ("020", "우리은행", "Woori Bank"),
    ("023", "SC제일은행", "SC First Bank"),
    ("027", "한국씨티은행", "Citibank Korea"),
    ("031", "iM뱅크(대구은행)", "iM Bank (Daegu Bank)"),
    ("032", "부산은행", "Busan Bank"),
    ("034", "광주은행", "Kwangju Bank"),
    ("035", "제주은행", "Jeju Bank"),
    ("037", "전북은행", "Jeonbuk Bank"),
    ("039", "경남은행", "Kyongnam Bank"),
    ("045", "새마을금고", "MG Saemaul Geumgo"),
    ("048", "신협", "Shinhyup (credit unions)"),
    ("050", "저축은행", "Savings banks"),
    ("064", "산림조합중앙회", "National Forestry Cooperative Federation"),
    ("071", "우체국", "Korea Post"),
    ("081", "하나은행", "Hana Bank"),
    ("088", "신한은행", "Shinhan Bank"),
    ("089", "케이뱅크", "K Bank"),
    ("090", "카카오뱅크", "KakaoBank"),
    ("092", "토스뱅크", "Toss Bank"),
)
BANK_NAMES = {code: (ko, en) for code, ko, en in BANKS}
RECENT_CHANGE_DAYS = 7
MAX_HOLDER = 100
#: Korean account numbers are 10 to 14 digits; savings banks and cooperatives use up to 16.
ACCOUNT_DIGITS = re.compile(r"\d{10,16}")


def bank_name(code: str, lang: str = "ko") -> str:
    ko, en = BANK_NAMES.get(code, (code, code))
    return en if lang == "en" else ko


def masked(number: str) -> str:
    """All but the last four digits hidden: `*********1234`."""
    return "*" * max(len(number) - 4, 0) + number[-4:]


class SettlementAccount(db.Model):
    """An organisation's bank account for receiving payments; one per organisation."""

    __tablename__ = "settlement_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), unique=True)
    bank_code: Mapped[str] = mapped_column(sa.String(3))
    account_number: Mapped[str] = mapped_column(sa.String(16))  # digits only
    holder: Mapped[str] = mapped_column(sa.String(MAX_HOLDER))
    changed_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    confirmed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    confirmed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))

    organisation: Mapped[Organisation] = relationship()
    changed_by: Mapped[User | None] = relationship(foreign_keys=[changed_by_id])
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])

    def __repr__(self) -> str:
        return (f"<SettlementAccount org={self.organisation_id} bank={self.bank_code} "
                f"number={masked(self.account_number or '')}>")

    @property
    def masked_number(self) -> str:
        return masked(self.account_number)

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None

    def bank(self, lang: str = "ko") -> str:
        return bank_name(self.bank_code, lang)

    def changed_recently(self, now: datetime | None = None) -> bool:
        """Changed in the last week: payments to it carry a warning."""
        return (now or utcnow()) - self.changed_at < timedelta(days=RECENT_CHANGE_DAYS)


def account_of(org_id: int, *, lock: bool = False) -> SettlementAccount | None:
    query = sa.select(SettlementAccount).where(SettlementAccount.organisation_id == org_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(query)


@dataclass
class AccountInput:
    bank_code: str
    account_number: str
    holder: str


def clean(bank_code, account_number, holder) -> AccountInput:
    """The account as entered (hyphens and spaces in the number allowed), or a DomainError
    naming each wrong field."""
    errors = {}
    bank_code = (bank_code or "").strip() if isinstance(bank_code, str) else ""
    if bank_code not in BANK_NAMES:
        errors["bank_code"] = [_l("Choose a bank from the list.")]
    number = account_number if isinstance(account_number, str) else ""
    number = re.sub(r"[\s-]", "", number)
    if not ACCOUNT_DIGITS.fullmatch(number):
        errors["account_number"] = [_l("Enter the account number: 10 to 16 digits, hyphens "
                                       "allowed.")]
    holder = " ".join(holder.split()) if isinstance(holder, str) else ""
    if not holder:
        errors["holder"] = [_l("This field is required.")]
    elif len(holder) > MAX_HOLDER:
        errors["holder"] = [_l("Use at most %(n)d characters.", n=MAX_HOLDER)]
    if errors:
        raise DomainError(_l("Check the settlement account."), errors)
    return AccountInput(bank_code, number, holder)


def save(org: Organisation, user, bank_code, account_number, holder) -> SettlementAccount:
    """A member of `org` enters or changes its account. A real change needs confirming again;
    the same account sent again changes nothing."""
    if user.organisation_id != org.id:
        raise PermissionDenied(_l("Only members of the organisation can change its settlement "
                                  "account."))
    data = clean(bank_code, account_number, holder)
    account = account_of(org.id, lock=True)
    if account is None:
        account = SettlementAccount(organisation_id=org.id)
        db.session.add(account)
    elif (account.bank_code, account.account_number, account.holder) == (
            data.bank_code, data.account_number, data.holder):
        return account
    account.bank_code, account.account_number, account.holder = (
        data.bank_code, data.account_number, data.holder)
    account.changed_at, account.changed_by_id = utcnow(), user.id
    account.confirmed_at = account.confirmed_by_id = None
    db.session.flush()
    return account


def confirm(org_id: int, staff_user, seen_changed_at: datetime | None = None) -> SettlementAccount:
    """Staff confirm the account as it is now (who and when are kept). Confirming one that is
    already confirmed, or one changed since the page was shown (`seen_changed_at`), is a
    conflict: two staff confirming at once give one confirmation."""
    if not staff_user.is_staff:
        raise NotFound(_l("This organisation has no settlement account."))
    account = account_of(org_id, lock=True)
    if account is None:
        raise NotFound(_l("This organisation has no settlement account."))
    if account.confirmed:
        raise Conflict(_l("This settlement account is already confirmed."))
    if seen_changed_at is not None and account.changed_at != seen_changed_at:
        raise Conflict(_l("The account was changed after you opened the page. Check it again."))
    account.confirmed_at, account.confirmed_by_id = utcnow(), staff_user.id
    db.session.flush()
    return account


def awaiting_confirmation() -> list[SettlementAccount]:
    return list(db.session.scalars(sa.select(SettlementAccount).where(
        SettlementAccount.confirmed_at.is_(None)).order_by(SettlementAccount.changed_at)))
