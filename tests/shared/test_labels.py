"""Enums that carry their own translated labels."""

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from marketplace.accounts.models import OrgKind, Role, Verification
from marketplace.extensions import db
from marketplace.labels import LabelledEnum


class Colour(LabelledEnum):
    red = "red", _l("Verified")
    plain = "plain"


def test_a_member_is_its_plain_string_value():
    assert Role.staff == "staff"
    assert Role("admin") is Role.admin
    assert Role.admin.value == "admin" and str(Role.admin) == "admin"
    assert [m.value for m in OrgKind] == ["firm", "startup", "investor", "agency"]
    assert Colour.plain.label == "plain"


def test_labels_are_translated_when_shown(app):
    with app.test_request_context():
        with force_locale("ko"):
            korean = str(Verification.verified.label)
        with force_locale("en"):
            english = str(Verification.verified.label)
    assert english == "Verified"
    assert korean != english and korean  # the Korean catalog's entry, not the msgid


def test_choices_keep_declaration_order_and_can_leave_members_out(app):
    with app.test_request_context(), force_locale("en"):
        assert [(v, str(label)) for v, label in OrgKind.choices(exclude={OrgKind.agency})] == [
            ("firm", "Large or mid-size firm"), ("startup", "Startup"), ("investor", "Investor")]
        assert OrgKind.choices(exclude=["agency"]) == OrgKind.choices(exclude={OrgKind.agency})
        assert {k: str(v) for k, v in Role.labels().items()} == {
            Role.member: "Member", Role.staff: "Staff", Role.admin: "Administrator"}


def test_registration_offers_the_kinds_a_member_can_choose(client):
    page = client.get("/en/register").get_data(as_text=True)
    assert "Large or mid-size firm" in page and "Startup" in page
    assert "Public or support agency" not in page


def test_a_labelled_enum_column_stores_and_loads_the_value(ctx, make_user):
    from marketplace.accounts.models import User

    user = db.session.get(User, make_user(kind="investor", role="staff").id)
    assert user.role is Role.staff and user.organisation.kind is OrgKind.investor
    assert user.organisation.kind_label is OrgKind.investor.label
    assert user.organisation.verification_label is Verification.verified.label
    stored = db.session.execute(db.text("SELECT role FROM users WHERE id = :id"),
                                {"id": user.id}).scalar_one()
    assert stored == "staff"
