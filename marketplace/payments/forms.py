"""Payment forms. None of them carries an amount the payer chooses: what is paid comes from the
payment request and its ledger. Only staff type an amount, for a partial refund."""

import secrets

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp

from ..forms import LocalDateField
from .ledger import MAX_NOTE, MAX_REFERENCE
from .refunds import NONCE
from .settlement import BANKS


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token."""


class TransferForm(FlaskForm):
    reference = StringField(_l("Transfer reference"), validators=[
        DataRequired(), Length(max=MAX_REFERENCE)],
        description=_l("The reference your bank shows for the transfer."))
    value_date = LocalDateField(_l("Date sent"), validators=[DataRequired()])


class RejectTransferForm(FlaskForm):
    note = TextAreaField(_l("What you see on your account (optional)"),
                         validators=[Length(max=MAX_NOTE)])


class RefundForm(FlaskForm):
    amount = StringField(_l("Amount to refund"), validators=[DataRequired(), Length(max=30)],
                         description=_l("In the payment's currency, e.g. 1,000,000 or 12.50."))
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=MAX_NOTE)])
    # One per form shown (see `shown`): sending the same form twice makes one refund.
    nonce = HiddenField(validators=[DataRequired(), Regexp(NONCE.pattern + r"\Z")])

    @classmethod
    def shown(cls, **kwargs) -> "RefundForm":
        """A new form to show, with a nonce of its own."""
        return cls(nonce=secrets.token_urlsafe(24), **kwargs)


class SettlementAccountForm(FlaskForm):
    bank_code = SelectField(_l("Bank"), validators=[DataRequired()])
    account_number = StringField(_l("Account number"), validators=[DataRequired(), Length(max=30)],
                                 description=_l("Digits; hyphens are allowed."))
    holder = StringField(_l("Account holder"), validators=[DataRequired(), Length(max=100)],
                         description=_l("The name the bank shows for the account."))

    def __init__(self, *args, lang: str = "ko", **kwargs):
        super().__init__(*args, **kwargs)
        self.bank_code.choices = [("", _l("Choose a bank"))] + [
            (code, f"{en if lang == 'en' else ko} ({code})") for code, ko, en in BANKS]


class ConfirmAccountForm(FlaskForm):
    """Staff confirm the account as they saw it: `changed_at` says which version that was."""
    changed_at = HiddenField(validators=[DataRequired()])


class TaxInvoiceForm(FlaskForm):
    approval_no = StringField(_l("Approval number"), validators=[DataRequired(), Length(max=30)],
                              description=_l("The 24-digit number the National Tax Service "
                                             "gave the e-tax invoice."))
    issued_on = LocalDateField(_l("Date issued"), validators=[DataRequired()])
